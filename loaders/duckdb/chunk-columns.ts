// Typed-array columns into DuckDB data chunks with one memcpy each. node-api's vector objects
// copy a vector's memory out into a fresh typed array before it can be written and copy it
// back on flush; at millions of rows those short-lived buffers alone keep V8's garbage collector
// busy on every core. Here nothing is allocated per chunk.
import duckdb from "@duckdb/node-bindings";
import type { DuckDBDataChunk } from "@duckdb/node-api";

/** A fixed-width column as staging holds it; its element type must match the chunk column's. */
export type FixedColumn = Int32Array | Uint16Array | Float64Array | BigInt64Array;

/** Copies `count` values of `column`, starting at `from`, into column `index` of `chunk`. */
export function copyColumn(chunk: DuckDBDataChunk, index: number, column: FixedColumn, from: number, count: number): void {
  const size = column.BYTES_PER_ELEMENT;
  duckdb.copy_data_to_vector(
    duckdb.data_chunk_get_vector(chunk.chunk, index),
    0,
    column.buffer as ArrayBuffer,
    column.byteOffset + from * size,
    count * size,
  );
}

/** Copies `count` strings into VARCHAR column `index` of `chunk`. */
export function copyStrings(chunk: DuckDBDataChunk, index: number, strings: readonly string[], count: number): void {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, index);
  for (let i = 0; i < count; i++) duckdb.vector_assign_string_element(vector, i, strings[i]!);
}

/** Marks the first `count` rows of column `index` NULL. */
export function nullColumn(chunk: DuckDBDataChunk, index: number, count: number): void {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, index);
  duckdb.vector_ensure_validity_writable(vector);
  const mask = new Uint8Array(Math.ceil(count / 64) * 8); // all bits 0: invalid
  duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, mask.byteLength);
}
