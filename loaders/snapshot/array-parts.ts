// A run's array readings, staged in parts of bounded size. DuckDB processes 2048 rows at a
// time, and a table's LIST column is read a whole storage row group at once: 1000 waveforms of
// 2048 samples (16 MB) ran out of a 96 MB limit, 8000 of them needed 126 MB for one scan. So
// the readings go into a small table that is sealed into a scratch Parquet file whenever it
// holds PART_ELEMENTS values; at the end each part becomes one of the run's `arrays-*.parquet`
// files, with repeated (run, observable, channel, time) de-duplicated across all parts (the
// last one read wins), found from the key columns alone. Memory is bounded by the part size
// (and by the largest single reading), not by the run. A run that fits one part is written as
// before: one file, sorted.
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type ArrayReading, elementsOf } from "../sources/source.js";
import { ARRAY_TABLE, ArrayWriter } from "./array-writer.js";

/**
 * Values a part holds before it is sealed: 8 MB of doubles. Measured in a 96 MB lane: parts of
 * 2M values ran out for 128x128 images (LIST of LIST), 1M did not.
 */
export const PART_ELEMENTS = 1_000_000;

/** The SQL text of a string literal. */
export const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** An `obs` id back to its name, keeping the rows' order (no join; DuckDB folds the list). */
export const nameFrom = (names: readonly string[]) => `[${names.map(sqlString).join(", ")}][obs + 1]`;

/** A Parquet file written from a SELECT, and its row count. */
export type CopyTo = (file: string, select: string) => Promise<number>;

export class ArrayParts {
  private appender: DuckDBAppender | undefined;
  private writer: ArrayWriter | undefined;
  /** Scratch Parquet files of sealed parts, in the order read. */
  private sealed: string[] = [];
  private elementsInPart = 0;
  /** Readings staged since the last reset (sealed or not). */
  readings = 0;

  constructor(
    private readonly db: DuckDBConnection,
    private readonly schema: string,
    /** Where sealed parts go; unique to this lane. */
    private readonly scratchPrefix: string,
    private readonly partElements = PART_ELEMENTS,
    /** Told before a reading larger than a part is staged: DuckDB needs room for it whole. */
    private readonly roomFor: (elements: number) => Promise<void> = async () => undefined,
  ) {}

  /** Forgets the previous run: its table emptied, its sealed parts deleted. */
  async reset(): Promise<void> {
    this.close();
    for (const file of this.sealed) rmSync(file, { force: true });
    this.sealed = [];
    this.elementsInPart = 0;
    this.readings = 0;
    await this.db.run(ARRAY_TABLE);
  }

  /** Flushes and closes the appender, so the table holds everything pushed. */
  close(): void {
    this.writer?.flush();
    this.writer = undefined;
    this.appender?.closeSync();
    this.appender = undefined;
  }

  /** Stages one reading; returns how many of its elements were not finite (stored as NULL). */
  async push(run: number, obs: number, channel: number, tMicros: number, value: ArrayReading["value"], is2d: boolean) {
    const elements = elementsOf(value);
    if (elements > this.partElements) await this.roomFor(elements);
    if (this.elementsInPart > 0 && this.elementsInPart + elements > this.partElements) await this.seal();
    this.appender ??= await this.db.createAppender("arrays", this.schema);
    this.writer ??= new ArrayWriter(this.appender);
    this.elementsInPart += elements;
    return this.writer.push(++this.readings, run, obs, channel, tMicros, value, is2d);
  }

  /** Moves the part in the table to a scratch Parquet file and starts an empty one. */
  private async seal(): Promise<void> {
    this.close();
    const file = `${this.scratchPrefix}-part-${this.sealed.length}.parquet`;
    await this.db.run(`COPY arrays TO ${sqlString(file)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 2048)`);
    this.sealed.push(file);
    this.elementsInPart = 0;
    await this.db.run(ARRAY_TABLE);
  }

  /**
   * Writes the run's array files, `arrays-<suffix>.parquet` then `arrays-<suffix>-<n>.parquet`
   * for further parts, each sorted by observable, channel, time and run. Returns each file
   * written with its rows (a part left empty by de-duplication is not written).
   */
  async write(dir: string, suffix: string, names: readonly string[], copy: CopyTo) {
    const columns = `run, ${nameFrom(names)} AS observable, channel, make_timestamp(t_us::BIGINT) AS t`;
    const order = "ORDER BY observable, channel, t, run";
    const fileName = (n: number) => join(dir, n === 0 ? `arrays-${suffix}.parquet` : `arrays-${suffix}-${n}.parquet`);
    this.close();
    if (this.readings === 0) return [];
    if (this.sealed.length === 0) {
      // One part: de-duplicated in one aggregate, which is small at this size.
      const file = fileName(0);
      const rows = await copy(
        file,
        `SELECT ${columns}, arg_max_null(v1, rid) AS value_1d, arg_max_null(v2, rid) AS value_2d
           FROM arrays GROUP BY run, obs, channel, t_us ${order}`,
      );
      return [{ file, rows }];
    }
    await this.seal();
    const parts = `[${this.sealed.map(sqlString).join(", ")}]`;
    // The repeats to drop, from the key columns only (Parquet reads no list values for this).
    await this.db.run(`CREATE OR REPLACE TEMP TABLE array_repeats AS
      SELECT rid FROM read_parquet(${parts})
       QUALIFY row_number() OVER (PARTITION BY run, obs, channel, t_us ORDER BY rid DESC) > 1`);
    const written: { file: string; rows: number }[] = [];
    for (const part of this.sealed) {
      const file = fileName(written.length);
      const rows = await copy(
        file,
        `SELECT ${columns}, v1 AS value_1d, v2 AS value_2d FROM read_parquet(${sqlString(part)})
          WHERE rid NOT IN (SELECT rid FROM array_repeats) ${order}`,
      );
      if (rows > 0) written.push({ file, rows });
      else rmSync(file, { force: true });
      rmSync(part, { force: true });
    }
    this.sealed = [];
    await this.db.run("DROP TABLE IF EXISTS array_repeats");
    return written;
  }
}
