// `runboard publish`: brings the chosen runs' snapshot up to date (through `runboard snapshot`,
// or the running server), then writes the review folder (loaders/publish.ts).
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Dashboard } from "../src/core/dashboard.js";
import type { ReviewManifest } from "../src/core/review.js";
import { parseSelection } from "../src/core/time-window.js";
import { loadConfig, snapshotDirFor } from "../loaders/config.js";
import { dataDirFromEnv, projectRoot } from "../loaders/paths.js";
import { PublishError, publishReview } from "../loaders/publish.js";
import { type RunningServerRecord, findRunningServer, ingestTokenFor } from "../loaders/running-server.js";

export const PUBLISH_USAGE = `Usage: runboard publish --runs <which> --out <dir> [options]

Writes a frozen folder for a review: the chosen runs' Parquet snapshots (with their
level-of-detail tables), the catalog, the runs' flags and notes, the chosen dashboards, the
built site's pages when it is built (npm run build), and review.json, which says where it all
came from (source, queries, row counts, content hashes, runboard version, dashboard revisions).
The same runs published twice from unchanged data give byte-identical data files.

Options:
  --runs <which>       Which runs, as for runboard snapshot --select: run:1003, runs:1000-1010,
                       latest, last:6h, window:<from>/<to>, night, night:2026-03-10
  --out <dir>          The folder to write (emptied first if it holds an earlier review)
  --dashboard <d>      A dashboard to include: a saved one's id (read from the running server)
                       or an exported .json file; repeat for more
  --page <file.md>     A notebook under src/ to include, drawn in the review from its runs
                       (the site must be built); repeat for more. Without a --page the
                       review's site has the Overview, the Runs page and the dashboards
  --title <text>       The review's title (default: "Review of <runs>")
  --max-size <MB>      Refuse a review bigger than this, naming its biggest parts
  --config <file>      Config file (default: RUNBOARD_CONFIG, else ./runboard.config.json)
  --skip-missing       Publish without selected runs that have no snapshot (a snapshot of
                       them failed); they are listed in the review. Without it, such a run
                       fails the review, with the reason.
  --utc-offset <min>   The site's offset from UTC in minutes, for nights (default 0)
  -h, --help           Show this help

Exit status: 0 when written, 1 when the review could not be made (no such runs, too big),
2 for a bad command line.
`;

export function parsePublishArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      runs: { type: "string" },
      out: { type: "string" },
      dashboard: { type: "string", multiple: true },
      page: { type: "string", multiple: true },
      title: { type: "string" },
      "max-size": { type: "string" },
      "skip-missing": { type: "boolean" },
      config: { type: "string" },
      "utc-offset": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type PublishArgs = ReturnType<typeof parsePublishArgs>["values"];

/** What the command line asks for, checked; or the usage error to print. */
function checkArgs(v: PublishArgs): { utcOffsetMinutes: number; maxMb: number | undefined } | string {
  if (!v.runs) return "--runs is required";
  if (!v.out) return "--out is required";
  const utcOffsetMinutes = v["utc-offset"] === undefined ? 0 : Number(v["utc-offset"]);
  if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 840)
    return "--utc-offset: whole minutes between -840 and 840";
  try {
    parseSelection(v.runs, { utcOffsetMinutes });
  } catch (error) {
    return `--runs: ${(error as Error).message}`;
  }
  const maxMb = v["max-size"] === undefined ? undefined : Number(v["max-size"]);
  if (maxMb !== undefined && !(maxMb > 0)) return "--max-size: a size in MB, e.g. 200";
  return { utcOffsetMinutes, maxMb };
}

/** The command line: brings the snapshot up to date (via `snapshot`), then publishes from it. */
export async function publishCommand(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
  snapshot: (argv: string[]) => Promise<number>,
): Promise<number> {
  let args: ReturnType<typeof parsePublishArgs>;
  try {
    args = parsePublishArgs(argv);
  } catch (error) {
    err(`runboard publish: ${(error as Error).message}\n\n${PUBLISH_USAGE}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    out(PUBLISH_USAGE);
    return 0;
  }
  const checked = checkArgs(v);
  if (typeof checked === "string") return (err(`runboard publish: ${checked}\n\n${PUBLISH_USAGE}`), 2);
  // The chosen runs, up to date in the snapshot directory (by the running server if one runs).
  const refreshed = await snapshot([
    ...["--select", v.runs!, "--quiet", "--utc-offset", String(checked.utcOffsetMinutes)],
    ...(v.config ? ["--config", v.config] : []),
  ]);
  if (refreshed === 2) return 2;
  try {
    report(await publish(v, checked), v.out!, out);
    return 0;
  } catch (error) {
    if (error instanceof PublishError) {
      err(`runboard publish: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** Writes the review from the snapshot directory the server (or the config) uses. */
function publish(v: PublishArgs, checked: { utcOffsetMinutes: number; maxMb: number | undefined }): Promise<ReviewManifest> {
  const server = findRunningServer(dataDirFromEnv());
  const config = loadConfig(v.config ?? process.env.RUNBOARD_CONFIG);
  const snapshotDir = server ? server.snapshotDir : snapshotDirFor(config);
  const siteDir = join(projectRoot, "dist");
  return publishReview({
    runs: v.runs!,
    out: isAbsolute(v.out!) ? v.out! : resolve(process.cwd(), v.out!),
    dashboards: v.dashboard ?? [],
    pages: v.page ?? [],
    title: v.title,
    maxBytes: checked.maxMb === undefined ? undefined : checked.maxMb * 1e6,
    utcOffsetMinutes: checked.utcOffsetMinutes,
    skipMissing: v["skip-missing"] === true,
    snapshotDir,
    siteDir: existsSync(join(siteDir, "index.html")) ? siteDir : undefined,
    fetchDashboard: (id) => fetchDashboard(server, id),
  });
}

/** A saved dashboard, read from the server that runs on this data directory. */
async function fetchDashboard(
  server: RunningServerRecord | undefined,
  id: string,
): Promise<{ id: string; revision: number; dashboard: Dashboard }> {
  if (!server)
    throw new PublishError(
      `--dashboard ${id}: no runboard server runs on this data directory to read it from; pass an exported .json file`,
    );
  const token = ingestTokenFor(dataDirFromEnv());
  const response = await fetch(new URL(`/api/dashboards/${encodeURIComponent(id)}`, server.url), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new PublishError(`--dashboard ${id}: ${body.error ?? response.statusText}`);
  return body as { id: string; revision: number; dashboard: Dashboard };
}

function report(review: ReviewManifest, outDir: string, out: (line: string) => void): void {
  const mb = (review.totalBytes / 1e6).toFixed(1);
  out(
    `published ${review.runs.length} run(s) (${review.runs.map((r) => r.run).join(", ")}), ${review.dashboards.length} dashboard(s), ` +
      `${review.pages.length} page(s), ${mb} MB into ${resolve(outDir)}`,
  );
  for (const m of review.skipped ?? []) out(`left out run ${m.run}: no snapshot of it could be written (${m.message})`);
  for (const m of review.stale ?? []) out(`run ${m.run} is older than its source: its last rewrite failed (${m.message})`);
  if (!existsSync(join(projectRoot, "dist", "index.html")))
    out("the site is not built (npm run build): the folder holds the data and review.json only");
}
