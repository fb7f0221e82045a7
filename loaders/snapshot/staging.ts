// Staging: readings from any source pass through here on their way to Parquet. A run's scalar
// readings are held as typed columns while they fit a fixed budget, then ordered, de-duplicated
// and reduced to LOD buckets in a few linear passes (run-order.ts) and handed to DuckDB already
// sorted, so it only encodes ZSTD Parquet. A run beyond the budget goes to a scratch DuckDB
// database instead, which de-duplicates and sorts it in SQL and spills to disk past
// `memoryLimit`, so a run of any size fits in bounded memory. Both ways write the same files.
import {
  DOUBLE,
  DuckDBDataChunk,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  INTEGER,
  USMALLINT,
} from "@duckdb/node-api";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ObservableInfo } from "../../src/core/catalog.js";
import { type ArrayReading, NameDictionary, type ReadingChunk, type ScalarChunk } from "../sources/source.js";
import { ArrayParts, type CopyTo, nameFrom, sqlString } from "./array-parts.js";
import { copyColumn, type FixedColumn } from "../duckdb/chunk-columns.js";
import { lodBuckets, orderRun, type OrderScratch, orderScratch, type RunColumns, usefulLodLevels } from "./run-order.js";

/** What was odd about a run's data, and what happened to it (see README, "Bad and odd data"). */
export interface DataStats {
  /** Readings the source held as NULL: kept, with a NULL value. */
  nulls: number;
  /** NaN or ±Infinity: kept, with a NULL value, so charts and statistics stay finite. */
  nonFinite: number;
  /** Readings with no time: dropped (a reading must sit somewhere on the time axis). */
  noTime: number;
  /** Repeats of (run, observable, channel, time): the last one read is kept. */
  duplicates: number;
  /** Arrays whose size differs from the catalog's dims: kept as they are. */
  ragged: number;
}

export const emptyStats = (): DataStats => ({ nulls: 0, nonFinite: 0, noTime: 0, duplicates: 0, ragged: 0 });

const VECTOR_ROWS = 2048;
let lanes = 0;
/**
 * Scalar readings a lane holds in memory before it hands the run to DuckDB's external sort:
 * 26 bytes each, plus 30 in the columns they are ordered into (shared by the lanes).
 */
export const IN_MEMORY_ROWS = 1_500_000;

/**
 * Appends typed-array columns to a DuckDB appender through one reused data chunk: whole
 * vectors go in with one copy each, nothing is allocated per chunk.
 */
class ColumnWriter {
  private readonly chunk: DuckDBDataChunk;

  constructor(private readonly types: readonly DuckDBType[]) {
    this.chunk = DuckDBDataChunk.create(types, VECTOR_ROWS);
  }

  write(appender: DuckDBAppender, columns: readonly FixedColumn[], length: number): void {
    const chunk = this.chunk;
    for (let from = 0; from < length; from += VECTOR_ROWS) {
      const n = Math.min(VECTOR_ROWS, length - from);
      chunk.rowCount = n;
      for (let c = 0; c < this.types.length; c++) copyColumn(chunk, c, columns[c]!, from, n);
      appender.appendDataChunk(chunk);
    }
  }
}

/** One run's scalar readings in memory, in columns reused from run to run. */
class RunBuffer implements RunColumns {
  length = 0;
  readonly run: Int32Array;
  readonly observable: Uint16Array;
  readonly channel: Int32Array;
  readonly tMicros: Float64Array;
  readonly value: Float64Array;

  constructor(readonly capacity: number) {
    this.run = new Int32Array(capacity);
    this.observable = new Uint16Array(capacity);
    this.channel = new Int32Array(capacity);
    this.tMicros = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
  }

  push(c: ScalarChunk): void {
    const at = this.length;
    this.run.set(c.run.subarray(0, c.length), at);
    this.observable.set(c.observable.subarray(0, c.length), at);
    this.channel.set(c.channel.subarray(0, c.length), at);
    this.tMicros.set(c.tMicros.subarray(0, c.length), at);
    this.value.set(c.value.subarray(0, c.length), at);
    this.length += c.length;
  }
}

const SCHEMA = `
CREATE OR REPLACE TABLE scalars (run INTEGER, obs USMALLINT, channel INTEGER, t_us DOUBLE, value DOUBLE);
CREATE OR REPLACE TABLE names (id USMALLINT, name VARCHAR);
`;

