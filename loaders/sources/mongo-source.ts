// The MongoDB source: slow-control "properties" collections (one collection per property) or
// bluesky's run_start / event_descriptor / event / run_stop documents. It talks to the database
// through `MongoDatabaseLike`, a small structural slice of the driver's `Db`, so the same code
// runs on a real server and on the in-memory fake the unit tests use. Every filter and pipeline
// comes from mongo-queries.ts; readings stream through cursors and never pile up in memory.
import { MongoClient, ObjectId } from "mongodb";
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { IngestReading } from "../../src/core/ingest.js";
import { isoDay, nightContaining, type TimeWindow } from "../../src/core/time-window.js";
import {
  connectionUrl,
  redactUrl,
  type MongoBlueskyLayout,
  type MongoPropertyLayout,
  type MongoRunsConfig,
  type MongoSourceConfig,
} from "../config.js";
import {
  blueskyDataKeysPipeline,
  blueskyDescriptorsByUidFind,
  blueskyDescriptorsFind,
  blueskyEventGroupPipeline,
  blueskyEventsFind,
  blueskyRunIds,
  blueskyStartsFind,
  blueskyStopsFind,
  channelCount,
  dataKeyShape,
  DAY_MS,
  decodeCursor,
  eventValues,
  keyPlans,
  describeJson,
  fieldPath,
  forEachChannel,
  getPath,
  mergeRunGroups,
  newerThanFilter,
  newestByIdFind,
  newestByTimeFind,
  nightRunId,
  nightWindowOfRun,
  observableNameOf,
  propertyObservables,
  propertyReadingsFind,
  propertySampleFind,
  runFromBluesky,
  runFromRecord,
  runGroupOf,
  runGroupPipeline,
  runOfDocument,
  runOfGroup,
  RunSpans,
  runSignature,
  runsCollectionFind,
  timeMicros,
  timeMs,
  timeRangeFilter,
  type BlueskyStart,
  type DocMarker,
  type FindOptionsSpec,
  type KeyPlan,
  type MarkerValue,
  type MongoCursorState,
  type MongoDocument,
  type MongoFilter,
  type MongoStage,
  type PropertyFields,
  type RunAssignment,
  type RunGroup,
} from "./mongo-queries.js";
import {
  ChunkBuilder,
  SourceError,
  type ReadingChunk,
  type ReadingQuery,
  type RunFingerprint,
  type ScalarChunk,
  type Source,
  type SourceChanges,
  type SourceCursor,
  type SourceProblem,
} from "./source.js";

export type { MongoDocument, MongoFilter, MongoStage } from "./mongo-queries.js";
export type MongoFindOptions = FindOptionsSpec;

/** The part of a driver collection the source uses. Cursors are only ever iterated, never collected. */
export interface MongoCollectionLike {
  find(filter: MongoFilter, options?: MongoFindOptions): AsyncIterable<MongoDocument>;
  aggregate(pipeline: MongoStage[], options?: { allowDiskUse?: boolean; batchSize?: number }): AsyncIterable<MongoDocument>;
  countDocuments(filter: MongoFilter, options?: { limit?: number }): Promise<number>;
}

/** The part of the driver's `Db` the source uses; a real `Db` satisfies it as it is. */
export interface MongoDatabaseLike {
  collection(name: string): MongoCollectionLike;
  listCollections(
    filter: MongoFilter,
    options: { nameOnly: true; authorizedCollections?: boolean },
  ): AsyncIterable<{ name: string; type?: string }>;
  /** A change stream (MongoDB replica sets and sharded clusters only). */
  watch?(pipeline: MongoStage[], options: { resumeAfter?: unknown }): MongoChangeStreamLike;
}

/** The fields of a change event runboard reads: an insert's collection and document. */
export interface MongoChangeEvent {
  /** The resume token. */
  _id: unknown;
  operationType: string;
  clusterTime?: { t?: number; i?: number; high?: number; low?: number };
  ns?: { coll?: string };
  fullDocument?: MongoDocument;
}

export interface MongoChangeStreamLike extends AsyncIterable<MongoChangeEvent> {
  close(): Promise<void>;
}

/** What one inserted document means for runboard. */
export type LiveChange =
  | { kind: "readings"; readings: IngestReading[]; skipped: number }
  /** A run record changed: these runs need declaring again. */
  | { kind: "runs"; runIds: number[] }
  /** A bluesky document, for the bluesky ingest path. */
  | { kind: "bluesky"; name: "start" | "descriptor" | "event" | "stop"; prefix: string }
  | { kind: "ignored" };

