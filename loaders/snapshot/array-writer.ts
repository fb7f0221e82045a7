// Array readings into DuckDB LIST columns, written straight into a data chunk's vectors: the
// list entries (offset, length) and the flat element values each go in with one copy, as
// DuckDB lays LIST vectors out. node-api's own list vectors build a DuckDB value per element
// (about a microsecond each), too slow for millions of elements.
import duckdb from "@duckdb/node-bindings";
import { type DuckDBAppender, DuckDBDataChunk, DOUBLE, INTEGER, LIST, USMALLINT } from "@duckdb/node-api";
import { copyColumn } from "../duckdb/chunk-columns.js";
import type { ArrayReading, FlatArray } from "../sources/source.js";

const VECTOR_ROWS = 2048;

/** The staging table this writes, one row per array reading; a NULL reading has both lists NULL. */
export const ARRAY_TABLE =
  "CREATE OR REPLACE TABLE arrays (rid INTEGER, run INTEGER, obs USMALLINT, channel INTEGER, t_us DOUBLE, v1 DOUBLE[], v2 DOUBLE[][])";

/** A growable list of doubles with a validity bit per element. */
class Elements {
  values: Float64Array<ArrayBuffer> = new Float64Array(1 << 16);
  valid = new Uint8Array(1 << 16);
  length = 0;
  anyNull = false;

  push(v: number | null): boolean {
    if (this.length === this.values.length) this.reserve(this.length + 1);
    const i = this.length++;
    const ok = v !== null && Number.isFinite(v);
    this.values[i] = ok ? v : 0;
    this.valid[i] = ok ? 1 : 0;
    if (!ok) this.anyNull = true;
    return ok || v === null;
  }

  /** Appends `values` at once (`valid`: 0 where NULL); returns how many were not finite (stored NULL). */
  pushAll(values: Float64Array, valid: Uint8Array | null): number {
    this.reserve(this.length + values.length);
    const at = this.length;
    this.values.set(values, at);
    if (valid) this.valid.set(valid, at);
    else this.valid.fill(1, at, at + values.length);
    this.length += values.length;
    let nonFinite = 0;
    for (let i = at; i < this.length; i++) {
      if (this.valid[i] === 0) this.anyNull = true;
      else if (!Number.isFinite(this.values[i]!)) {
        this.values[i] = 0;
        this.valid[i] = 0;
        this.anyNull = true;
        nonFinite++;
      }
    }
    return nonFinite;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.values.length) return;
    let size = this.values.length;
    while (size < capacity) size *= 2;
    const values = new Float64Array(size);
    values.set(this.values.subarray(0, this.length));
    this.values = values;
    const valid = new Uint8Array(size);
    valid.set(this.valid.subarray(0, this.length));
    this.valid = valid;
  }

  clear(): void {
    this.length = 0;
    this.anyNull = false;
  }
}

/** (offset, length) list entries for up to `capacity` lists, as DuckDB's uint64 pairs. */
class Entries {
  words: Uint32Array<ArrayBuffer>;
  length = 0;
  /** Lists that are NULL (not merely empty). */
  readonly nulls: number[] = [];

  constructor(capacity: number) {
    this.words = new Uint32Array(capacity * 4);
  }

  push(offset: number, length: number | null): void {
    if (this.length * 4 === this.words.length) {
      const words = new Uint32Array(this.words.length * 2);
      words.set(this.words);
      this.words = words;
    }
    const w = this.length * 4;
    // Little-endian uint64s; offsets and lengths stay far below 2^32 within one chunk.
    this.words[w] = offset;
    this.words[w + 1] = 0;
    this.words[w + 2] = length ?? 0;
    this.words[w + 3] = 0;
    if (length === null) this.nulls.push(this.length);
    this.length++;
  }

  clear(): void {
    this.length = 0;
    this.nulls.length = 0;
  }
}

/** Writes a validity mask: all valid except where `invalid` says. */
function writeValidity(vector: duckdb.Vector, count: number, isInvalid: (i: number) => boolean, any: boolean): void {
  if (count === 0) return;
  duckdb.vector_ensure_validity_writable(vector);
  const words = Math.ceil(count / 64) * 2;
  const mask = new Uint32Array(words).fill(0xffffffff);
  if (any) for (let i = 0; i < count; i++) if (isInvalid(i)) mask[i >>> 5]! &= ~(1 << (i & 31));
  duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.byteLength);
}

/** Sets a LIST vector's entries and gives its child vector `size` elements. */
function writeList(vector: duckdb.Vector, entries: Entries, childSize: number): duckdb.Vector {
  const n = entries.length;
  duckdb.copy_data_to_vector(vector, 0, entries.words.buffer, 0, n * 16);
  const nulls = new Set(entries.nulls);
  writeValidity(vector, n, (i) => nulls.has(i), nulls.size > 0);
  duckdb.list_vector_reserve(vector, childSize);
  duckdb.list_vector_set_size(vector, childSize);
  return duckdb.list_vector_get_child(vector);
}

function writeDoubles(vector: duckdb.Vector, e: Elements): void {
  if (e.length > 0) duckdb.copy_data_to_vector(vector, 0, e.values.buffer, 0, e.length * 8);
  writeValidity(vector, e.length, (i) => e.valid[i] === 0, e.anyNull);
}

