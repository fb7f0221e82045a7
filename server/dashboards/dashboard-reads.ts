// The dashboards' reading side: the list, the recently deleted, one dashboard, its history in
// words, one revision, and who may see it.
import type { Request, Response } from "express";
import type { Dashboard } from "../../src/core/dashboard.js";
import { describeChanges, diffDashboards } from "../../src/core/dashboard-diff.js";
import { dashboardRight } from "../../src/core/access.js";
import { who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import { type DashboardRouteDeps, mayRestoreDeleted, noSuchDashboard, permitted } from "./dashboard-gate.js";
import { UNDELETE_MS } from "./dashboard-store.js";

/** History entries that also say, in words, what changed from the revision before. */
const MAX_DESCRIBED_REVISIONS = 200;

type Handler = (req: Request, res: Response) => Promise<void>;

export function listDashboards({ dashboards }: DashboardRouteDeps): Handler {
  return async (_req, res) => {
    const asking = who(res);
    const favourites = await dashboards.favourites(asking.name);
    const visible = (await dashboards.list())
      .map((d) => ({ ...d, right: dashboardRight(asking, d.access), favourite: favourites.has(d.id) }))
      .filter((d) => d.right !== null);
    res.json({ dashboards: visible });
  };
}

export function listDeleted({ dashboards }: DashboardRouteDeps): Handler {
  return async (_req, res) => {
    const deleted = (await dashboards.deleted()).filter((d) => mayRestoreDeleted(res, d.access));
    res.json({
      dashboards: deleted.map(({ access, ...d }) => ({
        ...d,
        owner: access.owner,
        purgeAt: new Date(Date.parse(d.deletedAt) + UNDELETE_MS).toISOString(),
      })),
    });
  };
}

export function getDashboard({ dashboards }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "view");
    if (!allowed) return;
    const record = await dashboards.get(allowed.id);
    if (!record) return noSuchDashboard(res, allowed.id);
    res.json({ ...record, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
  };
}

/** Each revision with who saved it, why, and what changed from the one before, in words. */
export function getHistory({ dashboards }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "view");
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
  };
}

export function getRevision({ dashboards }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "view");
    if (!allowed) return;
    const n = Number(req.params.revision);
    const record = Number.isInteger(n) && n >= 1 ? await dashboards.revision(allowed.id, n) : undefined;
    if (!record)
      return fail(res, 404, "no such revision", [
        { field: "revision", message: `dashboard ${allowed.id} has no revision ${req.params.revision}` },
      ]);
    res.json(record);
  };
}

export function getAccess({ dashboards }: DashboardRouteDeps): Handler {
  return async (req, res) => {
    const allowed = await permitted(dashboards, req, res, "view");
    if (!allowed) return;
    res.json({ id: allowed.id, access: allowed.access, right: dashboardRight(who(res), allowed.access) });
  };
}
