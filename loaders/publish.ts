// `runboard publish`: a frozen folder for a review. The chosen runs' Parquet files (with their
// level-of-detail tables) are brought up to date in the snapshot directory first (by the running
// server, or directly), then copied as they are, byte for byte, with the catalog, the runs'
// flags, the chosen dashboards and review.json (provenance: src/core/review.ts). Copying the
// content-addressed files means the same selection published twice from unchanged data gives
// identical data files, so reviews can be diffed and archived.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { FAVICON_LINK, REVIEW_MARKER } from "../src/components/site-mode.js";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Dashboard, parseDashboard } from "../src/core/dashboard.js";
import { type Manifest, parseManifest } from "../src/core/manifest.js";
import type { RunFlag } from "../src/core/flags.js";
import {
  REVIEW_FORMAT,
  REVIEW_VERSION,
  type ReviewManifest,
  checkReviewSize,
  chooseRuns,
  reviewSnapshotManifest,
} from "../src/core/review.js";
import { describeRunIds, parseSelection } from "../src/core/time-window.js";
import { describeErrors } from "../src/core/validation.js";
import { REVIEW_OVERVIEW, reviewSiteEntries } from "./review-site.js";
import type { ArchiveEntry } from "./tar.js";
import { projectRoot } from "./paths.js";

export class PublishError extends Error {}
/** Selected runs have no snapshot, and the asker did not say to leave them out. */
export class MissingRunsError extends PublishError {}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

export interface PublishOptions {
  runs: string;
  out: string;
  dashboards: string[];
  pages: string[];
  title?: string;
  maxBytes?: number;
  utcOffsetMinutes: number;
  /** Publish without the selected runs that have no snapshot (they are listed in the review). */
  skipMissing?: boolean;
  /** The snapshot directory to publish from (brought up to date by the caller). */
  snapshotDir: string;
  /** Reads a saved dashboard by id (from the running server). */
  fetchDashboard: (id: string) => Promise<{ id: string; revision: number; dashboard: Dashboard }>;
  /** The built site to copy (dist/), if any. */
  siteDir?: string;
  now?: number;
}

/** A review before it is written: its review.json, and every file it holds (read or made). */
export interface ReviewPlan {
  review: ReviewManifest;
  entries: ArchiveEntry[];
}

/** Writes the review folder; returns its review.json. */
export async function publishReview(options: PublishOptions): Promise<ReviewManifest> {
  const plan = await planReview(options);
  writeReviewFolder(plan, options.out);
  return plan.review;
}

/**
 * What a review holds, read and checked but not written: the folder of `runboard publish` and
 * the server's archive (tar.ts) are both made from it.
 */
export async function planReview(options: PublishOptions): Promise<ReviewPlan> {
  const { manifest, runs, missing, stale } = reviewedRuns(options);
  const dashboards = await chosenDashboards(options);
  const pages = options.pages.map((page) => {
    if (!existsSync(page)) throw new PublishError(`--page ${page}: no such file`);
    return { path: page, text: readFileSync(page, "utf8"), site: builtPage(page, options.siteDir) };
  });
  // The notebooks chosen, and the report page of each run of the review the build wrote.
  const reports = options.siteDir
    ? runs.map((r) => `runs/${r.run}.html`).filter((p) => existsSync(join(options.siteDir!, p)))
    : [];
  const chosenSites = [...pages.flatMap((p) => (p.site ? [p.site] : [])), ...reports];
  const reviewed = reviewSnapshotManifest(manifest, runs, sha256);
  const site = options.siteDir ? reviewSiteEntries(options.siteDir, chosenSites, Date.parse(reviewed.updatedAt)) : [];
  // What goes in, and how big it is, before anything is read.
  const siteBytes = site.reduce((n, e) => n + entryBytes(e), 0);
  checkSize(options, runs, siteBytes);

  const dataFiles = runs.flatMap((r) => r.files.map((f) => ({ run: r.run, ...f })));
  const files = new ReviewFiles();
  const chosen = new Set(runs.map((r) => r.run));
  const flags = files.snapshotFiles(options.snapshotDir, manifest, reviewed, chosen);
  const dashboardEntries = dashboards.map((d) => ({
    ...files.write(`dashboards/${d.name}.json`, `${JSON.stringify(d.dashboard, null, 2)}\n`),
    id: d.id,
    revision: d.revision,
    title: d.dashboard.title,
  }));
  const pageEntries = pages.map((p) => ({
    ...files.write(`pages-source/${basename(p.path)}`, p.text),
    title: /^title:\s*(.+)$/m.exec(p.text)?.[1]?.trim() ?? basename(p.path, ".md"),
    ...(p.site ? { site: p.site } : {}),
  }));
  const review: ReviewManifest = {
    format: REVIEW_FORMAT,
    version: REVIEW_VERSION,
    title: options.title ?? `Review of ${options.runs}`,
    publishedAt: new Date(options.now ?? Date.now()).toISOString(),
    runboardVersion: (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string }).version,
    source: manifest.source,
    selection: options.runs,
    dataTakenAt: reviewed.updatedAt,
    runs: runs.map(reviewRun),
    dashboards: dashboardEntries,
    pages: pageEntries,
    files: files.written.filter((w) => w.path.startsWith("snapshots/")),
    totalBytes: dataFiles.reduce((n, f) => n + f.bytes, 0) + files.written.reduce((n, w) => n + w.bytes, 0) + siteBytes,
    ...(missing.length > 0 ? { skipped: missing } : {}),
    ...(stale.length > 0 ? { stale } : {}),
  };
  const flagged = new Map(flags.filter((f) => f.withdrawn === null).map((f) => [f.run, f]));
  const names = dashboards.map((d) => d.name);
  const entries: ArchiveEntry[] = [
    ...site,
    ...dataFiles.map((f) => dataEntry(options.snapshotDir, f)),
    ...files.entries,
    { path: "review.json", text: `${JSON.stringify(review, null, 2)}\n` },
    { path: "index.html", text: frontPage(review, names, (run) => flagged.get(run), !!options.siteDir) },
  ];
  return { review, entries };
}

