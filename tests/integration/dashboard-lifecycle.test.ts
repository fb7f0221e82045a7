// A dashboard's life through the API of a real server, on both dashboard stores (the embedded
// DuckDB one and PostgreSQL): revisions and restore, a copy that remembers its origin, delete and
// undelete (and the purge after 30 days), favourites, templates from layouts/, an import that
// fails naming the field with nothing saved, and flags on runs with their withdrawal kept.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { projectRoot } from "../../loaders/paths.js";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import { EmbeddedDashboardStore } from "../../server/dashboards/embedded-dashboard-store.js";
import { PostgresDashboardStore } from "../../server/dashboards/postgres-dashboard-store.js";
import type { DashboardStore } from "../../server/dashboards/dashboard-store.js";
import { UNDELETE_MS } from "../../server/dashboards/dashboard-store.js";
import { emptyDashboard } from "../../src/core/dashboard.js";
import type { RunFlag } from "../../src/core/flags.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the integration tests through npm test");
const TOKEN = "lifecycle-test-ingest-token-0123";
const overview = () =>
  JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")) as Record<string, unknown>;

const stores: Record<string, Record<string, string>> = {
  embedded: {},
  postgres: { RUNBOARD_DASHBOARD_STORE: "postgres", DATABASE_URL: databaseUrl },
};