const SCALAR_TYPES = [INTEGER, USMALLINT, INTEGER, DOUBLE, DOUBLE];
const LOD_TYPES = [USMALLINT, INTEGER, INTEGER, DOUBLE, INTEGER, ...Array<DuckDBType>(8).fill(DOUBLE)];
/** The Parquet value column: NULL for a NULL, NaN or ±Infinity reading (NULL is staged as NaN). */
const FINITE_VALUE = "CASE WHEN isfinite(value) THEN value END";
export { sqlString };

export interface WrittenFile {
  kind: "scalar" | "array" | "lod";
  file: string;
  rows: number;
}

export interface StagingOptions {
  /** DuckDB's memory limit; it spills to disk beyond it. */
  memoryLimit?: string;
  /** Scalar readings of a run held in memory before DuckDB takes over (tests lower it). */
  inMemoryRows?: number;
  /** Array values a part holds before it is sealed (array-parts.ts; tests lower it). */
  arrayPartElements?: number;
}

/** What a scratch database's lanes share. */
interface SharedStaging {
  instance: DuckDBInstance;
  /** Lanes not yet closed. */
  open: number;
  ordered?: OrderScratch;
  /** The memory limit asked for, in MB (0: given in other units, never raised). */
  baseMB: number;
  /** The limit now: raised for a reading larger than a part (roomFor). */
  limitMB: number;
}

export class Staging {
  private scalarAppender: DuckDBAppender | undefined;
  private readonly scalarWriter = new ColumnWriter(SCALAR_TYPES);
  private buffer: RunBuffer | undefined;
  /** The run outgrew the in-memory buffer; its scalars are in DuckDB's `scalars` table. */
  private inDuckDB = false;
  private names: readonly string[] = [];
  private scalarsWithoutTime = 0;
  private readonly arrays: ArrayParts;
  private arrayNames = new NameDictionary();
  stats = emptyStats();

  private constructor(
    private readonly shared: SharedStaging,
    readonly db: DuckDBConnection,
    /** This lane's schema: lanes share one database, each with its own tables. */
    private readonly schema: string,
    private readonly inMemoryRows: number,
    /** Where this lane's sealed array parts go (see array-parts.ts). */
    scratchPrefix: string,
    partElements?: number,
  ) {
    this.arrays = new ArrayParts(db, schema, scratchPrefix, partElements, (elements) => this.roomFor(elements));
  }

  /**
   * A single array reading larger than a part (a 2048x2048 image is 32 MB) needs about nine
   * times its size in DuckDB at once (measured: 32 MB ran out at 190 MB and fit in 300 MB), so
   * the shared limit grows for it, and returns to the base at the next run: memory stays
   * bounded by the largest reading (at most a 64 MB ingest body), not by the run.
   */
  private async roomFor(elements: number): Promise<void> {
    const shared = this.shared;
    const needed = Math.ceil((elements * 8 * 10) / 2 ** 20) + shared.baseMB;
    if (shared.baseMB === 0 || needed <= shared.limitMB) return;
    shared.limitMB = needed;
    await this.db.run(`SET memory_limit = '${needed}MB'`);
  }

  /** A scratch database in memory that spills to `spillDir` beyond `memoryLimit`. */
  static async open(spillDir: string, options: StagingOptions = {}): Promise<Staging> {
    const [lane] = await Staging.openLanes(spillDir, 1, options);
    return lane!;
  }

