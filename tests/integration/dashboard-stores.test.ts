// The same behaviour, checked on every DashboardStore: the embedded DuckDB one and PostgreSQL
// (the throwaway cluster `npm test` starts, or DATABASE_URL).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { emptyDashboard } from "../../src/core/dashboard.js";
import { EmbeddedStore } from "../../server/store/embedded-store.js";
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
      const created = await store.create({ ...emptyDashboard(`list test ${kind}`) });
      assert.equal(created.revision, 1);
      assert.match(created.id, /^[A-Za-z0-9_-]{6,40}$/);
      const read = await store.get(created.id);
      assert.deepEqual(read?.dashboard, created.dashboard);
      const listed = await store.list();
      assert.ok(listed.some((d) => d.id === created.id && d.title === `list test ${kind}` && d.revision === 1));
    });

    it("keeps every revision and serves the newest", async () => {
      const created = await store.create(emptyDashboard("v1"));
      const second = await store.update(created.id, emptyDashboard("v2"));
      assert.ok(second.ok && second.record.revision === 2);
      assert.equal((await store.get(created.id))?.dashboard.title, "v2");
      assert.deepEqual(
        (await store.history(created.id)).map((h) => h.revision),
        [1, 2],
      );
    });

    it("refuses a save based on a stale revision, and an unknown id", async () => {
      const created = await store.create(emptyDashboard("base"));
      assert.ok((await store.update(created.id, emptyDashboard("mine"), 1)).ok);
      assert.deepEqual(await store.update(created.id, emptyDashboard("theirs"), 1), { ok: false, reason: "conflict", latest: 2 });
      assert.deepEqual(await store.update("doesnotexist", emptyDashboard("x")), { ok: false, reason: "not-found" });
      assert.equal(await store.get("doesnotexist"), undefined);
    });

    it("still has the dashboards after it is closed and opened again", async () => {
      const created = await store.create(emptyDashboard("durable"));
      await store.close();
      const again = await reopen();
      assert.equal((await again.get(created.id))?.dashboard.title, "durable");
      await again.close();
    });
  });
}