const entryBytes = (e: ArchiveEntry) => ("text" in e ? Buffer.byteLength(e.text) : e.bytes);

/** A run's Parquet file as the review carries it: as it is, byte for byte, checked against its hash. */
function dataEntry(snapshotDir: string, f: { path: string; bytes: number; sha256: string }): ArchiveEntry {
  const file = join(snapshotDir, f.path);
  const mtimeMs = existsSync(file) ? statSync(file).mtimeMs : 0;
  return { path: `snapshots/${f.path}`, file, bytes: f.bytes, mtimeMs, sha256: f.sha256, compressed: true };
}

/** The review as a folder (emptied first if it holds an earlier one); a copy that does not match its hash is refused. */
function writeReviewFolder(plan: ReviewPlan, given: string): void {
  const out = emptiedOutput(given);
  for (const entry of plan.entries) {
    const to = join(out, entry.path);
    mkdirSync(dirname(to), { recursive: true });
    if ("text" in entry) writeFileSync(to, entry.text);
    else {
      copyFileSync(entry.file, to);
      if (entry.sha256 && sha256(readFileSync(to)) !== entry.sha256)
        throw new PublishError(`${entry.path.replace(/^snapshots\//, "")} changed while it was copied; publish again`);
    }
  }
}

/** The snapshot's runs the review's selection names; missing ones refuse it unless it skips them. */
function reviewedRuns(options: PublishOptions) {
  const selection = parseSelection(options.runs, { utcOffsetMinutes: options.utcOffsetMinutes });
  const manifestPath = join(options.snapshotDir, "manifest.json");
  if (!existsSync(manifestPath)) throw new PublishError(`no snapshot in ${options.snapshotDir} (no manifest.json)`);
  const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, "utf8")), manifestPath);
  const { runs, missing, stale } = chooseRuns(manifest, selection, options.now ?? Date.now());
  if (missing.length > 0 && !options.skipMissing) {
    const named = missing.map((m) => `run ${m.run}: ${m.message}`).join("; ");
    throw new MissingRunsError(
      `${missing.length} selected run(s) have no snapshot, so the review would leave them out (${named}); ` +
        "publish again with --skip-missing (skipMissing: true) to leave them out and list them in the review",
    );
  }
  if (runs.length === 0) throw new PublishError(`no run of the snapshot of ${manifest.source} matches ${options.runs}`);
  return { manifest, runs, missing, stale };
}
type ReviewedRun = ReturnType<typeof reviewedRuns>["runs"][number];

