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

export interface ColumnarSeries {
  t: Float64Array;
  value: Float64Array;
  seq: Float64Array;
}

let fileCounter = 0;

/**
 * Loads a Parquet snapshot of scalar readings and returns, per `observable#channel` key, the
 * columns sorted by time. DuckDB filters and sorts; the caller decimates.
 */
export async function loadScalarSeries(
  bytes: Uint8Array,
  wanted: ReadonlyArray<{ observable: string; channel: number }>,
): Promise<Map<string, ColumnarSeries>> {
  const db = await getDuckDB();
  const name = `snapshot-${++fileCounter}.parquet`;
  await db.registerFileBuffer(name, bytes);
  const conn = await db.connect();
  const out = new Map<string, ColumnarSeries>();
  try {
    const statement = await conn.prepare(
      `SELECT epoch_ms(t)::DOUBLE AS t, value::DOUBLE AS value, seq::DOUBLE AS seq
         FROM read_parquet('${name}') WHERE observable = ? AND channel = ? ORDER BY t`,
    );
    for (const { observable, channel } of wanted) {
      const table = await statement.query(observable, channel);
      out.set(seriesKey(observable, channel), {
        t: Float64Array.from(table.getChild("t")!.toArray() as ArrayLike<number>),
        value: Float64Array.from(table.getChild("value")!.toArray() as ArrayLike<number>),
        seq: Float64Array.from(table.getChild("seq")!.toArray() as ArrayLike<number>),
      });
    }
    await statement.close();
  } finally {
    await conn.close();
    await db.dropFile(name);
  }
  return out;
}

export const seriesKey = (observable: string, channel: number) => `${observable}#${channel}`;
