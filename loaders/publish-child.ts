// "Publish for review" runs here, in a child process of the server: reading and hashing the
// runs' files and gzipping the archive took the server's event loop for up to 1.2 s and its
// memory from 420 MB to 1.2 GB. The child stays up between reviews (starting Node and its
// modules cost more CPU than a review) and keeps the site's deflated files (tar.ts's PartCache).
// The server sends each request over the IPC channel (the dashboards already read and checked
// for the asker); the child answers over it, then writes exactly `bytes` bytes of .tar.gz on
// its standard output. Nothing is written to disk: the archive is made from the files as it goes.
import { once } from "node:events";
import type { Dashboard } from "../src/core/dashboard.js";
import { MissingRunsError, PublishError, planReview } from "./publish.js";
import { SnapshotError } from "./snapshot/take-snapshot.js";
import { PartCache, planTarGz, tarGzBytes } from "./tar.js";

export interface PublishChildRequest {
  runs: string;
  title?: string;
  utcOffsetMinutes: number;
  skipMissing: boolean;
  snapshotDir: string;
  siteDir?: string;
  /** The chosen dashboards as stored, in the order asked. */
  dashboards: { id: string; revision: number; dashboard: Dashboard }[];
  /** The pace of the download (RUNBOARD_REVIEW_MB_PER_S). */
  bytesPerSecond: number;
}

export type PublishChildAnswer =
  | { ok: true; name: string; runs: number[]; bytes: number; archiveBytes: number }
  | { ok: false; kind: "missing" | "refused"; message: string };

/** What the child says over IPC: its answer before the archive, or that the archive broke off. */
export type PublishChildMessage = { type: "answer"; answer: PublishChildAnswer } | { type: "failed"; message: string };

/** The child leaves after this long without a review; the server starts another when one is asked for. */
const IDLE_EXIT_MS = 5 * 60_000;

const cache = new PartCache();
/** How much is written between two looks at the pace. */
const PACE_STEP = 1024 * 1024;

async function publish(request: PublishChildRequest): Promise<void> {
  const records = new Map(request.dashboards.map((d) => [d.id, d]));
  let plan;
  try {
    plan = await planReview({
      runs: request.runs,
      out: "",
      dashboards: request.dashboards.map((d) => d.id),
      pages: [],
      title: request.title,
      utcOffsetMinutes: request.utcOffsetMinutes,
      skipMissing: request.skipMissing,
      snapshotDir: request.snapshotDir,
      siteDir: request.siteDir,
      fetchDashboard: async (id) => {
        const record = records.get(id);
        if (!record) throw new PublishError(`dashboard ${id} is gone`);
        return record;
      },
    });
  } catch (error) {
    if (error instanceof MissingRunsError)
      return say({ type: "answer", answer: { ok: false, kind: "missing", message: error.message } });
    if (error instanceof PublishError || error instanceof SnapshotError)
      return say({ type: "answer", answer: { ok: false, kind: "refused", message: error.message } });
    throw error;
  }
  const { review } = plan;
  const name = `review-${review.publishedAt.slice(0, 10)}-${review.runs[0]!.run}-${review.runs.at(-1)!.run}`;
  const archive = planTarGz(plan.entries, name, cache);
  const runs = review.runs.map((r) => r.run);
  say({ type: "answer", answer: { ok: true, name, runs, bytes: review.totalBytes, archiveBytes: archive.bytes } });
  try {
    await sendPaced(tarGzBytes(archive), request.bytesPerSecond);
  } catch (error) {
    say({ type: "failed", message: (error as Error).message });
    process.exit(1);
  }
}

/**
 * Writes the archive on standard output no faster than `bytesPerSecond`, a megabyte at a time:
 * a review is background work, and every byte of it also passes through the server's event loop,
 * which ingest and live pages share.
 */
async function sendPaced(chunks: AsyncIterable<Buffer>, bytesPerSecond: number): Promise<void> {
  const started = performance.now();
  let sent = 0;
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += PACE_STEP) {
      const piece = chunk.subarray(at, at + PACE_STEP);
      if (!process.stdout.write(piece)) await once(process.stdout, "drain");
      sent += piece.length;
      const ahead = started + (sent / bytesPerSecond) * 1000 - performance.now();
      if (ahead > 1) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
  }
}

function say(message: PublishChildMessage): void {
  process.send!(message);
}

if (import.meta.url === `file://${process.argv[1]}` && process.send) {
  let idle = setTimeout(() => process.exit(0), IDLE_EXIT_MS);
  // One review at a time: the server asks for the next only when this one's bytes are through.
  process.on("message", (request: PublishChildRequest) => {
    clearTimeout(idle);
    publish(request).then(
      () => (idle = setTimeout(() => process.exit(0), IDLE_EXIT_MS)),
      (error: unknown) => {
        process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  });
  process.on("disconnect", () => process.exit(0));
}
