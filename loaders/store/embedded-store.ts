// The embedded store: one DuckDB file under the data directory holds runs, the catalog,
// readings (arrays kept as LIST columns) and dashboards. DuckDB was chosen over PGlite because
// it keeps arrays natively, writes Parquet itself (a snapshot is one COPY) and opens a data
// directory without PGlite's ~300 MB resident cost. Like PGlite, one process owns the file.
import {
  BIGINT,
  DOUBLE,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBMaterializedResult,
  type DuckDBValue,
  LIST,
  listValue,
} from "@duckdb/node-api";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type ObservableInfo, type Reading, type RunInfo, runStatusFrom } from "../../src/core/catalog.js";
import { type CheckedBatch, type IngestBatch, type NormalizedReading, checkBatch, metaProblem } from "../../src/core/ingest.js";
import { type Owners, type WriteAccess, ownershipErrors } from "../../src/core/ownership.js";
import { type Origin, describeOrigin, originOfBatch, origins } from "../../src/core/origins.js";
import { copyColumn, copyStrings, nullColumn } from "../duckdb/chunk-columns.js";
import { ListColumns } from "../snapshot/array-writer.js";
import type { FieldError } from "../../src/core/validation.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  start_time TIMESTAMP NOT NULL,
  stop_time TIMESTAMP,
  meta JSON NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS observables (
  name VARCHAR PRIMARY KEY,
  info JSON NOT NULL
);
-- Where each observable comes from (src/core/origins.ts); NULL for stores older than origins.
ALTER TABLE observables ADD COLUMN IF NOT EXISTS origin VARCHAR;
-- The source that created a run or an observable and alone may change it with a source token;
-- NULL: written without a source (the ingest token), or stored before owners were kept.
ALTER TABLE observables ADD COLUMN IF NOT EXISTS owner VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner VARCHAR;
CREATE TABLE IF NOT EXISTS readings (
  seq BIGINT NOT NULL,
  run INTEGER NOT NULL,
  observable VARCHAR NOT NULL,
  channel INTEGER NOT NULL,
  t TIMESTAMP NOT NULL,
  value DOUBLE,
  value_1d DOUBLE[],
  value_2d DOUBLE[][]
);
CREATE TABLE IF NOT EXISTS ingest_batches (
  source VARCHAR NOT NULL,
  sequence BIGINT NOT NULL,
  first_seq BIGINT NOT NULL,
  last_seq BIGINT NOT NULL,
  stored_at TIMESTAMP NOT NULL,
  PRIMARY KEY (source, sequence)
);
`;

export type IngestResult =
  /** `duplicate`: the batch's (source, sequence) was stored before; nothing was stored now. */
  { ok: true; readings: Reading[]; runs: RunInfo[]; duplicate?: true } | { ok: false; errors: FieldError[]; forbidden?: true };

export class StoreLockedError extends Error {}

/** DuckDB's memory for the store (its cache of the file, query state): see EmbeddedStore.open. */
export const DEFAULT_STORE_MEMORY_MB = 512;

/**
 * Where a batch goes when someone else numbers it (the shared ingest log of several replicas):
 * its readings are numbered from `firstSeq`, and `origin` marks it stored, instead of the
 * batch's own source and sequence.
 */
export interface Placement {
  firstSeq: number;
  origin: { source: string; sequence: number };
}

/** List parameters must be typed (an empty list has no item type to infer). */
const LIST_PARAM_TYPES = { observables: LIST(VARCHAR), runs: LIST(INTEGER) };

const READING_TYPES = [BIGINT, INTEGER, VARCHAR, INTEGER, TIMESTAMP, DOUBLE, LIST(DOUBLE), LIST(LIST(DOUBLE))];
const VECTOR_ROWS = 2048;

/**
 * Appends readings numbered from `seq + 1` in data chunks, whole columns at a time: row by row
 * cost ~4 µs a scalar, and appendList built a DuckDB value per array element (about a
 * microsecond each), so 16 MB of waveforms took seconds. Array values go straight into the LIST
 * vectors (loaders/snapshot/array-writer.ts). Returns the last seq used.
 */
function appendReadings(appender: DuckDBAppender, readings: readonly NormalizedReading[], seq: number): number {
  const chunk = DuckDBDataChunk.create(READING_TYPES, VECTOR_ROWS);
  const seqs = new BigInt64Array(VECTOR_ROWS);
  const runs = new Int32Array(VECTOR_ROWS);
  const channels = new Int32Array(VECTOR_ROWS);
  const times = new BigInt64Array(VECTOR_ROWS);
  const values = new Float64Array(VECTOR_ROWS);
  const valid = new Uint8Array(VECTOR_ROWS);
  const names: string[] = [];
  const lists = new ListColumns();
  let n = 0;
  const flush = () => {
    chunk.rowCount = n;
    copyColumn(chunk, 0, seqs, 0, n);
    copyColumn(chunk, 1, runs, 0, n);
    copyStrings(chunk, 2, names, n);
    copyColumn(chunk, 3, channels, 0, n);
    copyColumn(chunk, 4, times, 0, n);
    copyColumn(chunk, 5, values, 0, n);
    // A chunk is all scalars or all arrays (the caller groups them): the other columns are NULL.
    if (valid[0]) [6, 7].forEach((c) => nullColumn(chunk, c, n));
    else {
      nullColumn(chunk, 5, n);
      lists.writeTo(chunk, 6, 7);
    }
    appender.appendDataChunk(chunk);
    n = 0;
  };
  for (const r of readings) {
    const scalar = typeof r.value === "number";
    if (n > 0 && scalar !== (valid[0] === 1)) flush();
    seqs[n] = BigInt(++seq);
    runs[n] = r.run;
    names[n] = r.observable;
    channels[n] = r.channel;
    times[n] = BigInt(Math.round(r.t * 1000));
    valid[n] = scalar ? 1 : 0;
    if (scalar) values[n] = r.value as number;
    else {
      const value = r.value as number[] | number[][];
      lists.push(value, value.length > 0 && Array.isArray(value[0]));
    }
    if (++n === VECTOR_ROWS || lists.elements >= 1 << 20) flush();
  }
  if (n > 0) flush();
  return seq;
}

export class EmbeddedStore {
  private observables = new Map<string, ObservableInfo>();
  private originsByName = new Map<string, Origin | null>();
  /**
   * Names another road already owns outside this store (the configured source's catalog): a
   * batch from any other road that declares one is refused. Set by the server.
   */
  claimedElsewhere: (name: string) => string | undefined = () => undefined;
  private runsById = new Map<number, RunInfo>();
  /** Who owns each run and observable (see ownership.ts); null: no source. */
  private readonly runOwners = new Map<number, string | null>();
  private readonly observableOwners = new Map<string, string | null>();
  private seq = 0;
  /** Writes run one at a time so sequence numbers follow commit order. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
    /**
     * Replays and snapshots read on their own connection: on the writer's they would wait in
     * line with ingest (and ingest behind them), here they see what is committed.
     */
    private readonly reader: DuckDBConnection,
  ) {}

  /** Whether `<dataDir>` holds a store (a command that only reads must not create an empty one). */
  static exists(dataDir: string): boolean {
    return existsSync(join(dataDir, "runboard.duckdb"));
  }

  /**
   * Opens (creating if needed) `<dataDir>/runboard.duckdb`. DuckDB would otherwise take up to 80%
   * of the machine's memory for its cache of the file as the store grows; `memoryMb` bounds it,
   * so a server's memory levels off over a long night (RUNBOARD_STORE_MEMORY_MB).
   */
  static async open(dataDir: string, options: { memoryMb?: number } = {}): Promise<EmbeddedStore> {
    const file = join(dataDir, "runboard.duckdb");
    let instance: DuckDBInstance;
    // The data directory's permissions (server/data-dir.ts) also when the CLI or a site build
    // makes the store: the directory 0700, the file 0600, whatever the process's umask.
    const umask = process.umask(0o077);
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      instance = await DuckDBInstance.create(file, { memory_limit: `${options.memoryMb ?? DEFAULT_STORE_MEMORY_MB}MB` });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/lock/i.test(message)) {
        throw new StoreLockedError(
          `${file} is in use by another process (probably a running runboard server). Stop it first, or point RUNBOARD_DATA_DIR elsewhere.`,
        );
      }
      throw error;
    } finally {
      process.umask(umask);
    }
    const db = await instance.connect();
    await db.run(SCHEMA);
    // The schema's changes go into the file now: a crash right after must not leave them to
    // the WAL's replay (see embedded-dashboard-store.ts).
    await db.run("CHECKPOINT");
    const store = new EmbeddedStore(file, instance, db, await instance.connect());
    await store.loadState();
    return store;
  }

  /** A second connection on the same file, e.g. for the dashboard store. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  private async loadState(): Promise<void> {
    for (const row of await this.rows("SELECT info, origin, owner FROM observables ORDER BY name")) {
      const info = JSON.parse(String(row.info)) as ObservableInfo;
      this.observables.set(info.name, info);
      this.observableOwners.set(info.name, (row.owner as string | null) ?? null);
      const origin = origins.find((o) => o === row.origin);
      this.originsByName.set(info.name, origin ?? null);
    }
    for (const row of await this.rows(
      "SELECT id, epoch_ms(start_time)::DOUBLE AS start, epoch_ms(stop_time)::DOUBLE AS stop, meta, owner FROM runs",
    )) {
      const run = toRun(row);
      this.runsById.set(run.id, run);
      this.runOwners.set(run.id, (row.owner as string | null) ?? null);
    }
    const [last] = await this.rows("SELECT coalesce(max(seq), 0)::DOUBLE AS seq FROM readings");
    this.seq = Number(last?.seq ?? 0);
  }

  private async storedBefore(source: string, sequence: number): Promise<boolean> {
    const found = await this.rows(
      "SELECT 1 AS found FROM ingest_batches WHERE source = $source AND sequence = $sequence::BIGINT",
      { source, sequence },
    );
    return found.length > 0;
  }

  private async rows(sql: string, params?: Record<string, DuckDBValue>, on: DuckDBConnection = this.db) {
    const reader = await on.runAndReadAll(sql, params, params && LIST_PARAM_TYPES);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  catalog(): ObservableInfo[] {
    return [...this.observables.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The catalog with each observable's origin (null when stored before origins were kept). */
  catalogWithOrigins(): (ObservableInfo & { origin: Origin | null })[] {
    return this.catalog().map((o) => ({ ...o, origin: this.originsByName.get(o.name) ?? null }));
  }

  runs(): RunInfo[] {
    return [...this.runsById.values()].sort((a, b) => a.id - b.id);
  }

  /** The sequence number of the newest stored reading (0 when empty). */
  lastSeq(): number {
    return this.seq;
  }

  /**
   * Checks the batch against the catalog, then stores all of it in one transaction, or none.
   * The returned readings carry their sequence numbers, for fan-out.
   */
  ingest(batch: IngestBatch, placement?: Placement, access?: WriteAccess): Promise<IngestResult> {
    const result = this.writes.then(() =>
      this.ingestNow(batch, placement, access ?? { owner: batch.source ?? null, restricted: false }),
    );
    this.writes = result.catch(() => undefined);
    return result;
  }

  /** New owners (an admin's reassignment), inside the batch's transaction. */
  private async writeOwners(owners: IngestBatch["owners"]): Promise<void> {
    for (const o of owners?.runs ?? [])
      await this.db.run("UPDATE runs SET owner = $owner WHERE id = $id", { id: o.id, owner: o.owner });
    for (const o of owners?.observables ?? [])
      await this.db.run("UPDATE observables SET owner = $owner WHERE name = $name", { name: o.name, owner: o.owner });
  }

  /** The same, in what the checks read, once committed. */
  private keepOwners(owners: IngestBatch["owners"]): void {
    for (const o of owners?.runs ?? []) this.runOwners.set(o.id, o.owner);
    for (const o of owners?.observables ?? []) this.observableOwners.set(o.name, o.owner);
  }

  /** Every run's and observable's owner (a source; null: none), for the admin page. */
  ownership(): { runs: { id: number; owner: string | null }[]; observables: { name: string; owner: string | null }[] } {
    return {
      runs: [...this.runOwners].map(([id, owner]) => ({ id, owner })).sort((a, b) => a.id - b.id),
      observables: [...this.observableOwners]
        .map(([name, owner]) => ({ name, owner }))
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
  }

  /** Who owns what, as ownershipErrors asks. */
  readonly owners: Owners = {
    run: (id) => this.runOwners.get(id),
    observable: (name) => this.observableOwners.get(name),
  };

  /**
   * What `access` may not write of `batch` (runs and observables of other sources), then what
   * merged run metadata would grow too big; the replicas' log asks before appending too.
   */
  accessErrors(batch: IngestBatch, access: WriteAccess): { errors: FieldError[]; forbidden: boolean } {
    const forbidden = ownershipErrors(batch, access, this.owners);
    if (forbidden.length > 0) return { errors: forbidden, forbidden: true };
    const errors: FieldError[] = [];
    batch.runs.forEach((r, i) => {
      const problem = metaProblem({ ...(this.runsById.get(r.id)?.meta ?? {}), ...r.meta });
      if (problem) errors.push({ field: `runs[${i}].meta`, message: `merged with the run's stored metadata: ${problem}` });
    });
    return { errors, forbidden: false };
  }

  private async ingestNow(batch: IngestBatch, placement: Placement | undefined, access: WriteAccess): Promise<IngestResult> {
    const origin =
      placement?.origin ?? (batch.source !== undefined ? { source: batch.source, sequence: batch.sequence! } : undefined);
    // Ingests run one at a time (see ingest), so nothing can store this batch in between.
    if (origin && (await this.storedBefore(origin.source, origin.sequence))) {
      return { ok: true, readings: [], runs: [], duplicate: true };
    }
    const refused = this.accessErrors(batch, access);
    if (refused.errors.length > 0)
      return { ok: false, errors: refused.errors, ...(refused.forbidden ? { forbidden: true } : {}) };
    const claims = this.claimErrors(batch);
    if (claims.length > 0) return { ok: false, errors: claims };
    const checked = checkBatch(batch, this.observables, new Set(this.runsById.keys()));
    if (!checked.ok) return checked;
    if (placement && placement.firstSeq <= this.seq) {
      throw new Error(`readings numbered from ${placement.firstSeq} would overlap stored ones (up to ${this.seq})`);
    }
    const { readings, runs } = await this.commit(checked, originOfBatch(batch.source), access.owner, origin, placement?.firstSeq);
    return { ok: true, readings, runs };
  }

  /** Declarations of names that another road owns (src/core/origins.ts); the replicas' log asks too. */
  claimErrors(batch: IngestBatch): FieldError[] {
    const origin = originOfBatch(batch.source);
    const errors: FieldError[] = [];
    batch.observables.forEach((o, i) => {
      const owner = this.originsByName.get(o.name);
      const elsewhere = origin === "source" ? undefined : this.claimedElsewhere(o.name);
      const holder = elsewhere ?? (owner && owner !== origin ? describeOrigin(owner) : undefined);
      if (holder) {
        errors.push({
          field: `observables[${i}].name`,
          message: `${o.name} already comes from ${holder}; this batch comes from ${describeOrigin(origin, batch.source)}: give it another name`,
        });
      }
    });
    return errors;
  }

  /** The highest batch sequence stored from `source` (0 when none). */
  async lastSequenceOf(source: string): Promise<number> {
    const [row] = await this.rows(
      "SELECT coalesce(max(sequence), 0)::DOUBLE AS sequence FROM ingest_batches WHERE source = $source",
      { source },
    );
    return Number(row?.sequence ?? 0);
  }

  /** Stores a checked batch; `origin`, when given, is recorded with it so a resend is known. */
  private async commit(
    batch: Extract<CheckedBatch, { ok: true }>,
    road: Origin,
    owner: string | null,
    origin?: { source: string; sequence: number },
    firstSeq = this.seq + 1,
  ): Promise<{ readings: Reading[]; runs: RunInfo[] }> {
    const runs = batch.runs.map((r) => this.mergedRun(r));
    const owners = this.ownersFor(road, owner);
    let stored: { readings: Reading[]; lastSeq: number };
    await this.db.run("BEGIN TRANSACTION");
    try {
      await this.writeCatalogRows(batch.observables, runs, owners);
      stored = await this.appendBatch(batch.readings, firstSeq - 1);
      await this.writeOwners(batch.owners);
      if (origin) {
        // In the same transaction as the readings: stored together, or neither.
        await this.db.run(
          "INSERT INTO ingest_batches VALUES ($source, $sequence::BIGINT, $first::BIGINT, $last::BIGINT, now())",
          { ...origin, first: firstSeq, last: stored.lastSeq },
        );
      }
      await this.db.run("COMMIT");
    } catch (error) {
      // A COMMIT that failed (a full disk) has already ended the transaction: the ROLLBACK's
      // own complaint must not hide why.
      await this.db.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
    this.seq = stored.lastSeq;
    this.remember(batch, runs, owners);
    return { readings: stored.readings, runs };
  }

  /** A run as a batch sends it, merged with what is stored (its metadata, its stop). */
  private mergedRun(r: Extract<CheckedBatch, { ok: true }>["runs"][number]): RunInfo {
    const known = this.runsById.get(r.id);
    const meta = { ...(known?.meta ?? {}), ...r.meta };
    // A batch that does not mention the stop keeps the stored one (a resent start must not
    // reopen a finished run); only an explicit `"stop": null` reopens it.
    const stop = r.stop === undefined ? (known?.stop ?? null) : r.stop;
    return { id: r.id, start: r.start, stop, status: statusOf(stop, meta), meta };
  }

  /** Who a batch's names belong to: what exists keeps its road and owner, what it creates is its writer's. */
  private ownersFor(road: Origin, owner: string | null) {
    return {
      // The first road to declare a name keeps it (claimErrors refuses the others).
      originOf: (name: string) => this.originsByName.get(name) ?? road,
      observable: (name: string) => (this.observableOwners.has(name) ? this.observableOwners.get(name)! : owner),
      run: (id: number) => (this.runOwners.has(id) ? this.runOwners.get(id)! : owner),
    };
  }

  private async writeCatalogRows(
    observables: readonly ObservableInfo[],
    runs: readonly RunInfo[],
    owners: ReturnType<EmbeddedStore["ownersFor"]>,
  ): Promise<void> {
    for (const o of observables) {
      await this.db.run("INSERT OR REPLACE INTO observables (name, info, origin, owner) VALUES ($name, $info, $origin, $owner)", {
        name: o.name,
        info: JSON.stringify(o),
        origin: owners.originOf(o.name),
        owner: owners.observable(o.name),
      });
    }
    for (const r of runs) {
      await this.db.run(
        `INSERT OR REPLACE INTO runs (id, start_time, stop_time, meta, owner) VALUES ($id, make_timestamp($start::BIGINT * 1000),
           CASE WHEN $stop IS NULL THEN NULL ELSE make_timestamp($stop::BIGINT * 1000) END, $meta, $owner)`,
        {
          id: r.id,
          start: Math.round(r.start),
          stop: r.stop === null ? null : Math.round(r.stop),
          meta: JSON.stringify(r.meta),
          owner: owners.run(r.id),
        },
      );
    }
  }

  /** Appends the readings numbered after `seq`: scalars first, then arrays (the bulk of live traffic is scalars). */
  private async appendBatch(batchReadings: readonly NormalizedReading[], seq: number) {
    const readings: Reading[] = [];
    if (batchReadings.length === 0) return { readings, lastSeq: seq };
    const appender = await this.db.createAppender("readings");
    const ordered = [
      ...batchReadings.filter((r) => typeof r.value === "number"),
      ...batchReadings.filter((r) => typeof r.value !== "number"),
    ];
    const first = seq + 1;
    const lastSeq = appendReadings(appender, ordered, seq);
    ordered.forEach((r, i) => readings.push({ seq: first + i, ...r }));
    appender.closeSync();
    return { readings, lastSeq };
  }

  /** What a committed batch changed, in what the checks read. */
  private remember(
    batch: Extract<CheckedBatch, { ok: true }>,
    runs: readonly RunInfo[],
    owners: ReturnType<EmbeddedStore["ownersFor"]>,
  ) {
    for (const o of batch.observables) {
      this.originsByName.set(o.name, owners.originOf(o.name));
      this.observableOwners.set(o.name, owners.observable(o.name));
      this.observables.set(o.name, o);
    }
    for (const r of runs) {
      this.runOwners.set(r.id, owners.run(r.id));
      this.runsById.set(r.id, r);
    }
    this.keepOwners(batch.owners);
  }

  /** Readings of these observables with seq > since, oldest first, at most `limit` of them. */
  async readingsSince(observables: readonly string[], since: number, limit: number): Promise<Reading[]> {
    const rows = await this.rows(
      `SELECT seq::DOUBLE AS seq, run, observable, channel, epoch_ms(t)::DOUBLE AS t, value, value_1d, value_2d
         FROM readings WHERE seq > $since AND list_contains($observables, observable)
         ORDER BY seq LIMIT $limit`,
      { since, observables: listValue([...observables]), limit },
      this.reader,
    );
    return rows.map(toReading);
  }

  /** How many readings of these observables have seq > since, counting no further than `limit`. */
  async countSince(observables: readonly string[], since: number, limit: number): Promise<number> {
    const [row] = await this.rows(
      `SELECT count(*)::DOUBLE AS n FROM (SELECT 1 FROM readings
         WHERE seq > $since AND list_contains($observables, observable) LIMIT $limit)`,
      { since, observables: listValue([...observables]), limit },
      this.reader,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * One page of readings for the snapshot source, oldest seq first: those after `afterSeq`,
   * in the given runs (all when omitted) and time window (epoch ms, inclusive).
   */
  async readingsPage(
    filter: { runs?: readonly number[]; from?: number; to?: number; observables?: readonly string[]; maxSeq?: number },
    afterSeq: number,
    limit: number,
  ): Promise<DuckDBMaterializedResult> {
    // Read whole (materialized), so replays on the same connection may run between its chunks.
    return this.reader.run(
      `SELECT seq::DOUBLE AS seq, run::INTEGER AS run, observable, channel::INTEGER AS channel,
              epoch_us(t)::DOUBLE AS t_us, value::DOUBLE AS value, value_1d, value_2d
         FROM readings
        WHERE seq > $after AND seq <= $max_seq AND ($all_runs OR list_contains($runs, run))
          AND ($all_observables OR list_contains($observables, observable))
          AND t BETWEEN make_timestamp($from::BIGINT * 1000) AND make_timestamp($to::BIGINT * 1000)
        ORDER BY seq LIMIT $limit`,
      {
        after: afterSeq,
        runs: listValue([...(filter.runs ?? [])]),
        all_runs: filter.runs === undefined,
        observables: listValue([...(filter.observables ?? [])]),
        all_observables: filter.observables === undefined,
        from: Math.floor(filter.from ?? 0),
        to: Math.ceil(filter.to ?? 32503680000000),
        max_seq: filter.maxSeq ?? Number.MAX_SAFE_INTEGER,
        limit,
      },
      LIST_PARAM_TYPES,
    );
  }

  /**
   * Per run: readings, first and last time (epoch µs), and the newest seq; of some observables
   * only, and of readings up to `maxSeq` only, when given.
   */
  async runSummaries(
    runs?: readonly number[],
    only: { observables?: readonly string[]; maxSeq?: number } = {},
  ): Promise<{ run: number; rows: number; first: number | null; last: number | null; seq: number }[]> {
    const rows = await this.rows(
      `SELECT run, count(*)::DOUBLE AS rows, epoch_us(min(t))::DOUBLE AS first, epoch_us(max(t))::DOUBLE AS last, max(seq)::DOUBLE AS seq
         FROM readings WHERE ($all_runs OR list_contains($runs, run)) AND seq <= $max_seq
          AND ($all_observables OR list_contains($observables, observable)) GROUP BY run`,
      {
        runs: listValue([...(runs ?? [])]),
        all_runs: runs === undefined,
        observables: listValue([...(only.observables ?? [])]),
        all_observables: only.observables === undefined,
        max_seq: only.maxSeq ?? Number.MAX_SAFE_INTEGER,
      },
      this.reader,
    );
    return rows.map((r) => ({
      run: Number(r.run),
      rows: Number(r.rows),
      first: r.first === null ? null : Number(r.first),
      last: r.last === null ? null : Number(r.last),
      seq: Number(r.seq),
    }));
  }

  close(): void {
    this.reader.closeSync();
    this.db.closeSync();
    this.instance.closeSync();
  }
}

function toRun(row: Record<string, unknown>): RunInfo {
  const stop = row.stop === null || row.stop === undefined ? null : Number(row.stop);
  const meta = typeof row.meta === "string" ? (JSON.parse(row.meta) as Record<string, unknown>) : {};
  return { id: Number(row.id), start: Number(row.start), stop, status: statusOf(stop, meta), meta };
}

/** A stopped run's status also follows what its metadata says of how it ended (bluesky's exit_status). */
const statusOf = (stop: number | null, meta: Record<string, unknown>) => runStatusFrom(stop, meta.exit_status);

function toReading(row: Record<string, unknown>): Reading {
  const value = (row.value ?? row.value_1d ?? row.value_2d) as Reading["value"];
  return {
    seq: Number(row.seq),
    run: Number(row.run),
    observable: String(row.observable),
    channel: Number(row.channel),
    t: Number(row.t),
    value,
  };
}