  /**
   * `count` lanes in one scratch database: one memory limit and one thread pool for all, so
   * lanes working side by side do not each claim the machine. Each lane has its own connection.
   */
  static async openLanes(spillDir: string, count: number, options: StagingOptions = {}): Promise<Staging[]> {
    // A database file rather than :memory:, so staged tables too can leave memory when a run
    // is larger than the limit (in-memory tables cannot be evicted).
    const id = ++lanes;
    const instance = await DuckDBInstance.create(join(spillDir, `staging-${id}.duckdb`), {
      // 96 MB a lane: with 96 MB for two, two lanes de-duplicating arrays at once ran out
      // (LIST values in a hash aggregate).
      memory_limit: options.memoryLimit ?? `${96 * count}MB`,
      temp_directory: spillDir,
      // One thread: the lanes are the parallelism (two runs side by side, with PostgreSQL and
      // the reader busy too). A second DuckDB thread measured no faster on two cores and kept
      // ~50 MB more resident (per-thread Parquet and compression buffers).
      threads: "1",
      // Hand freed memory back to the system after each query rather than keeping it for the
      // next run: the process's resident size is what the memory budget is about.
      allocator_flush_threshold: "16MB",
    });
    const baseMB = Number(/^(\d+)MB$/i.exec(options.memoryLimit ?? `${96 * count}MB`)?.[1] ?? 0);
    const shared: SharedStaging = { instance, open: count, baseMB, limitMB: baseMB };
    const inMemoryRows = Math.min(IN_MEMORY_ROWS, options.inMemoryRows ?? IN_MEMORY_ROWS);
    const result: Staging[] = [];
    for (let i = 0; i < count; i++) {
      const db = await instance.connect();
      const schema = `lane_${i}`;
      await db.run(`CREATE SCHEMA ${schema}; SET search_path = '${schema}'`);
      await db.run(SCHEMA);
      const lane = new Staging(
        shared,
        db,
        schema,
        inMemoryRows,
        join(spillDir, `staging-${id}-${schema}`),
        options.arrayPartElements,
      );
      await lane.arrays.reset();
      result.push(lane);
    }
    return result;
  }

  /** Empties the tables for the next run. */
  async reset(): Promise<void> {
    this.closeAppender();
    await this.db.run(SCHEMA);
    await this.arrays.reset();
    if (this.shared.limitMB > this.shared.baseMB) {
      this.shared.limitMB = this.shared.baseMB;
      await this.db.run(`SET memory_limit = '${this.shared.baseMB}MB'`);
    }
    this.stats = emptyStats();
    this.scalarsWithoutTime = 0;
    this.arrayNames = new NameDictionary();
    this.inDuckDB = false;
    if (this.buffer) this.buffer.length = 0;
  }

  private closeAppender(): void {
    this.scalarAppender?.closeSync();
    this.scalarAppender = undefined;
    this.arrays.close();
  }

  async append(chunk: ReadingChunk, catalog: ReadonlyMap<string, ObservableInfo>): Promise<void> {
    if (chunk.kind === "scalar") await this.appendScalars(chunk);
    else await this.appendArrays(chunk.readings, catalog);
  }

  private async appendScalars(c: ScalarChunk): Promise<void> {
    this.names = c.names;
    const stats = this.stats;
    for (let i = 0; i < c.length; i++) {
      if (c.isNull[i]) stats.nulls++;
      else if (!Number.isFinite(c.value[i]!)) stats.nonFinite++;
      // A reading without a time is dropped when the run is written.
      if (!Number.isFinite(c.tMicros[i]!)) {
        stats.noTime++;
        this.scalarsWithoutTime++;
      }
    }
    if (!this.inDuckDB) {
      const buffer = (this.buffer ??= new RunBuffer(this.inMemoryRows));
      if (buffer.length + c.length <= buffer.capacity) {
        buffer.push(c);
        return;
      }
      // Too large to sort in memory: what is held so far moves to DuckDB with the rest.
      this.inDuckDB = true;
      this.scalarAppender ??= await this.db.createAppender("scalars", this.schema);
      const b = buffer;
      this.scalarWriter.write(this.scalarAppender, [b.run, b.observable, b.channel, b.tMicros, b.value], b.length);
      buffer.length = 0;
    }
    this.scalarAppender ??= await this.db.createAppender("scalars", this.schema);
    this.scalarWriter.write(this.scalarAppender, [c.run, c.observable, c.channel, c.tMicros, c.value], c.length);
  }

  /**
   * Array readings: one row per reading in `arrays`, the values in LIST columns (v1 for 1d,
   * v2 for 2d, both NULL for a NULL reading), staged in parts of bounded size (array-parts.ts).
   */
  private async appendArrays(readings: ArrayReading[], catalog: ReadonlyMap<string, ObservableInfo>): Promise<void> {
    const stats = this.stats;
    for (const reading of readings) {
      if (!Number.isFinite(reading.tMicros)) {
        stats.noTime++;
        continue;
      }
      const v = reading.value;
      const info = catalog.get(reading.observable);
      const is2d = isTwoD(v, info);
      if (v === null) stats.nulls++;
      else if (isRagged(v, is2d, info)) stats.ragged++;
      stats.nonFinite += await this.arrays.push(
        reading.run,
        this.arrayNames.id(reading.observable),
        reading.channel,
        reading.tMicros,
        v,
        is2d,
      );
    }
    // No flush here: the writer fills whole 2048-row chunks across calls; write() flushes the rest.
  }

