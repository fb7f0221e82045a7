// The dashboards' API: list, open, save (a revision each time), history and restore, copies,
// delete and undelete, favourites, and the templates in layouts/. Each dashboard has an owner and
// shares (src/core/access.ts); the checks are here, at the edge.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import express, { type Request, type Response, Router } from "express";
import { z } from "zod";
import { type Dashboard, parseDashboard } from "../../src/core/dashboard.js";
import { describeChanges, diffDashboards } from "../../src/core/dashboard-diff.js";
import { fieldErrors } from "../../src/core/validation.js";
import {
  type DashboardAccess,
  type DashboardAction,
  dashboardAccessSchema,
  dashboardRight,
  mayDashboard,
  newDashboardAccess,
} from "../../src/core/access.js";
import { projectRoot } from "../../loaders/paths.js";
import { mayDo, who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import { DASHBOARD_ID, type DashboardStore, UNDELETE_MS } from "./dashboard-store.js";

const updateQuerySchema = z
  .object({
    baseRevision: z.coerce.number().int().min(1).optional(),
    /** Why this revision was saved, for the history (as a commit message). */
    message: z.string().max(500).optional(),
  })
  .strict();
const createQuerySchema = updateQuerySchema.pick({ message: true });
const restoreBodySchema = z
  .object({
    revision: z.number().int().min(1),
    message: z.string().max(500).optional(),
  })
  .strict();
const forkBodySchema = z
  .object({
    /** What is on screen, if it differs from the latest revision. */
    dashboard: z.unknown().optional(),
    title: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
const favouriteBodySchema = z.object({ favourite: z.boolean() }).strict();
const TEMPLATE_FILE = /^[A-Za-z0-9_-]{1,64}\.json$/;
/** History entries that also say, in words, what changed from the revision before. */
const MAX_DESCRIBED_REVISIONS = 200;

/** The `:id` route parameter if it is well-formed; otherwise answers 400 and returns undefined. */
function validId(req: Request, res: Response): string | undefined {
  const id = String(req.params.id);
  if (DASHBOARD_ID.test(id)) return id;
  fail(res, 400, "invalid dashboard id", [{ field: "id", message: "malformed id" }]);
  return undefined;
}

export interface DashboardRouteDeps {
  dashboards: DashboardStore;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  /** Refuses writes that do not come from runboard's own page (CSRF). */
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
  layoutsDir?: string;
}

export function dashboardRoutes({ dashboards, audit, writes, smallJson, layoutsDir }: DashboardRouteDeps): Router {
  const router = Router();
  // Dashboards: each has an owner and shares (src/core/access.ts). One not shared with the
  // asker answers as if it did not exist, so ids cannot be probed.
  const noSuchDashboard = (res: Response, id: string) =>
    fail(res, 404, "no such dashboard", [{ field: "id", message: `no dashboard ${id} (or it is not shared with you)` }]);
  /** The dashboard's access if `who` may do `action` with it; otherwise answers and returns undefined. */
  const permitted = async (
    req: Request,
    res: Response,
    action: DashboardAction,
  ): Promise<{ id: string; access: DashboardAccess } | undefined> => {
    const id = validId(req, res);
    if (!id) return undefined;
    const access = await dashboards.access(id);
    const asking = who(res);
    if (!access || !mayDashboard(asking, access, "view")) return void noSuchDashboard(res, id);
    if (!mayDashboard(asking, access, action)) {
      const needs = action === "edit" ? "edit it" : "change who may see it";
      return void fail(res, 403, `you may not ${needs}`, [
        {
          field: "(access)",
          message: `${asking.name} may ${dashboardRight(asking, access)} dashboard ${id}; ${action === "share" ? "only its owner or an admin may" : "ask its owner to share it with you as editor"}`,
        },
      ]);
    }
    return { id, access };
  };

  router.get("/api/dashboards", async (_req, res) => {
    const asking = who(res);
    const favourites = await dashboards.favourites(asking.name);
    const visible = (await dashboards.list())
      .map((d) => ({ ...d, right: dashboardRight(asking, d.access), favourite: favourites.has(d.id) }))
      .filter((d) => d.right !== null);
    res.json({ dashboards: visible });
  });

  // Deleted dashboards their owner (or an admin) may bring back, until they are purged.
  const mayRestoreDeleted = (res: Response, access: DashboardAccess) => mayDashboard(who(res), access, "share");
  router.get("/api/dashboards/deleted", async (_req, res) => {
    const deleted = (await dashboards.deleted()).filter((d) => mayRestoreDeleted(res, d.access));
    res.json({
      dashboards: deleted.map(({ access, ...d }) => ({
        ...d,
        owner: access.owner,
        purgeAt: new Date(Date.parse(d.deletedAt) + UNDELETE_MS).toISOString(),
      })),
    });
  });

  router.post("/api/dashboards/:id/undelete", writes, async (req, res) => {
    const id = validId(req, res);
    if (!id) return;
    const found = (await dashboards.deleted()).find((d) => d.id === id && mayRestoreDeleted(res, d.access));
    if (!found || !(await dashboards.undelete(id)))
      return fail(res, 404, "no such deleted dashboard", [
        { field: "id", message: `no deleted dashboard ${id} that you may restore (or it was purged after 30 days)` },
      ]);
    await audit(res, "dashboard.undelete", id, { title: found.title });
    res.json({ id, restored: true });
  });

  // Deleting keeps every revision: the dashboard is listed under "recently deleted" for 30 days.
  router.delete("/api/dashboards/:id", writes, async (req, res) => {
    const allowed = await permitted(req, res, "share");
    if (!allowed) return;
    const record = await dashboards.get(allowed.id);
    if (!(await dashboards.remove(allowed.id, who(res).name))) return noSuchDashboard(res, allowed.id);
    await audit(res, "dashboard.delete", allowed.id, { title: record?.dashboard.title });
    res.json({ id: allowed.id, deleted: true, restorableUntil: new Date(Date.now() + UNDELETE_MS).toISOString() });
  });

  // A copy into one's own dashboards: what is on screen (`dashboard`, unsaved changes included)
  // or the latest revision, remembering which dashboard and revision it was made of.
  router.post("/api/dashboards/:id/fork", mayDo("create-dashboard"), writes, smallJson, async (req, res) => {
    const allowed = await permitted(req, res, "view");
    if (!allowed) return;
    const body = forkBodySchema.safeParse(req.body ?? {});
    if (!body.success) return fail(res, 400, "invalid copy request", fieldErrors(body.error));
    const original = await dashboards.get(allowed.id);
    if (!original) return noSuchDashboard(res, allowed.id);
    let doc = original.dashboard;
    if (body.data.dashboard !== undefined) {
      const parsed = parseDashboard(body.data.dashboard);
      if (!parsed.ok)
        return fail(
          res,
          400,
          "invalid dashboard",
          parsed.errors.map((e) => ({ ...e, field: `dashboard.${e.field}` })),
        );
      doc = parsed.value;
    }
    const title = body.data.title ?? `${original.dashboard.title} (copy)`;
    const copy: Dashboard = {
      ...doc,
      title,
      forkedFrom: { id: original.id, revision: original.revision, title: original.dashboard.title },
    };
    const access = newDashboardAccess(who(res).name);
    const record = await dashboards.create(copy, access, {
      author: who(res).name,
      message: `copy of "${original.dashboard.title}" revision ${original.revision}`,
    });
    await audit(res, "dashboard.fork", record.id, { from: original.id, revision: original.revision });
    res
      .status(201)
      .location(`/d/${record.id}`)
      .json({ ...record, access, right: "share" });
  });

  router.put("/api/dashboards/:id/favourite", writes, smallJson, async (req, res) => {
    const allowed = await permitted(req, res, "view");
    if (!allowed) return;
    const body = favouriteBodySchema.safeParse(req.body ?? {});
    if (!body.success) return fail(res, 400, "invalid favourite", fieldErrors(body.error));
    await dashboards.setFavourite(who(res).name, allowed.id, body.data.favourite);
    res.json({ id: allowed.id, favourite: body.data.favourite });
  });

  // Dashboards kept in git (layouts/*.json), offered as templates: each checked as any other.
  const templatesDir = layoutsDir ?? join(projectRoot, "layouts");
  const readTemplates = async () => {
    const files = (await readdir(templatesDir).catch(() => [] as string[])).filter((f) => TEMPLATE_FILE.test(f)).sort();
    const templates: { name: string; dashboard: Dashboard }[] = [];
    for (const file of files) {
      let doc: unknown;
      try {
        doc = JSON.parse(await readFile(join(templatesDir, file), "utf8"));
      } catch {
        continue;
      }
      const parsed = parseDashboard(doc);
      if (parsed.ok) templates.push({ name: file.slice(0, -".json".length), dashboard: parsed.value });
    }
    return templates;
  };
  router.get("/api/templates", async (_req, res) => {
    const templates = await readTemplates();
    res.json({
      templates: templates.map((t) => ({ name: t.name, title: t.dashboard.title, description: t.dashboard.description })),
    });
  });
  router.get("/api/templates/:name", async (req, res) => {
    const name = String(req.params.name);
    const found = (await readTemplates()).find((t) => t.name === name);
    if (!found) return fail(res, 404, "no such template", [{ field: "name", message: `no valid layouts/${name}.json` }]);
    res.json(found);
  });

  router.post("/api/dashboards", mayDo("create-dashboard"), writes, smallJson, async (req, res) => {
    const query = createQuerySchema.safeParse(req.query);
    if (!query.success) return fail(res, 400, "invalid query", fieldErrors(query.error));
    const parsed = parseDashboard(req.body);
    if (!parsed.ok) return fail(res, 400, "invalid dashboard", parsed.errors);
    const record = await dashboards.create(parsed.value, newDashboardAccess(who(res).name), {
      author: who(res).name,
      message: query.data.message ?? "",
    });
    await audit(res, "dashboard.create", record.id, { title: parsed.value.title });
    res
      .status(201)
      .location(`/d/${record.id}`)
      .json({ ...record, access: newDashboardAccess(who(res).name), right: "share" });
  });

  router.get("/api/dashboards/:id", async (req, res) => {
    const allowed = await permitted(req, res, "view");
    if (!allowed) return;
    const record = await dashboards.get(allowed.id);
    if (!record) return noSuchDashboard(res, allowed.id);
    res.json({ ...record, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
  });

  // Each revision with who saved it, why, and what changed from the one before, in words.
  router.get("/api/dashboards/:id/history", async (req, res) => {
    const allowed = await permitted(req, res, "view");
    if (!allowed) return;
    const revisions = await dashboards.history(allowed.id);
    const described = new Set(revisions.slice(-MAX_DESCRIBED_REVISIONS).map((r) => r.revision));
    let previous: Dashboard | undefined;
    const entries = [];
    for (const r of revisions) {
      const doc = described.has(r.revision) ? (await dashboards.revision(allowed.id, r.revision))?.dashboard : undefined;
      const changes = doc && previous ? describeChanges(diffDashboards(previous, doc)) : doc ? "created" : undefined;
      entries.push({ ...r, ...(changes ? { changes } : {}) });
      previous = doc;
    }
    res.json({ id: allowed.id, revisions: entries });
  });

  router.get("/api/dashboards/:id/revisions/:revision", async (req, res) => {
    const allowed = await permitted(req, res, "view");
    if (!allowed) return;
    const n = Number(req.params.revision);
    const record = Number.isInteger(n) && n >= 1 ? await dashboards.revision(allowed.id, n) : undefined;
    if (!record)
      return fail(res, 404, "no such revision", [
        { field: "revision", message: `dashboard ${allowed.id} has no revision ${req.params.revision}` },
      ]);
    res.json(record);
  });

  // Restoring saves the old revision as a new one: nothing in between is lost.
  router.post("/api/dashboards/:id/restore", writes, smallJson, async (req, res) => {
    const allowed = await permitted(req, res, "edit");
    if (!allowed) return;
    const body = restoreBodySchema.safeParse(req.body ?? {});
    if (!body.success) return fail(res, 400, "invalid restore request", fieldErrors(body.error));
    const old = await dashboards.revision(allowed.id, body.data.revision);
    if (!old)
      return fail(res, 404, "no such revision", [
        { field: "revision", message: `dashboard ${allowed.id} has no revision ${body.data.revision}` },
      ]);
    const note = { author: who(res).name, message: body.data.message ?? `restored revision ${body.data.revision}` };
    const result = await dashboards.update(allowed.id, old.dashboard, undefined, note);
    if (!result.ok) return noSuchDashboard(res, allowed.id);
    await audit(res, "dashboard.restore", allowed.id, { revision: body.data.revision, as: result.record.revision });
    res.json({ ...result.record, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
  });

  router.put("/api/dashboards/:id", writes, smallJson, async (req, res) => {
    const query = updateQuerySchema.safeParse(req.query);
    if (!query.success) return fail(res, 400, "invalid query", fieldErrors(query.error));
    const allowed = await permitted(req, res, "edit");
    if (!allowed) return;
    const parsed = parseDashboard(req.body);
    if (!parsed.ok) return fail(res, 400, "invalid dashboard", parsed.errors);
    const result = await dashboards.update(allowed.id, parsed.value, query.data.baseRevision, {
      author: who(res).name,
      message: query.data.message ?? "",
    });
    if (result.ok) {
      await audit(res, "dashboard.update", allowed.id, { revision: result.record.revision });
      return res.json({ ...result.record, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
    }
    if (result.reason === "not-found") return noSuchDashboard(res, allowed.id);
    fail(res, 409, "the dashboard was saved by someone else in the meantime", [
      { field: "baseRevision", message: `latest revision is ${result.latest}; reload and apply your change again` },
    ]);
  });

  router.get("/api/dashboards/:id/access", async (req, res) => {
    const allowed = await permitted(req, res, "view");
    if (!allowed) return;
    res.json({ id: allowed.id, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
  });

  router.put("/api/dashboards/:id/access", writes, smallJson, async (req, res) => {
    const allowed = await permitted(req, res, "share");
    if (!allowed) return;
    const parsed = dashboardAccessSchema.safeParse(req.body);
    if (!parsed.success) return fail(res, 400, "invalid access", fieldErrors(parsed.error));
    await dashboards.setAccess(allowed.id, parsed.data);
    await audit(res, "dashboard.share", allowed.id, { from: allowed.access, to: parsed.data });
    res.json({ id: allowed.id, access: parsed.data, right: dashboardRight(who(res), parsed.data) });
  });

  return router;
}
