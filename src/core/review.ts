// A published review: a frozen folder with the chosen runs' snapshot files, the dashboards and
// pages, and `review.json`, which says where everything came from (source, queries, row counts,
// content hashes, the runboard version, the dashboards' revisions). Pure: the CLI and the
// server's "Publish for review" assemble the folder; the front page reads the manifest back.
import { z } from "./z.js";
import type { Manifest, ManifestRun } from "./manifest.js";
import { type DataSelection, resolveSelection } from "./time-window.js";
import { parseWith, describeErrors } from "./validation.js";

export const REVIEW_FORMAT = "runboard-review";
export const REVIEW_VERSION = 1;

const hashed = z
  .object({ path: z.string().min(1), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();

export const reviewManifestSchema = z
  .object({
    format: z.literal(REVIEW_FORMAT),
    version: z.literal(REVIEW_VERSION),
    title: z.string(),
    publishedAt: z.string(),
    runboardVersion: z.string(),
    /** The snapshot's source, as its manifest names it. */
    source: z.string(),
    /** The selection as given (`runs:100-120`, `night:2026-11-23`). */
    selection: z.string(),
    /** When the snapshot's data was taken. */
    dataTakenAt: z.string(),
    runs: z.array(
      z
        .object({
          run: z.number().int(),
          status: z.string(),
          start: z.number(),
          stop: z.number().nullable(),
          /** The query the snapshot ran for this run, and what it read. */
          query: z.string(),
          rows: z.object({ scalar: z.number().int(), array: z.number().int() }).strict(),
          files: z.array(hashed.extend({ kind: z.string(), rows: z.number().int().min(0) }).strict()),
        })
        .strict(),
    ),
    dashboards: z.array(
      hashed.extend({ id: z.string().nullable(), revision: z.number().int().nullable(), title: z.string() }).strict(),
    ),
    /** The notebooks' sources (pages-source/), and where each is drawn in the review's site (when it has one). */
    pages: z.array(hashed.extend({ title: z.string(), site: z.string().optional() }).strict()),
    /** Other files: the catalog, the flags, the snapshot manifest. */
    files: z.array(hashed),
    /** Selected runs left out because no snapshot of them could be written (asked for with skipMissing). */
    skipped: z.array(z.object({ run: z.number().int(), message: z.string() }).strict()).optional(),
    /** Included runs whose last rewrite failed: their files are older than the source. */
    stale: z.array(z.object({ run: z.number().int(), message: z.string() }).strict()).optional(),
    totalBytes: z.number().int().min(0),
  })
  .strict();
export type ReviewManifest = z.infer<typeof reviewManifestSchema>;

export function parseReviewManifest(input: unknown): ReviewManifest {
  const parsed = parseWith(reviewManifestSchema, input);
  if (!parsed.ok) throw new Error(`review.json: ${describeErrors(parsed.errors)}`);
  return parsed.value;
}

/** A selected run a review cannot carry as it stands, and why. */
export interface RunProblem {
  run: number;
  message: string;
}

/**
 * The snapshot's runs a selection covers, in run order (empty when none), with the selected runs
 * that have no files (`missing`: the snapshot could not write them) and those whose files are
 * older than the source (`stale`: the last rewrite failed), each with the reason.
 */
export function chooseRuns(
  manifest: Manifest,
  selection: DataSelection,
  now: number,
): { runs: ManifestRun[]; missing: RunProblem[]; stale: RunProblem[] } {
  const written = new Set(manifest.runs.map((r) => r.run));
  const failed = manifest.errors.filter((e): e is typeof e & { run: number } => e.run !== null);
  const infos = [
    ...manifest.runs.map((r) => ({ id: r.run, start: r.start, stop: r.stop, status: r.status, meta: {} })),
    ...failed
      .filter((e) => !written.has(e.run))
      .map((e) => ({ id: e.run, start: e.start ?? 0, stop: e.stop ?? null, status: e.status ?? "stopped", meta: {} })),
  ];
  const resolved = resolveSelection(infos, selection, now);
  const chosen = new Set(resolved?.runs.map((r) => r.id) ?? []);
  const problem = (e: RunProblem) => ({ run: e.run, message: e.message });
  return {
    runs: manifest.runs.filter((r) => chosen.has(r.run)).sort((a, b) => a.run - b.run),
    missing: failed.filter((e) => chosen.has(e.run) && !written.has(e.run)).map(problem),
    stale: failed.filter((e) => chosen.has(e.run) && written.has(e.run)).map(problem),
  };
}

/**
 * The snapshot manifest of a review: only the chosen runs, not live (no seq to follow), dated
 * by when they were written, its content hash over what is left. `hash` is sha256 of a string (node:crypto in the CLI).
 */
export function reviewSnapshotManifest(
  manifest: Manifest,
  runs: readonly ManifestRun[],
  hash: (text: string) => string,
): Manifest {
  const kept = [...runs].sort((a, b) => a.run - b.run);
  // Dated by its runs, not by the last refresh: unchanged runs give the same manifest.
  const written = kept.map((r) => r.writtenAt).sort();
  return {
    ...manifest,
    createdAt: written[0] ?? manifest.createdAt,
    updatedAt: written.at(-1) ?? manifest.updatedAt,
    liveSeq: null,
    runs: kept,
    errors: [],
    contentHash: hash(kept.flatMap((r) => r.files.map((f) => f.sha256)).join("\n")),
  };
}

/** Refuses a review bigger than `maxBytes`, naming its biggest parts. */
export function checkReviewSize(parts: readonly { name: string; bytes: number }[], maxBytes: number): string | undefined {
  const total = parts.reduce((n, p) => n + p.bytes, 0);
  if (total <= maxBytes) return undefined;
  const biggest = [...parts].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
  const mb = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`);
  return (
    `the review would be ${mb(total)}, more than --max-size ${mb(maxBytes)}; the biggest parts: ` +
    `${biggest.map((p) => `${p.name} (${mb(p.bytes)})`).join(", ")}. Choose fewer runs, or raise --max-size`
  );
}