/** The dashboards asked for: exported .json files, or saved ones read from the server; each checked like any saved one. */
async function chosenDashboards(options: PublishOptions) {
  const dashboards: { id: string | null; revision: number | null; dashboard: Dashboard; name: string }[] = [];
  for (const given of options.dashboards) {
    if (given.endsWith(".json") || existsSync(given)) {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(given, "utf8"));
      } catch (error) {
        throw new PublishError(`--dashboard ${given}: ${(error as Error).message}`);
      }
      const parsed = parseDashboard(doc);
      if (!parsed.ok) throw new PublishError(`--dashboard ${given}: ${describeErrors(parsed.errors)}`);
      const name = basename(given, ".json").replace(/[^A-Za-z0-9_-]/g, "-");
      dashboards.push({ id: null, revision: null, dashboard: parsed.value, name });
    } else {
      const record = await options.fetchDashboard(given);
      dashboards.push({ id: record.id, revision: record.revision, dashboard: record.dashboard, name: record.id });
    }
  }
  return dashboards;
}

function checkSize(options: PublishOptions, runs: readonly ReviewedRun[], siteBytes: number): void {
  if (options.maxBytes === undefined) return;
  const refusal = checkReviewSize(
    [
      ...runs.map((r) => ({ name: `run ${r.run}`, bytes: r.files.reduce((n, f) => n + f.bytes, 0) })),
      ...(siteBytes ? [{ name: "the site's pages and scripts", bytes: siteBytes }] : []),
    ],
    options.maxBytes,
  );
  if (refusal) throw new PublishError(refusal);
}

/** The output folder, emptied if it holds an earlier review; any other folder with files is refused. */
function emptiedOutput(given: string): string {
  const out = resolve(given);
  if (existsSync(out)) {
    const present = readdirSync(out);
    if (present.length > 0 && !present.includes("review.json"))
      throw new PublishError(`${out} is not empty and holds no earlier review: give an empty or new folder`);
    rmSync(out, { recursive: true, force: true });
  }
  return out;
}

const reviewRun = (r: ReviewedRun) => ({
  run: r.run,
  status: r.status,
  start: r.start,
  stop: r.stop,
  query: r.query,
  rows: r.rows,
  files: r.files.map((f) => ({ kind: f.kind, path: `snapshots/${f.path}`, rows: f.rows, bytes: f.bytes, sha256: f.sha256 })),
});

/** The review's own files (beside the copied data), each listed with its size and hash. */
class ReviewFiles {
  readonly written: { path: string; bytes: number; sha256: string }[] = [];
  readonly entries: ArchiveEntry[] = [];

  write(path: string, text: string): { path: string; bytes: number; sha256: string } {
    this.entries.push({ path, text });
    const entry = { path, bytes: Buffer.byteLength(text), sha256: sha256(text) };
    this.written.push(entry);
    return entry;
  }

  /** The snapshot's catalog (with only the chosen runs: a review shows no other), its manifest and flags; returns the flags. */
  snapshotFiles(snapshotDir: string, manifest: Manifest, reviewed: Manifest, chosen: ReadonlySet<number>): RunFlag[] {
    const catalog = join(snapshotDir, manifest.catalog);
    if (existsSync(catalog)) {
      const doc = JSON.parse(readFileSync(catalog, "utf8")) as { runs?: { id: number }[] };
      if (Array.isArray(doc.runs)) doc.runs = doc.runs.filter((r) => chosen.has(r.id));
      this.write(`snapshots/${manifest.catalog}`, `${JSON.stringify(doc, null, 1)}\n`);
    }
    this.write("snapshots/manifest.json", `${JSON.stringify(reviewed, null, 1)}\n`);
    const flags = chosenRunsFlags(snapshotDir, chosen);
    this.write("snapshots/flags.json", `${JSON.stringify({ version: 1, flags }, null, 1)}\n`);
    return flags;
  }
}

/**
 * Where a --page notebook is in the built site ("pages/notebooks/gain-scan.html"), or undefined
 * when no site goes with the review (its source is still published). A notebook has to be one of
 * the project's pages (under src/), built with the site, to be drawn in the review.
 */
