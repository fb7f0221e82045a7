// What the browser tests compare the pages with: the same snapshot files read with DuckDB in Node.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, LIST, VARCHAR, listValue } from "@duckdb/node-api";

/** Runs `sql` with `$files` bound to these Parquet files (and any other named parameters). */
export async function queryParquet<T>(sql: string, files: string[], params: Record<string, string | number> = {}): Promise<T[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql, { files: listValue(files), ...params }, { files: LIST(VARCHAR) });
    return reader.getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The files of one kind in a snapshot directory, for these runs (all runs when `runs` is null). */
export function snapshotFiles(dir: string, kind: "scalar" | "array" | "lod", runs: readonly number[] | null = null): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    runs: { run: number; files: { kind: string; path: string }[] }[];
  };
  return manifest.runs
    .filter((r) => runs === null || runs.includes(r.run))
    .flatMap((r) => r.files.filter((f) => f.kind === kind).map((f) => join(dir, f.path)));
}
