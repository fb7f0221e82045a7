import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { RunInfo } from "../../src/core/catalog.js";
import {
  type TimeChoice,
  chosenRuns,
  dashboardView,
  formatRunSelection,
  formatWindow,
  parseRunSelection,
  parseWindow,
  timeFromQuery,
  timeQuery,
} from "../../src/core/dashboard-time.js";
import type { DashboardWindow, RunSelection } from "../../src/core/dashboard.js";

const at = (iso: string) => Date.parse(iso);
const H = 3600_000;
// Four stopped runs of one hour on the evening of 2026-03-10, then a gap, then one running.
const runs: RunInfo[] = [
  { id: 100, start: at("2026-03-10T18:00:00Z"), stop: at("2026-03-10T19:00:00Z"), status: "stopped", meta: {} },
  { id: 101, start: at("2026-03-10T19:00:00Z"), stop: at("2026-03-10T20:00:00Z"), status: "stopped", meta: {} },
  { id: 102, start: at("2026-03-10T20:00:00Z"), stop: at("2026-03-10T21:00:00Z"), status: "stopped", meta: {} },
  { id: 103, start: at("2026-03-10T21:00:00Z"), stop: at("2026-03-10T22:00:00Z"), status: "stopped", meta: {} },
  { id: 104, start: at("2026-03-12T20:00:00Z"), stop: null, status: "running", meta: {} },
];
const now = at("2026-03-12T21:30:00Z");
const defaults: TimeChoice = { runSelection: { mode: "latest" }, window: { kind: "relative", seconds: 3600 }, refreshSeconds: 0 };
const view = (runSelection: RunSelection, window: DashboardWindow, utcOffsetMinutes = 0) =>
  dashboardView(runs, { runSelection, window }, now, { utcOffsetMinutes });

