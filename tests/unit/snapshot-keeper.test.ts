// The snapshot keeper shares its work: a review asked for while the schedule's refresh runs
// waits for that refresh and takes its files, rather than rewriting the same (perhaps growing)
// runs a second time right behind it (issue 23, finding 9: that doubled the refreshes while a
// reviewer published back to back, and ingest slowed with them).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { parseConfig } from "../../loaders/config.js";
import { ingestBatchSchema } from "../../src/core/ingest.js";
import { SnapshotKeeper } from "../../server/snapshots/snapshot-keeper.js";
import { EmbeddedStore } from "../../loaders/store/embedded-store.js";

const dir = mkdtempSync(join(tmpdir(), "runboard-keeper-"));
let store: EmbeddedStore;
let keeper: SnapshotKeeper;

before(async () => {
  store = await EmbeddedStore.open(dir);
  const now = Date.now();
  const stored = await store.ingest(
    ingestBatchSchema.parse({
      runs: [{ id: 5, start: now - 60_000 }],
      observables: [{ name: "probe.rate", shape: "scalar" }],
      readings: Array.from({ length: 500 }, (_, i) => ({ observable: "probe.rate", run: 5, t: now - 50_000 + i, value: i })),
    }),
  );
  assert.ok(stored.ok);
  keeper = new SnapshotKeeper({
    dir: join(dir, "snapshots"),
    config: parseConfig({}),
    store,
    defaultSelection: { kind: "latest" },
    intervalMs: 0,
    log: () => undefined,
  });
  await keeper.start();
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a review asked for during the schedule's refresh takes that refresh's files instead of a second one", async () => {
  const scheduled = keeper.refresh({ reason: "schedule" });
  await keeper.refreshUnlessRecent({ kind: "run", run: 5 }, 60_000, "review");
  assert.equal((await scheduled).written.join(), "5");
  assert.equal(keeper.progress().last?.reason, "schedule", "no refresh ran for the review");
});

it("a review long after the last refresh brings its runs up to date itself", async () => {
  await keeper.refreshUnlessRecent({ kind: "run", run: 5 }, 0, "review");
  assert.equal(keeper.progress().last?.reason, "review");
});
