import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ObservableInfo } from "../../src/core/catalog.js";
import {
  checkBatch,
  DEFAULT_TIME_BOUNDS,
  ingestBatchSchema,
  MAX_META_BYTES,
  MAX_RUN_ID,
  metaProblem,
  timeErrors,
} from "../../src/core/ingest.js";
import { fieldErrors } from "../../src/core/validation.js";
import { SIMULATED_OBSERVABLES, simulate } from "../../server/simulator/simulator.js";

const catalog = new Map<string, ObservableInfo>(SIMULATED_OBSERVABLES.map((o) => [o.name, o]));

function check(body: unknown) {
  const parsed = ingestBatchSchema.safeParse(body);
  if (!parsed.success) return { ok: false as const, errors: fieldErrors(parsed.error) };
  return checkBatch(parsed.data, catalog, new Set([1]));
}

describe("ingest batches", () => {
  it("refuse run ids the store cannot hold, a stop before the start, and metadata too deep or too big", () => {
    const fields = (runs: unknown[]) => {
      const result = check({ runs });
      return result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.message}`);
    };
    const start = Date.UTC(2026, 10, 1);
    assert.deepEqual(fields([{ id: MAX_RUN_ID, start }]), []);
    assert.match(fields([{ id: MAX_RUN_ID + 1, start }])[0]!, /^runs\[0\]\.id/);
    assert.match(fields([{ id: 2 ** 53, start }])[0]!, /^runs\[0\]\.id/);
    assert.deepEqual(fields([{ id: 3, start, stop: start }]), []);
    assert.deepEqual(fields([{ id: 3, start, stop: start - 1 }]), ["runs[0].stop: is before the run's start"]);
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) deep = { inner: deep };
    assert.match(fields([{ id: 3, start, meta: deep }])[0]!, /^runs\[0\]\.meta: nested more than 16 levels deep/);
    assert.match(fields([{ id: 3, start, meta: { note: "x".repeat(MAX_META_BYTES) } }])[0]!, /^runs\[0\]\.meta: .* bytes/);
    assert.equal(metaProblem({ a: { b: [1, { c: 2 }] } }), undefined);
    const readingRun = check({ readings: [{ observable: "trigger.rate", run: 2 ** 31, t: start, value: 1 }] });
    assert.ok(!readingRun.ok && readingRun.errors[0]!.field === "readings[0].run");
  });

  it("refuse times before the earliest allowed or too far past the server's clock, naming each", () => {
    const now = Date.UTC(2026, 11, 2, 12);
    const parsed = ingestBatchSchema.parse({
      runs: [{ id: 1, start: now - 3_600_000, stop: 1e20 }],
      readings: [
        { observable: "trigger.rate", run: 1, t: now, value: 1 },
        { observable: "trigger.rate", run: 1, t: now + 23 * 3_600_000, value: 1 },
        { observable: "trigger.rate", run: 1, t: 1_764_676_800, value: 1 },
        { observable: "trigger.rate", run: 1, t: 1e20, value: 1 },
      ],
    });
    const errors = timeErrors(parsed, DEFAULT_TIME_BOUNDS, now);
    assert.deepEqual(
      errors.map((e) => e.field),
      ["runs[0].stop", "readings[2].t", "readings[3].t"],
    );
    assert.match(errors[1]!.message, /before 2000-01-01.*epoch seconds\? send milliseconds/);
    assert.match(errors[2]!.message, /more than 24 h after the server's clock/);
    // A flood of bad times is listed in part and counted.
    const flood = ingestBatchSchema.parse({
      readings: Array.from({ length: 1000 }, () => ({ observable: "trigger.rate", run: 1, t: 5, value: 1 })),
    });
    const listed = timeErrors(flood, DEFAULT_TIME_BOUNDS, now);
    assert.equal(listed.length, 21);
    assert.deepEqual(listed.at(-1), { field: "(body)", message: "and 980 more times out of range" });
    assert.deepEqual(timeErrors(flood, { earliest: 0, aheadMs: 0 }, now), []);
  });

  it("take a sender's source and sequence together, or neither", () => {
    const fields = (body: unknown) => {
      const result = check(body);
      return result.ok ? [] : result.errors.map((e) => e.field);
    };
    assert.deepEqual(fields({ source: "daq-1", sequence: 7, readings: [] }), []);
    assert.deepEqual(fields({ source: "daq-1", readings: [] }), ["sequence"]);
    assert.deepEqual(fields({ sequence: 7, readings: [] }), ["sequence"]);
    assert.deepEqual(fields({ source: "daq 1; DROP", sequence: 7 }), ["source"]);
    assert.deepEqual(fields({ source: "daq-1", sequence: -1 }), ["sequence"]);
  });

  it("expands per-channel values into one reading per channel", () => {
    const result = check({ readings: [{ observable: "camera.temperature", run: 1, t: 5, values: new Array(265).fill(20) }] });
    assert.ok(result.ok);
    assert.equal(result.readings.length, 265);
    assert.deepEqual(result.readings[264], { run: 1, observable: "camera.temperature", channel: 264, t: 5, value: 20 });
  });

  it("accepts ISO times and arrays of the declared shape", () => {
    const result = check({
      readings: [
        { observable: "pmt.waveform", run: 1, t: "2026-11-21T12:00:00Z", value: new Array(64).fill(1) },
        { observable: "camera.hitmap", run: 1, t: 1, value: Array.from({ length: 24 }, () => new Array(24).fill(0)) },
      ],
    });
    assert.ok(result.ok);
    assert.equal(result.readings[0]!.t, Date.parse("2026-11-21T12:00:00Z"));
  });

  it("names each bad field and stores nothing of a partly bad batch", () => {
    const result = check({
      readings: [
        { observable: "trigger.rate", run: 1, t: 1, value: 5 },
        { observable: "no.such", run: 1, t: 1, value: 5 },
        { observable: "trigger.rate", run: 99, t: 1, value: 5 },
        { observable: "camera.hv", run: 1, t: 1, channel: 5000, value: 5 },
        { observable: "pmt.waveform", run: 1, t: 1, value: [1, 2] },
        { observable: "camera.hitmap", run: 1, t: 1, value: 3 },
        { observable: "camera.temperature", run: 1, t: 1, values: [1, 2] },
      ],
    });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      [
        "readings[1].observable",
        "readings[2].run",
        "readings[3].channel",
        "readings[4].value",
        "readings[5].value",
        "readings[6].values",
      ],
    );
  });

  it("rejects malformed readings at the schema, naming the field", () => {
    const cases: [unknown, string][] = [
      [{ readings: [{ observable: "trigger.rate", run: 1, t: 1, value: "5" }] }, "readings[0].value"],
      [{ readings: [{ observable: "trigger.rate", run: 1, t: 1 }] }, "readings[0]"],
      [{ readings: [{ observable: "bad name!", run: 1, t: 1, value: 1 }] }, "readings[0].observable"],
      [{ readings: [{ observable: "trigger.rate", run: -1, t: 1, value: 1 }] }, "readings[0].run"],
      [{ readings: [{ observable: "trigger.rate", run: 1, t: "yesterday", value: 1 }] }, "readings[0].t"],
      [{ readings: [], extra: true }, "(body)"],
    ];
    for (const [body, field] of cases) {
      const result = check(body);
      assert.ok(!result.ok, JSON.stringify(body));
      assert.equal(result.errors[0]!.field, field, JSON.stringify(result.errors));
    }
  });

  it("refuses to change a declared observable's shape", () => {
    const result = check({ observables: [{ name: "trigger.rate", shape: "1d", dims: [4] }] });
    assert.ok(!result.ok);
    assert.equal(result.errors[0]!.field, "observables[0]");
  });
});

describe("simulator", () => {
  it("is deterministic and produces batches the checker accepts", () => {
    const a = simulate(42, Date.UTC(2026, 5, 1, 12), Date.UTC(2026, 5, 1, 12, 1));
    const b = simulate(42, Date.UTC(2026, 5, 1, 12), Date.UTC(2026, 5, 1, 12, 1));
    assert.deepEqual(a, b);
    assert.notDeepEqual(simulate(43, Date.UTC(2026, 5, 1, 12), Date.UTC(2026, 5, 1, 12, 1)).readings[0], a.readings[0]);
    const parsed = ingestBatchSchema.parse(a);
    const result = checkBatch(parsed, new Map(), new Set());
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors.slice(0, 3)));
    // One minute: 60 trigger-rate readings, 2 per-pixel HV frames of 1855 channels.
    assert.equal(result.readings.filter((r) => r.observable === "trigger.rate").length, 60);
    assert.equal(result.readings.filter((r) => r.observable === "camera.hv").length, 2 * 1855);
  });

  it("stops the old run in a batch that crosses a run boundary", () => {
    const boundary = Date.UTC(2026, 0, 1, 1, 0); // runs are 20 minutes, aligned to 2026-01-01
    const batch = simulate(1, boundary - 2000, boundary + 2000);
    assert.deepEqual(
      batch.runs.map((r) => [r.id, r.stop]),
      [
        [1002, boundary],
        [1003, null],
      ],
    );
  });
});
