// `npm run bench:snapshot`: PostgreSQL -> Parquet, runboard's snapshot path against a naive
// baseline (SELECT into JS objects, then write them), on the same data in the same run.
// Each measurement runs in its own child process so peak memory (RSS, sampled every 20 ms) is
// that method's alone. Prints medians over REPEATS runs and the ratio to the baseline.
// Uses a throwaway PostgreSQL cluster unless DATABASE_URL is set. BENCH_ROWS scales the data.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startThrowawayPostgres } from "../tests/support/postgres.js";

const SCALAR_ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const RUNS = 10;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ARRAY_1D = Number(process.env.BENCH_ARRAY_1D ?? 100_000); // 64 samples each
const ARRAY_2D = Number(process.env.BENCH_ARRAY_2D ?? 10_000); // 24 x 24 each

type Method = "runboard" | "naive";
type Dataset = "scalars" | "arrays";
interface Measurement {
  rows: number;
  seconds: number;
  peakRssMb: number;
  /** runboard only: a second snapshot with nothing changed, with the source kept open and from a new one. */
  refresh?: { warmSeconds: number; coldSeconds: number };
}

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--child") {
  const [, , , method, dataset, url, out] = process.argv as [string, string, string, Method, Dataset, string, string];
  const { measureChild } = await import("./snapshot-methods.js");
  const result = await measureChild(method, dataset, url, out);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function prepare(url: string): Promise<void> {
  const db = new pg.Client(url);
  await db.connect();
  const perRun = Math.ceil(SCALAR_ROWS / RUNS);
  console.log(
    `preparing ${SCALAR_ROWS.toLocaleString("en")} scalar readings in ${RUNS} runs, ${ARRAY_1D} 1d and ${ARRAY_2D} 2d arrays ...`,
  );
  await db.query(`DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench;
    CREATE TABLE bench.runs (id int PRIMARY KEY, started timestamptz, stopped timestamptz);
    CREATE TABLE bench.scalars (run int, name text, channel int, t timestamptz, value float8);
    CREATE TABLE bench.arrays (run int, name text, t timestamptz, samples float8[]);`);
  await db.query(
    `INSERT INTO bench.runs SELECT r, '2026-01-01'::timestamptz + (r - 1) * interval '1 hour', '2026-01-01'::timestamptz + r * interval '1 hour'
       FROM generate_series(1, ${RUNS}) r`,
  );
  // A camera: 1855 pixels' HV and anode current and a trigger rate, readings spread over each run's hour.
  await db.query(
    `INSERT INTO bench.scalars
       SELECT 1 + g / ${perRun}, (ARRAY['camera.hv', 'camera.anode_current', 'trigger.rate'])[1 + (g / 1855) % 3], g % 1855,
              '2026-01-01'::timestamptz + (g / ${perRun}) * interval '1 hour' + ((g % ${perRun}) * (3600000.0 / ${perRun})) * interval '1 millisecond',
              1000 + 10 * sin(g / 5000.0) + (g % 7) * 0.01
         FROM generate_series(0, ${SCALAR_ROWS - 1}) g`,
  );
  await db.query(
    `INSERT INTO bench.arrays
       SELECT 1 + g % ${RUNS}, 'pmt.waveform', '2026-01-01'::timestamptz + (g % ${RUNS}) * interval '1 hour' + (g / ${RUNS}) * interval '10 milliseconds',
              (SELECT array_agg(sin(g + k / 8.0)) FROM generate_series(1, 64) k)
         FROM generate_series(0, ${ARRAY_1D - 1}) g`,
  );
  await db.query(
    `INSERT INTO bench.arrays
       SELECT 1 + g % ${RUNS}, 'camera.hitmap', '2026-01-01'::timestamptz + (g % ${RUNS}) * interval '1 hour' + (g / ${RUNS}) * interval '100 milliseconds',
              (SELECT array_agg(row ORDER BY i) FROM (
                 SELECT i, array_agg((g + i * j) % 100 ORDER BY j)::float8[] AS row FROM generate_series(1, 24) i, generate_series(1, 24) j GROUP BY i) rows)::float8[][]
         FROM generate_series(0, ${ARRAY_2D - 1}) g`,
  );
  // Tables read run by run have an index on the run column (a foreign key to the runs table
  // usually brings one); without it every run's read would scan the whole table, for both methods.
  await db.query(`CREATE INDEX ON bench.scalars (run); CREATE INDEX ON bench.arrays (run);
    ANALYZE bench.scalars; ANALYZE bench.arrays`);
  await db.end();
}

