import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { Manifest, ManifestRun } from "../../src/core/manifest.js";
import { checkReviewSize, chooseRuns, reviewSnapshotManifest } from "../../src/core/review.js";
import { parseSelection } from "../../src/core/time-window.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const run = (id: number, start: number, stop: number | null): ManifestRun => ({
  run: id,
  status: stop === null ? "running" : "stopped",
  start,
  stop,
  fingerprint: { rows: 1, firstMicros: null, lastMicros: null, version: null },
  catalogHash: "c",
  writtenAt: "2026-12-01T00:00:00Z",
  query: `SELECT ... WHERE run = ${id}`,
  rows: { scalar: 10, array: 0 },
  stats: { nulls: 0, nonFinite: 0, noTime: 0, duplicates: 0, ragged: 0 },
  files: [{ kind: "scalar", path: `runs/${id}/scalars-${id}.parquet`, rows: 10, bytes: 1000 * id, sha256: sha(String(id)) }],
  lod: {},
  lodSeconds: [10],
});
const H = 3_600_000;
const t0 = Date.parse("2026-03-10T18:00:00Z");
const manifest: Manifest = {
  format: "runboard-snapshot",
  version: 2,
  source: "postgres db@host",
  createdAt: "2026-03-10T00:00:00Z",
  updatedAt: "2026-03-11T08:00:00Z",
  contentHash: "x",
  catalog: "catalog.json",
  liveSeq: 42,
  runs: [run(3, t0 + 2 * H, t0 + 3 * H), run(1, t0, t0 + H), run(2, t0 + H, t0 + 2 * H), run(9, t0 + 30 * H, null)],
  errors: [{ run: 7, message: "failed once" }],
};

describe("a review's contents", () => {
  it("chooses the snapshot's runs a selection names, in run order", () => {
    const now = t0 + 31 * H;
    assert.deepEqual(
      chooseRuns(manifest, parseSelection("runs:1-3"), now).runs.map((r) => r.run),
      [1, 2, 3],
    );
    assert.deepEqual(
      chooseRuns(manifest, parseSelection("night:2026-03-10"), now).runs.map((r) => r.run),
      [1, 2, 3],
    );
    assert.deepEqual(
      chooseRuns(manifest, parseSelection("latest"), now).runs.map((r) => r.run),
      [9],
    );
    assert.deepEqual(chooseRuns(manifest, parseSelection("runs:50-60"), now).runs, []);
  });

  it("names the selected runs the snapshot could not write, by number or by time, and the stale ones", () => {
    const withFailures: Manifest = {
      ...manifest,
      errors: [
        { run: 108, message: "Out of Memory", start: t0 + 3 * H, stop: t0 + 4 * H, status: "stopped" },
        { run: 2, message: "connection reset" },
        { run: null, message: "observables.x: no such column" },
      ],
    };
    const byNumber = chooseRuns(withFailures, parseSelection("runs:1-108"), t0 + 31 * H);
    assert.deepEqual(
      byNumber.runs.map((r) => r.run),
      [1, 2, 3, 9],
    );
    assert.deepEqual(byNumber.missing, [{ run: 108, message: "Out of Memory" }]);
    assert.deepEqual(byNumber.stale, [{ run: 2, message: "connection reset" }]);
    const byNight = chooseRuns(withFailures, parseSelection("night:2026-03-10"), t0 + 31 * H);
    assert.deepEqual(
      byNight.missing.map((m) => m.run),
      [108],
    );
    assert.deepEqual(chooseRuns(withFailures, parseSelection("runs:1-3"), t0 + 31 * H).missing, []);
  });

  it("keeps only the chosen runs in the snapshot manifest, not live, hashed over what is left", () => {
    const chosen = chooseRuns(manifest, parseSelection("runs:2-3"), t0).runs;
    const kept = reviewSnapshotManifest(manifest, chosen, sha);
    assert.deepEqual(
      kept.runs.map((r) => r.run),
      [2, 3],
    );
    assert.equal(kept.liveSeq, null);
    assert.deepEqual(kept.errors, []);
    assert.equal(kept.contentHash, sha([sha("2"), sha("3")].join("\n")));
    // Deterministic: the same runs give the same manifest, whatever their order.
    assert.deepEqual(reviewSnapshotManifest(manifest, [...chosen].reverse(), sha), kept);
  });

  it("refuses a review over the size limit, naming its biggest parts", () => {
    const parts = [
      { name: "run 1", bytes: 2e6 },
      { name: "run 2", bytes: 9e6 },
      { name: "the site", bytes: 5e6 },
    ];
    assert.equal(checkReviewSize(parts, 20e6), undefined);
    const refusal = checkReviewSize(parts, 10e6)!;
    assert.match(refusal, /16\.0 MB, more than --max-size 10\.0 MB/);
    assert.match(refusal, /run 2 \(9\.0 MB\), the site \(5\.0 MB\), run 1 \(2\.0 MB\)/);
  });
});
