// Who owns each run and observable, for an admin to see and to change: a source that declared
// another's run or names first (first come, first owned) has them taken back here. A change is
// an ordinary ingest batch (`owners`), so it reaches every replica in order, and is audited.
import { type Response, Router, type RequestHandler } from "express";
import { ingestBatchSchema } from "../src/core/ingest.js";
import { fieldErrors } from "../src/core/validation.js";
import { mayDo } from "./auth/auth-routes.js";
import { fail } from "./http-fail.js";
import type { Ingestor } from "./ingest/ingest.js";
import type { EmbeddedStore } from "../loaders/store/embedded-store.js";

/** The body of POST /api/admin/ownership: the batch's `owners`, as it is. */
const ownershipChangeSchema = ingestBatchSchema.shape.owners.unwrap();

export interface OwnershipRouteDeps {
  store: Pick<EmbeddedStore, "ownership">;
  ingestor: Ingestor;
  writes: RequestHandler;
  smallJson: RequestHandler;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
}

export function ownershipRoutes(deps: OwnershipRouteDeps): Router {
  const router = Router();
  router.get("/api/admin/ownership", mayDo("manage-tokens"), (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json(deps.store.ownership());
  });
  router.post("/api/admin/ownership", mayDo("manage-tokens"), deps.writes, deps.smallJson, async (req, res) => {
    const parsed = ownershipChangeSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid ownership change", fieldErrors(parsed.error));
    const owners = parsed.data;
    if (owners.runs.length + owners.observables.length === 0)
      return fail(res, 400, "invalid ownership change", [{ field: "(body)", message: "name runs or observables to reassign" }]);
    const outcome = await deps.ingestor.ingest({ runs: [], observables: [], readings: [], owners });
    if (!outcome.ok) return fail(res, 400, "invalid ownership change; nothing was changed", outcome.errors);
    await deps.audit(res, "ownership.change", "runs and observables", { owners });
    res.json({ ok: true, ...deps.store.ownership() });
  });
  return router;
}
