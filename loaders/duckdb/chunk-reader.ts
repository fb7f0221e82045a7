// Columns out of DuckDB result chunks with one copy each: the reading side of chunk-columns.ts.
// node-api's row objects make a JS value per cell and a JS array per list, so reading a run of
// waveforms turned every sample into a heap number and kept the garbage collector busy on the
// server's event loop; here a chunk's doubles come out as one Float64Array.
import duckdb from "@duckdb/node-bindings";
import type { DuckDBDataChunk } from "@duckdb/node-api";

/** Per row: 1 where valid, 0 where NULL; null when every row is valid. */
export type Validity = Uint8Array | null;

function validityOf(vector: duckdb.Vector, count: number): Validity {
  const mask = duckdb.vector_get_validity(vector, Math.ceil(count / 64) * 8);
  if (!mask) return null;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (mask[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}

function copyInto<T extends Float64Array | Int32Array>(into: T, vector: duckdb.Vector, count: number): T {
  const bytes = count * into.BYTES_PER_ELEMENT;
  if (count > 0) new Uint8Array(into.buffer, into.byteOffset, bytes).set(duckdb.vector_get_data(vector, bytes));
  return into;
}

const vectorOf = (chunk: DuckDBDataChunk, column: number) => duckdb.data_chunk_get_vector(chunk.chunk, column);

/** An INTEGER column. */
export function readInts(chunk: DuckDBDataChunk, column: number): Int32Array {
  return copyInto(new Int32Array(chunk.rowCount), vectorOf(chunk, column), chunk.rowCount);
}

/** A DOUBLE vector's values and which are NULL. */
function readDoubleVector(vector: duckdb.Vector, count: number): { values: Float64Array; valid: Validity } {
  return { values: copyInto(new Float64Array(count), vector, count), valid: validityOf(vector, count) };
}

/** A DOUBLE column. */
export function readDoubles(chunk: DuckDBDataChunk, column: number): { values: Float64Array; valid: Validity } {
  return readDoubleVector(vectorOf(chunk, column), chunk.rowCount);
}

/** A LIST vector: each row's (start, length) in its child, which rows are NULL, and the child. */
interface ListEntries {
  start: Uint32Array;
  length: Uint32Array;
  valid: Validity;
  child: duckdb.Vector;
  childSize: number;
}

function readListEntries(vector: duckdb.Vector, count: number): ListEntries {
  // DuckDB's list entries are (offset, length) as little-endian uint64: far below 2^32 here.
  const words = new Uint32Array(count * 4);
  if (count > 0) new Uint8Array(words.buffer).set(duckdb.vector_get_data(vector, count * 16));
  const start = new Uint32Array(count);
  const length = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    start[i] = words[i * 4]!;
    length[i] = words[i * 4 + 2]!;
  }
  return {
    start,
    length,
    valid: validityOf(vector, count),
    child: duckdb.list_vector_get_child(vector),
    childSize: duckdb.list_vector_get_size(vector),
  };
}

/** A DOUBLE[] column: row i is values[start[i] .. start[i] + length[i]), or NULL. */
export interface DoubleLists {
  start: Uint32Array;
  length: Uint32Array;
  valid: Validity;
  values: Float64Array;
  valuesValid: Validity;
}

export function readDoubleLists(chunk: DuckDBDataChunk, column: number): DoubleLists {
  return listOfDoubles(readListEntries(vectorOf(chunk, column), chunk.rowCount));
}

function listOfDoubles(entries: ListEntries): DoubleLists {
  const { values, valid } = readDoubleVector(entries.child, entries.childSize);
  return { start: entries.start, length: entries.length, valid: entries.valid, values, valuesValid: valid };
}

/** A DOUBLE[][] column: row i holds rows start[i] .. start[i] + length[i] of `rows`, or is NULL. */
export interface DoubleListLists {
  start: Uint32Array;
  length: Uint32Array;
  valid: Validity;
  rows: DoubleLists;
}

export function readDoubleListLists(chunk: DuckDBDataChunk, column: number): DoubleListLists {
  const outer = readListEntries(vectorOf(chunk, column), chunk.rowCount);
  const rows = listOfDoubles(readListEntries(outer.child, outer.childSize));
  return { start: outer.start, length: outer.length, valid: outer.valid, rows };
}

/** A VARCHAR column as strings (few distinct values per chunk: each is made once). */
export function readStrings(chunk: DuckDBDataChunk, column: number): string[] {
  const vector = chunk.getColumnVector(column);
  const out = new Array<string>(chunk.rowCount);
  for (let i = 0; i < chunk.rowCount; i++) out[i] = String(vector.getItem(i));
  return out;
}