for (const [kind, storeEnv] of Object.entries(stores)) {
  describe(`dashboard lifecycle and run flags on the ${kind} store`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `runboard-life-${kind}-`));
    let server: RunningServer;
    let csrf = "";
    let snapshotDir = "";
    const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
    const send = (method: string, path: string, body?: unknown) =>
      api(path, {
        method,
        headers: { "Content-Type": "application/json", "X-Runboard-CSRF": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const json = async <T>(res: Response, status: number): Promise<T> => {
      assert.equal(res.status, status, await res.clone().text());
      return (await res.json()) as T;
    };
    // A stopped run of one hour that ended ten minutes ago.
    const stop = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    const run = { id: 4242, start: stop - 3_600_000, stop };

    before(async () => {
      const config = loadConfig({
        PORT: "0",
        RUNBOARD_SIMULATOR: "off",
        RUNBOARD_DATA_DIR: dataDir,
        RUNBOARD_INGEST_TOKEN: TOKEN,
        ...storeEnv,
      });
      snapshotDir = config.snapshotDir;
      server = await startServer(config, () => undefined);
      csrf = ((await (await api("/api/session")).json()) as { csrf: string }).csrf;
      const ingest = await api("/api/ingest", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          runs: [run],
          observables: [{ name: "pmt.gain", unit: "", shape: "scalar", channels: 2, healthy: { min: 0.9, max: 1.1 } }],
          readings: [{ observable: "pmt.gain", run: run.id, t: run.start + 1000, values: [1, 1.3] }],
        }),
      });
      assert.equal(ingest.status, 200, await ingest.clone().text());
    });
    after(async () => {
      await server?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("restores an old revision as a new one, losing nothing, and says what changed", async () => {
      const made = await json<{ id: string }>(await send("POST", "/api/dashboards?message=first", overview()), 201);
      const renamed = { ...overview(), title: "Renamed", window: { kind: "relative", seconds: 6 * 3600 } };
      await json(await send("PUT", `/api/dashboards/${made.id}?baseRevision=1&message=longer`, renamed), 200);
      const restored = await json<{ revision: number; dashboard: { title: string } }>(
        await send("POST", `/api/dashboards/${made.id}/restore`, { revision: 1 }),
        200,
      );
      assert.equal(restored.revision, 3);
      assert.equal(restored.dashboard.title, "Camera overview");
      const history = await json<{ revisions: { revision: number; message: string; changes: string }[] }>(
        await api(`/api/dashboards/${made.id}/history`),
        200,
      );
      assert.deepEqual(
        history.revisions.map((r) => [r.revision, r.message]),
        [
          [1, "first"],
          [2, "longer"],
          [3, "restored revision 1"],
        ],
      );
      assert.match(history.revisions[1]!.changes, /showed the last 6h instead of the last 1h/);
      assert.equal(
        (await json<{ dashboard: { title: string } }>(await api(`/api/dashboards/${made.id}/revisions/2`), 200)).dashboard.title,
        "Renamed",
      );
      assert.equal((await send("POST", `/api/dashboards/${made.id}/restore`, { revision: 9 })).status, 404);
    });

    it("saves a copy that remembers where it came from, with what was on screen", async () => {
      const original = await json<{ id: string }>(await send("POST", "/api/dashboards", overview()), 201);
      const onScreen = { ...overview(), runSelection: { mode: "range", from: 100, to: 120 } };
      const copy = await json<{ id: string; dashboard: { title: string; forkedFrom: unknown; runSelection: unknown } }>(
        await send("POST", `/api/dashboards/${original.id}/fork`, { dashboard: onScreen }),
        201,
      );
      assert.notEqual(copy.id, original.id);
      assert.equal(copy.dashboard.title, "Camera overview (copy)");
      assert.deepEqual(copy.dashboard.forkedFrom, { id: original.id, revision: 1, title: "Camera overview" });
      assert.deepEqual(copy.dashboard.runSelection, { mode: "range", from: 100, to: 120 });
      const bad = await send("POST", `/api/dashboards/${original.id}/fork`, {
        dashboard: { ...overview(), window: { kind: "weekly" } },
      });
      const refused = await json<{ errors: { field: string }[] }>(bad, 400);
      assert.deepEqual(
        refused.errors.map((e) => e.field),
        ["dashboard.window.kind"],
      );
    });

    it("deletes a dashboard, lists it as recently deleted, and brings it back whole", async () => {
      const made = await json<{ id: string }>(await send("POST", "/api/dashboards", { ...overview(), title: "to delete" }), 201);
      await json(await send("PUT", `/api/dashboards/${made.id}`, { ...overview(), title: "to delete, v2" }), 200);
      const gone = await json<{ restorableUntil: string }>(await send("DELETE", `/api/dashboards/${made.id}`), 200);
      assert.ok(Date.parse(gone.restorableUntil) > Date.now() + UNDELETE_MS - 60_000);
      assert.equal((await api(`/api/dashboards/${made.id}`)).status, 404);
      const listed = await json<{ dashboards: { id: string }[] }>(await api("/api/dashboards"), 200);
      assert.ok(!listed.dashboards.some((d) => d.id === made.id));
      const deleted = await json<{ dashboards: { id: string; title: string; deletedBy: string }[] }>(
        await api("/api/dashboards/deleted"),
        200,
      );
      assert.deepEqual(
        deleted.dashboards.filter((d) => d.id === made.id).map((d) => [d.title, d.deletedBy]),
        [["to delete, v2", "local"]],
      );
      assert.equal((await send("DELETE", `/api/dashboards/${made.id}`)).status, 404, "deleted once");
      await json(await send("POST", `/api/dashboards/${made.id}/undelete`), 200);
      const back = await json<{ revision: number; dashboard: { title: string } }>(await api(`/api/dashboards/${made.id}`), 200);
      assert.deepEqual([back.revision, back.dashboard.title], [2, "to delete, v2"]);
      assert.equal((await send("POST", `/api/dashboards/${made.id}/undelete`)).status, 404, "not deleted any more");
    });

    it("marks favourites per user, and offers the layouts/ folder as templates", async () => {
      const made = await json<{ id: string }>(await send("POST", "/api/dashboards", { ...overview(), title: "fav" }), 201);
      await json(await send("PUT", `/api/dashboards/${made.id}/favourite`, { favourite: true }), 200);
      const favourite = async () =>
        (
          await json<{ dashboards: { id: string; favourite: boolean; author: string }[] }>(await api("/api/dashboards"), 200)
        ).dashboards.find((d) => d.id === made.id)!;
      assert.equal((await favourite()).favourite, true);
      assert.equal((await favourite()).author, "local");
      await json(await send("PUT", `/api/dashboards/${made.id}/favourite`, { favourite: false }), 200);
      assert.equal((await favourite()).favourite, false);
      assert.equal((await send("PUT", `/api/dashboards/${made.id}/favourite`, { favourite: "yes" })).status, 400);
      const templates = await json<{ templates: { name: string; title: string }[] }>(await api("/api/templates"), 200);
      assert.ok(templates.templates.some((t) => t.name === "camera-overview" && t.title === "Camera overview"));
      const one = await json<{ dashboard: { title: string } }>(await api("/api/templates/camera-overview"), 200);
      assert.equal(one.dashboard.title, "Camera overview");
      assert.equal((await api("/api/templates/..%2Fpackage")).status, 404);
    });

    it("refuses an import with field-named errors and saves nothing", async () => {
      const before = (await json<{ dashboards: unknown[] }>(await api("/api/dashboards"), 200)).dashboards.length;
      const broken = { ...overview(), layout: { items: [{ element: "nope", x: 0, y: 0, w: 4, h: 3 }] } };
      const refused = await json<{ errors: { field: string }[] }>(
        await send("POST", "/api/dashboards?message=imported", broken),
        400,
      );
      assert.deepEqual(
        refused.errors.map((e) => e.field),
        ["layout.items[0].element"],
      );
      assert.equal((await json<{ dashboards: unknown[] }>(await api("/api/dashboards"), 200)).dashboards.length, before);
    });

    it("flags a run and a span of it, keeps a withdrawn flag in the history, and filters runs", async () => {
      const path = `/api/runs/${run.id}/flags`;
      const bad = await json<RunFlag>(
        await send("POST", path, {
          verdict: "bad",
          note: "gain of channel 1 out of range",
          from: run.start,
          to: run.start + 60_000,
        }),
        201,
      );
      assert.deepEqual([bad.verdict, bad.from, bad.to, bad.author], ["bad", run.start, run.start + 60_000, "local"]);
      assert.equal((await json<{ verdict: string }>(await api(path), 200)).verdict, "bad");
      assert.deepEqual(
        (await json<{ runs: { run: number }[] }>(await api("/api/flags?filter=bad"), 200)).runs.map((r) => r.run),
        [run.id],
      );
      const refusals = [
        [{ verdict: "bad" }, "note"],
        [{ verdict: "bad", note: "x", from: run.start - 3_600_000, to: run.start }, "from"],
        [{ verdict: "meh", note: "x" }, "verdict"],
      ] as const;
      for (const [body, field] of refusals) {
        const refused = await json<{ errors: { field: string }[] }>(await send("POST", path, body), 400);
        assert.deepEqual(
          refused.errors.map((e) => e.field),
          [field],
        );
      }
      assert.equal((await send("POST", "/api/runs/999999/flags", { verdict: "bad", note: "x" })).status, 404);

      const withdrawn = await json<RunFlag>(
        await send("POST", `${path}/${bad.id}/withdraw`, { reason: "it was a calibration pulse" }),
        200,
      );
      assert.deepEqual(withdrawn.withdrawn?.reason, "it was a calibration pulse");
      assert.equal((await send("POST", `${path}/${bad.id}/withdraw`, {})).status, 409);
      await json(await send("POST", path, { verdict: "reviewed", note: "gains fine after the pulse" }), 201);
      const now = await json<{ verdict: string; flags: RunFlag[] }>(await api(path), 200);
      assert.equal(now.verdict, "reviewed");
      assert.deepEqual(
        now.flags.map((f) => [f.verdict, f.withdrawn !== null]),
        [
          ["bad", true],
          ["reviewed", false],
        ],
      );
      assert.deepEqual((await json<{ runs: unknown[] }>(await api("/api/flags?filter=unreviewed"), 200)).runs, []);
      assert.equal((await api("/api/flags?filter=soon")).status, 400);
      // The snapshot directory carries every flag, withdrawn ones too.
      const file = JSON.parse(readFileSync(join(snapshotDir, "flags.json"), "utf8")) as { flags: RunFlag[] };
      assert.deepEqual(
        file.flags.filter((f) => f.run === run.id).map((f) => f.verdict),
        ["bad", "reviewed"],
      );
    });
  });
}

