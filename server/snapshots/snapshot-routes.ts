// The snapshots' API: how the refresh goes (`GET /api/snapshots/status`) and a refresh on
// demand (`POST /api/snapshots/refresh`, what `runboard snapshot` asks a running server for).
import { type Request, type RequestHandler, type Response, Router } from "express";
import { z } from "zod";
import { type DataSelection, parseSelection } from "../../src/core/time-window.js";
import { fieldErrors } from "../../src/core/validation.js";
import { SnapshotError } from "../../loaders/snapshot/take-snapshot.js";
import { SourceError } from "../../loaders/sources/source.js";
import { mayDo } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import type { SnapshotKeeper } from "./snapshot-keeper.js";

const MAX_WAITING_REFRESHES = 4;

const refreshBodySchema = z
  .object({
    /** Which runs, in the CLI's words (runs:7, runs:1-30, night:2026-11-23, last:6h, ...). */
    select: z.string().min(1).max(200).optional(),
    force: z.boolean().default(false),
    /** The site's offset from UTC, for night selections (as the CLI's --utc-offset). */
    utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  })
  .strict();

export interface SnapshotRouteDeps {
  keeper: SnapshotKeeper;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  /** Refuses writes that do not come from runboard's own page (CSRF). */
  writes: RequestHandler;
  smallJson: RequestHandler;
}

export function snapshotRoutes(deps: SnapshotRouteDeps): Router {
  const router = Router();
  router.get("/api/snapshots/status", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json(deps.keeper.progress());
  });
  router.post("/api/snapshots/refresh", mayDo("refresh-snapshots"), deps.writes, deps.smallJson, (req, res, next) =>
    refresh(deps, req, res).catch(next),
  );
  return router;
}

/** Answers once the refresh is done, with what it rewrote. */
async function refresh(deps: SnapshotRouteDeps, req: Request, res: Response): Promise<void> {
  const parsed = refreshBodySchema.safeParse(req.body ?? {});
  if (!parsed.success) return fail(res, 400, "invalid refresh request", fieldErrors(parsed.error));
  let selection: DataSelection | undefined;
  try {
    const { select, utcOffsetMinutes } = parsed.data;
    selection = select === undefined ? undefined : parseSelection(select, { utcOffsetMinutes });
  } catch (error) {
    return fail(res, 400, "invalid refresh request", [{ field: "select", message: (error as Error).message }]);
  }
  // Refreshes run one at a time; a pile of them waiting means someone asks too often.
  if (deps.keeper.waitingCount() >= MAX_WAITING_REFRESHES) {
    res.setHeader("Retry-After", "5");
    return fail(res, 429, `${MAX_WAITING_REFRESHES} refreshes are already waiting; ask again when they are done`);
  }
  try {
    // Queued before anything is awaited: the count of waiting refreshes above must see it.
    const refreshing = deps.keeper.refresh({ selection, force: parsed.data.force, reason: "api" });
    refreshing.catch(() => undefined); // awaited below; not unhandled while the audit is written
    await deps.audit(res, "snapshots.refresh", parsed.data.select ?? "(default)", { force: parsed.data.force });
    const outcome = await refreshing;
    res.json({ ok: outcome.failed.length === 0, ...outcome });
  } catch (error) {
    if (error instanceof SnapshotError) return fail(res, 404, error.message, [{ field: "select", message: error.message }]);
    if (error instanceof SourceError) return fail(res, 502, `the source could not be read: ${error.message}`);
    throw error;
  }
}