export interface MongoSourceOptions {
  /** Defaults to "mongodb <redacted url>/<database> (<layout>)" from the config. */
  description?: string;
  /** Called by `close()`, e.g. to close the driver's client. */
  close?: () => Promise<void>;
  /** The clock (epoch ms): tonight's night run is running until its noon. */
  now?: () => number;
}

/** The environment variable that holds the connection string when the config names none. */
export const MONGODB_URL_ENV = "MONGODB_URL";

/** How far back `changesSince` looks for nights that ended (their status changed to stopped). */
const MAX_ENDED_NIGHTS = 31;

const describeSource = (url: string, config: MongoSourceConfig) =>
  `mongodb ${url.replace(/\/+$/, "")}/${config.database} (${config.mapping.layout})`;

export class MongoSource implements Source {
  readonly description: string;
  private readonly reader: LayoutReader;

  constructor(
    private readonly db: MongoDatabaseLike,
    config: MongoSourceConfig,
    private readonly options: MongoSourceOptions = {},
  ) {
    const where = config.url ? redactUrl(config.url) : `$${config.urlEnv ?? MONGODB_URL_ENV}`;
    this.description = options.description ?? describeSource(where, config);
    const now = options.now ?? Date.now;
    try {
      this.reader =
        config.mapping.layout === "properties"
          ? new PropertiesReader(db, config.mapping, config.runs, now)
          : new BlueskyReader(db, config.mapping, now);
    } catch (error) {
      throw new SourceError(this.description, (error as Error).message, { cause: error });
    }
  }

  /** Connects with the official driver; an unreachable server is a SourceError that says so. */
  static async connect(config: MongoSourceConfig, env: NodeJS.ProcessEnv = process.env): Promise<MongoSource> {
    const url = connectionUrl(config, MONGODB_URL_ENV, env);
    const description = describeSource(redactUrl(url), config);
    let client: MongoClient | undefined;
    try {
      client = new MongoClient(url, {
        serverSelectionTimeoutMS: config.serverSelectionTimeoutSeconds * 1000,
        appName: "runboard",
      });
      await client.connect();
      await client.db(config.database).command({ ping: 1 });
    } catch (error) {
      await client?.close().catch(() => undefined);
      const reason = withoutSecrets(error instanceof Error ? error.message : String(error), url);
      const message =
        // The constructor only parses: failing there means the string (or an option in it) is wrong.
        client === undefined
          ? `the connection string is not valid: ${reason}`
          : `cannot connect within ${config.serverSelectionTimeoutSeconds} s: ${reason}; check that the server is running and reachable`;
      throw new SourceError(description, message, { cause: error });
    }
    const connected = client;
    return new MongoSource(connected.db(config.database), config, { description, close: () => connected.close() });
  }

  catalog(): Promise<ObservableInfo[]> {
    return this.guard("reading the catalog", () => this.reader.catalog());
  }

  catalogProblems(): SourceProblem[] {
    return [...(this.reader.problems ?? [])];
  }

  /** Inserts into the database from now on (or after `resumeAfter`), or undefined without change streams. */
  watchInserts(resumeAfter?: unknown): MongoChangeStreamLike | undefined {
    return this.db.watch?.([{ $match: { operationType: "insert" } }], resumeAfter === undefined ? {} : { resumeAfter });
  }

  /** What a document inserted into `collection` means: readings, a run record, a bluesky document, or nothing. */
  liveChange(collection: string, doc: MongoDocument): Promise<LiveChange> {
    return this.guard("reading a new document", () => this.reader.liveChange(collection, doc));
  }

  runs(): Promise<RunInfo[]> {
    return this.guard("reading the runs", () => this.reader.runs());
  }

  async *readings(query: ReadingQuery): AsyncIterable<ReadingChunk> {
    try {
      yield* this.reader.readings(query, new ChunkBuilder());
    } catch (error) {
      throw this.failure("reading readings", error);
    }
  }

  fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]> {
    return this.guard("reading run fingerprints", () => this.reader.fingerprints(runs));
  }

  changesSince(cursor: SourceCursor | null): Promise<SourceChanges> {
    return this.guard("looking for changes", () => this.reader.changesSince(cursor));
  }

  describeQuery(query: ReadingQuery): string {
    return [this.description, ...this.reader.describe(query)].join("\n");
  }

  async close(): Promise<void> {
    await this.options.close?.();
  }

  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  private failure(what: string, error: unknown): SourceError {
    if (error instanceof SourceError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new SourceError(this.description, `${what} failed: ${message}`, { cause: error });
  }
}

