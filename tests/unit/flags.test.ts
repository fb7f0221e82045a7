import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type RunFlag,
  flagBands,
  newFlagSchema,
  outOfRangeSpans,
  passesFilter,
  proposeVerdict,
  runVerdict,
} from "../../src/core/flags.js";
import { fieldErrors } from "../../src/core/validation.js";
import { flagsIndex, MAX_INLINE_FLAGS } from "../../server/flags/flags-file.js";

const flag = (over: Partial<RunFlag>): RunFlag => ({
  id: "f".repeat(8),
  run: 7,
  verdict: "bad",
  note: "n",
  from: null,
  to: null,
  author: "ada",
  createdAt: "2026-12-01T10:00:00.000Z",
  proposedBy: null,
  withdrawn: null,
  ...over,
});

describe("flags on runs", () => {
  it("checks a new flag, naming the field", () => {
    const fields = (input: unknown) => {
      const parsed = newFlagSchema.safeParse(input);
      return parsed.success ? [] : fieldErrors(parsed.error).map((e) => e.field);
    };
    assert.deepEqual(fields({ verdict: "bad", note: "HV trip" }), []);
    assert.equal(
      newFlagSchema.parse({ verdict: "bad", note: "x", from: "2026-12-01T10:00:00Z", to: 1_797_000_000_000 }).from,
      Date.parse("2026-12-01T10:00:00Z"),
    );
    assert.deepEqual(fields({ verdict: "good", note: "x" }), ["verdict"]);
    assert.deepEqual(fields({ verdict: "bad", note: "  " }), ["note"]);
    assert.deepEqual(fields({ verdict: "bad", note: "x", from: 5 }), ["to"]);
    assert.deepEqual(fields({ verdict: "bad", note: "x", from: 9, to: 5 }), ["to"]);
    assert.deepEqual(fields({ verdict: "bad", note: "x", colour: "red" }), ["(body)"]);
  });

  it("a run's verdict: bad wins, withdrawn flags no longer count, none is unreviewed", () => {
    assert.equal(runVerdict([]), "unreviewed");
    assert.equal(runVerdict([flag({ verdict: "reviewed" })]), "reviewed");
    assert.equal(runVerdict([flag({ verdict: "reviewed" }), flag({ verdict: "bad", from: 1, to: 2 })]), "bad");
    const withdrawn = flag({ withdrawn: { by: "bob", at: "2026-12-02T00:00:00Z", reason: "was a calibration" } });
    assert.equal(runVerdict([withdrawn]), "unreviewed");
    assert.equal(runVerdict([withdrawn, flag({ verdict: "reviewed" })]), "reviewed");
  });

  it("filters runs: not yet reviewed, bad, flagged in the last week", () => {
    const now = Date.parse("2026-12-05T00:00:00Z");
    assert.ok(passesFilter([], "unreviewed", now));
    assert.ok(!passesFilter([flag({})], "unreviewed", now));
    assert.ok(passesFilter([flag({})], "bad", now));
    assert.ok(passesFilter([flag({})], "flagged-last-week", now));
    assert.ok(!passesFilter([flag({ createdAt: "2026-11-20T00:00:00Z" })], "flagged-last-week", now));
    assert.ok(passesFilter([], "all", now));
  });

  it("bands cover a flag's span, or its whole run; withdrawn ones are not drawn", () => {
    const bands = flagBands(
      [flag({ from: 10, to: 20 }), flag({ run: 8, verdict: "reviewed" }), flag({ withdrawn: { by: "a", at: "", reason: "" } })],
      (run) => (run === 8 ? { from: 100, to: 200 } : undefined),
    );
    assert.deepEqual(
      bands.map((b) => [b.run, b.from, b.to, b.verdict]),
      [
        [7, 10, 20, "bad"],
        [8, 100, 200, "reviewed"],
      ],
    );
  });

  it("joins readings out of range into spans, with the furthest reading", () => {
    const t = [0, 1, 2, 3, 4, 5, 6, 7];
    const v = [5, 11, 12, Number.NaN, 9, 1, 5, 0];
    assert.deepEqual(outOfRangeSpans(t, v, { min: 2, max: 10 }), [
      { from: 1, to: 2, count: 2, worst: 12 },
      { from: 5, to: 5, count: 1, worst: 1 },
      { from: 7, to: 7, count: 1, worst: 0 },
    ]);
    assert.deepEqual(outOfRangeSpans(t, t, { min: -1, max: 100 }), []);
  });

  it("proposes bad over the span out of range, reviewed once the run ended in range, nothing while it runs", () => {
    const range = { min: 1000, max: 1100 };
    const bad = proposeVerdict(
      [
        { label: "pmt.gain[3]", unit: "V", range, spans: [{ from: 5000, to: 9000, count: 3, worst: 1200 }] },
        { label: "pmt.gain[4]", range, spans: [] },
      ],
      false,
    )!;
    assert.equal(bad.verdict, "bad");
    assert.equal(bad.from, 5000);
    assert.equal(bad.to, 9000);
    assert.match(bad.note, /pmt\.gain\[3\] left 1000–1100 V \(3 readings\)/);
    const fine = [{ label: "pmt.gain[4]", range, spans: [] }];
    assert.equal(proposeVerdict(fine, false), undefined);
    assert.equal(proposeVerdict(fine, true)!.verdict, "reviewed");
    assert.equal(proposeVerdict([], true), undefined);
    // One reading out of range still makes a band one can see.
    const one = proposeVerdict([{ label: "x", range, spans: [{ from: 7, to: 7, count: 1, worst: 0 }] }], true)!;
    assert.equal(one.to, 1007);
  });
});

describe("flags.json", () => {
  const flag = (run: number, i: number): RunFlag => ({
    id: `f${run}-${i}`,
    run,
    verdict: "bad",
    note: "x".repeat(2000),
    from: null,
    to: null,
    author: "shifter",
    createdAt: new Date(Date.UTC(2026, 0, 1) + (run * 100 + i) * 1000).toISOString(),
    proposedBy: null,
    withdrawn: null,
  });

  it("keeps the newest 1000 flags itself and names every run's own file, however many there are", () => {
    const all = Array.from({ length: 2706 }, (_, i) => flag(1 + (i % 90), i));
    const index = flagsIndex(all);
    assert.equal(index.flags.length, MAX_INLINE_FLAGS);
    assert.equal(index.complete, false);
    const newest = [...all].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).slice(0, MAX_INLINE_FLAGS);
    assert.deepEqual(new Set(index.flags.map((f) => f.id)), new Set(newest.map((f) => f.id)));
    assert.equal(Object.keys(index.runs).length, 90);
    assert.equal(
      Object.values(index.runs).reduce((n, r) => n + r.count, 0),
      2706,
    );
    assert.deepEqual(index.runs["7"], { path: "flags/7.json", count: all.filter((f) => f.run === 7).length });
    // A few flags are all in it.
    const few = flagsIndex(all.slice(0, 10));
    assert.equal(few.complete, true);
    assert.equal(few.flags.length, 10);
  });
});
