// "Publish for review" runs here, in a child process of the server: copying and hashing the
// runs' files and gzipping the archive took the server's event loop for up to 1.2 s and its
// memory from 420 MB to 1.2 GB. The server writes the request as JSON on this process's
// standard input (the dashboards already read and checked for the asker) and reads one line of
// JSON back: the archive's file name and the review, or why it could not be made.
import { readFileSync } from "node:fs";
import type { Dashboard } from "../src/core/dashboard.js";
import { MissingRunsError, PublishError, publishReview } from "./publish.js";
import { SnapshotError } from "./snapshot/take-snapshot.js";
import { writeTarGz } from "./tar.js";

export interface PublishChildRequest {
  runs: string;
  out: string;
  title?: string;
  utcOffsetMinutes: number;
  skipMissing: boolean;
  snapshotDir: string;
  siteDir?: string;
  /** The chosen dashboards as stored, in the order asked. */
  dashboards: { id: string; revision: number; dashboard: Dashboard }[];
  /** Where the .tar.gz goes. */
  archive: string;
}

export type PublishChildAnswer =
  { ok: true; name: string; runs: number[]; bytes: number } | { ok: false; kind: "missing" | "refused"; message: string };

export async function publishInChild(request: PublishChildRequest): Promise<PublishChildAnswer> {
  const records = new Map(request.dashboards.map((d) => [d.id, d]));
  try {
    const review = await publishReview({
      runs: request.runs,
      out: request.out,
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
    const name = `review-${review.publishedAt.slice(0, 10)}-${review.runs[0]!.run}-${review.runs.at(-1)!.run}`;
    await writeTarGz(request.out, name, request.archive);
    return { ok: true, name, runs: review.runs.map((r) => r.run), bytes: review.totalBytes };
  } catch (error) {
    if (error instanceof MissingRunsError) return { ok: false, kind: "missing", message: error.message };
    if (error instanceof PublishError || error instanceof SnapshotError)
      return { ok: false, kind: "refused", message: error.message };
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const request = JSON.parse(readFileSync(0, "utf8")) as PublishChildRequest;
  const answer = await publishInChild(request);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
