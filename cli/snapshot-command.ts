// `runboard snapshot`: Parquet snapshots of runs from the configured source, written here or,
// when a server runs on this data directory, by that server.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseSelection } from "../src/core/time-window.js";
import { ConfigError, type RunboardConfig, loadConfig, snapshotDirFor } from "../loaders/config.js";
import { ManifestError } from "../src/core/manifest.js";
import { SnapshotError, takeSnapshot } from "../loaders/snapshot/take-snapshot.js";
import { StoreLockedError } from "../loaders/store/embedded-store.js";
import { dataDirFromEnv } from "../loaders/paths.js";
import { type RunningServerRecord, findRunningServer, ingestTokenFor } from "../loaders/running-server.js";
import { openSource } from "../loaders/sources/open-source.js";
import { SourceError } from "../loaders/sources/source.js";
import { seedIfEmpty } from "../server/simulator/seed.js";

const SNAPSHOT_USAGE = `Usage: runboard snapshot [options]

Reads runs from the source in the config file (PostgreSQL, MongoDB or the embedded store)
and writes one Parquet file per run (ZSTD), level-of-detail tables, catalog.json and
manifest.json into the snapshot directory. Only runs that changed since the last snapshot
are rewritten.

Options:
  --config <file>    Config file (default: RUNBOARD_CONFIG, else ./runboard.config.json;
                     without one, the embedded store in RUNBOARD_DATA_DIR or ./var)
  --select <which>   Which runs (default: the config's snapshot.select, else last:7d):
                       run:1003             one run
                       runs:1000-1010       a range of run numbers
                       latest               the newest run
                       last:6h              runs in the last 6 hours (s, m, h, d)
                       window:<from>/<to>   runs overlapping two ISO times
                       night[:2026-03-10]   the observing night (12:00 to 12:00); an empty
                                            night falls back to the last one with data
  --out <dir>        Snapshot directory (default: RUNBOARD_SNAPSHOT_DIR, else the config's
                     snapshot.out, else snapshots/ in the data directory)
  --force [<which>]  Re-fetch even unchanged runs: all selected ones, or those matching
                     <which> (same forms as --select)
  --lod <seconds>    Level-of-detail bucket widths, comma separated (default 10,60,600);
                     "none" turns them off
  --utc-offset <min> The site's offset from UTC in minutes, for night windows (default 0)
  --seed-empty-store Fill an empty embedded store with two hours of the built-in simulator
                     first (what \`npm run build\` does for a fresh checkout); with a server
                     running on the store, has it refresh its own snapshots instead
  --quiet            Print only errors and the summary line
  -h, --help         Show this help

Exit status: 0 when every selected run was written or unchanged, 1 when some run failed
(its previous files are kept), 2 for a bad command line, config or source.
`;

