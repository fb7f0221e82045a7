// The MongoDB source on the in-memory mingo fake (always), plus its pure query helpers and the
// connection error. The same cases run on a real server in tests/integration/mongo-real.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nightContaining } from "../../src/core/time-window.js";
import {
  arrayValue,
  blueskyRunIds,
  dataKeyShape,
  DERIVED_RUN_BASE,
  eventValues,
  keyPlans,
  nightRunId,
  nightRunIdOfDay,
  nightWindowOfRun,
  observableNameOf,
  propertyObservables,
  runGroupPipeline,
  runOfGroup,
  RunSpans,
  timeMicros,
  timeRangeFilter,
} from "../../loaders/sources/mongo-queries.js";
import { MongoSource } from "../../loaders/sources/mongo-source.js";
import { SourceError } from "../../loaders/sources/source.js";
import { MingoFakeDatabase } from "../support/mingo-db.js";
import { mongoConfig, mongoSourceCases } from "../support/mongo-cases.js";

mongoSourceCases("the mingo fake", async (docs) => {
  const db = new MingoFakeDatabase(docs);
  return {
    db,
    insert: async (collection, more) => db.insert(collection, more),
    update: async (collection, field, value, set) => db.update(collection, field, value, set),
    cleanup: async () => {},
  };
});

