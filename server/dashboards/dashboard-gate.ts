// Who may do what with a dashboard, checked before any handler reads or writes it. One not
// shared with the asker answers as if it did not exist, so ids cannot be probed.
import type express from "express";
import type { Request, Response } from "express";
import { type DashboardAccess, type DashboardAction, dashboardRight, mayDashboard } from "../../src/core/access.js";
import { who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import { DASHBOARD_ID, type DashboardStore } from "./dashboard-store.js";

export interface DashboardRouteDeps {
  dashboards: DashboardStore;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  /** Refuses writes that do not come from runboard's own page (CSRF). */
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
  layoutsDir?: string;
}

/** The `:id` route parameter if it is well-formed; otherwise answers 400 and returns undefined. */
export function validId(req: Request, res: Response): string | undefined {
  const id = String(req.params.id);
  if (DASHBOARD_ID.test(id)) return id;
  fail(res, 400, "invalid dashboard id", [{ field: "id", message: "malformed id" }]);
  return undefined;
}

export const noSuchDashboard = (res: Response, id: string) =>
  fail(res, 404, "no such dashboard", [{ field: "id", message: `no dashboard ${id} (or it is not shared with you)` }]);

/** The dashboard's access if the asker may do `action` with it; otherwise answers and returns undefined. */
export async function permitted(
  dashboards: DashboardStore,
  req: Request,
  res: Response,
  action: DashboardAction,
): Promise<{ id: string; access: DashboardAccess } | undefined> {
  const id = validId(req, res);
  if (!id) return undefined;
  const access = await dashboards.access(id);
  const asking = who(res);
  if (!access || !mayDashboard(asking, access, "view")) return void noSuchDashboard(res, id);
  if (!mayDashboard(asking, access, action)) {
    const needs = action === "edit" ? "edit it" : "change who may see it";
    const may = action === "share" ? "only its owner or an admin may" : "ask its owner to share it with you as editor";
    return void fail(res, 403, `you may not ${needs}`, [
      { field: "(access)", message: `${asking.name} may ${dashboardRight(asking, access)} dashboard ${id}; ${may}` },
    ]);
  }
  return { id, access };
}

/** Deleted dashboards their owner (or an admin) may bring back, until they are purged. */
export const mayRestoreDeleted = (res: Response, access: DashboardAccess) => mayDashboard(who(res), access, "share");
