// DuckDB-WASM 1.28.0, self-hosted. 1.28 has Parquet built in; later versions download it as an
// extension at run time, which an air-gapped control room cannot do.
import * as duckdb from "@duckdb/duckdb-wasm";

let database: Promise<duckdb.AsyncDuckDB> | undefined;

export function getDuckDB(): Promise<duckdb.AsyncDuckDB> {
  database ??= (async () => {
    // Framework re-bundles the worker as an ES module, so it must start as a module worker.
    const worker = new Worker(import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js"), { type: "module" });
    const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
    await db.instantiate(import.meta.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"));
    return db;
  })();
  return database;
}
