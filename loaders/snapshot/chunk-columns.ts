// Typed-array columns into DuckDB data chunks with one memcpy each. node-api's vector objects
// copy a vector's memory out into a fresh typed array before it can be written and copy it
// back on flush; at millions of rows those short-lived buffers alone keep V8's garbage collector
// busy on every core. Here nothing is allocated per chunk.
import duckdb from "@duckdb/node-bindings";
import type { DuckDBDataChunk } from "@duckdb/node-api";

/** A fixed-width column as staging holds it; its element type must match the chunk column's. */
export type FixedColumn = Int32Array | Uint16Array | Float64Array;

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