/** A driver message without the connection string or its password. */
function withoutSecrets(message: string, url: string): string {
  let text = message.split(url).join(redactUrl(url));
  const password = /:\/\/[^:/@]+:([^@]+)@/.exec(url)?.[1];
  if (password) text = text.split(password).join("***");
  return text;
}

interface LayoutReader {
  catalog(): Promise<ObservableInfo[]>;
  /** What the last catalog() left out (names that collide). */
  problems?: SourceProblem[];
  runs(): Promise<RunInfo[]>;
  readings(query: ReadingQuery, out: ChunkBuilder): AsyncGenerator<ReadingChunk>;
  fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]>;
  changesSince(cursor: SourceCursor | null): Promise<SourceChanges>;
  /** The queries behind `readings(query)`, one per line. */
  describe(query: ReadingQuery): string[];
  liveChange(collection: string, doc: MongoDocument): Promise<LiveChange>;
}

async function firstOf<T>(items: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of items) return item;
  return undefined;
}

const isObjectId = (value: unknown): value is { toHexString(): string } =>
  typeof value === "object" &&
  value !== null &&
  (value as { _bsontype?: unknown })._bsontype === "ObjectId" &&
  typeof (value as { toHexString?: unknown }).toHexString === "function";

/** The newest document of a collection: by ObjectId when _id is one, else by time. */
async function newestMarker(collection: MongoCollectionLike, timeField: string): Promise<DocMarker | undefined> {
  const byId = newestByIdFind();
  const newest = await firstOf(collection.find(byId.filter, byId.options));
  if (!newest) return undefined;
  if (isObjectId(newest._id)) return { oid: newest._id.toHexString() };
  const byTime = newestByTimeFind(timeField);
  const doc = await firstOf(collection.find(byTime.filter, byTime.options));
  const ms = doc && timeMs(getPath(doc, timeField));
  return ms === undefined ? undefined : { ms };
}

function markerValue(marker: DocMarker | undefined): MarkerValue | undefined {
  if (marker?.oid !== undefined && ObjectId.isValid(marker.oid)) return { id: new ObjectId(marker.oid) };
  if (typeof marker?.ms === "number") return { ms: marker.ms };
  return undefined;
}

const sameMarker = (a: DocMarker | undefined, b: DocMarker) => a !== undefined && a.oid === b.oid && a.ms === b.ms;

function fingerprintsOf(ids: readonly number[], groups: Map<number, RunGroup>): RunFingerprint[] {
  const micros = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000));
  return ids.map((run) => {
    const g = groups.get(run);
    const version = g?.valueSum === undefined ? {} : { version: `sum ${g.valueSum} ${g.timeSum}` };
    return { run, rows: g?.rows ?? 0, firstMicros: micros(g?.first ?? null), lastMicros: micros(g?.last ?? null), ...version };
  });
}

const sortedIds = (ids: Iterable<number>) => [...new Set(ids)].sort((a, b) => a - b);
const overlaps = (run: RunInfo, w: TimeWindow) => run.start <= w.to && (run.stop ?? Infinity) >= w.from;
const line = (collection: string, method: "find" | "aggregate", ...args: unknown[]) =>
  `${collection}.${method}(${args.map(describeJson).join(", ")})`;

// ---------------------------------------------------------------------------------------------

/** One collection per property; runs from a runs collection, a run field, or observing nights. */
class PropertiesReader implements LayoutReader {
  private readonly fields: PropertyFields;
  private readonly records?: { collection: string; id: string; start: string; stop?: string; status?: string };
  /** What the last call found, for `describe` (which cannot ask the database). */
  private seen: { collections?: Map<string, string>; assign?: RunAssignment } = {};
  problems: SourceProblem[] = [];
  /** Collections and run assignment for live documents, read once and again when they change. */
  private live?: { collections: Map<string, string>; assign: RunAssignment };

  constructor(
    private readonly db: MongoDatabaseLike,
    private readonly layout: MongoPropertyLayout,
    private readonly runsConfig: MongoRunsConfig | undefined,
    private readonly now: () => number,
  ) {
    this.fields = {
      time: fieldPath(layout.time, "mapping.time"),
      values: fieldPath(layout.values, "mapping.values"),
      ...(layout.run !== undefined ? { run: fieldPath(layout.run, "mapping.run") } : {}),
    };
    if (runsConfig && "collection" in runsConfig) {
      this.records = {
        collection: runsConfig.collection,
        id: fieldPath(runsConfig.id, "runs.id"),
        start: fieldPath(runsConfig.start, "runs.start"),
        ...(runsConfig.stop !== undefined ? { stop: fieldPath(runsConfig.stop, "runs.stop") } : {}),
        ...(runsConfig.status !== undefined ? { status: fieldPath(runsConfig.status, "runs.status") } : {}),
      };
    }
  }

