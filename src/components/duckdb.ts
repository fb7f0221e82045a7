// DuckDB-WASM 1.28.0, self-hosted. 1.28 has Parquet built in; later versions download it as an
// extension at run time, which an air-gapped control room cannot do.
import * as duckdb from "@duckdb/duckdb-wasm";
import { measureSince } from "./timing.js";

let database: Promise<duckdb.AsyncDuckDB> | undefined;

export function getDuckDB(): Promise<duckdb.AsyncDuckDB> {
  database ??= (async () => {
    const started = performance.now();
    // Framework re-bundles the worker as an ES module, so it must start as a module worker.
    const worker = new Worker(import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js"), { type: "module" });
    const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
    await db.instantiate(import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"));
    // What a page waits for before its first query (bench/browser.ts reads it).
    measureSince("runboard:duckdb-start", started);
    return db;
  })();
  return database;
}
