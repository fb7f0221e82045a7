// "Publish for review" from the UI: the same folder `runboard publish` writes (loaders/publish.ts),
// built on the server from its snapshot directory and site, and answered as one .tar.gz to
// download. The chosen runs are brought up to date first; only dashboards the asker may view go in.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import express, { type Response, Router } from "express";
import { z } from "zod";
import { mayDashboard } from "../src/core/access.js";
import { parseSelection } from "../src/core/time-window.js";
import { fieldErrors } from "../src/core/validation.js";
import { MissingRunsError, PublishError, publishReview } from "../loaders/publish.js";
import { tarGzFolder } from "../loaders/tar.js";
import { SnapshotError } from "../loaders/snapshot/take-snapshot.js";
import { mayDo, who } from "./auth/auth-routes.js";
import { DASHBOARD_ID, type DashboardStore } from "./dashboards/dashboard-store.js";
import { fail } from "./http-fail.js";
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

export interface ReviewRouteDeps {
  dashboards: DashboardStore;
  keeper: SnapshotKeeper;
  snapshotDir: string;
  distDir: string;
  /** Where a review is assembled before it is archived. */
  workDir: string;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
}

export function reviewRoutes(deps: ReviewRouteDeps): Router {
  const router = Router();
  // One review at a time: each copies a site and runs' files.
  let busy = false;
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
    if (busy) {
      res.setHeader("Retry-After", "10");
      return fail(res, 503, "a review is being published; ask again in a moment");
    }
    busy = true;
    const out = join(mkdtempSync(join(deps.workDir, "review-")), "review");
    try {
      await deps.keeper.refresh({ selection, reason: "review" });
      const review = await publishReview({
        runs,
        out,
        dashboards,
        pages: [],
        title,
        utcOffsetMinutes,
        skipMissing,
        snapshotDir: deps.snapshotDir,
        siteDir: existsSync(join(deps.distDir, "index.html")) ? deps.distDir : undefined,
        fetchDashboard: async (id) => {
          const record = await deps.dashboards.get(id);
          if (!record) throw new PublishError(`dashboard ${id} is gone`);
          return record;
        },
      });
      const name = `review-${review.publishedAt.slice(0, 10)}-${review.runs[0]!.run}-${review.runs.at(-1)!.run}`;
      const archive = tarGzFolder(out, name);
      await deps.audit(res, "review.publish", runs, { dashboards, bytes: archive.length });
      res
        .status(200)
        .type("application/gzip")
        .setHeader("Content-Disposition", `attachment; filename="${name}.tar.gz"`)
        .send(archive);
    } catch (error) {
      if (error instanceof MissingRunsError) return fail(res, 409, error.message, [{ field: "runs", message: error.message }]);
      if (error instanceof PublishError || error instanceof SnapshotError)
        return fail(res, 404, error.message, [{ field: "runs", message: error.message }]);
      next(error);
    } finally {
      busy = false;
      rmSync(join(out, ".."), { recursive: true, force: true });
    }
  });
  return router;
}
