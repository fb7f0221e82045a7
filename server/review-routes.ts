// "Publish for review" from the UI: the same folder `runboard publish` writes (loaders/publish.ts),
// built on the server from its snapshot directory and site, and answered as one .tar.gz to
// download. The chosen runs are brought up to date first; only dashboards the asker may view go in.
import { spawn } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import express, { type Response, Router } from "express";
import { z } from "zod";
import { mayDashboard } from "../src/core/access.js";
import { parseSelection } from "../src/core/time-window.js";
import { fieldErrors } from "../src/core/validation.js";
import { projectRoot } from "../loaders/paths.js";
import { PublishError } from "../loaders/publish.js";
import type { PublishChildAnswer, PublishChildRequest } from "../loaders/publish-child.js";
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

/**
 * A review's runs are brought up to date first, unless that was done this long ago or less (by
 * the schedule, every 60 s by default, or an earlier review): reviews published back to back
 * must not rewrite a growing run each time, on the server's event loop.
 */
const REVIEW_REFRESH_MS = 60_000;
/** coreutils' nice(1), which starts a program at a lower priority. */
const NICE = "/usr/bin/nice";
/** util-linux's ionice(1): the idle class reads and writes only when the disk has nothing else to do. */
const IONICE = "/usr/bin/ionice";

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
    const work = mkdtempSync(join(deps.workDir, "review-"));
    const cleanUp = () => {
      busy = false;
      rmSync(work, { recursive: true, force: true });
    };
    try {
      await deps.keeper.refreshUnlessRecent(selection, REVIEW_REFRESH_MS, "review");
      const records = [];
      for (const id of dashboards) {
        const record = await deps.dashboards.get(id);
        if (!record) throw new PublishError(`dashboard ${id} is gone`);
        records.push(record);
      }
      const archive = join(work, "review.tar.gz");
      const answer = await publishInChildProcess({
        runs,
        out: join(work, "review"),
        title,
        utcOffsetMinutes,
        skipMissing,
        snapshotDir: deps.snapshotDir,
        siteDir: existsSync(join(deps.distDir, "index.html")) ? deps.distDir : undefined,
        dashboards: records,
        archive,
      });
      if (!answer.ok) {
        cleanUp();
        const status = answer.kind === "missing" ? 409 : 404;
        return fail(res, status, answer.message, [{ field: "runs", message: answer.message }]);
      }
      const bytes = statSync(archive).size;
      await deps.audit(res, "review.publish", runs, { dashboards, bytes });
      res
        .status(200)
        .type("application/gzip")
        .setHeader("Content-Length", String(bytes))
        .setHeader("Content-Disposition", `attachment; filename="${answer.name}.tar.gz"`);
      // Streamed from the file: the archive is never in the server's memory.
      const stream = createReadStream(archive);
      res.once("close", () => {
        stream.destroy();
        cleanUp();
      });
      stream.pipe(res);
    } catch (error) {
      cleanUp();
      if (error instanceof PublishError || error instanceof SnapshotError)
        return fail(res, 404, error.message, [{ field: "runs", message: error.message }]);
      next(error);
    }
  });
  return router;
}

const publishChild = fileURLToPath(new URL("../loaders/publish-child.ts", import.meta.url));

/**
 * Runs loaders/publish-child.ts in its own process (its memory and CPU are not the server's
 * event loop's) and returns its answer. A child that fails says why on its standard error.
 */
function publishInChildProcess(request: PublishChildRequest): Promise<PublishChildAnswer> {
  return new Promise((resolve, reject) => {
    // Below the server, every thread of it (nice(1) at the start: a priority set afterwards holds
    // only for the main thread, not V8's and the module loader's threads already running).
    // And below it on the disk: the store's writes (ingest) go first.
    const command = [
      ...(existsSync(IONICE) ? [IONICE, "-t", "-c", "3"] : []),
      ...(existsSync(NICE) ? [NICE, "-n", "19"] : []),
      process.execPath,
      "--import",
      "tsx",
      publishChild,
    ];
    const [file, ...args] = command;
    const child = spawn(file!, args, { cwd: projectRoot, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    // A review can wait a moment, ingest and live pages cannot.
    try {
      if (child.pid !== undefined && !existsSync(NICE)) setPriority(child.pid, 19);
    } catch {
      // not allowed here: it runs at the server's priority
    }
    child.once("close", (code) => {
      const line = out.trim().split("\n").at(-1);
      if (code === 0 && line) return resolve(JSON.parse(line) as PublishChildAnswer);
      reject(new Error(`publishing failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" ")}`));
    });
    child.stdin.end(JSON.stringify(request));
  });
}