describe("dashboard run and time controls", () => {
  it("follows the newest run over the last hour, sliding and live", () => {
    const v = view({ mode: "latest" }, { kind: "relative", seconds: 3600 })!;
    assert.equal(v.run.id, 104);
    assert.deepEqual(v.runs, [104]);
    assert.deepEqual(v.window, { from: now - H, to: now });
    assert.equal(v.slides, true);
    assert.deepEqual(v.live, { follow: "all" });
  });

  it("shows one stopped run's last hour, or all of it, not live", () => {
    const tail = view({ mode: "run", run: 101 }, { kind: "relative", seconds: 1800 })!;
    assert.deepEqual(tail.window, { from: at("2026-03-10T19:30:00Z"), to: at("2026-03-10T20:00:00Z") });
    assert.equal(tail.live, null);
    assert.equal(tail.slides, false);
    // A window longer than the run starts with the run.
    assert.equal(view({ mode: "run", run: 101 }, { kind: "relative", seconds: 86400 })!.window.from, runs[1]!.start);
    assert.equal(view({ mode: "run", run: 999 }, { kind: "relative", seconds: 60 }), undefined);
  });

  it("shows a range of runs whole, and the last N runs", () => {
    const range = view({ mode: "range", from: 101, to: 103 }, { kind: "runs" })!;
    assert.deepEqual(range.runs, [101, 102, 103]);
    assert.deepEqual(range.window, { from: runs[1]!.start, to: runs[3]!.stop });
    assert.equal(range.run.id, 103);
    // A relative window over a range keeps to the chosen runs, never before the first.
    const lastHours = view({ mode: "range", from: 100, to: 102 }, { kind: "relative", seconds: 90 * 60 })!;
    assert.deepEqual(lastHours.runs, [101, 102]);
    assert.deepEqual(lastHours.window, { from: at("2026-03-10T19:30:00Z"), to: at("2026-03-10T21:00:00Z") });
    const last2 = view({ mode: "last", count: 2 }, { kind: "runs" })!;
    assert.deepEqual(last2.runs, [103, 104]);
    assert.deepEqual(last2.live, { follow: "all" });
    assert.deepEqual(
      chosenRuns(runs, { mode: "last", count: 50 }).map((r) => r.id),
      [100, 101, 102, 103, 104],
    );
    assert.equal(view({ mode: "range", from: 200, to: 300 }, { kind: "runs" }), undefined);
  });

  it("shows a running run whole from its start as it grows, not sliding past its first readings", () => {
    const whole = view({ mode: "run", run: 104 }, { kind: "runs" })!;
    assert.deepEqual(whole.window, { from: runs[4]!.start, to: now });
    assert.equal(whole.slides, false);
    assert.equal(whole.grows, true);
    assert.equal(view({ mode: "run", run: 101 }, { kind: "runs" })!.grows, false);
  });

  it("does not count a run that stopped exactly where the window starts (runs aligned to the hour)", () => {
    // Runs 100-103 end on the hour; the last 2 hours of 100-103 start as run 101 stops.
    const lastTwo = view({ mode: "range", from: 100, to: 103 }, { kind: "relative", seconds: 2 * 3600 })!;
    assert.deepEqual(lastTwo.window, { from: at("2026-03-10T20:00:00Z"), to: at("2026-03-10T22:00:00Z") });
    assert.deepEqual(lastTwo.runs, [102, 103]);
  });

  it("a fixed span shows the runs in it, whatever the run picker says", () => {
    const v = view(
      { mode: "run", run: 104 },
      { kind: "absolute", from: at("2026-03-10T19:30:00Z"), to: at("2026-03-10T20:30:00Z") },
    )!;
    assert.deepEqual(v.runs, [101, 102]);
    assert.equal(v.live, null);
    assert.equal(
      view({ mode: "latest" }, { kind: "absolute", from: at("2026-03-11T00:00:00Z"), to: at("2026-03-11T06:00:00Z") }),
      undefined,
    );
  });

  it("an observing night runs noon to noon at the site and falls back to the last night with data, saying so", () => {
    const night = view({ mode: "latest" }, { kind: "night", day: "2026-03-10" })!;
    assert.deepEqual(night.window, { from: at("2026-03-10T12:00:00Z"), to: at("2026-03-11T12:00:00Z") });
    assert.deepEqual(night.runs, [100, 101, 102, 103]);
    assert.equal(night.note, undefined);
    // Chicago in winter (UTC-5): the night of the 10th starts at 17:00 UTC, and 100-103 are in it.
    const chicago = view({ mode: "latest" }, { kind: "night", day: "2026-03-10" }, -300)!;
    assert.deepEqual(chicago.window, { from: at("2026-03-10T17:00:00Z"), to: at("2026-03-11T17:00:00Z") });
    // The night of the 11th has no run: the one before it is shown, and the note says which.
    const empty = view({ mode: "latest" }, { kind: "night", day: "2026-03-11" })!;
    assert.equal(empty.window.from, at("2026-03-10T12:00:00Z"));
    assert.match(empty.note!, /no data in the night of 2026-03-11; showing the night of 2026-03-10/);
    // Tonight (no day) is the night containing now, with the running run, live.
    const tonight = view({ mode: "latest" }, { kind: "night" })!;
    assert.deepEqual(tonight.runs, [104]);
    assert.deepEqual(tonight.live, { follow: "all" });
  });

  it("reads and writes the address, readable and only where it differs from the defaults", () => {
    const choice: TimeChoice = {
      runSelection: { mode: "range", from: 1000, to: 1010 },
      window: { kind: "absolute", from: at("2026-03-10T18:00:00Z"), to: at("2026-03-11T06:00:00Z") },
      refreshSeconds: 30,
    };
    const query = timeQuery(choice, defaults, { edit: "" });
    assert.equal(query, "?edit&run=1000-1010&window=2026-03-10T18:00:00Z/2026-03-11T06:00:00Z&refresh=30s");
    assert.deepEqual(timeFromQuery(query, defaults), { choice, errors: [] });
    assert.equal(timeQuery(defaults, defaults), "");
    assert.equal(timeQuery({ ...defaults, window: { kind: "night", day: "2026-03-10" } }, defaults), "?window=night:2026-03-10");
  });

  it("names the parameter of a bad address and keeps the default for it", () => {
    const { choice, errors } = timeFromQuery("?run=12-3&window=90x&refresh=2s", defaults);
    assert.deepEqual(choice, defaults);
    assert.deepEqual(
      errors.map((e) => e.field),
      ["run", "window", "refresh"],
    );
    assert.match(errors[0]!.message, /first run must not come after the last/);
    assert.match(String(parseWindow("8d")), /at most 7d/);
    assert.match(String(parseWindow("night:2026-02-30")), /not a day of the calendar/);
    assert.match(String(parseWindow("2026-03-11T00:00Z/2026-03-10T00:00Z")), /end after it starts/);
  });

  it("round-trips every run selection and window through its text", () => {
    const selection = fc.oneof(
      fc.constant<RunSelection>({ mode: "latest" }),
      fc.nat({ max: 1e9 }).map((run): RunSelection => ({ mode: "run", run })),
      fc
        .tuple(fc.nat({ max: 1e9 }), fc.nat({ max: 1e6 }))
        .map(([from, n]): RunSelection => ({ mode: "range", from, to: from + n })),
      fc.integer({ min: 1, max: 500 }).map((count): RunSelection => ({ mode: "last", count })),
    );
    const window = fc.oneof(
      fc.integer({ min: 10, max: 7 * 86400 }).map((seconds): DashboardWindow => ({ kind: "relative", seconds })),
      fc.constant<DashboardWindow>({ kind: "runs" }),
      fc.constant<DashboardWindow>({ kind: "night" }),
      fc
        .date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true })
        .map((d): DashboardWindow => ({ kind: "night", day: d.toISOString().slice(0, 10) })),
      fc
        .tuple(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 1e10 }))
        .map(([from, n]): DashboardWindow => ({ kind: "absolute", from, to: from + n })),
    );
    fc.assert(
      fc.property(selection, window, (s, w) => {
        assert.deepEqual(parseRunSelection(formatRunSelection(s)), s);
        assert.deepEqual(parseWindow(formatWindow(w)), w);
      }),
      { numRuns: 2000 },
    );
  });
});