  /** Collection -> observable name, listed afresh each time so new collections show up. */
  private async collections(): Promise<Map<string, string>> {
    let names: string[];
    const problems: SourceProblem[] = [];
    if (this.layout.collections) {
      names = this.layout.collections;
      // A listed collection the database does not have is said, not silently an empty observable.
      const present = new Set<string>();
      for await (const info of this.db.listCollections({}, { nameOnly: true, authorizedCollections: true }))
        present.add(info.name);
      names.forEach((name, i) => {
        if (!present.has(name))
          problems.push({ field: `source.mapping.collections[${i}]`, message: `the database has no collection ${name}` });
      });
    } else {
      const prefix = this.layout.collectionPrefix ?? "";
      names = [];
      // Filtered here rather than with a $regex built from the prefix.
      for await (const info of this.db.listCollections({}, { nameOnly: true, authorizedCollections: true })) {
        const name = info.name;
        if (name.startsWith(prefix) && !name.startsWith("system.") && name !== this.records?.collection) names.push(name);
      }
    }
    const { names: map, refused } = propertyObservables(this.layout.prefix, names);
    this.problems = [...problems, ...refused.map((r) => ({ field: "source.mapping", message: r.message }))];
    this.seen.collections = map;
    return map;
  }

  /** Night runs when there are no run records and no run field. */
  private nightOffset(): number | undefined {
    if (this.runsConfig && "nights" in this.runsConfig) return this.runsConfig.nights.utcOffsetMinutes;
    return this.runsConfig === undefined && this.fields.run === undefined ? 0 : undefined;
  }

  private async assignment(records?: RunInfo[]): Promise<RunAssignment> {
    const offset = this.nightOffset();
    let assign: RunAssignment;
    if (offset !== undefined) assign = { kind: "nights", utcOffsetMinutes: offset };
    else if (this.fields.run !== undefined) assign = { kind: "field", field: this.fields.run };
    else assign = { kind: "spans", spans: new RunSpans(records ?? (await this.runRecords())) };
    this.seen.assign = assign;
    return assign;
  }

  private async runRecords(): Promise<RunInfo[]> {
    if (!this.records) return [];
    const spec = runsCollectionFind(this.records.start);
    const runs: RunInfo[] = [];
    for await (const doc of this.db.collection(this.records.collection).find(spec.filter, spec.options)) {
      const run = runFromRecord(doc, this.records);
      if (run) runs.push(run);
    }
    // The server sorts numbers before Dates; starts may be stored either way.
    return runs.sort((a, b) => a.start - b.start || a.id - b.id);
  }

  /** Per-run groups over these property collections (none when no run can match). */
  private async groups(
    collections: Iterable<string>,
    assign: RunAssignment,
    match?: MongoFilter,
  ): Promise<Map<number, RunGroup>> {
    const groups = new Map<number, RunGroup>();
    if (assign.kind === "spans" && assign.spans.empty) return groups;
    const pipeline = runGroupPipeline(this.fields.time, assign, match, this.fields.values);
    for (const collection of collections) {
      for await (const doc of this.db.collection(collection).aggregate(pipeline, { allowDiskUse: true })) {
        const run = runOfGroup(assign, doc._id);
        if (run !== undefined) mergeRunGroups(groups, runGroupOf(run, doc));
      }
    }
    return groups;
  }

