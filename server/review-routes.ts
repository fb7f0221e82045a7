// "Publish for review" from the UI: the same files `runboard publish` writes (loaders/publish.ts),
// taken from the server's snapshot directory and site, and answered as one .tar.gz to
// download (made by a child process: review-publisher.ts). The chosen runs are brought up to date first; only dashboards the asker may view go in.
import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type Response, Router } from "express";
import { z } from "zod";
import { mayDashboard } from "../src/core/access.js";
import { parseSelection } from "../src/core/time-window.js";
import { fieldErrors } from "../src/core/validation.js";
import { PublishError } from "../loaders/publish.js";
import { SnapshotError } from "../loaders/snapshot/take-snapshot.js";
import { mayDo, who } from "./auth/auth-routes.js";
import { DASHBOARD_ID, type DashboardStore } from "./dashboards/dashboard-store.js";
import { fail } from "./http-fail.js";
import { OneAtATime } from "./one-at-a-time.js";
import type { ReviewPublisher } from "./review-publisher.js";
import type { SnapshotKeeper } from "./snapshots/snapshot-keeper.js";

const reviewBodySchema = z
  .object({
    /** Which runs, in the CLI's words (runs:100-120, night:2026-11-23, ...). */
    runs: z.string().min(1).max(200),
    dashboards: z.array(z.string().regex(DASHBOARD_ID, "must be a dashboard id")).max(20).default([]),
    title: z.string().trim().min(1).max(200).optional(),
    utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
    /** Publish without selected runs that have no snapshot; they are listed in the review. */
    skipMissing: z.boolean().default(false),
  })
  .strict();

/**
 * A review's runs are brought up to date first, unless that was done this long ago or less (by
 * the schedule, every 60 s by default, or an earlier review): reviews published back to back
 * must not rewrite a growing run each time, on the server's event loop.
 */
const REVIEW_REFRESH_MS = 60_000;
/** How long a review asked for while another is sent waits for its turn before a 503. */
const TURN_WAIT_MS = 3_000;

export interface ReviewRouteDeps {
  dashboards: DashboardStore;
  keeper: SnapshotKeeper;
  snapshotDir: string;
  distDir: string;
  /** The child process that makes the archives. */
  publisher: ReviewPublisher;
  log?: (line: string) => void;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
}

export function reviewRoutes(deps: ReviewRouteDeps): Router {
  const router = Router();
  const publisher = deps.publisher;
  // One review at a time: one child makes them.
  const reviews = new OneAtATime();
  router.post("/api/reviews", mayDo("create-dashboard"), deps.writes, deps.smallJson, async (req, res, next) => {
    const body = reviewBodySchema.safeParse(req.body ?? {});
    if (!body.success) return fail(res, 400, "invalid review request", fieldErrors(body.error));
    const { runs, dashboards, title, utcOffsetMinutes, skipMissing } = body.data;
    let selection;
    try {
      selection = parseSelection(runs, { utcOffsetMinutes });
    } catch (error) {
      return fail(res, 400, "invalid review request", [{ field: "runs", message: (error as Error).message }]);
    }
    for (const [i, id] of dashboards.entries()) {
      const access = await deps.dashboards.access(id);
      if (!access || !mayDashboard(who(res), access, "view"))
        return fail(res, 404, "no such dashboard", [
          { field: `dashboards[${i}]`, message: `no dashboard ${id} (or it is not shared with you)` },
        ]);
    }
    const release = await reviews.turn(TURN_WAIT_MS);
    if (!release) {
      res.setHeader("Retry-After", "10");
      return fail(res, 503, "a review is being published; ask again in a moment");
    }
    try {
      await deps.keeper.refreshUnlessRecent(selection, REVIEW_REFRESH_MS, "review");
      const records = [];
      for (const id of dashboards) {
        const record = await deps.dashboards.get(id);
        if (!record) throw new PublishError(`dashboard ${id} is gone`);
        records.push(record);
      }
      const answer = await publisher.ask({
        runs,
        title,
        utcOffsetMinutes,
        skipMissing,
        snapshotDir: deps.snapshotDir,
        siteDir: existsSync(join(deps.distDir, "index.html")) ? deps.distDir : undefined,
        dashboards: records,
      });
      if (!answer.ok) {
        const status = answer.kind === "missing" ? 409 : 404;
        return fail(res, status, answer.message, [{ field: "runs", message: answer.message }]);
      }
      await deps.audit(res, "review.publish", runs, { dashboards, bytes: answer.archiveBytes });
      res
        .status(200)
        .type("application/gzip")
        .setHeader("Content-Length", String(answer.archiveBytes))
        .setHeader("Content-Disposition", `attachment; filename="${answer.name}.tar.gz"`);
      // Written by the child straight onto the connection as it makes it (the archive is never in
      // the server's memory or on disk), holding off while a snapshot refresh runs.
      await publisher
        .handOver(res, () => deps.keeper.whenQuiet())
        .catch((error: Error) => {
          deps.log?.(`review ${runs} not sent whole: ${error.message}`);
          res.destroy();
        });
    } catch (error) {
      if (error instanceof PublishError || error instanceof SnapshotError)
        return fail(res, 404, error.message, [{ field: "runs", message: error.message }]);
      next(error);
    } finally {
      release();
    }
  });
  return router;
}
