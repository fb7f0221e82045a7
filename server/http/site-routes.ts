// The built Observable Framework site and the snapshots every page reads, after the API.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import express, { Router } from "express";
import { fail } from "../http-fail.js";

export function siteRoutes(deps: { distDir: string; snapshotDir: string }): Router {
  const router = Router();
  // A page served at another path (/d/<id>, /play/<id>): its links and assets are relative to
  // /pages/, so it says so, or "./runs" would lead to /d/runs.
  const pageAt = (file: string) => async (_req: express.Request, res: express.Response) => {
    if (!existsSync(file)) return fail(res, 503, "the site is not built; run npm run build");
    const html = await readFile(file, "utf8");
    res.type("html").send(html.replace("<head>", '<head>\n<base href="/pages/">'));
  };
  // /d/<id> is the editor page opened on a saved dashboard.
  router.get("/d/:id", pageAt(join(deps.distDir, "pages", "dashboard.html")));
  // /play/<id> is the playlist page: it opens each step's dashboard in kiosk, in turn.
  router.get("/play/:id", pageAt(join(deps.distDir, "pages", "play.html")));
  // /snapshots/: the directory the server keeps fresh (SnapshotKeeper), the one read path of
  // every page. Until its first snapshot is written the manifest answers 503, and pages wait.
  // The manifest is revalidated on each load (ETag), the Parquet files are read by range.
  const snapshots = express.static(deps.snapshotDir, {
    fallthrough: false,
    setHeaders: (res, path) => {
      if (path.endsWith(".json")) res.setHeader("Cache-Control", "no-cache");
    },
  });
  router.use("/snapshots", (req, res, next) => {
    if (existsSync(join(deps.snapshotDir, "manifest.json"))) return snapshots(req, res, next);
    res.setHeader("Retry-After", "1");
    fail(res, 503, "the server is writing its first snapshot; retry in a moment");
  });
  router.use(express.static(deps.distDir, { extensions: ["html"], index: "index.html", setHeaders: cacheForever }));
  // Not a page of the site: a 404 of our own, so it carries our headers (not the fallback's).
  router.use((_req, res) => fail(res, 404, "not found"));
  return router;
}

/**
 * The build's content-hashed files (`index.8fbc5974.js`) and the files of a pinned package
 * (`/_node/@duckdb/duckdb-wasm@1.28.0/dist/duckdb-eh.wasm`) never change under their name: a
 * browser keeps them without asking again, so a dashboard opened a second time loads none of
 * its ~100 modules, and Chromium reuses DuckDB-WASM's compiled code. Pages and snapshots are
 * revalidated as before.
 */
const IMMUTABLE = /(\.[0-9a-f]{8}\.(js|css)$)|([\\/]_node[\\/](@[^\\/]+[\\/])?[^\\/@]+@\d+\.\d+\.\d+[^\\/]*[\\/])/;

function cacheForever(res: express.Response, path: string): void {
  if (IMMUTABLE.test(path)) res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
}
