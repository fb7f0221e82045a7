// Playlists over HTTP, stored and shared as dashboards are: anyone signed in lists and plays
// those they may view; editors make them; the owner (or an admin) deletes. `/steps` expands a
// playlist for a screen: tags become the dashboards that carry them, as the asker may view them.
import express, { type Request, type Response, Router } from "express";
import { type Principal, dashboardRight, mayDashboard, newDashboardAccess } from "../../src/core/access.js";
import { expandItems, parsePlaylist } from "../../src/core/playlist.js";
import { mayDo, who } from "../auth/asking.js";
import type { DashboardStore } from "../dashboards/dashboard-store.js";
import { fail } from "../http-fail.js";
import type { PlaylistRecord, PlaylistStore } from "./playlist-store.js";

export interface PlaylistRouteDeps {
  playlists: PlaylistStore;
  dashboards: DashboardStore;
  writes: express.RequestHandler;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
}

const shown = (record: PlaylistRecord, asking: Principal) => ({ ...record, right: dashboardRight(asking, record.access) });

/** The playlist if the asker may `action` it; otherwise answered (404 rather than telling it exists). */
async function reach(deps: PlaylistRouteDeps, req: Request, res: Response, action: "view" | "edit" | "share") {
  const record = await deps.playlists.get(String(req.params.id));
  if (record && mayDashboard(who(res), record.access, action)) return record;
  if (record && mayDashboard(who(res), record.access, "view"))
    return void fail(res, 403, `you may not ${action} this playlist`, [{ field: "id", message: "ask its owner" }]);
  fail(res, 404, "no such playlist", [{ field: "id", message: `no playlist ${String(req.params.id)}` }]);
}

/** The dashboards `asking` may view, with their tags (read only when a step names a tag). */
async function viewable(deps: PlaylistRouteDeps, asking: Principal, needTags: boolean) {
  const visible = (await deps.dashboards.list()).filter((d) => mayDashboard(asking, d.access, "view"));
  if (!needTags) return visible.map((d) => ({ id: d.id, title: d.title, tags: [] as string[] }));
  return Promise.all(
    visible.map(async (d) => ({ id: d.id, title: d.title, tags: (await deps.dashboards.get(d.id))?.dashboard.tags ?? [] })),
  );
}

export function playlistRoutes(deps: PlaylistRouteDeps): Router {
  const json = express.json({ limit: "256kb" });
  const create = [mayDo("create-dashboard"), deps.writes, json];
  return Router()
    .get("/api/playlists", async (_req, res) => {
      const asking = who(res);
      const list = (await deps.playlists.list()).filter((p) => mayDashboard(asking, p.access, "view"));
      res.json({ playlists: list.map((p) => shown(p, asking)) });
    })
    .post("/api/playlists", ...create, async (req, res) => {
      const parsed = parsePlaylist(req.body);
      if (!parsed.ok) return fail(res, 400, "invalid playlist; nothing was saved", parsed.errors);
      const record = await deps.playlists.create(parsed.value, newDashboardAccess(who(res).name), who(res).name);
      await deps.audit(res, "playlist.create", record.id, { title: record.playlist.title });
      res.status(201).json(shown(record, who(res)));
    })
    .get("/api/playlists/:id", async (req, res) => {
      const record = await reach(deps, req, res, "view");
      if (record) res.json(shown(record, who(res)));
    })
    .get("/api/playlists/:id/steps", async (req, res) => {
      const record = await reach(deps, req, res, "view");
      if (!record) return;
      const items = record.playlist.items;
      const steps = expandItems(
        items,
        await viewable(
          deps,
          who(res),
          items.some((i) => i.tag !== undefined),
        ),
      );
      res.json({
        id: record.id,
        title: record.playlist.title,
        interval: record.playlist.interval,
        revision: record.revision,
        steps,
      });
    })
    .put("/api/playlists/:id", deps.writes, json, async (req, res) => {
      if (!(await reach(deps, req, res, "edit"))) return;
      const parsed = parsePlaylist(req.body);
      if (!parsed.ok) return fail(res, 400, "invalid playlist; nothing was saved", parsed.errors);
      const match = /^"?(\d+)"?$/.exec(String(req.headers["if-match"] ?? ""));
      const saved = await deps.playlists.update(
        String(req.params.id),
        parsed.value,
        match ? Number(match[1]) : undefined,
        who(res).name,
      );
      if (!saved.ok && saved.reason === "missing") return fail(res, 404, "no such playlist");
      if (!saved.ok)
        return fail(res, 409, "the playlist was saved by someone else meanwhile", [
          { field: "If-Match", message: `the latest revision is ${saved.reason === "conflict" ? saved.latest : "?"}` },
        ]);
      await deps.audit(res, "playlist.save", saved.record.id, { revision: saved.record.revision });
      res.json(shown(saved.record, who(res)));
    })
    .delete("/api/playlists/:id", deps.writes, async (req, res) => {
      const record = await reach(deps, req, res, "share");
      if (!record) return;
      await deps.playlists.remove(record.id);
      await deps.audit(res, "playlist.delete", record.id, { title: record.playlist.title });
      res.json({ id: record.id, deleted: true });
    });
}
