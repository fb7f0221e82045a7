// The dashboards' writing side: create, save (a revision each time, refused when someone else
// saved in between), restore, delete and undelete, copies, favourites and sharing.
import type { Request, Response } from "express";
import { z } from "zod";
import { type Dashboard, parseDashboard } from "../../src/core/dashboard.js";
import { dashboardAccessSchema, dashboardRight, newDashboardAccess } from "../../src/core/access.js";
import { fieldErrors } from "../../src/core/validation.js";
import { who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import { type DashboardRouteDeps, mayRestoreDeleted, noSuchDashboard, permitted, validId } from "./dashboard-gate.js";
import { UNDELETE_MS } from "./dashboard-store.js";

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

type Handler = (req: Request, res: Response) => Promise<void>;

export function createDashboard({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
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
  };
}

export function updateDashboard({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const query = updateQuerySchema.safeParse(req.query);
    if (!query.success) return fail(res, 400, "invalid query", fieldErrors(query.error));
    const allowed = await permitted(dashboards, req, res, "edit");
    if (!allowed) return;
    const parsed = parseDashboard(req.body);
    if (!parsed.ok) return fail(res, 400, "invalid dashboard", parsed.errors);
    const result = await dashboards.update(allowed.id, parsed.value, query.data.baseRevision, {
      author: who(res).name,
      message: query.data.message ?? "",
    });
    if (result.ok) {
      await audit(res, "dashboard.update", allowed.id, { revision: result.record.revision });
      return void res.json({ ...result.record, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
    }
    if (result.reason === "not-found") return noSuchDashboard(res, allowed.id);
    fail(res, 409, "the dashboard was saved by someone else in the meantime", [
      { field: "baseRevision", message: `latest revision is ${result.latest}; reload and apply your change again` },
    ]);
  };
}

/** Restoring saves the old revision as a new one: nothing in between is lost. */
export function restoreRevision({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "edit");
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
  };
}

/** Deleting keeps every revision: the dashboard is listed under "recently deleted" for 30 days. */
export function deleteDashboard({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "share");
    if (!allowed) return;
    const record = await dashboards.get(allowed.id);
    if (!(await dashboards.remove(allowed.id, who(res).name))) return noSuchDashboard(res, allowed.id);
    await audit(res, "dashboard.delete", allowed.id, { title: record?.dashboard.title });
    res.json({ id: allowed.id, deleted: true, restorableUntil: new Date(Date.now() + UNDELETE_MS).toISOString() });
  };
}

export function undeleteDashboard({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const id = validId(req, res);
    if (!id) return;
    const found = (await dashboards.deleted()).find((d) => d.id === id && mayRestoreDeleted(res, d.access));
    if (!found || !(await dashboards.undelete(id)))
      return fail(res, 404, "no such deleted dashboard", [
        { field: "id", message: `no deleted dashboard ${id} that you may restore (or it was purged after 30 days)` },
      ]);
    await audit(res, "dashboard.undelete", id, { title: found.title });
    res.json({ id, restored: true });
  };
}

/**
 * A copy into one's own dashboards: what is on screen (`dashboard`, unsaved changes included)
 * or the latest revision, remembering which dashboard and revision it was made of.
 */
export function forkDashboard({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "view");
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
    const from = { id: original.id, revision: original.revision, title: original.dashboard.title };
    const copy: Dashboard = { ...doc, title, forkedFrom: from };
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
  };
}

export function setFavourite({ dashboards }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "view");
    if (!allowed) return;
    const body = favouriteBodySchema.safeParse(req.body ?? {});
    if (!body.success) return fail(res, 400, "invalid favourite", fieldErrors(body.error));
    await dashboards.setFavourite(who(res).name, allowed.id, body.data.favourite);
    res.json({ id: allowed.id, favourite: body.data.favourite });
  };
}

export function setAccess({ dashboards, audit }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "share");
    if (!allowed) return;
    const parsed = dashboardAccessSchema.safeParse(req.body);
    if (!parsed.success) return fail(res, 400, "invalid access", fieldErrors(parsed.error));
    await dashboards.setAccess(allowed.id, parsed.data);
    await audit(res, "dashboard.share", allowed.id, { from: allowed.access, to: parsed.data });
    res.json({ id: allowed.id, access: parsed.data, right: dashboardRight(who(res), parsed.data) });
  };
}