function builtPage(page: string, siteDir: string | undefined): string | undefined {
  if (!siteDir) return undefined;
  const rel = relative(join(projectRoot, "src"), resolve(page));
  if (rel.startsWith("..") || isAbsolute(rel) || !rel.endsWith(".md"))
    throw new PublishError(`--page ${page}: not a page of this project (a .md file under ${join(projectRoot, "src")})`);
  const built = rel.split(sep).join("/").replace(/\.md$/, ".html");
  if (!existsSync(join(siteDir, built)))
    throw new PublishError(`--page ${page}: not in the built site (${siteDir} has no ${built}); run npm run build`);
  return built === "index.html" ? REVIEW_OVERVIEW : built;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The review's front page: what is inside, where it came from, and that it is not live. Plain HTML, no script. */
export function frontPage(
  review: ReviewManifest,
  dashboardFiles: readonly string[],
  flagOf: (run: number) => RunFlag | undefined,
  withSite: boolean,
): string {
  const e = escapeHtml;
  const range = describeRunIds(review.runs.map((r) => r.run));
  const when = (t: number | null) => (t === null ? "—" : new Date(t).toISOString().replace(".000Z", "Z"));
  const dashboards = review.dashboards
    .map((d, i) =>
      withSite
        ? `<li><a href="pages/dashboard.html?id=${encodeURIComponent(dashboardFiles[i]!)}">${e(d.title)}</a>${d.revision ? ` (revision ${d.revision})` : ""}</li>`
        : `<li>${e(d.title)}: <a href="${e(d.path)}">${e(d.path)}</a></li>`,
    )
    .join("\n");
  const runs = review.runs
    .map((r) => {
      const flag = flagOf(r.run);
      const rows = r.rows.scalar + r.rows.array;
      return `<tr><td>${r.run}</td><td>${e(r.status)}</td><td>${when(r.start)}</td><td>${when(r.stop)}</td><td>${rows}</td><td>${flag ? `${e(flag.verdict)}: ${e(flag.note)}` : ""}</td></tr>`;
    })
    .join("\n");
  const pages = withSite
    ? `<h2>Pages</h2>\n<ul><li><a href="overview.html">Overview</a></li><li><a href="pages/runs.html">Runs</a></li>${review.pages.map((p) => `<li>${p.site ? `<a href="${e(p.site)}">${e(p.title)}</a>` : e(p.title)}</li>`).join("")}</ul>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
${REVIEW_MARKER}
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${FAVICON_LINK}
<title>${e(review.title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1e23; }
.stamp { padding: 0.5rem 0.75rem; border-left: 4px solid #b45309; background: #fef3c7; }
table { border-collapse: collapse; font-size: 0.9rem; } td, th { padding: 0.2rem 0.6rem; border-bottom: 1px solid #ddd; text-align: left; }
code { font-size: 0.85rem; }
</style>
</head>
<body>
<h1>${e(review.title)}</h1>
<p class="stamp">Published ${e(review.publishedAt.slice(0, 10))} from <code>${e(review.source)}</code>; ${range}; not live.
The data was taken ${e(review.dataTakenAt)}.</p>
<h2>Dashboards</h2>
${dashboards ? `<ul>\n${dashboards}\n</ul>` : "<p>None.</p>"}
${pages}
<h2>Runs</h2>
${problems(review)}
<table><thead><tr><th>Run</th><th>Status</th><th>Start</th><th>Stop</th><th>Readings</th><th>Flag</th></tr></thead>
<tbody>
${runs}
</tbody></table>
<p>Where it came from: <a href="review.json">review.json</a> (the queries, row counts and content hashes of every file,
runboard ${e(review.runboardVersion)}).</p>
</body>
</html>
`;
}

/**
 * The flags of the chosen runs: from each run's own file (flags/<run>.json) where the server
 * wrote one, else from flags.json (which holds only the newest flags once there are many).
 */
function chosenRunsFlags(snapshotDir: string, chosen: ReadonlySet<number>): RunFlag[] {
  const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as { flags?: RunFlag[] };
  const index = join(snapshotDir, "flags.json");
  const inline = existsSync(index) ? (read(index).flags ?? []) : [];
  return [...chosen]
    .sort((a, b) => a - b)
    .flatMap((run) => {
      const own = join(snapshotDir, "flags", `${run}.json`);
      return existsSync(own) ? (read(own).flags ?? []) : inline.filter((f) => f.run === run);
    });
}

/** The front page's warning about runs left out or older than their source, if any. */
function problems(review: ReviewManifest): string {
  const e = escapeHtml;
  const list = (items: { run: number; message: string }[]) => items.map((p) => `<li>run ${p.run}: ${e(p.message)}</li>`).join("");
  const skipped = review.skipped?.length
    ? `<p class="stamp">Left out, because no snapshot of them could be written:</p><ul class="skipped">${list(review.skipped)}</ul>`
    : "";
  const stale = review.stale?.length
    ? `<p class="stamp">Older than their source (the last rewrite failed; the files are from before it):</p><ul class="stale">${list(review.stale)}</ul>`
    : "";
  return skipped + stale;
}