function measure(method: Method, dataset: Dataset, url: string): Measurement {
  const out = mkdtempSync(join(tmpdir(), `runboard-bench-${method}-`));
  try {
    const stdout = execFileSync(process.execPath, ["--import", "tsx", self, "--child", method, dataset, url, out], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 20,
    });
    return JSON.parse(stdout.trim().split("\n").pop()!) as Measurement;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

let postgres: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
let url = process.env.DATABASE_URL;
if (!url) {
  postgres = await startThrowawayPostgres();
  url = postgres.url;
}
try {
  await prepare(url);
  const table: string[][] = [];
  const refreshLines: string[] = [];
  for (const dataset of ["scalars", "arrays"] as Dataset[]) {
    const results: Record<Method, Measurement[]> = { runboard: [], naive: [] };
    for (let i = 0; i < REPEATS; i++) {
      // Alternate the order so neither method always runs on a warmer cache.
      for (const method of (i % 2 === 0 ? ["runboard", "naive"] : ["naive", "runboard"]) as Method[]) {
        const m = measure(method, dataset, url);
        results[method].push(m);
        const idle = m.refresh
          ? `; nothing-changed refresh ${m.refresh.warmSeconds.toFixed(3)} s open, ${m.refresh.coldSeconds.toFixed(2)} s new`
          : "";
        console.log(
          `  ${dataset} ${method} #${i + 1}: ${m.rows} rows in ${m.seconds.toFixed(2)} s, peak ${m.peakRssMb} MB${idle}`,
        );
      }
    }
    const naiveRate = median(results.naive.map((m) => m.rows / m.seconds));
    const full = median(results.runboard.map((m) => m.seconds));
    const warm = median(results.runboard.map((m) => m.refresh!.warmSeconds));
    const cold = median(results.runboard.map((m) => m.refresh!.coldSeconds));
    const pct = (s: number) => `${((100 * s) / full).toFixed(1)}%`;
    refreshLines.push(
      `${dataset}: refresh with nothing changed, medians: the server (source kept open) ${warm.toFixed(3)} s = ${pct(warm)} ` +
        `of a full snapshot (${full.toFixed(2)} s; target < 5%); a new process ${cold.toFixed(2)} s = ${pct(cold)}`,
    );
    for (const method of ["runboard", "naive"] as Method[]) {
      const ms = results[method];
      const rate = median(ms.map((m) => m.rows / m.seconds));
      table.push([
        dataset,
        method,
        ms[0]!.rows.toLocaleString("en"),
        median(ms.map((m) => m.seconds)).toFixed(2),
        Math.round(rate).toLocaleString("en"),
        String(Math.max(...ms.map((m) => m.peakRssMb))),
        `${(rate / naiveRate).toFixed(1)}x`,
      ]);
    }
  }
  const header = ["data", "method", "readings", "median s", "readings/s", "peak RSS MB", "vs naive"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(
    `\nPostgreSQL -> Parquet (ZSTD), median of ${REPEATS}; runboard includes catalog, fingerprints, de-duplication, sorting and LOD tables`,
  );
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of table) console.log(line(row));
  console.log("");
  for (const l of refreshLines) console.log(l);
} finally {
  postgres?.stop();
}