describe("MongoDB query helpers", () => {
  it("makes observable names dotted identifiers", () => {
    assert.equal(observableNameOf("", "hv"), "hv");
    assert.equal(observableNameOf("camera.", "hv"), "camera.hv");
    assert.equal(observableNameOf("", "weather-station.wind speed"), "weather_station.wind_speed");
    assert.equal(observableNameOf("", "2theta"), "x_2theta");
    assert.equal(observableNameOf("motors.", "2theta"), "motors.2theta");
    assert.equal(observableNameOf("", "a..b."), "a.b");
    assert.equal(observableNameOf("", "..."), undefined);
    // Two collections that become one name are both refused, naming each other; none is renamed.
    const { names, refused } = propertyObservables("", ["hv_1", "hv-1", "hv"]);
    assert.deepEqual([...names], [["hv", "hv"]]);
    assert.deepEqual(
      refused.map((r) => r.message),
      [
        'the collections "hv-1" and "hv_1" both become the observable hv_1; both are left out: rename one in the source, or exclude one',
      ],
    );
  });

  it("numbers nights by their first day at the site's offset", () => {
    const t = Date.UTC(2026, 2, 10, 16, 30);
    assert.equal(nightRunId(t, 0), 20260310);
    assert.equal(nightRunId(t, -300), 20260309);
    assert.equal(nightRunId(Date.UTC(2026, 2, 11, 11, 59, 59), 0), 20260310);
    assert.equal(nightRunId(Date.UTC(2026, 2, 11, 12, 0, 0), 0), 20260311);
    assert.deepEqual(nightWindowOfRun(20260309, -300), nightContaining(t, -300));
    assert.equal(nightWindowOfRun(20260231), undefined);
    assert.equal(nightWindowOfRun(7), undefined);
  });

  it("computes the same night in the database as in JavaScript", async () => {
    const times = [Date.UTC(2026, 2, 10, 11, 59), Date.UTC(2026, 2, 10, 12, 0), Date.UTC(2026, 2, 11, 3, 0)];
    const db = new MingoFakeDatabase({ readings: times.map((t, i) => ({ time: i === 1 ? t / 1000 : new Date(t) })) });
    for (const offset of [0, -300, 60, 840]) {
      const assign = { kind: "nights", utcOffsetMinutes: offset } as const;
      const fromDb: (number | undefined)[] = [];
      for await (const g of db.collection("readings").aggregate(runGroupPipeline("time", assign)))
        fromDb.push(runOfGroup(assign, g._id));
      fromDb.sort();
      const fromJs = [...new Set(times.map((t) => nightRunId(t, offset)))].sort();
      assert.deepEqual(fromDb, fromJs, `offset ${offset}`);
      assert.equal(
        nightRunIdOfDay(Math.floor((times[0]! + offset * 60_000 - 12 * 3600_000) / 86_400_000)),
        nightRunId(times[0]!, offset),
      );
    }
  });

  it("assigns times to run spans the same way as the $bucket stage", async () => {
    const spans = new RunSpans([
      { id: 1, start: 1000, stop: 2000 },
      { id: 2, start: 1500, stop: 1800 },
      { id: 3, start: 3000, stop: null },
      { id: 4, start: 2500, stop: 2400 },
    ]);
    const times = [999, 1000, 1499, 1500, 1800, 1801, 2000, 2500, 2999, 3000, 9e12];
    const expected = [undefined, 1, 1, 2, 2, undefined, undefined, undefined, undefined, 3, 3];
    assert.deepEqual(
      times.map((t) => spans.runAt(t)),
      expected,
    );
    const assign = { kind: "spans", spans } as const;
    const db = new MingoFakeDatabase({ readings: times.map((t) => ({ time: new Date(t) })) });
    const counted: Record<number, number> = {};
    for await (const b of db.collection("readings").aggregate(runGroupPipeline("time", assign))) {
      const run = runOfGroup(assign, b._id);
      if (run !== undefined) counted[run] = (counted[run] ?? 0) + (b.rows as number);
    }
    assert.deepEqual(counted, { 1: 2, 2: 2, 3: 2 });
  });

  it("matches Dates and epoch seconds in one time range, bounds included", () => {
    const filter = timeRangeFilter("time", { from: 1000.5, to: 3000 });
    const $or = filter.$or as Record<string, Record<string, unknown>>[];
    assert.deepEqual($or[0]!.time, { $gte: new Date(1001), $lte: new Date(3000) });
    assert.deepEqual($or[1]!.time, { $gte: 1.0005, $lte: 3 });
    assert.equal(timeMicros(1773172815.25), 1773172815250000);
    assert.equal(timeMicros(new Date(5)), 5000);
    assert.equal(timeMicros("yesterday"), undefined);
  });

  it("reads data key shapes and passes array values as stored", () => {
    assert.deepEqual(dataKeyShape({ dtype: "number", shape: [], units: "mm" }), {
      shape: "scalar",
      dims: [],
      unit: "mm",
      description: "",
    });
    assert.deepEqual(dataKeyShape({ dtype: "array", shape: [4, 4] })?.dims, [4, 4]);
    assert.equal(dataKeyShape({ dtype: "string", shape: [] }), undefined);
    assert.equal(dataKeyShape({ dtype: "array", shape: [2, 2, 2] }), undefined);
    assert.equal(dataKeyShape({ dtype: "array", shape: [1024, 1024], external: "FILESTORE:" }), undefined);
    assert.deepEqual(arrayValue([1, null, "x", NaN]), [1, null, null, NaN]);
    assert.deepEqual(arrayValue([[1], [2, 3], 4]), [[1], [2, 3], [4]]);
    assert.equal(arrayValue(null), null);
    assert.equal(arrayValue(5), undefined);
  });

  it("maps an event's data to readings by its descriptor's keys", () => {
    const plans = keyPlans(
      {
        det: { dtype: "integer", shape: [] },
        "mca-1": { dtype: "array", shape: [3] },
        cam: { dtype: "array", shape: [2, 2], external: "FILESTORE:" },
        note: { dtype: "string", shape: [] },
      },
      "xpd.",
    );
    assert.deepEqual(
      plans.map((p) => [p.key, p.name, p.scalar]),
      [
        ["det", "xpd.det", true],
        ["mca-1", "xpd.mca_1", false],
      ],
    );
    const values = eventValues({ det: null, "mca-1": [1, NaN, null], cam: "datum-1", note: "hi" }, plans);
    assert.deepEqual(values, [
      { plan: plans[0], scalar: null },
      { plan: plans[1], array: [1, NaN, null] },
    ]);
    assert.deepEqual(eventValues({ det: [1, 2], "mca-1": 5 }, plans), []);
    assert.deepEqual(keyPlans({ det: { dtype: "number", shape: [] } }, "", new Set(["other"])), []);
  });

  it("gives bluesky runs their scan_id, else a stable number from start order", () => {
    const ids = blueskyRunIds([
      { uid: "c", timeMs: 3, scanId: 7 },
      { uid: "a", timeMs: 1, scanId: 7 },
      { uid: "b", timeMs: 2, scanId: "seven" },
      { uid: "d", timeMs: 4, scanId: 1.5 },
    ]);
    assert.deepEqual(Object.fromEntries(ids), {
      a: 7,
      b: DERIVED_RUN_BASE + 2,
      c: DERIVED_RUN_BASE + 3,
      d: DERIVED_RUN_BASE + 4,
    });
  });
});

describe("MongoSource.connect", () => {
  it("turns an unreachable server into a SourceError without the password", async () => {
    const config = mongoConfig({
      url: "mongodb://runboard:s3cret@127.0.0.1:9/",
      mapping: { layout: "bluesky" },
      serverSelectionTimeoutSeconds: 0.3,
    });
    await assert.rejects(MongoSource.connect(config), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.match(
        error.message,
        /^mongodb mongodb:\/\/runboard:\*\*\*@127\.0\.0\.1:9\/sc \(bluesky\): cannot connect within 0\.3 s/,
      );
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it("says when the connection string is not one", async () => {
    const config = mongoConfig({ url: "mongodb://runboard:s3cret@127.0.0.1:99999/", mapping: { layout: "bluesky" } });
    await assert.rejects(MongoSource.connect(config), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /the connection string is not valid/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it("says which field path in the config is not one", () => {
    const config = mongoConfig({ mapping: { layout: "properties", collections: ["hv"], time: "$where" } });
    assert.throws(
      () => new MongoSource(new MingoFakeDatabase(), config),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.match(error.message, /mapping\.time "\$where" is not a document field path/);
        return true;
      },
    );
  });
});
