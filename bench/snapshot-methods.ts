// The two ways of getting PostgreSQL into Parquet that bench/snapshot.ts compares, each run in
// its own process. Peak memory is sampled from inside the process.
import { DOUBLE, DuckDBInstance, LIST, listValue, timestampValue } from "@duckdb/node-api";
import pg from "pg";
import { parseConfig, type PostgresSourceConfig } from "../loaders/config.js";
import { takeSnapshot } from "../loaders/snapshot/take-snapshot.js";
import { PostgresSource } from "../loaders/sources/postgres-source.js";

export async function measureChild(method: "runboard" | "naive", dataset: "scalars" | "arrays", url: string, out: string) {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const rows = method === "runboard" ? await viaRunboard(dataset, url, out) : await naive(dataset, url, out);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { rows, seconds, peakRssMb: Math.round(peak / 1e6) };
}

async function viaRunboard(dataset: "scalars" | "arrays", url: string, out: string): Promise<number> {
  const config = parseConfig({
    source: {
      kind: "postgres",
      url,
      runs: { schema: "bench", table: "runs", id: "id", start: "started", stop: "stopped" },
      tables: [
        dataset === "scalars"
          ? {
              layout: "long",
              schema: "bench",
              table: "scalars",
              run: "run",
              observable: "name",
              channel: "channel",
              time: "t",
              value: "value",
            }
          : {
              layout: "long",
              schema: "bench",
              table: "arrays",
              run: "run",
              observable: "name",
              time: "t",
              arrayValue: "samples",
            },
      ],
    },
  }).source as PostgresSourceConfig;
  const source = await PostgresSource.connect(config);
  try {
    const result = await takeSnapshot(source, { out, selection: { kind: "runs", from: 0, to: 1e9 }, lodSeconds: [10, 60, 600] });
    if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed));
    return result.rows;
  } finally {
    await source.close();
  }
}

/** What one would write first: SELECT each run into JS objects, append them row by row, COPY to Parquet. */
async function naive(dataset: "scalars" | "arrays", url: string, out: string): Promise<number> {
  const client = new pg.Client(url);
  await client.connect();
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  let total = 0;
  try {
    const runs = (await client.query<{ id: number }>("SELECT id FROM bench.runs ORDER BY id")).rows;
    for (const { id } of runs) {
      await db.run(
        dataset === "scalars"
          ? "CREATE OR REPLACE TABLE r (run INTEGER, observable VARCHAR, channel INTEGER, t TIMESTAMP, value DOUBLE)"
          : "CREATE OR REPLACE TABLE r (run INTEGER, observable VARCHAR, t TIMESTAMP, v1 DOUBLE[], v2 DOUBLE[][])",
      );
      const { rows } = await client.query(`SELECT * FROM bench.${dataset} WHERE run = $1`, [id]);
      const appender = await db.createAppender("r");
      for (const row of rows) {
        appender.appendInteger(row.run);
        appender.appendVarchar(row.name);
        if (dataset === "scalars") appender.appendInteger(row.channel);
        appender.appendTimestamp(timestampValue(BigInt((row.t as Date).getTime()) * 1000n));
        if (dataset === "scalars") appender.appendDouble(row.value);
        else if (Array.isArray(row.samples[0])) {
          appender.appendNull();
          appender.appendList(
            (row.samples as number[][]).map((r) => listValue(r)),
            LIST(LIST(DOUBLE)),
          );
        } else {
          appender.appendList(row.samples as number[], LIST(DOUBLE));
          appender.appendNull();
        }
        appender.endRow();
      }
      appender.closeSync();
      total += rows.length;
      await db.run(`COPY r TO '${out}/run-${id}.parquet' (FORMAT parquet, COMPRESSION zstd)`);
    }
  } finally {
    db.closeSync();
    instance.closeSync();
    await client.end();
  }
  return total;
}
