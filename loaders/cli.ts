// The runboard command line. `runboard snapshot` writes Parquet snapshots from the configured
// source; the Framework loaders call the same takeSnapshot().
import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseSelection } from "../src/core/time-window.js";
import { ConfigError, connectionUrl, loadConfig } from "./config.js";
import { ManifestError } from "../src/core/manifest.js";
import { SnapshotError, takeSnapshot } from "./snapshot/take-snapshot.js";
import { StoreLockedError } from "../server/store/embedded-store.js";
import { dataDirFromEnv } from "./paths.js";
import { type RunningServerRecord, findRunningServer, ingestTokenFor } from "./running-server.js";
import { openSource } from "./sources/open-source.js";
import { SourceError } from "./sources/source.js";
import { usersCommand } from "./users-command.js";
import { publishCommand } from "./publish.js";

const USAGE = `Usage: runboard <command> [options]

Commands:
  snapshot    Write Parquet snapshots of runs from the configured source
  watch       Install (or remove) the PostgreSQL trigger that lets a server see new rows live
  users       Add, change, remove and list the users of RUNBOARD_AUTH=local (and proxy users' roles)
  publish     Write a frozen folder of chosen runs and dashboards for a review

Run "runboard <command> --help" for its options.
`;

const WATCH_USAGE = `Usage: runboard watch install|uninstall [--config <file>]

install    Adds a statement-level trigger to each table the config maps (and its runs
           table): every INSERT (and runs UPDATE) is queued in runboard_watch.changes and
           announced with NOTIFY. A server started with RUNBOARD_WATCH_CONFIG=<file> ingests
           the queue and deletes what it stored. Needs CREATE rights on the database and
           ownership of the tables (run it as the tables' owner).
uninstall  Drops those triggers and the runboard_watch schema (with anything still queued).

Options:
  --config <file>    Config file (default: RUNBOARD_CONFIG, else ./runboard.config.json);
                     its source must be PostgreSQL
  -h, --help         Show this help
`;

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
  --out <dir>        Snapshot directory (default: the config's snapshot.out, var/snapshots)
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

export async function main(argv: string[], out: (line: string) => void = console.log, err = console.error): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "watch") return watchCommand(rest, out, err);
  if (command === "users") return usersCommand(rest, out, err);
  // Publishing brings the chosen runs' snapshot up to date first, as `snapshot` does (quietly).
  if (command === "publish") return publishCommand(rest, out, err, (args) => snapshotCommand(args, () => undefined, err));
  if (command !== "snapshot") {
    err(`runboard: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  return snapshotCommand(rest, out, err);
}

async function watchCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    err(`runboard watch: ${(error as Error).message}\n\n${WATCH_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    out(WATCH_USAGE);
    return 0;
  }
  const [action, ...extra] = args.positionals;
  if ((action !== "install" && action !== "uninstall") || extra.length > 0) {
    err(`runboard watch: say install or uninstall\n\n${WATCH_USAGE}`);
    return 2;
  }
  const file = args.values.config ?? process.env.RUNBOARD_CONFIG ?? "runboard.config.json";
  try {
    const config = loadConfig(file);
    if (config.source.kind !== "postgres") {
      err(`runboard watch: source.kind: the trigger is for PostgreSQL sources; this config's source is ${config.source.kind}`);
      return 2;
    }
    const { installStatements, uninstallStatements } = await import("../server/watch/postgres-watch.js");
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: connectionUrl(config.source, "DATABASE_URL") });
    await client.connect();
    try {
      await client.query("BEGIN");
      const statements = action === "install" ? installStatements(config.source) : uninstallStatements(config.source);
      for (const sql of statements) await client.query(sql);
      await client.query("COMMIT");
    } finally {
      await client.end();
    }
    const tables = [...config.source.tables, ...(config.source.runs ? [config.source.runs] : [])];
    out(
      action === "install"
        ? `watching ${tables.map((t) => `${t.schema}.${t.table}`).join(", ")}: start the server with RUNBOARD_WATCH_CONFIG=${resolve(file)}`
        : `removed the runboard_watch triggers and queue`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      err(error.message);
      return 2;
    }
    err(`runboard watch ${action}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function snapshotCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
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
  const log = args.values.quiet ? () => undefined : out;
  try {
    const config = loadConfig(args.values.config ?? process.env.RUNBOARD_CONFIG);
    const utcOffsetMinutes = args.values["utc-offset"] === undefined ? 0 : Number(args.values["utc-offset"]);
    if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 840) {
      throw new UsageError("--utc-offset: give whole minutes between -840 and 840, e.g. -300");
    }
    const selectText = args.values.select ?? config.snapshot.select;
    const selection = asUsage("--select", () => parseSelection(selectText, { utcOffsetMinutes }));
    const forceText = args.values.force;
    const force =
      forceText === undefined
        ? false
        : forceText === ""
          ? true
          : asUsage("--force", () => parseSelection(forceText, { utcOffsetMinutes }));
    const lodSeconds = args.values.lod === undefined ? config.snapshot.lodSeconds : parseLod(args.values.lod);
    const outDir = args.values.out ?? config.snapshot.out;
    const dir = isAbsolute(outDir) ? outDir : resolve(args.values.out ? process.cwd() : config.baseDir, outDir);

    // A server running on this data directory owns its store and keeps its snapshot directory
    // fresh: ask it to do the work rather than trip over its lock.
    const server = findRunningServer(dataDirFromEnv());
    const embedded = config.source.kind === "embedded";
    const sameDir = server !== undefined && resolve(server.snapshotDir) === resolve(dir);
    if (server && (embedded || sameDir)) {
      if (!sameDir && args.values.out !== undefined && args.values["seed-empty-store"]) {
        // The build's own step (npm run build) while runboard runs, as when writing a notebook:
        // the server answers /snapshots/ from its directory, so the build needs no copy of its own.
        out(
          `the server at ${server.url} (process ${server.pid}) serves its own snapshots (${server.snapshotDir}); ` +
            `refreshing those instead of writing ${dir}`,
        );
      } else if (!sameDir && args.values.out !== undefined) {
        throw new UsageError(
          `the embedded store is in use by the server at ${server.url} (process ${server.pid}), which keeps ${server.snapshotDir} fresh; ` +
            `run without --out to have it refresh that, or stop it to write elsewhere`,
        );
      }
      return await askServer(server, { select: selectText, force: forceText, utcOffsetMinutes }, out, err);
    }

    let source: Awaited<ReturnType<typeof openSource>>;
    try {
      source = await openSource(config, { log, seedEmptyStore: args.values["seed-empty-store"] });
    } catch (error) {
      if (error instanceof StoreLockedError) throw new UsageError(error.message);
      throw error;
    }
    const started = Date.now();
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
  } catch (error) {
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
