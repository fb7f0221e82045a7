import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunInfo } from "../../src/core/catalog.js";
import { runStatusFrom } from "../../src/core/catalog.js";
import { nightStartingOn, parseSelection, resolveSelection } from "../../src/core/time-window.js";

const at = (iso: string) => Date.parse(iso);
const run = (id: number, start: string, stop: string | null): RunInfo => ({
  id,
  start: at(start),
  stop: stop === null ? null : at(stop),
  status: runStatusFrom(stop === null ? null : at(stop)),
  meta: {},
});
const runs = [
  run(10, "2026-03-01T20:00:00Z", "2026-03-01T21:00:00Z"),
  run(11, "2026-03-01T21:00:00Z", "2026-03-01T22:00:00Z"),
  run(12, "2026-03-05T20:00:00Z", "2026-03-05T23:00:00Z"),
  run(13, "2026-03-09T23:00:00Z", null),
];
const now = at("2026-03-10T01:00:00Z");
const ids = (r: ReturnType<typeof resolveSelection>) => r?.runs.map((x) => x.id);

describe("data selections", () => {
  it("takes a plain run number or a range of them, as a physicist types them", () => {
    assert.deepEqual(parseSelection("25499"), { kind: "run", run: 25499 });
    assert.deepEqual(parseSelection(" 25495-25498 "), { kind: "runs", from: 25495, to: 25498 });
    assert.deepEqual(parseSelection("run:25499"), parseSelection("25499"));
    assert.throws(() => parseSelection("25498-25495"), /runs/);
    assert.throws(() => parseSelection("25499x"), /25499x/);
  });

  it("a single run, a run range and the newest run", () => {
    assert.deepEqual(resolveSelection(runs, { kind: "run", run: 11 }, now)?.window, {
      from: at("2026-03-01T21:00:00Z"),
      to: at("2026-03-01T22:00:00Z"),
    });
    assert.equal(resolveSelection(runs, { kind: "run", run: 99 }, now), undefined);
    assert.deepEqual(ids(resolveSelection(runs, { kind: "runs", from: 11, to: 12 }, now)), [11, 12]);
    // The newest run is still going: its window ends now.
    assert.deepEqual(resolveSelection(runs, { kind: "latest" }, now), {
      runs: [runs[3]],
      window: { from: runs[3]!.start, to: now },
    });
  });

  it("relative and absolute windows pick the runs that overlap them", () => {
    assert.deepEqual(ids(resolveSelection(runs, { kind: "relative", seconds: 6 * 3600 }, now)), [13]);
    assert.deepEqual(
      ids(resolveSelection(runs, { kind: "absolute", from: at("2026-03-01T21:30:00Z"), to: at("2026-03-05T20:30:00Z") }, now)),
      [11, 12],
    );
  });

  it("a night with no data falls back to the last night that has some, and says so", () => {
    const tonight = resolveSelection(runs, { kind: "night" }, now)!;
    assert.deepEqual(tonight.window, { from: at("2026-03-09T12:00:00Z"), to: at("2026-03-10T12:00:00Z") });
    assert.equal(tonight.note, undefined);
    const empty = resolveSelection(runs, { kind: "night", day: "2026-03-04" }, now)!;
    assert.deepEqual(ids(empty), [10, 11]);
    assert.equal(empty.note, "no data in the night of 2026-03-04; showing 2026-03-01");
    assert.equal(resolveSelection(runs, { kind: "night", day: "2026-03-04", maxLookbackDays: 2 }, now), undefined);
    // A site at UTC-5: its night of 2026-03-05 runs 17:00 UTC to 17:00 UTC.
    assert.deepEqual(nightStartingOn("2026-03-05", -300), { from: at("2026-03-05T17:00:00Z"), to: at("2026-03-06T17:00:00Z") });
  });

  it("parses the text forms the CLI and page URLs use, and says what it expected", () => {
    assert.deepEqual(parseSelection("run:1003"), { kind: "run", run: 1003 });
    assert.deepEqual(parseSelection("runs:1000-1010"), { kind: "runs", from: 1000, to: 1010 });
    assert.deepEqual(parseSelection("latest"), { kind: "latest" });
    assert.deepEqual(parseSelection("last:6h"), { kind: "relative", seconds: 21600 });
    assert.deepEqual(parseSelection("last:90s"), { kind: "relative", seconds: 90 });
    assert.deepEqual(parseSelection("window:2026-03-10T18:00Z/2026-03-11T06:00Z"), {
      kind: "absolute",
      from: at("2026-03-10T18:00:00Z"),
      to: at("2026-03-11T06:00:00Z"),
    });
    assert.deepEqual(parseSelection("night:2026-03-10", { utcOffsetMinutes: 60 }), {
      kind: "night",
      day: "2026-03-10",
      utcOffsetMinutes: 60,
    });
    assert.throws(() => parseSelection("runs:1010-1000"), /first <= last/);
    assert.throws(() => parseSelection("last:6x"), /positive duration/);
    assert.throws(() => parseSelection("night:yesterday"), /not a date/);
    // Not read as 1 December.
    assert.throws(() => parseSelection("night:2026-11-31"), /2026-11-31 is not a day of the calendar/);
    assert.throws(() => parseSelection("night:2026-02-29"), /not a day of the calendar/);
    assert.equal(nightStartingOn("2028-02-29").from, at("2028-02-29T12:00:00Z"));
    assert.throws(() => parseSelection("everything"), /expected run:<id>/);
  });

  it("a run that was never closed ends at its newest reading, so it does not claim every later night", () => {
    // Run 20 lost its stop record on the night of 03-01; nothing was read after 03-01 22:00.
    const crashed = [run(20, "2026-03-01T20:00:00Z", null), run(21, "2026-03-05T20:00:00Z", "2026-03-05T22:00:00Z")];
    const later = at("2026-03-12T01:00:00Z");
    const lastReading = (id: number) => (id === 20 ? at("2026-03-01T22:00:00Z") : undefined);
    const night = resolveSelection(crashed, { kind: "night", day: "2026-03-08" }, later, lastReading)!;
    assert.equal(night.note, "no data in the night of 2026-03-08; showing 2026-03-05");
    assert.deepEqual(ids(night), [21]);
    // Without knowing its readings, the open run would have been taken for data that night.
    assert.equal(resolveSelection(crashed, { kind: "night", day: "2026-03-08" }, later)!.note, undefined);
    // An open run with no readings at all ends where it started.
    assert.deepEqual(ids(resolveSelection(crashed, { kind: "relative", seconds: 86_400 }, later, () => null)), []);
  });

  it("maps a source's own words for how a run ended", () => {
    assert.equal(runStatusFrom(null), "running");
    assert.equal(runStatusFrom(5), "stopped");
    assert.equal(runStatusFrom(5, "abort"), "aborted");
    assert.equal(runStatusFrom(5, "fail"), "failed");
    assert.equal(runStatusFrom(5, "success"), "stopped");
  });
});