  /**
   * Writes the staged run: `scalars.parquet`, `arrays.parquet` (when there are arrays) and
   * `lod.parquet` (when a level thins out some series), all ZSTD. Repeated (run, observable,
   * channel, time) keep the last reading; rows are sorted by observable, channel, time (and run) so
   * DuckDB-WASM can skip row groups for one channel or one time range.
   */
  async write(
    dir: string,
    suffix: string,
    lodSeconds: readonly number[],
  ): Promise<{ files: WrittenFile[]; lod: Record<string, number[]> }> {
    this.closeAppender();
    await this.fillNames("names", this.names);
    const files: WrittenFile[] = [];
    const toParquet: CopyTo = async (file, select) => {
      const reader = await this.db.runAndReadAll(
        `COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
      );
      return Number(reader.getRowObjectsJS()[0]?.Count ?? 0);
    };
    const copy = async (kind: "scalar" | "lod", select: string) => {
      const file = `${dir}/${kind === "scalar" ? "scalars" : "lod"}-${suffix}.parquet`;
      const rows = await toParquet(file, select);
      files.push({ kind, file, rows });
      return rows;
    };
    const arrayRows = this.arrays.readings;
    let scalarsKept = 0;
    let scalarDuplicates = 0;
    let lod: Record<string, number[]> = {};
    const buffer = this.buffer;
    if (!this.inDuckDB && buffer && buffer.length > 0) {
      ({ kept: scalarsKept, duplicates: scalarDuplicates, lod } = await this.writeSorted(buffer, copy, lodSeconds));
    } else if (this.inDuckDB) {
      const scalarRows = await this.count("scalars");
      // One pass: de-duplicate into a table the LOD step reads again, then sort into Parquet.
      await this.db.run(`CREATE OR REPLACE TEMP TABLE run_scalars AS
        SELECT run, obs, channel, make_timestamp(t_us::BIGINT) AS t, arg_max_null(${FINITE_VALUE}, rowid) AS value
          FROM scalars WHERE isfinite(t_us) GROUP BY run, obs, channel, t_us`);
      scalarsKept = await copy(
        "scalar",
        `SELECT s.run, n.name AS observable, s.channel, s.t, s.value
           FROM run_scalars s JOIN names n ON n.id = s.obs ORDER BY n.name, s.channel, s.t, s.run`,
      );
      scalarDuplicates = scalarRows - this.scalarsWithoutTime - scalarsKept;
      if (lodSeconds.length > 0) lod = await this.writeLod(copy, lodSeconds);
      await this.db.run("DROP TABLE IF EXISTS run_scalars");
    }
    let arraysKept = 0;
    for (const part of await this.arrays.write(dir, suffix, this.arrayNames.names, toParquet)) {
      files.push({ kind: "array", ...part });
      arraysKept += part.rows;
    }
    this.stats.duplicates = scalarDuplicates + arrayRows - arraysKept;
    return { files, lod };
  }

  /**
   * The in-memory way: order and de-duplicate in JS (run-order.ts), append in that order, and
   * let DuckDB only encode; its COPY keeps insertion order. Same columns as the SQL way.
   */
  private async writeSorted(
    b: RunBuffer,
    copy: (kind: "scalar" | "lod", select: string) => Promise<number>,
    lodSeconds: readonly number[],
  ): Promise<{ kept: number; duplicates: number; lod: Record<string, number[]> }> {
    const nameOf = nameFrom(this.names);
    const asTime = (column: string) => `make_timestamp(${column}::BIGINT)`;
    await this.db.run(`
      CREATE OR REPLACE TEMP TABLE sorted_scalars (run INTEGER, obs USMALLINT, channel INTEGER, t_us DOUBLE, value DOUBLE);
      CREATE OR REPLACE TEMP TABLE lod_buckets (obs USMALLINT, channel INTEGER, level INTEGER, bucket DOUBLE, n INTEGER,
        first_t DOUBLE, first_v DOUBLE, min_t DOUBLE, min_v DOUBLE, max_t DOUBLE, max_v DOUBLE, last_t DOUBLE, last_v DOUBLE)`);
    const appender = await this.db.createAppender("sorted_scalars", "main", "temp");
    const lodAppender = await this.db.createAppender("lod_buckets", "main", "temp");
    // From here to the appenders' close nothing awaits, so the lanes can share one set of
    // columns to order into: no other lane runs in between.
    const order = orderRun(b, this.names, (this.shared.ordered ??= orderScratch(this.inMemoryRows)));
    this.scalarWriter.write(appender, [order.run, order.observable, order.channel, order.tMicros, order.value], order.length);
    appender.closeSync();
    const lod = lodSeconds.length > 0 ? lodBuckets(order, lodSeconds) : undefined;
    if (lod) {
      const l = lod.buckets;
      new ColumnWriter(LOD_TYPES).write(
        lodAppender,
        [l.observable, l.channel, l.level, l.bucket, l.n, l.firstT, l.firstV, l.minT, l.minV, l.maxT, l.maxV, l.lastT, l.lastV],
        l.length,
      );
    }
    lodAppender.closeSync();

    const kept = await copy(
      "scalar",
      `SELECT run, ${nameOf} AS observable, channel, ${asTime("t_us")} AS t, ${FINITE_VALUE} AS value FROM sorted_scalars`,
    );
    if (lod && lod.buckets.length > 0) {
      await copy(
        "lod",
        `SELECT ${nameOf} AS observable, channel, level, ${asTime("bucket")} AS bucket, n, ${asTime("first_t")} AS first_t,
                first_v, ${asTime("min_t")} AS min_t, min_v, ${asTime("max_t")} AS max_t, max_v, ${asTime("last_t")} AS last_t, last_v
           FROM lod_buckets`,
      );
    }
    await this.db.run("DROP TABLE sorted_scalars; DROP TABLE lod_buckets");
    return {
      kept,
      duplicates: order.duplicates,
      lod: this.levelsByName(lod?.levels ?? new Map()),
    };
  }

  /** A name dictionary as a table (id, name), for SQL to turn ids back into names. */
  private async fillNames(table: string, names: readonly string[]): Promise<void> {
    await this.db.run(`DELETE FROM ${table}`);
    if (names.length === 0) return;
    const appender = await this.db.createAppender(table, this.schema);
    names.forEach((name, id) => {
      appender.appendUSmallInt(id);
      appender.appendVarchar(name);
      appender.endRow();
    });
    appender.closeSync();
  }

  private async count(table: string): Promise<number> {
    const reader = await this.db.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${table}`);
    return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
  }

  /**
   * M4 per time bucket (first, min, max, last, each with its time) at each level, kept for an
   * observable only where it thins the series out: more than 4 readings a bucket on average,
   * estimated beforehand from its reading count, channels and time span (so no level is
   * computed only to be thrown away). An observable's finest useful level is computed from the
   * readings, each coarser one from the level below it, which is cheap.
   */
  private async writeLod(
    copy: (kind: "scalar" | "lod", select: string) => Promise<number>,
    lodSeconds: readonly number[],
  ): Promise<Record<string, number[]>> {
    const levels = [...new Set(lodSeconds)].sort((a, b) => a - b);
    const shape = await this.db.runAndReadAll(
      `SELECT obs, count(*)::DOUBLE AS n, count(DISTINCT channel)::DOUBLE AS series,
              (epoch_us(max(t)) - epoch_us(min(t)))::DOUBLE / 1e6 AS span
         FROM run_scalars WHERE value IS NOT NULL GROUP BY obs`,
    );
    /** Observable id -> its levels (ascending), only those worth keeping. */
    const useful = new Map<number, number[]>();
    for (const row of shape.getRowObjectsJS()) {
      const kept = usefulLodLevels(Number(row.n), Number(row.series), Number(row.span), levels);
      if (kept.length > 0) useful.set(Number(row.obs), kept);
    }
    if (useful.size === 0) return {};
    const bucket = (t: string, s: number) => `time_bucket(INTERVAL ${s} SECOND, ${t})`;
    const ids = (pick: (kept: number[]) => boolean) => [...useful].filter(([, kept]) => pick(kept)).map(([id]) => id);
    await this.db
      .run(`CREATE OR REPLACE TEMP TABLE lod (obs USMALLINT, channel INTEGER, level INTEGER, bucket TIMESTAMP, n INTEGER,
      first_t TIMESTAMP, first_v DOUBLE, last_t TIMESTAMP, last_v DOUBLE, min_t TIMESTAMP, min_v DOUBLE, max_t TIMESTAMP, max_v DOUBLE)`);
    for (const [i, level] of levels.entries()) {
      const fromReadings = ids((kept) => kept[0] === level);
      if (fromReadings.length > 0) {
        await this.db.run(`INSERT INTO lod
          SELECT obs, channel, ${level}, ${bucket("t", level)} AS b, count(*)::INTEGER,
                 min(t), arg_min(value, t), max(t), arg_max(value, t),
                 arg_min(t, value), min(value), arg_max(t, value), max(value)
            FROM run_scalars WHERE value IS NOT NULL AND obs IN (${fromReadings.join(", ")}) GROUP BY obs, channel, b`);
      }
      const fromBelow = i === 0 ? [] : ids((kept) => kept.includes(level) && kept[0]! < level);
      if (fromBelow.length > 0) {
        await this.db.run(`INSERT INTO lod
          SELECT obs, channel, ${level}, ${bucket("bucket", level)} AS b, sum(n)::INTEGER,
                 min(first_t), arg_min(first_v, first_t), max(last_t), arg_max(last_v, last_t),
                 arg_min(min_t, min_v), min(min_v), arg_max(max_t, max_v), max(max_v)
            FROM lod WHERE level = ${levels[i - 1]} AND obs IN (${fromBelow.join(", ")}) GROUP BY obs, channel, b`);
      }
    }
    await copy(
      "lod",
      `SELECT n.name AS observable, l.channel, l.level, l.bucket, l.n, l.first_t, l.first_v, l.min_t, l.min_v,
              l.max_t, l.max_v, l.last_t, l.last_v
         FROM lod l JOIN names n ON n.id = l.obs ORDER BY l.level, n.name, l.channel, l.bucket`,
    );
    await this.db.run("DROP TABLE IF EXISTS lod");
    return this.levelsByName(useful);
  }

  /** Observable id -> levels kept, as the manifest records it: by name. */
  private levelsByName(levels: ReadonlyMap<number, number[]>): Record<string, number[]> {
    return Object.fromEntries([...levels].map(([id, kept]) => [this.names[id]!, kept]));
  }

  /** A Parquet file with the scalar columns and no rows. */
  async emptyScalarParquet(file: string): Promise<Buffer> {
    await this.db.run(
      `COPY (SELECT NULL::INTEGER AS run, NULL::VARCHAR AS observable, NULL::INTEGER AS channel, NULL::TIMESTAMP AS t,
                    NULL::DOUBLE AS value LIMIT 0) TO ${sqlString(file)} (FORMAT parquet)`,
    );
    return readFileSync(file);
  }

  close(): void {
    this.closeAppender();
    this.db.closeSync();
    if (--this.shared.open === 0) this.shared.instance.closeSync();
  }
}

/** Whether a reading is 2d: a flat one says so, a nested one by its first row, an empty one by the catalog. */
function isTwoD(v: ArrayReading["value"], info: ObservableInfo | undefined): boolean {
  if (v === null) return false;
  if (!Array.isArray(v)) return v.rowLengths !== null;
  return v.length > 0 ? Array.isArray(v[0]) : info?.shape === "2d";
}

/** Whether a reading's size differs from the catalog's dims. */
function isRagged(v: NonNullable<ArrayReading["value"]>, is2d: boolean, info: ObservableInfo | undefined): boolean {
  if (!is2d) return info !== undefined && info.dims[0] !== (Array.isArray(v) ? v.length : v.values.length);
  const [nRows, nCols] = info?.dims ?? [];
  if (!Array.isArray(v)) return v.rowLengths!.length !== nRows || v.rowLengths!.some((n) => n !== nCols);
  const rows = v as (number | null)[][];
  return rows.length !== nRows || rows.some((row) => !Array.isArray(row) || row.length !== nCols);
}
