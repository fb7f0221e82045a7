// What the site build's Framework data loaders (src/data/) read: the snapshot that `npm run
// build` has `runboard snapshot` write first, from the configured source (the embedded store,
// PostgreSQL or MongoDB) through the same snapshot library as the server, into the snapshot
// directory the CLI and the server share (RUNBOARD_SNAPSHOT_DIR, the config's snapshot.out, or
// snapshots/ in the data directory). A loader never opens a source itself: no second way in.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, LIST, VARCHAR, listValue } from "@duckdb/node-api";
import type { ObservableInfo, RunInfo } from "../src/core/catalog.js";
import type { RunFlag } from "../src/core/flags.js";
import type { Manifest, ManifestRun } from "../src/core/manifest.js";
import { loadConfig, snapshotDirFor } from "./config.js";
import { readManifest } from "./snapshot/take-snapshot.js";

/** The snapshot directory of this build (as `runboard snapshot` without --out writes it). */
export function buildSnapshotDir(): string {
  return snapshotDirFor(loadConfig(process.env.RUNBOARD_CONFIG || undefined));
}

export interface BuildSnapshot {
  dir: string;
  manifest: Manifest | undefined;
  observables: ObservableInfo[];
  runs: RunInfo[];
}

/** The build's snapshot as read now; empty (no runs) when none was written. */
export function readBuildSnapshot(dir = buildSnapshotDir()): BuildSnapshot {
  const manifest = readManifest(dir);
  const catalogFile = join(dir, "catalog.json");
  const catalog = existsSync(catalogFile)
    ? (JSON.parse(readFileSync(catalogFile, "utf8")) as { observables: ObservableInfo[]; runs: RunInfo[] })
    : { observables: [], runs: [] };
  return { dir, manifest, observables: catalog.observables, runs: catalog.runs };
}

/** The runs a report page is built for: those with files in the snapshot. */
export function reportRuns(snapshot: BuildSnapshot = readBuildSnapshot()): number[] {
  return (snapshot.manifest?.runs ?? []).map((r) => r.run).sort((a, b) => a - b);
}

export function manifestRun(snapshot: BuildSnapshot, run: number): ManifestRun {
  const entry = snapshot.manifest?.runs.find((r) => r.run === run);
  if (!entry)
    throw new Error(`run ${run} has no files in the snapshot at ${snapshot.dir} (run npm run build, or runboard snapshot)`);
  return entry;
}

/** The run's files of one kind, as paths. */
export function runFiles(snapshot: BuildSnapshot, run: number, kind: "scalar" | "array" | "lod"): string[] {
  return manifestRun(snapshot, run)
    .files.filter((f) => f.kind === kind)
    .map((f) => join(snapshot.dir, f.path));
}

/** Every flag on the run (withdrawn ones too), as the server last wrote them; none without a server. */
export function runFlags(snapshot: BuildSnapshot, run: number): RunFlag[] {
  const file = join(snapshot.dir, "flags", `${run}.json`);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, "utf8")) as { flags: RunFlag[] }).flags;
}

/**
 * A Parquet file (ZSTD) of a query over `files` (bound as `$files`), as bytes for a loader's
 * standard output. With no files, `empty` (a SELECT of the columns with no rows) is written.
 */
export async function parquetOf(select: string, files: string[], empty: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "runboard-loader-"));
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    const out = join(dir, "out.parquet");
    const query = files.length > 0 ? select : empty;
    await db.run(
      `COPY (${query}) TO '${out.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
      {
        ...(files.length > 0 ? { files: listValue(files) } : {}),
      },
      files.length > 0 ? { files: LIST(VARCHAR) } : undefined,
    );
    return readFileSync(out);
  } finally {
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a per-run loader does: the query over this run's files of `kind` (its `--run=<id>`, from
 * this build's snapshot) as Parquet on standard output; `empty` when the run has no such files.
 */
export async function writeRunParquet(kind: "scalar" | "array", select: string, empty: string): Promise<void> {
  const files = runFiles(readBuildSnapshot(), runParam(), kind);
  process.stdout.write(await parquetOf(select, files, empty));
}

/** The `--run=<id>` a parameterized loader is given (Framework passes each param so). */
export function runParam(argv: readonly string[] = process.argv.slice(2)): number {
  const given = argv.find((a) => a.startsWith("--run="))?.slice("--run=".length) ?? argv[argv.indexOf("--run") + 1];
  const run = Number(given);
  if (!Number.isInteger(run) || run < 0) throw new Error(`a run id as --run=<id>; got ${JSON.stringify(given)}`);
  return run;
}

/** Time buckets a report's chart gets per observable. */
export const REPORT_BUCKETS = 400;

/**
 * Per scalar observable over a run (all channels): readings, channels, min, mean, max, and the
 * newest reading (of the lowest channel at that time), from the run's scalar files.
 */
export const SUMMARY_SQL = `
  WITH lasts AS (SELECT observable, value AS last, t AS last_time FROM read_parquet($files)
                 QUALIFY row_number() OVER (PARTITION BY observable ORDER BY t DESC, channel) = 1)
  SELECT observable, count(DISTINCT channel)::INTEGER AS channels, count(*)::BIGINT AS readings,
         min(value) AS min, avg(value) AS mean, max(value) AS max,
         any_value(lasts.last) AS last, any_value(lasts.last_time) AS last_time
    FROM read_parquet($files) JOIN lasts USING (observable) GROUP BY observable ORDER BY observable`;

export const EMPTY_SUMMARY_SQL = `SELECT ''::VARCHAR AS observable, 0::INTEGER AS channels, 0::BIGINT AS readings,
  0::DOUBLE AS min, 0::DOUBLE AS mean, 0::DOUBLE AS max, 0::DOUBLE AS last, now()::TIMESTAMP AS last_time LIMIT 0`;

/** Each scalar observable in REPORT_BUCKETS time buckets: mean, min and max across its channels. */
export const SERIES_SQL = `
  WITH span AS (SELECT observable, epoch_ms(min(t)) AS t0, greatest(epoch_ms(max(t)) - epoch_ms(min(t)), 1) AS width
                  FROM read_parquet($files) GROUP BY observable)
  SELECT s.observable, min(s.t) AS t, avg(s.value) AS mean, min(s.value) AS min, max(s.value) AS max
    FROM read_parquet($files) s JOIN span USING (observable)
   GROUP BY s.observable, least(floor((epoch_ms(s.t) - span.t0) * ${REPORT_BUCKETS} / span.width), ${REPORT_BUCKETS - 1})
   ORDER BY s.observable, t`;

export const EMPTY_SERIES_SQL = `SELECT ''::VARCHAR AS observable, now()::TIMESTAMP AS t, 0::DOUBLE AS mean,
  0::DOUBLE AS min, 0::DOUBLE AS max LIMIT 0`;