export async function snapshotCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let args: ReturnType<typeof parseSnapshotArgs>;
  try {
    args = parseSnapshotArgs(argv);
  } catch (error) {
    err(`runboard snapshot: ${(error as Error).message}\n\n${SNAPSHOT_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    out(SNAPSHOT_USAGE);
    return 0;
  }
  try {
    const config = loadConfig(args.values.config ?? process.env.RUNBOARD_CONFIG);
    const request = snapshotRequest(args.values, config);
    // A server running on this data directory owns its store and keeps its snapshot directory
    // fresh: ask it to do the work rather than trip over its lock.
    const server = findRunningServer(dataDirFromEnv());
    const sameDir = server !== undefined && resolve(server.snapshotDir) === resolve(request.dir);
    if (server && (config.source.kind === "embedded" || sameDir)) {
      return await byTheServer(server, sameDir, args.values, request, out, err);
    }
    return await snapshotHere(config, args.values, request, out, err);
  } catch (error) {
    return failure(error, err);
  }
}

type SnapshotArgs = ReturnType<typeof parseSnapshotArgs>["values"];

/** What the command line asks for, checked against the config. */
function snapshotRequest(v: SnapshotArgs, config: RunboardConfig) {
  const utcOffsetMinutes = v["utc-offset"] === undefined ? 0 : Number(v["utc-offset"]);
  if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 840) {
    throw new UsageError("--utc-offset: give whole minutes between -840 and 840, e.g. -300");
  }
  const selectText = v.select ?? config.snapshot.select;
  const selection = asUsage("--select", () => parseSelection(selectText, { utcOffsetMinutes }));
  const forceText = v.force;
  const force =
    forceText === undefined
      ? false
      : forceText === ""
        ? true
        : asUsage("--force", () => parseSelection(forceText, { utcOffsetMinutes }));
  const lodSeconds = v.lod === undefined ? config.snapshot.lodSeconds : parseLod(v.lod);
  const dir = v.out === undefined ? snapshotDirFor(config) : resolve(process.cwd(), v.out);
  return { utcOffsetMinutes, selectText, selection, forceText, force, lodSeconds, dir };
}

type SnapshotRequest = ReturnType<typeof snapshotRequest>;

/** The running server refreshes its own snapshot directory (writing elsewhere would need its store). */
function byTheServer(
  server: RunningServerRecord,
  sameDir: boolean,
  v: SnapshotArgs,
  request: SnapshotRequest,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  if (!sameDir && v.out !== undefined && v["seed-empty-store"]) {
    // The build's own step (npm run build) while runboard runs, as when writing a notebook:
    // the server answers /snapshots/ from its directory, so the build needs no copy of its own.
    out(
      `the server at ${server.url} (process ${server.pid}) serves its own snapshots (${server.snapshotDir}); ` +
        `refreshing those instead of writing ${request.dir}`,
    );
  } else if (!sameDir && v.out !== undefined) {
    throw new UsageError(
      `the embedded store is in use by the server at ${server.url} (process ${server.pid}), which keeps ${server.snapshotDir} fresh; ` +
        `run without --out to have it refresh that, or stop it to write elsewhere`,
    );
  }
  const { selectText: select, forceText: force, utcOffsetMinutes } = request;
  return askServer(server, { select, force, utcOffsetMinutes }, out, err);
}

/** Opens the configured source and writes the snapshot here. */
async function snapshotHere(
  config: RunboardConfig,
  v: SnapshotArgs,
  request: SnapshotRequest,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const log = v.quiet ? () => undefined : out;
  let source: Awaited<ReturnType<typeof openSource>>;
  try {
    source = await openSource(config, { log, seedEmptyStore: v["seed-empty-store"] ? (store) => seedIfEmpty(store) : undefined });
  } catch (error) {
    if (error instanceof StoreLockedError) throw new UsageError(error.message);
    throw error;
  }
  const started = Date.now();
  const { dir, selection, force, lodSeconds } = request;
  try {
    log(`snapshot of ${source.description} into ${dir}`);
    const result = await takeSnapshot(source, { out: dir, selection, force, lodSeconds, overrides: config.observables, log });
    const seconds = (Date.now() - started) / 1000;
    out(
      `${result.written.length} run(s) written, ${result.unchanged.length} unchanged, ${result.failed.length} failed; ` +
        `${result.rows} readings in ${seconds.toFixed(1)} s; manifest ${resolve(dir, "manifest.json")}`,
    );
    for (const f of result.failed) err(`run ${f.run}: ${f.message}`);
    return result.failed.length > 0 ? 1 : 0;
  } finally {
    await source.close();
  }
}

/** The exit status for what stopped the command: 2 for the command line, config or source, 1 for the snapshot. */
function failure(error: unknown, err: (line: string) => void): number {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof SourceError) {
    err(`runboard snapshot: ${error.message}`);
    return 2;
  }
  if (error instanceof SnapshotError || error instanceof ManifestError) {
    err(`runboard snapshot: ${error.message}`);
    return 1;
  }
  throw error;
}

class UsageError extends Error {}

/** `runboard snapshot` done by the running server (POST /api/snapshots/refresh), same summary and exit status. */
async function askServer(
  server: RunningServerRecord,
  request: { select: string; force: string | undefined; utcOffsetMinutes: number },
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const token = ingestTokenFor(dataDirFromEnv());
  if (!token)
    throw new UsageError(`a server runs at ${server.url}, but no ingest token was found to ask it (set RUNBOARD_INGEST_TOKEN)`);
  out(
    `a runboard server runs on this data directory (${server.url}, process ${server.pid}): asking it to refresh ${server.snapshotDir}`,
  );
  // `--force <which>` rewrites those runs, then the selection is brought up to date as usual.
  const steps =
    request.force === undefined
      ? [{ select: request.select, force: false }]
      : request.force === ""
        ? [{ select: request.select, force: true }]
        : [
            { select: request.force, force: true },
            { select: request.select, force: false },
          ];
  let status = 0;
  for (const step of steps) {
    const response = await fetch(new URL("/api/snapshots/refresh", server.url), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...step, utcOffsetMinutes: request.utcOffsetMinutes }),
    }).catch((error: unknown) => {
      throw new SnapshotError(`the server at ${server.url} did not answer: ${(error as Error).message}`);
    });
    const body = (await response.json().catch(() => ({}))) as {
      error?: string;
      written?: number[];
      unchanged?: number[];
      failed?: { run: number | null; message: string }[];
      rows?: number;
      seconds?: number;
    };
    if (!response.ok) throw new SnapshotError(`the server at ${server.url} refused: ${body.error ?? response.statusText}`);
    const failed = body.failed ?? [];
    out(
      `${body.written?.length ?? 0} run(s) written, ${body.unchanged?.length ?? 0} unchanged, ${failed.length} failed; ` +
        `${body.rows ?? 0} readings in ${(body.seconds ?? 0).toFixed(1)} s; by the server at ${server.url}`,
    );
    for (const f of failed) err(`run ${f.run}: ${f.message}`);
    if (failed.length > 0) status = 1;
  }
  return status;
}

function asUsage<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${option}: ${(error as Error).message}`);
  }
}

function parseSnapshotArgs(argv: string[]) {
  // --force takes an optional value: "--force" alone means every selected run.
  const normalized = argv.flatMap((a, i) =>
    a === "--force" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("--")) ? ["--force="] : [a],
  );
  return parseArgs({
    args: normalized,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: "string" },
      select: { type: "string" },
      out: { type: "string" },
      force: { type: "string" },
      lod: { type: "string" },
      "utc-offset": { type: "string" },
      quiet: { type: "boolean" },
      "seed-empty-store": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function parseLod(text: string): number[] {
  if (text === "none" || text === "") return [];
  const levels = text.split(",").map((s) => Number(s.trim()));
  if (levels.some((n) => !Number.isInteger(n) || n < 1 || n > 86_400)) {
    throw new UsageError(`--lod: ${JSON.stringify(text)}: give whole seconds between 1 and 86400, comma separated, or none`);
  }
  return levels;
}
