// The same behaviour, checked on every DashboardStore: the embedded DuckDB one and PostgreSQL
// (the throwaway cluster `npm test` starts, or DATABASE_URL).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { emptyDashboard } from "../../src/core/dashboard.js";
import { LEGACY_DASHBOARD_ACCESS, newDashboardAccess } from "../../src/core/access.js";

const MINE = newDashboardAccess("eve");
import { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import type { DashboardStore } from "../../server/dashboards/dashboard-store.js";
import { EmbeddedDashboardStore } from "../../server/dashboards/embedded-dashboard-store.js";
import { PostgresDashboardStore } from "../../server/dashboards/postgres-dashboard-store.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the integration tests through npm test");

const factories: Record<
  string,
  () => Promise<{ store: DashboardStore; reopen: () => Promise<DashboardStore>; cleanup: () => void }>
> = {
  embedded: async () => {
    const dir = mkdtempSync(join(tmpdir(), "runboard-dash-"));
    let readings = await EmbeddedStore.open(dir);
    return {
      store: await EmbeddedDashboardStore.open(await readings.connect()),
      reopen: async () => {
        readings.close();
        readings = await EmbeddedStore.open(dir);
        return EmbeddedDashboardStore.open(await readings.connect());
      },
      cleanup: () => {
        readings.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  postgres: async () => ({
    store: await PostgresDashboardStore.open(databaseUrl),
    reopen: () => PostgresDashboardStore.open(databaseUrl),
    cleanup: () => undefined,
  }),
};

for (const [kind, open] of Object.entries(factories)) {
  describe(`${kind} dashboard store`, async () => {
    const { store, reopen, cleanup } = await open();
    after(async () => {
      cleanup();
    });

    it("creates, reads back and lists a dashboard", async () => {
      const created = await store.create({ ...emptyDashboard(`list test ${kind}`) }, MINE);
      assert.equal(created.revision, 1);
      assert.match(created.id, /^[A-Za-z0-9_-]{6,40}$/);
      const read = await store.get(created.id);
      assert.deepEqual(read?.dashboard, created.dashboard);
      const listed = await store.list();
      assert.ok(listed.some((d) => d.id === created.id && d.title === `list test ${kind}` && d.revision === 1));
    });

    it("keeps every revision and serves the newest", async () => {
      const created = await store.create(emptyDashboard("v1"), MINE);
      const second = await store.update(created.id, emptyDashboard("v2"));
      assert.ok(second.ok && second.record.revision === 2);
      assert.equal((await store.get(created.id))?.dashboard.title, "v2");
      assert.deepEqual(
        (await store.history(created.id)).map((h) => h.revision),
        [1, 2],
      );
    });

    it("refuses a save based on a stale revision, and an unknown id", async () => {
      const created = await store.create(emptyDashboard("base"), MINE);
      assert.ok((await store.update(created.id, emptyDashboard("mine"), 1)).ok);
      assert.deepEqual(await store.update(created.id, emptyDashboard("theirs"), 1), { ok: false, reason: "conflict", latest: 2 });
      assert.deepEqual(await store.update("doesnotexist", emptyDashboard("x")), { ok: false, reason: "not-found" });
      assert.equal(await store.get("doesnotexist"), undefined);
    });

    it("keeps who saved each revision and why, and reads back any revision as it was", async () => {
      const created = await store.create(emptyDashboard("first"), MINE, { author: "eve", message: "the night shift's view" });
      assert.ok((await store.update(created.id, emptyDashboard("second"), 1, { author: "ed", message: "" })).ok);
      assert.deepEqual(
        (await store.history(created.id)).map((r) => [r.revision, r.author, r.message]),
        [
          [1, "eve", "the night shift's view"],
          [2, "ed", ""],
        ],
      );
      assert.equal((await store.revision(created.id, 1))?.dashboard.title, "first");
      assert.equal((await store.revision(created.id, 2))?.dashboard.title, "second");
      assert.equal(await store.revision(created.id, 3), undefined);
    });

    it("keeps who owns a dashboard and with whom it is shared, in the list too", async () => {
      const created = await store.create(emptyDashboard("shared"), MINE);
      assert.deepEqual(await store.access(created.id), { owner: "eve", site: "viewer", users: {} });
      const shared = { owner: "eve", site: "none" as const, users: { ed: "editor" as const } };
      assert.equal(await store.setAccess(created.id, shared), true);
      assert.deepEqual(await store.access(created.id), shared);
      assert.ok((await store.update(created.id, emptyDashboard("shared, v2"))).ok, "a new revision keeps the shares");
      assert.deepEqual((await store.list()).find((d) => d.id === created.id)?.access, shared);
      assert.equal(await store.access("doesnotexist"), undefined);
      assert.equal(await store.setAccess("doesnotexist", shared), false);
    });

    it("treats a dashboard from before owners as no one's, editable by all", async () => {
      const created = await store.create(emptyDashboard("old"), MINE);
      // As an older runboard left it: a dashboard and no access row.
      await dropAccess(store, created.id);
      assert.deepEqual(await store.access(created.id), LEGACY_DASHBOARD_ACCESS);
      assert.deepEqual((await store.list()).find((d) => d.id === created.id)?.access, LEGACY_DASHBOARD_ACCESS);
    });

    it("still has the dashboards after it is closed and opened again", async () => {
      const created = await store.create(emptyDashboard("durable"), MINE);
      await store.close();
      const again = await reopen();
      assert.equal((await again.get(created.id))?.dashboard.title, "durable");
      await again.close();
    });
  });
}

/** Removes a dashboard's access row, as a store written before owners has none. */
async function dropAccess(store: DashboardStore, id: string): Promise<void> {
  const inner = store as unknown as {
    db?: { run(sql: string, p: object): Promise<unknown> };
    pool?: { query(sql: string, p: unknown[]): Promise<unknown> };
  };
  if (inner.db) await inner.db.run("DELETE FROM dashboard_access WHERE id = $id", { id });
  else await inner.pool!.query("DELETE FROM runboard_dashboard_access WHERE id = $1", [id]);
}
