// Everything the MongoDB source sends, as plain objects, and the mapping from the documents it
// gets back to readings. Pure functions with no driver import, so the in-memory fake and a real
// server evaluate exactly the same filters and pipelines, and tests can read them.
//
// Config field names (time, values, run, ...) only ever become document field paths here, never
// operators: `fieldPath` refuses anything that MongoDB would read as an operator or variable.
import { runStatusFrom, type RunInfo, type Shape } from "../../src/core/catalog.js";
import { assignNames, observableNameFor } from "../../src/core/naming.js";
import { isoDay, nightContaining, nightStartingOn, type TimeWindow } from "../../src/core/time-window.js";
import type { ArrayValue } from "./source.js";

export type MongoDocument = Record<string, unknown>;
export type MongoFilter = Record<string, unknown>;
export type MongoStage = Record<string, unknown>;
export type SortSpec = Record<string, 1 | -1>;
export type ProjectionSpec = Record<string, 0 | 1>;

export interface FindOptionsSpec {
  sort?: SortSpec;
  projection?: ProjectionSpec;
  limit?: number;
  batchSize?: number;
  /** Lets a server without an index on the time field sort big collections on disk. */
  allowDiskUse?: boolean;
}

export const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
/** The largest valid Date (year 275760): the open end of a running run. */
export const MAX_DATE_MS = 8.64e15;
/** Run ids for bluesky runs without a usable scan_id start here (run ids must fit an Int32). */
export const DERIVED_RUN_BASE = 1_000_000_000;
const INT32_MAX = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------
// Field paths, times and values

/** Checks a config field name before it is used as a document path; throws with the reason. */
export function fieldPath(path: string, what: string): string {
  if (path.startsWith("$") || path.includes("\u0000") || path.split(".").some((part) => part === "")) {
    throw new Error(`${what} ${JSON.stringify(path)} is not a document field path (no leading $, no empty parts)`);
  }
  return path;
}