/**
 * The two LIST columns of array readings, a chunk's worth: `v1` (1d, DOUBLE[]) and `v2` (2d,
 * DOUBLE[][]), one of them NULL per row (both for a NULL reading). Shared by the staging writer
 * below and the embedded store's appender, whose tables differ only in their fixed columns.
 */
export class ListColumns {
  private readonly v1 = new Entries(VECTOR_ROWS);
  private readonly v1Values = new Elements();
  private readonly v2 = new Entries(VECTOR_ROWS);
  /** The 2d arrays' rows, each a list of doubles. */
  private readonly v2Rows = new Entries(VECTOR_ROWS);
  private readonly v2Values = new Elements();

  /** Values held (a chunk is best flushed past about a million). */
  get elements(): number {
    return this.v1Values.length + this.v2Values.length;
  }

  /** Adds one row; returns the number of non-finite elements it held (stored as NULL). */
  push(value: ArrayReading["value"], is2d: boolean): number {
    if (value !== null && !Array.isArray(value)) return this.pushFlat(value);
    let nonFinite = 0;
    if (value === null || is2d) this.v1.push(0, null);
    if (value === null || !is2d) this.v2.push(0, null);
    if (value !== null && !is2d) {
      const e = this.v1Values;
      const from = e.length;
      for (const v of value as (number | null)[]) if (!e.push(v)) nonFinite++;
      this.v1.push(from, e.length - from);
    } else if (value !== null) {
      const rows = value as (number | null)[][];
      this.v2.push(this.v2Rows.length, rows.length);
      const e = this.v2Values;
      for (const row of rows) {
        const from = e.length;
        if (Array.isArray(row)) for (const v of row) if (!e.push(v)) nonFinite++;
        this.v2Rows.push(from, e.length - from);
      }
    }
    return nonFinite;
  }

  /** A flat reading: its values copied in at once, a 2d one's rows cut by their lengths. */
  private pushFlat(value: FlatArray): number {
    const lengths = value.rowLengths;
    if (lengths === null) {
      this.v2.push(0, null);
      const from = this.v1Values.length;
      const nonFinite = this.v1Values.pushAll(value.values, value.valid);
      this.v1.push(from, value.values.length);
      return nonFinite;
    }
    this.v1.push(0, null);
    this.v2.push(this.v2Rows.length, lengths.length);
    let from = this.v2Values.length;
    for (const length of lengths) {
      this.v2Rows.push(from, length);
      from += length;
    }
    return this.v2Values.pushAll(value.values, value.valid);
  }

  /** Writes the rows held into columns `v1Index` and `v2Index` of `chunk`, then empties itself. */
  writeTo(chunk: DuckDBDataChunk, v1Index: number, v2Index: number): void {
    const v1 = writeList(duckdb.data_chunk_get_vector(chunk.chunk, v1Index), this.v1, this.v1Values.length);
    writeDoubles(v1, this.v1Values);
    const rows = writeList(duckdb.data_chunk_get_vector(chunk.chunk, v2Index), this.v2, this.v2Rows.length);
    writeDoubles(writeList(rows, this.v2Rows, this.v2Values.length), this.v2Values);
    for (const part of [this.v1, this.v1Values, this.v2, this.v2Rows, this.v2Values]) part.clear();
  }
}

/**
 * Collects array readings (1d or 2d, NULL elements allowed) and appends them in data chunks of
 * up to 2048 rows. Non-finite elements are stored as NULL; `push` says whether there was one.
 */
export class ArrayWriter {
  private readonly chunk = DuckDBDataChunk.create([
    INTEGER,
    INTEGER,
    USMALLINT,
    INTEGER,
    DOUBLE,
    LIST(DOUBLE),
    LIST(LIST(DOUBLE)),
  ]);
  private readonly fixed = {
    rid: new Int32Array(VECTOR_ROWS),
    run: new Int32Array(VECTOR_ROWS),
    obs: new Uint16Array(VECTOR_ROWS),
    channel: new Int32Array(VECTOR_ROWS),
    t: new Float64Array(VECTOR_ROWS),
  };
  private rows = 0;
  private readonly lists = new ListColumns();

  constructor(private readonly appender: DuckDBAppender) {}

  /** Adds one reading; returns the number of non-finite elements it held (stored as NULL). */
  push(
    rid: number,
    run: number,
    obs: number,
    channel: number,
    tMicros: number,
    value: ArrayReading["value"],
    is2d: boolean,
  ): number {
    const i = this.rows++;
    this.fixed.rid[i] = rid;
    this.fixed.run[i] = run;
    this.fixed.obs[i] = obs;
    this.fixed.channel[i] = channel;
    this.fixed.t[i] = tMicros;
    const nonFinite = this.lists.push(value, is2d);
    if (this.rows === VECTOR_ROWS || this.lists.elements >= 1 << 20) this.flush();
    return nonFinite;
  }

  /** Appends what is collected. */
  flush(): void {
    const n = this.rows;
    if (n === 0) return;
    const chunk = this.chunk;
    chunk.rowCount = n;
    const f = this.fixed;
    [f.rid, f.run, f.obs, f.channel, f.t].forEach((column, c) => copyColumn(chunk, c, column, 0, n));
    this.lists.writeTo(chunk, 5, 6);
    this.appender.appendDataChunk(chunk);
    this.rows = 0;
  }
}
