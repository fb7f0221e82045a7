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
  let refresh: { warmSeconds: number; coldSeconds: number } | undefined;
  let rows: number;
  if (method === "runboard") {
    const source = await PostgresSource.connect(benchConfig(dataset, url));
    try {
      rows = await snapshotAll(source, out, 4);
    } finally {
      // Measured after the full snapshot's time is taken (below), with the same source open.
      refresh = { warmSeconds: await timed(() => snapshotAll(source, out, 0)), coldSeconds: 0 };
      await source.close();
    }
    // A new process's first refresh: nothing cached, so every table's fingerprints are scanned.
    refresh.coldSeconds = await timed(async () => {
      const fresh = await PostgresSource.connect(benchConfig(dataset, url));
      try {
        await snapshotAll(fresh, out, 0);
      } finally {
        await fresh.close();
      }
    });
  } else rows = await naive(dataset, url, out);
  const seconds = (performance.now() - started) / 1000 - (refresh ? refresh.warmSeconds + refresh.coldSeconds : 0);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { rows, seconds, peakRssMb: Math.round(peak / 1e6), ...(refresh ? { refresh } : {}) };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

/** A snapshot of every run; at least `atLeast` runs must be written (0: none may be, nothing changed). */
async function snapshotAll(source: PostgresSource, out: string, atLeast: number): Promise<number> {
  const result = await takeSnapshot(source, { out, selection: { kind: "runs", from: 0, to: 1e9 }, lodSeconds: [10, 60, 600] });
  if (result.failed.length > 0) throw new Error(JSON.stringify(result.failed));
  if (atLeast === 0 && result.written.length > 0)
    throw new Error(`a refresh with nothing changed rewrote runs ${result.written}`);
  if (result.written.length < atLeast) throw new Error(`only ${result.written.length} runs written`);
  return result.rows;
}

function benchConfig(dataset: "scalars" | "arrays", url: string): PostgresSourceConfig {
  return parseConfig({
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
