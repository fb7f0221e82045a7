import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeRunIds, lastNightWithData, latestRun, nightContaining } from "../../src/core/time-window.js";

const at = (iso: string) => Date.parse(iso);

describe("time windows", () => {
  it("a night runs from 12:00 to 12:00 at the site", () => {
    assert.deepEqual(nightContaining(at("2026-03-10T23:00:00Z")), {
      from: at("2026-03-10T12:00:00Z"),
      to: at("2026-03-11T12:00:00Z"),
    });
    assert.deepEqual(nightContaining(at("2026-03-11T11:59:59Z")), {
      from: at("2026-03-10T12:00:00Z"),
      to: at("2026-03-11T12:00:00Z"),
    });
    assert.deepEqual(nightContaining(at("2026-03-11T12:00:00Z")), {
      from: at("2026-03-11T12:00:00Z"),
      to: at("2026-03-12T12:00:00Z"),
    });
    // A site at UTC-5: its noon is 17:00 UTC.
    assert.deepEqual(nightContaining(at("2026-03-11T16:00:00Z"), -300), {
      from: at("2026-03-10T17:00:00Z"),
      to: at("2026-03-11T17:00:00Z"),
    });
  });

  it("looks back night by night for the last one with data, up to the limit", async () => {
    const dataAt = at("2026-03-02T22:00:00Z");
    const asked: number[] = [];
    const night = await lastNightWithData(at("2026-03-10T20:00:00Z"), (w) => {
      asked.push(w.from);
      return w.from <= dataAt && dataAt < w.to;
    });
    assert.deepEqual(night, { from: at("2026-03-02T12:00:00Z"), to: at("2026-03-03T12:00:00Z") });
    assert.equal(asked.length, 9);
    assert.equal(await lastNightWithData(at("2026-03-10T20:00:00Z"), () => false, { maxLookbackDays: 5 }), undefined);
  });

  it("picks the newest run", () => {
    const runs = [
      { id: 7, start: 1000, stop: 5000, status: "stopped" as const, meta: {} },
      { id: 8, start: 6000, stop: null, status: "running" as const, meta: {} },
    ];
    assert.equal(latestRun(runs)?.id, 8);
  });
});

describe("describeRunIds", () => {
  it("names one run, a stretch, and runs that are not consecutive by their stretches", () => {
    assert.equal(describeRunIds([1003]), "run 1003");
    assert.equal(describeRunIds([1002, 1000, 1001, 1001]), "runs 1000–1002 (3)");
    assert.equal(describeRunIds([41, 42, 43, 25170, 25171, 25172]), "runs 41–43, 25170–25172 (6)");
    assert.equal(describeRunIds([5, 7]), "runs 5, 7 (2)");
    assert.equal(describeRunIds([1, 3, 5, 7, 9, 10]), "runs 1, 3, …, 9–10 (6)");
    assert.equal(describeRunIds([]), "no runs");
  });
});