/** The value at a dotted path, or undefined. */
export function getPath(doc: unknown, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Epoch milliseconds of a BSON Date or of epoch seconds (bluesky's float times); undefined otherwise. */
export function timeMs(value: unknown): number | undefined {
  if (value instanceof Date) {
    const t = value.getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  // Seconds beyond what a Date can hold are not times.
  return typeof value === "number" && Math.abs(value) <= MAX_DATE_MS / 1000 ? value * 1000 : undefined;
}

/** Epoch microseconds (whole), as chunks carry them. */
export function timeMicros(value: unknown): number | undefined {
  if (value instanceof Date) {
    const ms = timeMs(value);
    return ms === undefined ? undefined : ms * 1000;
  }
  return typeof value === "number" && Math.abs(value) <= MAX_DATE_MS / 1000 ? Math.round(value * 1e6) : undefined;
}

const bsonType = (value: object): unknown => (value as { _bsontype?: unknown })._bsontype;
const NUMERIC_BSON = new Set(["Double", "Int32", "Long", "Decimal128"]);

/**
 * A stored value as a reading value: numbers as they are (NaN and ±Infinity included), null as
 * null (NULL), BSON number wrappers as numbers; undefined for anything that is not a number.
 */
export function numericValue(value: unknown): number | null | undefined {
  if (typeof value === "number") return value;
  if (value === null) return null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "object" && NUMERIC_BSON.has(bsonType(value) as string)) return Number(String(value));
  return undefined;
}

/**
 * The properties layout's values: a number is channel 0, an array holds channel i at index i.
 * Elements that are not numbers (nor null) are skipped; a shorter array just has fewer channels.
 */
export function forEachChannel(values: unknown, visit: (channel: number, value: number | null) => void): void {
  if (Array.isArray(values)) {
    for (let i = 0; i < values.length; i++) {
      const v = numericValue(values[i]);
      if (v !== undefined) visit(i, v);
    }
    return;
  }
  const v = numericValue(values);
  if (v !== undefined) visit(0, v);
}

/** How many channels a properties value holds (0 when it holds nothing usable). */
export function channelCount(values: unknown): number {
  if (Array.isArray(values)) return values.length;
  return numericValue(values) === undefined ? 0 : 1;
}

/**
 * An array reading as stored: null stays null, elements that are not numbers become null, and
 * ragged rows stay ragged. Any nested array makes it 2d (a stray number becomes a one-element row).
 * undefined when the value is not an array at all.
 */
export function arrayValue(value: unknown): ArrayValue | null | undefined {
  if (value === null) return null;
  if (!Array.isArray(value)) return undefined;
  const element = (v: unknown) => numericValue(v) ?? null;
  if (!value.some(Array.isArray)) return value.map(element);
  return value.map((row: unknown) => (Array.isArray(row) ? row.map(element) : [element(row)]));
}

// ---------------------------------------------------------------------------------------------
// Observable names

/** prefix + a collection name or data key as an observable name: the one rule (src/core/naming.ts). */
export function observableNameOf(prefix: string, raw: string): string | undefined {
  return observableNameFor(raw, prefix);
}

/**
 * Collection -> observable name. Collections whose names the rule maps to one observable are
 * both left out, and said so (`refused`), rather than numbered into names nobody chose.
 */
export function propertyObservables(prefix: string, collections: readonly string[]) {
  return assignNames([...collections].sort(), prefix, "the collections");
}

// ---------------------------------------------------------------------------------------------
// Time filters and expressions

/** Date bounds are whole milliseconds; round towards the inside so nothing outside matches. */
const dateAtOrAfter = (ms: number) => new Date(Math.ceil(ms));
const dateAtOrBefore = (ms: number) => new Date(Math.floor(ms));

/** Documents whose time lies in the window (both ends included), stored as a Date or as epoch seconds. */
export function timeRangeFilter(field: string, window: TimeWindow): MongoFilter {
  return {
    $or: [
      { [field]: { $gte: dateAtOrAfter(window.from), $lte: dateAtOrBefore(window.to) } },
      { [field]: { $gte: window.from / 1000, $lte: window.to / 1000 } },
    ],
  };
}

/** Documents in any of the windows; undefined when there are none (nothing can match). */
export function timeRangesFilter(field: string, windows: readonly TimeWindow[]): MongoFilter | undefined {
  if (windows.length === 0) return undefined;
  if (windows.length === 1) return timeRangeFilter(field, windows[0]!);
  return { $or: windows.flatMap((w) => timeRangeFilter(field, w).$or as MongoFilter[]) };
}

/** Documents with a time runboard can read. */
export function hasTimeFilter(field: string): MongoFilter {
  return { [field]: { $type: ["date", "number"] } };
}

/** All of the filters ({} when none). */
export function andFilters(...filters: (MongoFilter | undefined)[]): MongoFilter {
  const present = filters.filter((f): f is MongoFilter => f !== undefined && Object.keys(f).length > 0);
  if (present.length === 0) return {};
  if (present.length === 1) return present[0]!;
  return { $and: present };
}

/** Aggregation expression: the time field in epoch milliseconds (null when it is neither Date nor number). */
export function timeMsExpression(field: string): MongoStage {
  const ref = `$${field}`;
  return {
    $switch: {
      branches: [
        { case: { $eq: [{ $type: ref }, "date"] }, then: { $toLong: ref } },
        { case: { $isNumber: ref }, then: { $multiply: [ref, 1000] } },
      ],
      default: null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Nights: runs without run records

/** The night (12:00 to 12:00 at the site) holding `tMs`, as a run id YYYYMMDD of its first day. */
export function nightRunId(tMs: number, utcOffsetMinutes = 0): number {
  const night = nightContaining(tMs, utcOffsetMinutes);
  return Number(isoDay(night.from, utcOffsetMinutes).replaceAll("-", ""));
}

/**
 * The run id of the night numbered `day` by `nightDayExpression` (days since 1970-01-01 of its
 * first noon); undefined outside the years 1000-9999, where YYYYMMDD has no room.
 */
export function nightRunIdOfDay(day: number): number | undefined {
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  if (!Number.isInteger(day) || Number.isNaN(year) || year < 1000 || year > 9999) return undefined;
  return Number(date.toISOString().slice(0, 10).replaceAll("-", ""));
}

/** The window of night run `id` (YYYYMMDD); undefined for a number that is not such a date. */
export function nightWindowOfRun(id: number, utcOffsetMinutes = 0): TimeWindow | undefined {
  const text = String(id);
  if (!/^\d{8}$/.test(text)) return undefined;
  const day = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
  try {
    const night = nightStartingOn(day, utcOffsetMinutes);
    return isoDay(night.from, utcOffsetMinutes) === day ? night : undefined;
  } catch {
    return undefined;
  }
}

/** Aggregation expression: the night of the time field as a day number (see nightRunIdOfDay). */
export function nightDayExpression(field: string, utcOffsetMinutes: number): MongoStage {
  const local = { $add: [timeMsExpression(field), utcOffsetMinutes * 60_000 - 12 * HOUR_MS] };
  return { $floor: { $divide: [local, DAY_MS] } };
}

// ---------------------------------------------------------------------------------------------
// Runs from a runs collection: which run a reading belongs to

/**
 * Assigns times to runs from run records: a time belongs to the latest run that started at or
 * before it, if that run had not stopped yet (stop included). The same rule runs in the server
 * as a `$bucket` (lower bound included, upper excluded) and here as a binary search, so
 * fingerprints and readings agree.
 */
export class RunSpans {
  /** Strictly increasing bucket bounds in epoch ms; the last one closes the final bucket. */
  readonly boundaries: number[] = [];
  /** The run owning the bucket that starts at `boundaries[i]`, null for a gap between runs. */
  readonly owners: (number | null)[] = [];
  private readonly windows = new Map<number, TimeWindow>();

  constructor(runs: readonly Pick<RunInfo, "id" | "start" | "stop">[]) {
    const sorted = [...runs].filter((r) => Number.isFinite(r.start)).sort((a, b) => a.start - b.start || a.id - b.id);
    let pendingGap: number | undefined;
    const push = (bound: number, owner: number | null) => {
      const last = this.boundaries.at(-1);
      if (last !== undefined && bound <= last) {
        // Same start (the later run wins) or a stop at/before its own start (the run owns nothing).
        if (bound === last) this.owners[this.owners.length - 1] = owner;
        return;
      }
      this.boundaries.push(bound);
      this.owners.push(owner);
    };
    for (const run of sorted) {
      if (pendingGap !== undefined && pendingGap < run.start) push(pendingGap, null);
      push(run.start, run.id);
      // 1 µs after the stop: the stop itself still belongs to the run.
      pendingGap = run.stop === null ? undefined : run.stop + 0.001;
      if (pendingGap !== undefined && pendingGap <= run.start) {
        if (this.boundaries.at(-1) === run.start) this.owners[this.owners.length - 1] = null;
        pendingGap = undefined;
      }
      this.windows.set(run.id, { from: run.start, to: run.stop ?? MAX_DATE_MS });
    }
    if (pendingGap !== undefined) push(pendingGap, null);
    if (this.boundaries.length > 0) push(MAX_DATE_MS, null);
  }

  get empty(): boolean {
    return this.boundaries.length === 0;
  }

  /** The run `tMs` belongs to, if any. */
  runAt(tMs: number): number | undefined {
    let lo = 0;
    let hi = this.boundaries.length - 1;
    if (hi < 1 || tMs < this.boundaries[0]! || tMs >= this.boundaries[hi]!) return undefined;
    // Invariant: boundaries[lo] <= tMs < boundaries[hi].
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.boundaries[mid]! <= tMs) lo = mid;
      else hi = mid;
    }
    return this.owners[lo] ?? undefined;
  }

  /** The run whose `$bucket` group starts at `bound`. */
  ownerOfBucket(bound: unknown): number | undefined {
    if (typeof bound !== "number") return undefined;
    const i = this.boundaries.indexOf(bound);
    return i < 0 ? undefined : (this.owners[i] ?? undefined);
  }

  /** The span to search for run `id`'s readings (its start to its stop, or open while running). */
  windowOf(id: number): TimeWindow | undefined {
    return this.windows.get(id);
  }
}

/** How the properties layout decides a reading's run. */
export type RunAssignment =
  /** A field in every document holds the run number. */
  | { kind: "field"; field: string }
  /** The run records' time spans. */
  | { kind: "spans"; spans: RunSpans }
  /** The observing night. */
  | { kind: "nights"; utcOffsetMinutes: number };

/** A run id as runboard stores it (chunks hold Int32). */
export function runIdOf(value: unknown): number | undefined {
  const n = typeof value === "string" && /^-?\d{1,10}$/.test(value.trim()) ? Number(value) : numericValue(value);
  return typeof n === "number" && Number.isInteger(n) && Math.abs(n) <= INT32_MAX ? n : undefined;
}

/** The run a properties document belongs to; undefined when it belongs to none. */
export function runOfDocument(assign: RunAssignment, doc: MongoDocument, tMs: number): number | undefined {
  switch (assign.kind) {
    case "field":
      return runIdOf(getPath(doc, assign.field));
    case "spans":
      return assign.spans.runAt(tMs);
    case "nights":
      return nightRunId(tMs, assign.utcOffsetMinutes);
  }
}

/** The run of one group that `runGroupPipeline` returns. */
export function runOfGroup(assign: RunAssignment, id: unknown): number | undefined {
  switch (assign.kind) {
    case "field":
      return runIdOf(id);
    case "spans":
      return assign.spans.ownerOfBucket(id);
    case "nights":
      return typeof id === "number" && Number.isFinite(id) ? nightRunIdOfDay(id) : undefined;
  }
}

/**
 * Documents of the given runs; undefined when none of them can have any (e.g. unknown runs).
 * Times are a superset for spans (overlapping runs): the caller keeps what `runOfDocument` assigns.
 */
export function runSelectionFilter(timeField: string, assign: RunAssignment, runs: readonly number[]): MongoFilter | undefined {
  if (runs.length === 0) return undefined;
  switch (assign.kind) {
    case "field":
      return { [assign.field]: { $in: [...runs] } };
    case "spans":
      return timeRangesFilter(
        timeField,
        runs.flatMap((id) => assign.spans.windowOf(id) ?? []),
      );
    case "nights":
      return timeRangesFilter(
        timeField,
        runs.flatMap((id) => nightWindowOfRun(id, assign.utcOffsetMinutes) ?? []),
      );
  }
}

/**
 * Per-run document count and first/last time (epoch ms) of one collection: `{_id, rows, first, last}`
 * per group, the group read by `runOfGroup`. Used for run lists, fingerprints and changes.
 */
export function runGroupPipeline(
  timeField: string,
  assign: RunAssignment,
  match?: MongoFilter,
  valuesField?: string,
): MongoStage[] {
  const t = timeMsExpression(timeField);
  // With the values field: a checksum MongoDB computes (the sum of every value and of every
  // time), so a value rewritten in place changes the run's fingerprint though its count does not.
  const v = valuesField === undefined ? undefined : fieldPath(valuesField, "values");
  const checksum = v
    ? { valueSum: { $sum: { $cond: [{ $isArray: `$${v}` }, { $sum: `$${v}` }, `$${v}`] } }, timeSum: { $sum: t } }
    : {};
  const output = { rows: { $sum: 1 }, first: { $min: t }, last: { $max: t }, ...checksum };
  const stages: MongoStage[] = [{ $match: andFilters(hasTimeFilter(timeField), match) }];
  switch (assign.kind) {
    case "field":
      stages.push({ $group: { _id: `$${assign.field}`, ...output } });
      break;
    case "nights":
      stages.push({ $group: { _id: nightDayExpression(timeField, assign.utcOffsetMinutes), ...output } });
      break;
    case "spans":
      stages.push({ $bucket: { groupBy: t, boundaries: assign.spans.boundaries, default: "outside", output } });
      break;
  }
  return stages;
}

export interface RunGroup {
  run: number;
  rows: number;
  /** Epoch ms. */
  first: number | null;
  last: number | null;
  /** Sums of the values and of the times, where the pipeline computed them (see runGroupPipeline). */
  valueSum?: number;
  timeSum?: number;
}

/** Adds up groups of the same run (from several collections, or several descriptors). */
export function mergeRunGroups(into: Map<number, RunGroup>, group: RunGroup): void {
  const seen = into.get(group.run);
  if (!seen) {
    into.set(group.run, { ...group });
    return;
  }
  seen.rows += group.rows;
  if (group.valueSum !== undefined) seen.valueSum = (seen.valueSum ?? 0) + group.valueSum;
  if (group.timeSum !== undefined) seen.timeSum = (seen.timeSum ?? 0) + group.timeSum;
  if (group.first !== null) seen.first = seen.first === null ? group.first : Math.min(seen.first, group.first);
  if (group.last !== null) seen.last = seen.last === null ? group.last : Math.max(seen.last, group.last);
}

/** One aggregation result row as a RunGroup (run looked up by the caller). */
export function runGroupOf(run: number, doc: MongoDocument): RunGroup {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const sums = typeof doc.valueSum === "number" ? { valueSum: doc.valueSum, timeSum: Number(doc.timeSum) } : {};
  return { run, rows: num(doc.rows) ?? 0, first: num(doc.first), last: num(doc.last), ...sums };
}

// ---------------------------------------------------------------------------------------------
// Properties layout queries

export interface PropertyFields {
  time: string;
  values: string;
  run?: string;
}

/** A projection of these paths only (a path inside another is dropped: MongoDB rejects the collision). */
export function projectionOf(paths: readonly string[], withId = false): ProjectionSpec {
  const unique = [...new Set(paths)].sort();
  const kept = unique.filter((p) => !unique.some((q) => q !== p && p.startsWith(`${q}.`)));
  return { ...(withId ? {} : { _id: 0 }), ...Object.fromEntries(kept.map((p) => [p, 1 as const])) };
}

/** The readings of one property collection: filter, time order, only the fields runboard reads. */
export function propertyReadingsFind(
  fields: PropertyFields,
  assign: RunAssignment,
  query: { runs?: readonly number[]; window?: TimeWindow },
): { filter: MongoFilter; options: FindOptionsSpec } | undefined {
  let byRuns: MongoFilter | undefined;
  if (query.runs) {
    byRuns = runSelectionFilter(fields.time, assign, query.runs);
    if (!byRuns) return undefined;
  }
  const filter = andFilters(query.window ? timeRangeFilter(fields.time, query.window) : hasTimeFilter(fields.time), byRuns);
  const paths = [fields.time, fields.values, ...(assign.kind === "field" ? [assign.field] : [])];
  return {
    filter,
    options: { sort: { [fields.time]: 1 }, projection: projectionOf(paths), batchSize: 256, allowDiskUse: true },
  };
}

/** A few of the newest documents, to count channels. */
export function propertySampleFind(fields: PropertyFields, size = 16): { filter: MongoFilter; options: FindOptionsSpec } {
  return {
    filter: { [fields.values]: { $exists: true } },
    options: { sort: { _id: -1 }, limit: size, projection: projectionOf([fields.values]) },
  };
}

/** Run records of a runs collection, oldest first. */
export function runsCollectionFind(startField: string): { filter: MongoFilter; options: FindOptionsSpec } {
  return { filter: {}, options: { sort: { [startField]: 1 } } };
}

/** A runs-collection document as a RunInfo; undefined when it has no usable id or start. */
export function runFromRecord(
  doc: MongoDocument,
  fields: { id: string; start: string; stop?: string; status?: string },
): RunInfo | undefined {
  const id = runIdOf(getPath(doc, fields.id));
  const start = timeMs(getPath(doc, fields.start));
  if (id === undefined || start === undefined) return undefined;
  const stop = fields.stop === undefined ? null : (timeMs(getPath(doc, fields.stop)) ?? null);
  const said = fields.status === undefined ? undefined : getPath(doc, fields.status);
  const mapped = new Set(["_id", fields.id, fields.start, fields.stop, fields.status]);
  const meta = Object.fromEntries(Object.entries(doc).filter(([k]) => !mapped.has(k)));
  return { id, start, stop, status: runStatusFrom(stop, said), meta: plainValue(meta) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// bluesky layout queries

export interface BlueskyCollections {
  start: string;
  descriptor: string;
  event: string;
  stop: string;
}

/** run_start documents oldest first; `light` fetches only what run ids need. */
export function blueskyStartsFind(light: boolean): { filter: MongoFilter; options: FindOptionsSpec } {
  return {
    filter: {},
    options: { sort: { time: 1 }, ...(light ? { projection: { _id: 0, uid: 1, time: 1, scan_id: 1 } } : {}) },
  };
}

export function blueskyStopsFind(): { filter: MongoFilter; options: FindOptionsSpec } {
  return { filter: {}, options: { projection: { _id: 0, run_start: 1, time: 1, exit_status: 1 } } };
}

/** The descriptors of one stream, of some runs (all runs when omitted). */
export function blueskyDescriptorsFind(
  stream: string,
  runUids?: readonly string[],
): { filter: MongoFilter; options: FindOptionsSpec } {
  return {
    filter: { name: stream, ...(runUids ? { run_start: { $in: [...runUids] } } : {}) },
    options: { sort: { time: 1 }, projection: { _id: 0, uid: 1, run_start: 1, data_keys: 1 } },
  };
}

/** Every data key of a stream, newest descriptor's spec first: `{_id: key, spec}`. */
export function blueskyDataKeysPipeline(stream: string): MongoStage[] {
  return [
    { $match: { name: stream } },
    { $sort: { time: -1 } },
    { $project: { _id: 0, key: { $objectToArray: "$data_keys" } } },
    { $unwind: "$key" },
    { $group: { _id: "$key.k", spec: { $first: "$key.v" } } },
    { $sort: { _id: 1 } },
  ];
}

/** Keys that can be projected one by one (no dots, no leading $). */
const projectableKey = (key: string) => /^[^.$\u0000][^.\u0000]*$/.test(key);

/** Events of some descriptors in time order, optionally in a window, with only the needed data keys. */
export function blueskyEventsFind(
  descriptorUids: readonly string[],
  window?: TimeWindow,
  keys?: readonly string[],
): { filter: MongoFilter; options: FindOptionsSpec } {
  const filter = andFilters({ descriptor: { $in: [...descriptorUids] } }, window ? timeRangeFilter("time", window) : undefined);
  const data = keys && keys.every(projectableKey) ? keys.map((k) => `data.${k}`) : ["data"];
  return {
    filter,
    options: { sort: { time: 1 }, projection: projectionOf(["time", "descriptor", ...data]), batchSize: 64, allowDiskUse: true },
  };
}

/** Per-descriptor event count and first/last time (epoch ms): `{_id: descriptor uid, rows, first, last}`. */
export function blueskyEventGroupPipeline(descriptorUids: readonly string[] | undefined, match?: MongoFilter): MongoStage[] {
  const t = timeMsExpression("time");
  return [
    { $match: andFilters(descriptorUids ? { descriptor: { $in: [...descriptorUids] } } : undefined, match) },
    { $group: { _id: "$descriptor", rows: { $sum: 1 }, first: { $min: t }, last: { $max: t } } },
  ];
}

/** Descriptors by uid (to map changed events to their runs). */
export function blueskyDescriptorsByUidFind(
  stream: string,
  uids: readonly string[],
): { filter: MongoFilter; options: FindOptionsSpec } {
  return { filter: { uid: { $in: [...uids] }, name: stream }, options: { projection: { _id: 0, uid: 1, run_start: 1 } } };
}

/** What a data key holds, or undefined when runboard cannot show it (strings, external files, >2 dims). */
export function dataKeyShape(spec: unknown): { shape: Shape; dims: number[]; unit: string; description: string } | undefined {
  if (spec === null || typeof spec !== "object") return undefined;
  const s = spec as Record<string, unknown>;
  if (s.external !== undefined && s.external !== null && s.external !== false) return undefined;
  if (!["number", "integer", "array"].includes(s.dtype as string)) return undefined;
  const raw = s.shape ?? [];
  if (!Array.isArray(raw) || raw.length > 2) return undefined;
  if (!raw.every((d) => Number.isInteger(d) && d >= 1 && d <= 65_536)) return undefined;
  const dims = raw as number[];
  if (dims.length === 0 && s.dtype === "array") return undefined;
  const shape: Shape = dims.length === 0 ? "scalar" : dims.length === 1 ? "1d" : "2d";
  const text = (v: unknown, max: number) => (typeof v === "string" ? v.slice(0, max) : "");
  return { shape, dims, unit: text(s.units, 32), description: text(s.source, 500) };
}

/** Why a data key is not read, in words for the answer and the log; undefined when it is read. */
export function whyKeySkipped(spec: unknown): string | undefined {
  if (dataKeyShape(spec) !== undefined) return undefined;
  if (spec === null || typeof spec !== "object") return "no data_keys entry";
  const s = spec as Record<string, unknown>;
  if (s.external !== undefined && s.external !== null && s.external !== false) return `stored externally (${String(s.external)})`;
  if (!["number", "integer", "array"].includes(s.dtype as string))
    return `dtype ${JSON.stringify(s.dtype ?? null)} is not numeric`;
  return `shape ${JSON.stringify(s.shape ?? null)} is not a scalar, 1d or 2d shape`;
}

/** A data key runboard reads from a descriptor's events, and the observable it feeds. */
export interface KeyPlan {
  key: string;
  name: string;
  scalar: boolean;
}

/** The readable keys of a descriptor's data_keys (only the wanted observables when given). */
export function keyPlans(dataKeys: unknown, prefix: string, wanted?: ReadonlySet<string>): KeyPlan[] {
  if (dataKeys === null || typeof dataKeys !== "object") return [];
  const plans: KeyPlan[] = [];
  for (const [key, spec] of Object.entries(dataKeys)) {
    const shape = dataKeyShape(spec);
    const name = observableNameOf(prefix, key);
    if (!shape || !name || (wanted && !wanted.has(name))) continue;
    plans.push({ key, name, scalar: shape.shape === "scalar" });
  }
  return plans;
}

export type EventValue = { plan: KeyPlan; scalar: number | null } | { plan: KeyPlan; array: ArrayValue | null };

/**
 * The readings of one event: a scalar key gives a number or null, an array key its array as
 * stored (or null). Keys missing from the event, or holding the wrong kind of value, give nothing.
 */
export function eventValues(data: unknown, plans: readonly KeyPlan[]): EventValue[] {
  if (data === null || typeof data !== "object") return [];
  const values: EventValue[] = [];
  for (const plan of plans) {
    if (!Object.hasOwn(data, plan.key)) continue;
    const stored = (data as Record<string, unknown>)[plan.key];
    if (plan.scalar) {
      const scalar = numericValue(stored);
      if (scalar !== undefined) values.push({ plan, scalar });
    } else {
      const array = arrayValue(stored);
      if (array !== undefined) values.push({ plan, array });
    }
  }
  return values;
}

export interface BlueskyStart {
  uid: string;
  timeMs: number;
  scanId: unknown;
}

/**
 * Run ids for run_start documents: the integer scan_id when it is one, not yet taken by an earlier
 * run and below DERIVED_RUN_BASE; else DERIVED_RUN_BASE + the run's position in start-time order
 * (1-based), which stays the same as long as runs are only added after the existing ones.
 */
export function blueskyRunIds(starts: readonly BlueskyStart[]): Map<string, number> {
  const ordered = [...starts].sort((a, b) => a.timeMs - b.timeMs || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const ids = new Map<string, number>();
  const used = new Set<number>();
  ordered.forEach((start, i) => {
    const scan = typeof start.scanId === "number" || typeof start.scanId === "bigint" ? runIdOf(start.scanId) : undefined;
    const id = scan !== undefined && scan < DERIVED_RUN_BASE && !used.has(scan) ? scan : DERIVED_RUN_BASE + i + 1;
    used.add(id);
    ids.set(start.uid, id);
  });
  return ids;
}

/** A bluesky run: start and stop documents (no stop yet: running). */
export function runFromBluesky(id: number, start: MongoDocument, stop: MongoDocument | undefined): RunInfo | undefined {
  const startMs = timeMs(start.time);
  if (startMs === undefined || typeof start.uid !== "string") return undefined;
  const stopMs = stop ? (timeMs(stop.time) ?? null) : null;
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(start)) if (k !== "_id" && k !== "time" && k !== "uid") meta[k] = plainValue(v);
  meta.uid = start.uid;
  return { id, start: startMs, stop: stopMs, status: runStatusFrom(stopMs, stop?.exit_status), meta };
}

// ---------------------------------------------------------------------------------------------
// Changes: "newer than the cursor"

/** The newest document of a collection as the cursor keeps it: its ObjectId, else its time. */
export interface DocMarker {
  oid?: string;
  ms?: number;
}

/** The marker, with the ObjectId made a driver value by the caller. */
export type MarkerValue = { id: unknown } | { ms: number };

/** The newest document by _id (an ObjectId grows with insertion time). */
export function newestByIdFind(): { filter: MongoFilter; options: FindOptionsSpec } {
  return { filter: {}, options: { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } } };
}

/** The newest document by time, for collections whose _id is not an ObjectId. */
export function newestByTimeFind(timeField: string): { filter: MongoFilter; options: FindOptionsSpec } {
  return {
    filter: hasTimeFilter(timeField),
    options: { sort: { [timeField]: -1 }, limit: 1, projection: projectionOf([timeField]) },
  };
}

/** Documents after `after` (exclusive; everything when undefined) up to `upTo` (inclusive). */
export function newerThanFilter(timeField: string, after: MarkerValue | undefined, upTo: MarkerValue): MongoFilter {
  if ("id" in upTo) return { _id: after && "id" in after ? { $gt: after.id, $lte: upTo.id } : { $lte: upTo.id } };
  const from = after && "ms" in after ? after.ms : undefined;
  const dates: Record<string, unknown> = { $lte: dateAtOrBefore(upTo.ms) };
  const seconds: Record<string, unknown> = { $lte: upTo.ms / 1000 };
  if (from !== undefined) {
    dates.$gt = dateAtOrBefore(from);
    seconds.$gt = from / 1000;
  }
  return { $or: [{ [timeField]: dates }, { [timeField]: seconds }] };
}

/** What `changesSince` hands out, JSON-encoded: newest document per collection, run record signatures. */
export interface MongoCursorState {
  v: 1;
  layout: string;
  docs: Record<string, DocMarker>;
  /** Run id -> "start:stop:status" for sources with run records. */
  runs?: Record<string, string>;
  /** When the cursor was made (epoch ms): nights that ended since then changed status. */
  at: number;
}

/** The cursor's state; undefined when it is missing, malformed or from another layout (then: everything). */
export function decodeCursor(text: string | null, layout: string): MongoCursorState | undefined {
  if (text === null) return undefined;
  try {
    const state = JSON.parse(text) as Partial<MongoCursorState>;
    if (state?.v !== 1 || state.layout !== layout || typeof state.docs !== "object" || state.docs === null) return undefined;
    if (typeof state.at !== "number") return undefined;
    return state as MongoCursorState;
  } catch {
    return undefined;
  }
}

export const runSignature = (run: RunInfo): string => `${run.start}:${run.stop ?? ""}:${run.status}`;

// ---------------------------------------------------------------------------------------------
// Values for metadata and provenance

/** A document value as plain JSON-able data: Dates as ISO text, ObjectIds as hex, BSON numbers as numbers. */
export function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? Number(value) : value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  const type = bsonType(value);
  if (type === "ObjectId") return String((value as { toHexString(): string }).toHexString());
  if (NUMERIC_BSON.has(type as string)) return Number(String(value));
  if (typeof type === "string") return String(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
}

/** A filter or pipeline as MongoDB Extended JSON text (Dates as {"$date": ...}), for provenance. */
export function describeJson(value: unknown): string {
  const extended = (v: unknown): unknown => {
    if (v instanceof Date) return { $date: Number.isNaN(v.getTime()) ? null : v.toISOString() };
    if (typeof v === "number" && !Number.isFinite(v)) return { $numberDouble: String(v) };
    if (Array.isArray(v)) return v.map(extended);
    if (v !== null && typeof v === "object") {
      if (bsonType(v) === "ObjectId") return { $oid: plainValue(v) };
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, extended(x)]));
    }
    return v;
  };
  return JSON.stringify(extended(value));
}
