// The embedded store as a snapshot source reads its columns straight out of DuckDB's vectors
// (loaders/duckdb/chunk-reader.ts): every kind of stored value must come out as it went in.
// NULL elements and NULL rows of an image cannot come through ingest (it takes finite numbers
// only) but a binary batch's NaN is stored as NULL, so they are written here in SQL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { ingestBatchSchema } from "../../src/core/ingest.js";
import { EmbeddedSource } from "../../loaders/sources/embedded-source.js";
import { takeSnapshot } from "../../loaders/snapshot/take-snapshot.js";
import { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";

const dir = mkdtempSync(join(tmpdir(), "runboard-embedded-source-"));
const out = join(dir, "snapshots");
const T0 = Date.UTC(2026, 11, 1, 20, 0, 0);
let store: EmbeddedStore;

before(async () => {
  store = await EmbeddedStore.open(dir);
  const stored = await store.ingest(
    ingestBatchSchema.parse({
      runs: [{ id: 1, start: T0, stop: T0 + 60_000 }],
      observables: [
        { name: "temp", shape: "scalar" },
        { name: "wf", shape: "1d", dims: [3] },
        { name: "img", shape: "2d", dims: [2, 2] },
      ],
      readings: [
        { observable: "temp", run: 1, t: T0 + 1000, value: 20.5 },
        { observable: "wf", run: 1, t: T0 + 1000, value: [1, 2, 3] },
        {
          observable: "img",
          run: 1,
          t: T0 + 1000,
          value: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    }),
  );
  assert.ok(stored.ok);
  // Past the store's own seq, as a binary batch with NaN would have stored them.
  const db = await store.connect();
  const seq = store.lastSeq();
  const at = (s: number) => `make_timestamp(${(T0 + s * 1000) * 1000})`;
  await db.run(`INSERT INTO readings (seq, run, observable, channel, t, value, value_1d, value_2d) VALUES
    (${seq + 1}, 1, 'wf', 0, ${at(2)}, NULL, [4, NULL, 6], NULL),
    (${seq + 2}, 1, 'img', 0, ${at(2)}, NULL, NULL, [[5], [6, 7]]),
    (${seq + 3}, 1, 'img', 0, ${at(3)}, NULL, NULL, [[8, NULL], NULL]),
    (${seq + 4}, 1, 'temp', 0, ${at(2)}, NULL, NULL, NULL),
    (${seq + 5}, 1, 'wf', 0, ${at(1)}, NULL, [7, 8, 9], NULL)`);
  db.closeSync();
  await takeSnapshot(new EmbeddedSource(store), { out, selection: { kind: "run", run: 1 }, lodSeconds: [] });
});
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

it("1d and 2d arrays come out whole: NULL elements, a ragged image, a NULL row (empty), a repeat resent later wins", async () => {
  const rows = await queryParquet<{ observable: string; t: number; value_1d: unknown; value_2d: unknown }>(
    "SELECT observable, epoch_ms(t) - $t0 AS t, value_1d, value_2d FROM read_parquet($files) ORDER BY observable, t",
    snapshotFiles(out, "array"),
    { t0: T0 },
  );
  assert.deepEqual(
    rows.map((r) => [r.observable, Number(r.t), r.value_1d ?? r.value_2d]),
    [
      [
        "img",
        1000,
        [
          [1, 2],
          [3, 4],
        ],
      ],
      ["img", 2000, [[5], [6, 7]]],
      ["img", 3000, [[8, null], []]],
      ["wf", 1000, [7, 8, 9]],
      ["wf", 2000, [4, null, 6]],
    ],
  );
});

it("scalars come out with their NULLs", async () => {
  const rows = await queryParquet<{ t: number; value: number | null }>(
    "SELECT epoch_ms(t) - $t0 AS t, value FROM read_parquet($files) WHERE observable = 'temp' ORDER BY t",
    snapshotFiles(out, "scalar"),
    { t0: T0 },
  );
  assert.deepEqual(
    rows.map((r) => [Number(r.t), r.value]),
    [
      [1000, 20.5],
      [2000, null],
    ],
  );
});
