// The site's files as a browser caches them: content-hashed modules and a pinned package's files
// are kept without asking again (a dashboard opened a second time loads none of its ~100
// modules); pages and the snapshot manifest are asked for again every time.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import express from "express";
import { siteRoutes } from "../../server/http/site-routes.js";

describe("what the browser may keep of the site", () => {
  const root = mkdtempSync(join(tmpdir(), "runboard-site-cache-"));
  const dist = join(root, "dist");
  let server: ReturnType<ReturnType<typeof express>["listen"]>;
  let base = "";
  before(async () => {
    const files: Record<string, string> = {
      "pages/dashboard.html": "<html><head></head></html>",
      "_import/components/duckdb.f0a0ac3a.js": "export {}",
      "_node/d3-array@3.2.5/index.8fbc5974.js": "export {}",
      "_node/@duckdb/duckdb-wasm@1.28.0/dist/duckdb-eh.wasm": "wasm",
      "_observablehq/theme-air.b050d634.css": "",
      "dashboards/camera.json": "{}",
    };
    for (const [path, body] of Object.entries(files)) {
      mkdirSync(join(dist, path, ".."), { recursive: true });
      writeFileSync(join(dist, path), body);
    }
    mkdirSync(join(root, "snapshots"));
    writeFileSync(join(root, "snapshots", "manifest.json"), "{}");
    const app = express().use(siteRoutes({ distDir: dist, snapshotDir: join(root, "snapshots") }));
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(root, { recursive: true, force: true });
  });

  const cacheOf = async (path: string) => {
    const response = await fetch(base + path);
    assert.equal(response.status, 200, path);
    return response.headers.get("cache-control") ?? "";
  };

  it("keeps content-hashed modules and a pinned package's files for good", async () => {
    for (const path of [
      "/_import/components/duckdb.f0a0ac3a.js",
      "/_node/d3-array@3.2.5/index.8fbc5974.js",
      "/_node/@duckdb/duckdb-wasm@1.28.0/dist/duckdb-eh.wasm",
      "/_observablehq/theme-air.b050d634.css",
    ])
      assert.match(await cacheOf(path), /max-age=31536000, immutable/, path);
  });

  it("asks again for pages, templates and the snapshot manifest", async () => {
    for (const path of ["/pages/dashboard.html", "/pages/dashboard", "/dashboards/camera.json", "/d/abc"])
      assert.doesNotMatch(await cacheOf(path), /immutable/, path);
    assert.equal(await cacheOf("/snapshots/manifest.json"), "no-cache");
  });
});
