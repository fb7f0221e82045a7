// The dashboards' API as a table: list, open, save (a revision each time), history and restore,
// copies, delete and undelete, favourites, sharing, and the templates in layouts/. Each
// dashboard has an owner and shares (src/core/access.ts), checked in dashboard-gate.ts; the
// handlers are in dashboard-reads.ts and dashboard-writes.ts.
import { Router } from "express";
import { mayDo } from "../auth/auth-routes.js";
import type { DashboardRouteDeps } from "./dashboard-gate.js";
import { getAccess, getDashboard, getHistory, getRevision, listDashboards, listDeleted } from "./dashboard-reads.js";
import { templateRoutes } from "./dashboard-templates.js";
import {
  createDashboard,
  deleteDashboard,
  forkDashboard,
  restoreRevision,
  setAccess,
  setFavourite,
  undeleteDashboard,
  updateDashboard,
} from "./dashboard-writes.js";

export type { DashboardRouteDeps };

export function dashboardRoutes(deps: DashboardRouteDeps): Router {
  const { writes, smallJson } = deps;
  const creates = mayDo("create-dashboard");
  return Router()
    .get("/api/dashboards", listDashboards(deps))
    .get("/api/dashboards/deleted", listDeleted(deps))
    .post("/api/dashboards", creates, writes, smallJson, createDashboard(deps))
    .get("/api/dashboards/:id", getDashboard(deps))
    .put("/api/dashboards/:id", writes, smallJson, updateDashboard(deps))
    .delete("/api/dashboards/:id", writes, deleteDashboard(deps))
    .post("/api/dashboards/:id/undelete", writes, undeleteDashboard(deps))
    .post("/api/dashboards/:id/fork", creates, writes, smallJson, forkDashboard(deps))
    .put("/api/dashboards/:id/favourite", writes, smallJson, setFavourite(deps))
    .get("/api/dashboards/:id/history", getHistory(deps))
    .get("/api/dashboards/:id/revisions/:revision", getRevision(deps))
    .post("/api/dashboards/:id/restore", writes, smallJson, restoreRevision(deps))
    .get("/api/dashboards/:id/access", getAccess(deps))
    .put("/api/dashboards/:id/access", writes, smallJson, setAccess(deps))
    .use(templateRoutes(deps.layoutsDir));
}