  async catalog(): Promise<ObservableInfo[]> {
    const spec = propertySampleFind(this.fields);
    const out: ObservableInfo[] = [];
    for (const [collection, name] of await this.collections()) {
      let channels = 1;
      for await (const doc of this.db.collection(collection).find(spec.filter, spec.options)) {
        channels = Math.max(channels, channelCount(getPath(doc, this.fields.values)));
      }
      out.push({
        name,
        unit: "",
        shape: "scalar",
        channels: Math.min(channels, 100_000),
        dims: [],
        description: `MongoDB collection ${collection}`,
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async runs(): Promise<RunInfo[]> {
    if (this.records && this.nightOffset() === undefined) return this.runRecords();
    const assign = await this.assignment();
    const groups = await this.groups((await this.collections()).keys(), assign);
    const now = this.now();
    const runs: RunInfo[] = [];
    for (const g of groups.values()) {
      if (g.first === null || g.last === null) continue;
      const start = Math.floor(g.first);
      if (assign.kind === "nights") {
        const night = nightWindowOfRun(g.run, assign.utcOffsetMinutes);
        if (!night) continue;
        const stop = now < night.to ? null : Math.ceil(g.last);
        const meta = { night: isoDay(night.from, assign.utcOffsetMinutes), utcOffsetMinutes: assign.utcOffsetMinutes };
        runs.push({ id: g.run, start, stop, status: stop === null ? "running" : "stopped", meta });
      } else {
        // A run field with no run records: the run spans its readings.
        runs.push({ id: g.run, start, stop: Math.ceil(g.last), status: "stopped", meta: {} });
      }
    }
    return runs.sort((a, b) => a.start - b.start || a.id - b.id);
  }

  async liveChange(collection: string, doc: MongoDocument): Promise<LiveChange> {
    if (collection === this.records?.collection) {
      this.live = undefined; // run spans changed: assign by the new ones from now on
      const run = runFromRecord(doc, this.records);
      return run ? { kind: "runs", runIds: [run.id] } : { kind: "ignored" };
    }
    let name = this.live?.collections.get(collection);
    if (name === undefined || !this.live) {
      // A collection first seen (collectionPrefix), or the first document: look again.
      this.live = { collections: await this.collections(), assign: await this.assignment() };
      name = this.live.collections.get(collection);
      if (name === undefined) return { kind: "ignored" };
    }
    const time = getPath(doc, this.fields.time);
    const t = timeMs(time);
    let run = t === undefined ? undefined : runOfDocument(this.live.assign, doc, t);
    if (t !== undefined && run === undefined && this.live.assign.kind === "spans") {
      // Perhaps a run that started since the spans were read.
      this.live.assign = await this.assignment();
      run = runOfDocument(this.live.assign, doc, t);
    }
    const readings: IngestReading[] = [];
    let skipped = 0;
    forEachChannel(getPath(doc, this.fields.values), (channel, value) => {
      if (run === undefined || t === undefined || value === null || !Number.isFinite(value)) skipped++;
      else readings.push({ observable: name, run, t, channel, value });
    });
    return { kind: "readings", readings, skipped };
  }

  async *readings(query: ReadingQuery, out: ChunkBuilder): AsyncGenerator<ReadingChunk> {
    const collections = await this.collections();
    const assign = await this.assignment();
    const spec = propertyReadingsFind(this.fields, assign, query);
    if (!spec || (assign.kind === "spans" && assign.spans.empty)) return;
    const wanted = query.observables ? new Set(query.observables) : undefined;
    const selected = query.runs ? new Set(query.runs) : undefined;
    const ready: ScalarChunk[] = [];
    for (const [collection, name] of collections) {
      if (wanted && !wanted.has(name)) continue;
      let observable: number | undefined;
      for await (const doc of this.db.collection(collection).find(spec.filter, spec.options)) {
        const time = getPath(doc, this.fields.time);
        const tMs = timeMs(time);
        const tMicros = timeMicros(time);
        if (tMs === undefined || tMicros === undefined) continue;
        const run = runOfDocument(assign, doc, tMs);
        if (run === undefined || (selected && !selected.has(run))) continue;
        observable ??= out.names.id(name);
        const id = observable;
        forEachChannel(getPath(doc, this.fields.values), (channel, value) => {
          const full = out.scalar(run, id, channel, tMicros, value);
          if (full) ready.push(full);
        });
        if (ready.length > 0) yield* ready.splice(0);
      }
    }
    yield* out.rest();
  }

  async fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]> {
    const records = this.records && this.nightOffset() === undefined ? await this.runRecords() : undefined;
    const assign = await this.assignment(records);
    let match: MongoFilter | undefined;
    if (runs) {
      const spec = propertyReadingsFind(this.fields, assign, { runs });
      if (!spec) return fingerprintsOf(runs, new Map());
      match = spec.filter;
    }
    const groups = await this.groups((await this.collections()).keys(), assign, match);
    const ids = runs ?? (records ? records.map((r) => r.id) : sortedIds(groups.keys()));
    return fingerprintsOf(ids, groups);
  }

  async changesSince(cursor: SourceCursor | null): Promise<SourceChanges> {
    const state = decodeCursor(cursor, "properties");
    const now = this.now();
    const collections = await this.collections();
    const records = this.records ? await this.runRecords() : undefined;
    const assign = await this.assignment(this.nightOffset() === undefined ? records : undefined);
    const changed = new Set<number>();
    const docs: Record<string, DocMarker> = {};
    for (const collection of collections.keys()) {
      const newest = await newestMarker(this.db.collection(collection), this.fields.time);
      if (!newest) continue;
      docs[collection] = newest;
      const before = state?.docs[collection];
      if (!state || sameMarker(before, newest)) continue;
      const match = newerThanFilter(this.fields.time, markerValue(before), markerValue(newest)!);
      for (const run of (await this.groups([collection], assign, match)).keys()) changed.add(run);
    }
    const signatures = records ? Object.fromEntries(records.map((r) => [String(r.id), runSignature(r)])) : undefined;
    if (!state) {
      for (const run of records && assign.kind !== "nights" ? records : await this.runs()) changed.add(run.id);
    } else {
      for (const run of records ?? []) if (state.runs?.[String(run.id)] !== signatures?.[String(run.id)]) changed.add(run.id);
      if (assign.kind === "nights") {
        for (const run of await this.endedNights(state.at, now, assign.utcOffsetMinutes, collections)) changed.add(run);
      }
    }
    const next: MongoCursorState = { v: 1, layout: "properties", docs, ...(signatures ? { runs: signatures } : {}), at: now };
    return { runs: sortedIds(changed), cursor: JSON.stringify(next) };
  }

  /** Nights with data that ended after `since`: they went from running to stopped. */
  private async endedNights(since: number, now: number, offset: number, collections: Map<string, string>): Promise<number[]> {
    const ended: number[] = [];
    let night = nightContaining(Math.max(since, now - MAX_ENDED_NIGHTS * DAY_MS), offset);
    while (night.to <= now) {
      // Up to 1 µs before the next noon, which belongs to the next night.
      const filter = timeRangeFilter(this.fields.time, { from: night.from, to: night.to - 0.001 });
      for (const collection of collections.keys()) {
        if ((await this.db.collection(collection).countDocuments(filter, { limit: 1 })) > 0) {
          ended.push(nightRunId(night.from, offset));
          break;
        }
      }
      night = nightContaining(night.to, offset);
    }
    return ended;
  }

  describe(query: ReadingQuery): string[] {
    const collections =
      this.seen.collections ??
      (this.layout.collections ? propertyObservables(this.layout.prefix, this.layout.collections).names : undefined);
    const offset = this.nightOffset();
    const assign: RunAssignment | undefined =
      offset !== undefined
        ? { kind: "nights", utcOffsetMinutes: offset }
        : this.fields.run !== undefined
          ? { kind: "field", field: this.fields.run }
          : this.seen.assign;
    if (!assign && query.runs) {
      return [`(time spans of runs ${JSON.stringify(query.runs)} from collection ${this.records?.collection}, not read yet)`];
    }
    const spec = propertyReadingsFind(this.fields, assign ?? { kind: "spans", spans: new RunSpans([]) }, query);
    if (!spec) return ["(no collection is queried: none of the runs is known)"];
    const names = collections
      ? [...collections].filter(([, name]) => !query.observables || query.observables.includes(name)).map(([c]) => c)
      : [`<collections named ${this.layout.collectionPrefix}*>`];
    return names.map((collection) => line(collection, "find", spec.filter, spec.options));
  }
}

// ---------------------------------------------------------------------------------------------

/** bluesky: runs from run_start/run_stop, observables from the stream's data keys, readings from events. */
class BlueskyReader implements LayoutReader {
  private readonly collections: MongoBlueskyLayout["collections"];
  /** The runs and their start uids from the last look, for `describe` (which cannot ask the database). */
  private seen: { runs: RunInfo[]; uidOf: Map<number, string> } = { runs: [], uidOf: new Map() };

  constructor(
    private readonly db: MongoDatabaseLike,
    private readonly layout: MongoBlueskyLayout,
    private readonly now: () => number,
  ) {
    this.collections = layout.collections;
  }

  private collection(which: keyof MongoBlueskyLayout["collections"]): MongoCollectionLike {
    return this.db.collection(this.collections[which]);
  }

  async liveChange(collection: string): Promise<LiveChange> {
    const roles = Object.entries(this.collections) as [keyof MongoBlueskyLayout["collections"], string][];
    const role = roles.find(([, name]) => name === collection)?.[0];
    // The mapping's prefix, so live names are the ones the snapshots give the same keys.
    return role ? { kind: "bluesky", name: role, prefix: this.layout.prefix } : { kind: "ignored" };
  }

  /** The runs with their start uids; `full` also reads every start document field for the metadata. */
  private async loadRuns(full: boolean): Promise<{ runs: RunInfo[]; uidOf: Map<number, string> }> {
    const startSpec = blueskyStartsFind(!full);
    const startDocs: MongoDocument[] = [];
    const starts: BlueskyStart[] = [];
    for await (const doc of this.collection("start").find(startSpec.filter, startSpec.options)) {
      const t = timeMs(doc.time);
      if (typeof doc.uid !== "string" || t === undefined) continue;
      startDocs.push(doc);
      starts.push({ uid: doc.uid, timeMs: t, scanId: doc.scan_id });
    }
    const ids = blueskyRunIds(starts);
    const stopSpec = blueskyStopsFind();
    const stops = new Map<string, MongoDocument>();
    for await (const doc of this.collection("stop").find(stopSpec.filter, stopSpec.options)) {
      if (typeof doc.run_start === "string" && !stops.has(doc.run_start)) stops.set(doc.run_start, doc);
    }
    const runs: RunInfo[] = [];
    const uidOf = new Map<number, string>();
    for (const doc of startDocs) {
      const uid = doc.uid as string;
      const run = runFromBluesky(ids.get(uid)!, doc, stops.get(uid));
      if (!run) continue;
      runs.push(run);
      uidOf.set(run.id, uid);
    }
    runs.sort((a, b) => a.start - b.start || a.id - b.id);
    this.seen = { runs, uidOf };
    return { runs, uidOf };
  }

  /** The stream's descriptors of some runs: descriptor uid -> run start uid (and data keys). */
  private async descriptors(runUids?: readonly string[]): Promise<Map<string, { runUid: string; dataKeys: unknown }>> {
    const spec = blueskyDescriptorsFind(this.layout.stream, runUids);
    const out = new Map<string, { runUid: string; dataKeys: unknown }>();
    for await (const doc of this.collection("descriptor").find(spec.filter, spec.options)) {
      if (typeof doc.uid === "string" && typeof doc.run_start === "string") {
        out.set(doc.uid, { runUid: doc.run_start, dataKeys: doc.data_keys });
      }
    }
    return out;
  }

  async catalog(): Promise<ObservableInfo[]> {
    const byName = new Map<string, ObservableInfo>();
    for await (const doc of this.collection("descriptor").aggregate(blueskyDataKeysPipeline(this.layout.stream))) {
      const shape = dataKeyShape(doc.spec);
      const name = typeof doc._id === "string" ? observableNameOf(this.layout.prefix, doc._id) : undefined;
      // Keys that differ only in characters a name cannot hold become one observable (first key wins).
      if (!shape || !name || byName.has(name)) continue;
      byName.set(name, {
        name,
        unit: shape.unit,
        shape: shape.shape,
        channels: 1,
        dims: shape.dims,
        description: shape.description,
      });
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async runs(): Promise<RunInfo[]> {
    return (await this.loadRuns(true)).runs;
  }

  async *readings(query: ReadingQuery, out: ChunkBuilder): AsyncGenerator<ReadingChunk> {
    const { runs, uidOf } = await this.loadRuns(false);
    const want = query.runs ? new Set(query.runs) : undefined;
    const window = query.window;
    const selected = runs.filter((r) => (!want || want.has(r.id)) && (!window || overlaps(r, window)));
    if (selected.length === 0) return;
    const wanted = query.observables ? new Set(query.observables) : undefined;
    // Run start uid -> (descriptor uid -> the keys to read from its events).
    const plansByRun = new Map<string, Map<string, KeyPlan[]>>();
    for (const [descriptor, d] of await this.descriptors(selected.map((r) => uidOf.get(r.id)!))) {
      const keys = keyPlans(d.dataKeys, this.layout.prefix, wanted);
      if (keys.length === 0) continue;
      const plans = plansByRun.get(d.runUid) ?? new Map<string, KeyPlan[]>();
      plansByRun.set(d.runUid, plans.set(descriptor, keys));
    }
    for (const run of selected) {
      const plans = plansByRun.get(uidOf.get(run.id)!);
      if (!plans) continue;
      const keys = [...new Set([...plans.values()].flat().map((k) => k.key))];
      const spec = blueskyEventsFind([...plans.keys()], window, keys);
      const ids = new Map<string, number>();
      for await (const event of this.collection("event").find(spec.filter, spec.options)) {
        const tMicros = timeMicros(event.time);
        const eventPlans = typeof event.descriptor === "string" ? plans.get(event.descriptor) : undefined;
        if (tMicros === undefined || !eventPlans) continue;
        for (const v of eventValues(event.data, eventPlans)) {
          let full: ReadingChunk | undefined;
          if ("scalar" in v) {
            let id = ids.get(v.plan.name);
            if (id === undefined) ids.set(v.plan.name, (id = out.names.id(v.plan.name)));
            full = out.scalar(run.id, id, 0, tMicros, v.scalar);
          } else {
            full = out.array({ run: run.id, observable: v.plan.name, channel: 0, tMicros, value: v.array });
          }
          if (full) yield full;
        }
      }
    }
    yield* out.rest();
  }

  /**
   * Event counts per run: events grouped by descriptor, added up per run. `restrict` names the
   * descriptors in the match; without it every event is grouped (no huge $in for all runs).
   */
  private async eventGroups(descriptors: Map<string, { runUid: string }>, runOfUid: Map<string, number>, restrict: boolean) {
    const groups = new Map<number, RunGroup>();
    const pipeline = blueskyEventGroupPipeline(restrict ? [...descriptors.keys()] : undefined);
    for await (const doc of this.collection("event").aggregate(pipeline, { allowDiskUse: true })) {
      const d = typeof doc._id === "string" ? descriptors.get(doc._id) : undefined;
      const run = d && runOfUid.get(d.runUid);
      if (run !== undefined) mergeRunGroups(groups, runGroupOf(run, doc));
    }
    return groups;
  }

  async fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]> {
    const { runs: all, uidOf } = await this.loadRuns(false);
    const ids = runs ?? all.map((r) => r.id);
    const uids = ids.flatMap((id) => uidOf.get(id) ?? []);
    if (uids.length === 0) return fingerprintsOf(ids, new Map());
    const descriptors = await this.descriptors(runs ? uids : undefined);
    const runOfUid = new Map([...uidOf].map(([id, uid]) => [uid, id]));
    return fingerprintsOf(ids, await this.eventGroups(descriptors, runOfUid, runs !== undefined));
  }

  async changesSince(cursor: SourceCursor | null): Promise<SourceChanges> {
    const state = decodeCursor(cursor, "bluesky");
    const { runs, uidOf } = await this.loadRuns(false);
    const events = this.collection("event");
    const newest = await newestMarker(events, "time");
    const signatures = Object.fromEntries(runs.map((r) => [String(r.id), runSignature(r)]));
    const changed = new Set<number>();
    if (!state) {
      for (const run of runs) changed.add(run.id);
    } else {
      for (const run of runs) if (state.runs?.[String(run.id)] !== signatures[String(run.id)]) changed.add(run.id);
      const before = state.docs[this.collections.event];
      if (newest && !sameMarker(before, newest)) {
        const match = newerThanFilter("time", markerValue(before), markerValue(newest)!);
        const touched: string[] = [];
        for await (const doc of events.aggregate(blueskyEventGroupPipeline(undefined, match))) {
          if (typeof doc._id === "string") touched.push(doc._id);
        }
        if (touched.length > 0) {
          const spec = blueskyDescriptorsByUidFind(this.layout.stream, touched);
          const runOfUid = new Map([...uidOf].map(([id, uid]) => [uid, id]));
          for await (const d of this.collection("descriptor").find(spec.filter, spec.options)) {
            const run = typeof d.run_start === "string" ? runOfUid.get(d.run_start) : undefined;
            if (run !== undefined) changed.add(run);
          }
        }
      }
    }
    const next: MongoCursorState = {
      v: 1,
      layout: "bluesky",
      docs: newest ? { [this.collections.event]: newest } : {},
      runs: signatures,
      at: this.now(),
    };
    return { runs: sortedIds(changed), cursor: JSON.stringify(next) };
  }

  describe(query: ReadingQuery): string[] {
    const { runs, uidOf } = this.seen;
    const window = query.window;
    // Mirrors readings(): the chosen runs, or those overlapping the window when the runs were read.
    const uids =
      query.runs?.map((id) => uidOf.get(id) ?? `<uid of run ${id}>`) ??
      (window && runs.length > 0 ? runs.filter((r) => overlaps(r, window)).map((r) => uidOf.get(r.id)!) : undefined);
    const descriptors = blueskyDescriptorsFind(this.layout.stream, uids);
    const events = blueskyEventsFind(["<uids of the descriptors above>"], query.window);
    return [
      line(this.collections.descriptor, "find", descriptors.filter, descriptors.options),
      line(this.collections.event, "find", events.filter, events.options),
    ];
  }
}