// The purge after 30 days, on the stores themselves (a test cannot wait a month).
const openers: Record<string, () => Promise<{ store: DashboardStore; done: () => void }>> = {
  embedded: async () => {
    const dir = mkdtempSync(join(tmpdir(), "runboard-purge-"));
    const readings = await EmbeddedStore.open(dir);
    return {
      store: await EmbeddedDashboardStore.open(await readings.connect()),
      done: () => (readings.close(), rmSync(dir, { recursive: true, force: true })),
    };
  },
  postgres: async () => ({ store: await PostgresDashboardStore.open(databaseUrl), done: () => undefined }),
};
for (const [kind, open] of Object.entries(openers)) {
  it(`${kind} store: a dashboard deleted more than 30 days ago is purged, every revision of it`, async () => {
    const { store, done } = await open();
    const made = await store.create(emptyDashboard("old news"), { owner: "eve", site: "viewer", users: {} });
    await store.update(made.id, emptyDashboard("old news 2"));
    await store.setFavourite("eve", made.id, true);
    assert.ok(await store.remove(made.id, "eve"));
    assert.ok(
      (await store.deleted()).some((d) => d.id === made.id),
      "restorable at first",
    );
    assert.ok(!(await store.deleted(Date.now() + UNDELETE_MS + 60_000)).some((d) => d.id === made.id));
    assert.equal(await store.revision(made.id, 1), undefined);
    assert.equal(await store.undelete(made.id), false);
    assert.ok(!(await store.favourites("eve")).has(made.id));
    await store.close();
    done();
  });
}
