// The MongoSource behaviour, written once and run on any database: the mingo fake in the unit
// tests and a real server in the integration tests (when MONGODB_URL is set). Fixtures look like
// the real things: a slow-control database with one collection per property (a 1855-channel HV
// array, a humidity number), observing nights, and bluesky's four collections.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveSelection } from "../../src/core/time-window.js";
import { sourceConfigSchema, type MongoSourceConfig } from "../../loaders/config.js";
import { DERIVED_RUN_BASE } from "../../loaders/sources/mongo-queries.js";
import { MongoSource, type MongoDatabaseLike, type MongoDocument } from "../../loaders/sources/mongo-source.js";
import { SCALAR_CHUNK_ROWS, type ArrayReading, type ReadingQuery, type ScalarChunk } from "../../loaders/sources/source.js";

export type DocsByCollection = Record<string, MongoDocument[]>;

export interface MongoTestDatabase {
  db: MongoDatabaseLike;
  /** Adds documents later, as a running experiment would. */
  insert(collection: string, docs: MongoDocument[]): Promise<void>;
  /** Rewrites fields of the documents whose `field` equals `value`, as a re-processing would. */
  update(collection: string, field: string, value: unknown, set: MongoDocument): Promise<void>;
  cleanup(): Promise<void>;
}

export type MakeMongoDb = (docsByCollection: DocsByCollection) => Promise<MongoTestDatabase>;

// ---------------------------------------------------------------------------------------------
// Fixtures (fresh objects on every call: a real driver adds _id to what it inserts)

const MIN = 60_000;
/** 2026-03-10 20:00 UTC, early in the night of 2026-03-10. */
export const T0 = Date.UTC(2026, 2, 10, 20, 0, 0);
export const HV_CHANNELS = 1855;
export const hvValue = (minute: number, channel: number) => 900 + channel * 0.125 + minute * 0.5;
const HV_SPECIAL: Record<number, number | null> = { 7: null, 8: NaN, 9: Infinity, 10: -Infinity };
/** Seconds after T0 of humidity reading m (stored as float epoch seconds). */
const humiditySeconds = (m: number) => 15 + 90 * m;
export const humidityValue = (m: number): number | null => (m === 3 ? null : m === 4 ? NaN : 40 + m * 0.25);

/**
 * Slow control: `hv` every minute for 46 minutes as Dates, 1855 channels per document (minute 5
 * holds NULL, NaN and ±Infinity in channels 7-10, minute 44 has only 1850 channels); `humidity`
 * every 90 s as float epoch seconds; three runs in `runs` with gaps between them.
 */
export function slowControlDocs(): DocsByCollection {
  const hv: MongoDocument[] = [];
  for (let m = 0; m <= 45; m++) {
    const values: (number | null)[] = Array.from({ length: m === 44 ? 1850 : HV_CHANNELS }, (_, ch) => hvValue(m, ch));
    if (m === 5) for (const [ch, v] of Object.entries(HV_SPECIAL)) values[Number(ch)] = v;
    hv.push({ time: new Date(T0 + m * MIN), values });
  }
  const humidity: MongoDocument[] = [];
  for (let m = 0; m <= 30; m++) humidity.push({ time: T0 / 1000 + humiditySeconds(m), values: humidityValue(m) });
  const runs: MongoDocument[] = [
    { run: 1, start: new Date(T0), stop: new Date(T0 + 10 * MIN), status: "ok", shifter: "ana", trigger: "stereo" },
    { run: 2, start: T0 / 1000 + 1200, stop: T0 / 1000 + 1800, status: "aborted", shifter: "ben" },
    { run: 3, start: new Date(T0 + 40 * MIN), shifter: "cy" },
  ];
  return { hv, humidity, runs };
}

const slowControlConfig = () =>
  mongoConfig({
    mapping: { layout: "properties", collections: ["hv", "humidity"] },
    runs: { collection: "runs", id: "run", start: "start", stop: "stop", status: "status" },
  });

/** 2026-03-11 20:00 UTC: the night of 2026-03-11 has no data yet. */
export const NIGHTS_NOW = Date.UTC(2026, 2, 11, 20, 0, 0);

/** Collections named sc_*: data in the nights of 2026-03-08 and 2026-03-10, none in between or after. */
export function nightsDocs(): DocsByCollection {
  return {
    sc_temperature: [
      { time: new Date(Date.UTC(2026, 2, 8, 22, 0)), values: 4.5 },
      { time: new Date(Date.UTC(2026, 2, 9, 3, 0)), values: 3.25 },
      { time: new Date(Date.UTC(2026, 2, 10, 21, 0)), values: 2.5 },
      { time: new Date(Date.UTC(2026, 2, 11, 11, 59)), values: 6 },
    ],
    sc_wind: [
      { time: Date.UTC(2026, 2, 10, 23, 30) / 1000, values: 12.5 },
      { time: Date.UTC(2026, 2, 11, 2, 0) / 1000, values: [14.75, 200] },
    ],
    other_stuff: [{ time: new Date(Date.UTC(2026, 2, 10, 22, 0)), values: 1 }],
  };
}

/** 2026-03-12 09:00 UTC in epoch seconds: bluesky times are float seconds. */
export const TB = Date.UTC(2026, 2, 12, 9, 0, 0) / 1000;
const spectrumOf = (i: number) => Array.from({ length: 64 }, (_, j) => i * 100 + j);
const imageOf = (i: number) => [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => i + r * 4 + c));
const DATA_KEYS = {
  det: { dtype: "number", shape: [], units: "counts", source: "PV:XF:det" },
  spectrum: { dtype: "array", shape: [64], units: "keV", source: "PV:XF:mca" },
  image: { dtype: "array", shape: [4, 4], source: "PV:XF:cam" },
  label: { dtype: "string", shape: [], source: "PV:XF:label" },
  "cam-temp": { dtype: "number", shape: [], units: "degC", source: "PV:XF:cam:temp" },
};
export const RAGGED_SPECTRUM = [...spectrumOf(7).slice(0, 5), null, ...spectrumOf(7).slice(6, 63)];
export const RAGGED_IMAGE = [
  [1, 2, 3, 4],
  [5, 6],
  [7, 8, 9, 10],
  [11, 12, 13, 14],
];

/**
 * Four runs: 101 (5 events, success), 102 (aborted; NULL, NaN, ±Infinity, ragged arrays),
 * 103 (no run_stop: running), and one without scan_id whose primary stream has no events.
 */
export function blueskyDocs(): DocsByCollection {
  const start = (n: number, dt: number, extra: MongoDocument) => ({ uid: `7d1f-${n}`, time: TB + dt, ...extra });
  const descriptor = (n: number, dt: number) => ({
    uid: `desc-${n}-primary`,
    run_start: `7d1f-${n}`,
    name: "primary",
    time: TB + dt + 0.01,
    data_keys: DATA_KEYS,
  });
  const event = (n: number, seq: number, t: number, data: MongoDocument) => ({
    uid: `ev-${n}-${seq}`,
    descriptor: `desc-${n}-primary`,
    seq_num: seq,
    time: TB + t,
    data,
    timestamps: Object.fromEntries(Object.keys(data).map((k) => [k, TB + t])),
  });
  return {
    run_start: [
      start(101, 0.125, { scan_id: 101, plan_name: "count", sample: "LaB6", detectors: ["det", "mca", "cam"] }),
      start(102, 100.5, { scan_id: 102, plan_name: "rel_scan" }),
      start(103, 200.25, { scan_id: 103, plan_name: "count" }),
      start(104, 300, { plan_name: "count" }),
    ],
    event_descriptor: [
      descriptor(101, 0.125),
      {
        uid: "desc-101-baseline",
        run_start: "7d1f-101",
        name: "baseline",
        time: TB + 0.2,
        data_keys: { ring_current: { dtype: "number", shape: [], units: "mA", source: "PV:RING" } },
      },
      descriptor(102, 100.5),
      descriptor(103, 200.25),
      descriptor(104, 300),
    ],
    event: [
      ...[0, 1, 2, 3, 4].map((i) =>
        event(101, i + 1, 1 + i * 0.5, {
          det: 10 * i + 0.5,
          spectrum: spectrumOf(i),
          image: imageOf(i),
          label: `frame ${i}`,
          "cam-temp": 21.5 + i,
        }),
      ),
      { uid: "ev-101-b1", descriptor: "desc-101-baseline", seq_num: 1, time: TB + 0.5, data: { ring_current: 401.5 } },
      event(102, 1, 101, { det: null, spectrum: RAGGED_SPECTRUM, image: RAGGED_IMAGE }),
      event(102, 2, 102, { det: NaN, spectrum: null, image: imageOf(2) }),
      event(102, 3, 103, { det: Infinity, spectrum: spectrumOf(3), image: imageOf(3) }),
      event(102, 4, 104, { det: -Infinity, spectrum: [], image: imageOf(4) }),
      event(103, 1, 201, { det: 1.25 }),
      event(103, 2, 202, { det: 2.5 }),
    ],
    run_stop: [
      { uid: "stop-101", run_start: "7d1f-101", time: TB + 10, exit_status: "success", num_events: { primary: 5, baseline: 1 } },
      { uid: "stop-102", run_start: "7d1f-102", time: TB + 110, exit_status: "abort", reason: "RunEngine interrupted" },
      { uid: "stop-104", run_start: "7d1f-104", time: TB + 301, exit_status: "success" },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function mongoConfig(input: Record<string, unknown>): MongoSourceConfig {
  const config = sourceConfigSchema.parse({
    kind: "mongodb",
    url: "mongodb://runboard:secret@db.example:27017",
    database: "sc",
    ...input,
  });
  if (config.kind !== "mongodb") throw new Error("not a mongodb config");
  return config;
}

interface ScalarRow {
  run: number;
  observable: string;
  channel: number;
  tMicros: number;
  value: number;
  isNull: number;
}

/** Every chunk of a reading stream, with the scalar rows flattened. */
export async function collect(source: MongoSource, query: ReadingQuery) {
  const scalarChunks: ScalarChunk[] = [];
  const arrays: ArrayReading[] = [];
  const rows: ScalarRow[] = [];
  for await (const chunk of source.readings(query)) {
    if (chunk.kind === "array") {
      arrays.push(...chunk.readings);
      continue;
    }
    scalarChunks.push(chunk);
    for (let i = 0; i < chunk.length; i++) {
      rows.push({
        run: chunk.run[i]!,
        observable: chunk.names[chunk.observable[i]!]!,
        channel: chunk.channel[i]!,
        tMicros: chunk.tMicros[i]!,
        value: chunk.value[i]!,
        isNull: chunk.isNull[i]!,
      });
    }
  }
  return { scalarChunks, arrays, rows };
}

const micros = (ms: number) => ms * 1000;
const secondsMicros = (s: number) => Math.round(s * 1e6);
const hvMinute = (row: ScalarRow) => (row.tMicros / 1000 - T0) / MIN;
const countBy = <T>(items: T[], key: (item: T) => string | number) => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

async function withDb(makeDb: MakeMongoDb, docs: DocsByCollection, body: (t: MongoTestDatabase) => Promise<void>): Promise<void> {
  const t = await makeDb(docs);
  try {
    await body(t);
  } finally {
    await t.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------

/** Registers the MongoSource cases on databases made by `makeDb`. */
export function mongoSourceCases(label: string, makeDb: MakeMongoDb): void {
  describe(`MongoSource on ${label}: properties layout with a runs collection`, () => {
    const open = (body: (source: MongoSource, t: MongoTestDatabase) => Promise<void>) =>
      withDb(makeDb, slowControlDocs(), (t) => body(new MongoSource(t.db, slowControlConfig()), t));

    it("lists one observable per collection, channels from the values arrays", () =>
      open(async (source) => {
        assert.equal(source.description, "mongodb mongodb://runboard:***@db.example:27017/sc (properties)");
        assert.deepEqual(
          (await source.catalog()).map((o) => [o.name, o.shape, o.channels, o.dims]),
          [
            ["humidity", "scalar", 1, []],
            ["hv", "scalar", HV_CHANNELS, []],
          ],
        );
      }));

    it("says which listed collection the database lacks, rather than show an empty observable", () =>
      withDb(makeDb, slowControlDocs(), async (t) => {
        const config = mongoConfig({
          mapping: { layout: "properties", collections: ["hv", "humidty"] },
          runs: { collection: "runs", id: "run", start: "start", stop: "stop", status: "status" },
        });
        const source = new MongoSource(t.db, config);
        await source.catalog();
        assert.deepEqual(source.catalogProblems(), [
          { field: "source.mapping.collections[1]", message: "the database has no collection humidty" },
        ]);
      }));

    it("reads runs from the runs collection: Dates or epoch seconds, status, meta", () =>
      open(async (source) => {
        const runs = await source.runs();
        assert.deepEqual(
          runs.map((r) => [r.id, r.start, r.stop, r.status]),
          [
            [1, T0, T0 + 10 * MIN, "stopped"],
            [2, T0 + 20 * MIN, T0 + 30 * MIN, "aborted"],
            [3, T0 + 40 * MIN, null, "running"],
          ],
        );
        assert.deepEqual(runs[0]!.meta, { shifter: "ana", trigger: "stereo" });
      }));

    it("streams one run's readings with every channel's exact value", () =>
      open(async (source) => {
        const { rows } = await collect(source, { runs: [2] });
        assert.ok(rows.every((r) => r.run === 2));
        const hv = rows.filter((r) => r.observable === "hv");
        assert.equal(hv.length, 11 * HV_CHANNELS);
        assert.deepEqual(Object.keys(countBy(hv, hvMinute)).map(Number), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
        for (const r of hv) assert.equal(r.value, hvValue(hvMinute(r), r.channel));
        const sample = hv.find((r) => hvMinute(r) === 25 && r.channel === 1000)!;
        assert.equal(sample.value, 900 + 125 + 12.5);
        const humidity = rows.filter((r) => r.observable === "humidity");
        assert.deepEqual(
          humidity.map((r) => [r.tMicros, r.channel, r.value]),
          [14, 15, 16, 17, 18, 19].map((m) => [secondsMicros(T0 / 1000 + humiditySeconds(m)), 0, humidityValue(m)]),
        );
      }));

    it("passes NULL, NaN and ±Infinity through, in a time window", () =>
      open(async (source) => {
        const { rows } = await collect(source, { window: { from: T0 + 4 * MIN, to: T0 + 7 * MIN } });
        const hv = rows.filter((r) => r.observable === "hv");
        assert.deepEqual(Object.keys(countBy(hv, hvMinute)).map(Number), [4, 5, 6, 7]);
        const at5 = (ch: number) => hv.find((r) => hvMinute(r) === 5 && r.channel === ch)!;
        assert.equal(at5(7).isNull, 1);
        assert.ok(Number.isNaN(at5(7).value));
        assert.equal(at5(8).isNull, 0);
        assert.ok(Number.isNaN(at5(8).value));
        assert.equal(at5(9).value, Infinity);
        assert.equal(at5(10).value, -Infinity);
        assert.equal(at5(11).value, hvValue(5, 11));
        const humidity = rows.filter((r) => r.observable === "humidity");
        assert.deepEqual(
          humidity.map((r) => [r.run, r.isNull, Number.isNaN(r.value)]),
          [
            [1, 1, true],
            [1, 0, true],
          ],
        );
      }));

    it("assigns readings in a window to the runs around them and skips the gaps", () =>
      open(async (source) => {
        const { rows } = await collect(source, { window: { from: T0 + 9 * MIN, to: T0 + 21 * MIN } });
        const hv = rows.filter((r) => r.observable === "hv");
        assert.deepEqual(
          countBy(hv, (r) => `${hvMinute(r)}@${r.run}`),
          {
            "9@1": HV_CHANNELS,
            "10@1": HV_CHANNELS,
            "20@2": HV_CHANNELS,
            "21@2": HV_CHANNELS,
          },
        );
        assert.deepEqual(
          rows.filter((r) => r.observable === "humidity").map((r) => [r.run, r.value]),
          [[1, humidityValue(6)]],
        );
      }));

    it("narrows to observables and keeps a short array's channels", () =>
      open(async (source) => {
        const { rows } = await collect(source, { runs: [3], observables: ["hv"] });
        assert.ok(rows.every((r) => r.observable === "hv" && r.run === 3));
        assert.deepEqual(countBy(rows, hvMinute), { 40: 1855, 41: 1855, 42: 1855, 43: 1855, 44: 1850, 45: 1855 });
      }));

    it("streams a big selection in more than one bounded chunk", () =>
      open(async (source) => {
        const { scalarChunks, rows } = await collect(source, {});
        assert.ok(scalarChunks.length >= 2, `${scalarChunks.length} chunks`);
        assert.equal(scalarChunks[0]!.length, SCALAR_CHUNK_ROWS);
        assert.ok(scalarChunks.every((c) => c.length <= SCALAR_CHUNK_ROWS && c.names === scalarChunks[0]!.names));
        assert.equal(rows.length, 27 * HV_CHANNELS + 1850 + 17);
        assert.deepEqual(
          countBy(rows, (r) => r.run),
          { 1: 11 * HV_CHANNELS + 7, 2: 11 * HV_CHANNELS + 6, 3: 5 * HV_CHANNELS + 1850 + 4 },
        );
      }));

    it("fingerprints runs: documents and first/last time, zero for an unknown run", () =>
      open(async (source) => {
        const s = (seconds: number) => micros(T0) + seconds * 1e6;
        const spans = async (runs?: number[]) =>
          (await source.fingerprints(runs)).map(({ run, rows, firstMicros, lastMicros }) => ({
            run,
            rows,
            firstMicros,
            lastMicros,
          }));
        assert.deepEqual(await spans(), [
          { run: 1, rows: 18, firstMicros: s(0), lastMicros: s(600) },
          { run: 2, rows: 17, firstMicros: s(1200), lastMicros: s(1800) },
          { run: 3, rows: 10, firstMicros: s(2400), lastMicros: s(2715) },
        ]);
        assert.deepEqual(await spans([2, 99]), [
          { run: 2, rows: 17, firstMicros: s(1200), lastMicros: s(1800) },
          { run: 99, rows: 0, firstMicros: null, lastMicros: null },
        ]);
      }));

    it("sees a value rewritten in place: the run's checksum changes, its count and span do not", () =>
      open(async (source, t) => {
        const before = await source.fingerprints([1, 2]);
        // Run 1 also holds a NaN humidity: the checksum must still see the change.
        await t.update("humidity", "time", T0 / 1000 + humiditySeconds(0), { values: 99.5 });
        const after = await source.fingerprints([1, 2]);
        assert.deepEqual(
          after.map((f) => f.rows),
          before.map((f) => f.rows),
        );
        assert.notEqual(after[0]!.version, before[0]!.version, "run 1 holds the rewritten value");
        assert.equal(after[1]!.version, before[1]!.version, "run 2 is untouched");
      }));

    it("reports only the runs with newer documents or changed run records", () =>
      open(async (source, t) => {
        const first = await source.changesSince(null);
        assert.deepEqual(first.runs, [1, 2, 3]);
        assert.deepEqual((await source.changesSince(first.cursor)).runs, []);
        await t.insert("hv", [{ time: new Date(T0 + 46 * MIN), values: [1, 2, 3] }]);
        await t.insert("humidity", [{ time: T0 / 1000 + 300.5, values: 41 }]);
        const second = await source.changesSince(first.cursor);
        assert.deepEqual(second.runs, [1, 3]);
        await t.insert("runs", [{ run: 4, start: new Date(T0 + 50 * MIN) }]);
        const third = await source.changesSince(second.cursor);
        assert.deepEqual(third.runs, [4]);
        assert.deepEqual((await source.changesSince(third.cursor)).runs, []);
        assert.deepEqual((await source.changesSince("not a cursor")).runs, [1, 2, 3, 4]);
      }));

    it("describes the queries behind a reading", () =>
      open(async (source) => {
        await collect(source, { runs: [2] });
        const text = source.describeQuery({ runs: [2] });
        assert.match(text, /^mongodb mongodb:\/\/runboard:\*\*\*@db\.example:27017\/sc \(properties\)$/m);
        assert.match(text, /^hv\.find\(\{.*"\$date":"2026-03-10T20:20:00\.000Z".*"sort":\{"time":1\}/m);
        assert.match(text, /^humidity\.find\(/m);
        assert.doesNotMatch(text, /secret/);
      }));
  });

  describe(`MongoSource on ${label}: properties layout without run records`, () => {
    const nightsConfig = (runs?: Record<string, unknown>) =>
      mongoConfig({ mapping: { layout: "properties", collectionPrefix: "sc_", prefix: "site." }, ...(runs ? { runs } : {}) });

    it("makes one run per observing night with data, and falls back to the last such night", () =>
      withDb(makeDb, nightsDocs(), async (t) => {
        const source = new MongoSource(t.db, nightsConfig(), { now: () => NIGHTS_NOW });
        assert.deepEqual(
          (await source.catalog()).map((o) => [o.name, o.channels]),
          [
            ["site.sc_temperature", 1],
            ["site.sc_wind", 2],
          ],
        );
        const runs = await source.runs();
        assert.deepEqual(
          runs.map((r) => [r.id, r.start, r.stop, r.status, r.meta.night]),
          [
            [20260308, Date.UTC(2026, 2, 8, 22, 0), Date.UTC(2026, 2, 9, 3, 0), "stopped", "2026-03-08"],
            [20260310, Date.UTC(2026, 2, 10, 21, 0), Date.UTC(2026, 2, 11, 11, 59), "stopped", "2026-03-10"],
          ],
        );
        const tonight = resolveSelection(runs, { kind: "night" }, NIGHTS_NOW)!;
        assert.deepEqual(
          tonight.runs.map((r) => r.id),
          [20260310],
        );
        assert.match(tonight.note ?? "", /2026-03-11.*2026-03-10/);
        const { rows } = await collect(source, { window: tonight.window });
        assert.deepEqual(
          rows.map((r) => [r.run, r.observable, r.channel, r.value]),
          [
            [20260310, "site.sc_temperature", 0, 2.5],
            [20260310, "site.sc_temperature", 0, 6],
            [20260310, "site.sc_wind", 0, 12.5],
            [20260310, "site.sc_wind", 0, 14.75],
            [20260310, "site.sc_wind", 1, 200],
          ],
        );
        const older = await collect(source, { runs: [20260308] });
        assert.deepEqual(
          older.rows.map((r) => [r.run, r.tMicros, r.value]),
          [
            [20260308, micros(Date.UTC(2026, 2, 8, 22, 0)), 4.5],
            [20260308, micros(Date.UTC(2026, 2, 9, 3, 0)), 3.25],
          ],
        );
        assert.deepEqual(
          (await source.fingerprints([20260308, 20260309])).map(({ version: _, ...span }) => span),
          [
            {
              run: 20260308,
              rows: 2,
              firstMicros: micros(Date.UTC(2026, 2, 8, 22, 0)),
              lastMicros: micros(Date.UTC(2026, 2, 9, 3, 0)),
            },
            { run: 20260309, rows: 0, firstMicros: null, lastMicros: null },
          ],
        );
      }));

    it("shows a new collection without a new source; tonight's night is running", () =>
      withDb(makeDb, nightsDocs(), async (t) => {
        const source = new MongoSource(t.db, nightsConfig({ nights: { utcOffsetMinutes: 0 } }), { now: () => NIGHTS_NOW });
        const before = await source.changesSince(null);
        assert.deepEqual(before.runs, [20260308, 20260310]);
        assert.ok(!(await source.catalog()).some((o) => o.name === "site.sc_pressure"));
        await t.insert("sc_pressure", [{ time: new Date(Date.UTC(2026, 2, 11, 19, 30)), values: 1013.25 }]);
        assert.deepEqual(
          (await source.catalog()).map((o) => o.name),
          ["site.sc_pressure", "site.sc_temperature", "site.sc_wind"],
        );
        const tonight = (await source.runs()).at(-1)!;
        assert.deepEqual([tonight.id, tonight.stop, tonight.status], [20260311, null, "running"]);
        assert.deepEqual((await source.changesSince(before.cursor)).runs, [20260311]);
        const { rows } = await collect(source, { runs: [20260311] });
        assert.deepEqual(
          rows.map((r) => [r.observable, r.value]),
          [["site.sc_pressure", 1013.25]],
        );
      }));

    it("reports a night with data when it ends, as it changes from running to stopped", () =>
      withDb(makeDb, nightsDocs(), async (t) => {
        let now = Date.UTC(2026, 2, 11, 6, 0);
        const source = new MongoSource(t.db, nightsConfig(), { now: () => now });
        assert.equal((await source.runs()).at(-1)!.status, "running");
        const first = await source.changesSince(null);
        assert.deepEqual((await source.changesSince(first.cursor)).runs, []);
        now = Date.UTC(2026, 2, 11, 13, 0);
        const second = await source.changesSince(first.cursor);
        assert.deepEqual(second.runs, [20260310]);
        assert.deepEqual((await source.runs()).at(-1)!.status, "stopped");
        now = Date.UTC(2026, 2, 12, 13, 0);
        assert.deepEqual((await source.changesSince(second.cursor)).runs, []);
      }));

    it("puts nights at the site's UTC offset", () =>
      withDb(
        makeDb,
        {
          sc_temperature: [
            { time: new Date(Date.UTC(2026, 2, 10, 16, 30)), values: 1 },
            { time: new Date(Date.UTC(2026, 2, 10, 17, 30)), values: 2 },
          ],
        },
        async (t) => {
          const chicago = new MongoSource(t.db, nightsConfig({ nights: { utcOffsetMinutes: -300 } }), { now: () => NIGHTS_NOW });
          assert.deepEqual(
            (await chicago.runs()).map((r) => r.id),
            [20260309, 20260310],
          );
          assert.deepEqual(
            (await collect(chicago, { runs: [20260309] })).rows.map((r) => r.value),
            [1],
          );
          const greenwich = new MongoSource(t.db, nightsConfig(), { now: () => NIGHTS_NOW });
          assert.deepEqual(
            (await greenwich.runs()).map((r) => r.id),
            [20260310],
          );
        },
      ));

    it("takes runs from a run field when there are no run records", () =>
      withDb(
        makeDb,
        {
          trigger_rate: [
            { run: 7, time: new Date(T0), values: [100, 110] },
            { run: 7, time: new Date(T0 + MIN), values: [101, 111] },
            { run: 8, time: new Date(T0 + 5 * MIN), values: [102, 112] },
            { time: new Date(T0 + 6 * MIN), values: [0, 0] },
          ],
        },
        async (t) => {
          const source = new MongoSource(
            t.db,
            mongoConfig({ mapping: { layout: "properties", collections: ["trigger_rate"], run: "run" } }),
          );
          assert.deepEqual(
            (await source.runs()).map((r) => [r.id, r.start, r.stop, r.status]),
            [
              [7, T0, T0 + MIN, "stopped"],
              [8, T0 + 5 * MIN, T0 + 5 * MIN, "stopped"],
            ],
          );
          assert.deepEqual(
            (await collect(source, { runs: [7] })).rows.map((r) => [r.run, r.channel, r.value]),
            [
              [7, 0, 100],
              [7, 1, 110],
              [7, 0, 101],
              [7, 1, 111],
            ],
          );
          assert.deepEqual(
            (await source.fingerprints()).map((f) => [f.run, f.rows]),
            [
              [7, 2],
              [8, 1],
            ],
          );
        },
      ));
  });

  describe(`MongoSource on ${label}: bluesky layout`, () => {
    const open = (body: (source: MongoSource, t: MongoTestDatabase) => Promise<void>) =>
      withDb(makeDb, blueskyDocs(), (t) => body(new MongoSource(t.db, mongoConfig({ mapping: { layout: "bluesky" } })), t));
    const DERIVED = DERIVED_RUN_BASE + 4;

    it("lists the primary stream's numeric keys with shapes and units", () =>
      open(async (source) => {
        assert.deepEqual(
          (await source.catalog()).map((o) => [o.name, o.shape, o.dims, o.unit, o.description]),
          [
            ["cam_temp", "scalar", [], "degC", "PV:XF:cam:temp"],
            ["det", "scalar", [], "counts", "PV:XF:det"],
            ["image", "2d", [4, 4], "", "PV:XF:cam"],
            ["spectrum", "1d", [64], "keV", "PV:XF:mca"],
          ],
        );
      }));

    it("makes runs from run_start and run_stop: scan ids, exit status, running, metadata", () =>
      open(async (source) => {
        const runs = await source.runs();
        assert.deepEqual(
          runs.map((r) => [r.id, r.start, r.stop, r.status]),
          [
            [101, (TB + 0.125) * 1000, (TB + 10) * 1000, "stopped"],
            [102, (TB + 100.5) * 1000, (TB + 110) * 1000, "aborted"],
            [103, (TB + 200.25) * 1000, null, "running"],
            [DERIVED, (TB + 300) * 1000, (TB + 301) * 1000, "stopped"],
          ],
        );
        assert.deepEqual(runs[0]!.meta, {
          scan_id: 101,
          plan_name: "count",
          sample: "LaB6",
          detectors: ["det", "mca", "cam"],
          uid: "7d1f-101",
        });
      }));

    it("streams a run's scalar and array readings with exact values", () =>
      open(async (source) => {
        const { rows, arrays } = await collect(source, { runs: [101] });
        const eventMicros = (i: number) => secondsMicros(TB + 1 + i * 0.5);
        assert.deepEqual(
          rows.filter((r) => r.observable === "det").map((r) => [r.run, r.channel, r.tMicros, r.value]),
          [0, 1, 2, 3, 4].map((i) => [101, 0, eventMicros(i), 10 * i + 0.5]),
        );
        assert.deepEqual(
          rows.filter((r) => r.observable === "cam_temp").map((r) => r.value),
          [21.5, 22.5, 23.5, 24.5, 25.5],
        );
        assert.deepEqual(
          arrays.filter((a) => a.observable === "spectrum").map((a) => [a.run, a.tMicros, a.value]),
          [0, 1, 2, 3, 4].map((i) => [101, eventMicros(i), spectrumOf(i)]),
        );
        assert.deepEqual(
          arrays.filter((a) => a.observable === "image").map((a) => a.value),
          [0, 1, 2, 3, 4].map(imageOf),
        );
        assert.ok(!rows.some((r) => r.observable === "ring_current" || r.observable === "label"));
      }));

    it("passes NULL, NaN, ±Infinity and ragged arrays through", () =>
      open(async (source) => {
        const { rows, arrays } = await collect(source, { runs: [102] });
        const det = rows.filter((r) => r.observable === "det");
        assert.deepEqual(
          det.map((r) => r.isNull),
          [1, 0, 0, 0],
        );
        assert.ok(Number.isNaN(det[0]!.value) && Number.isNaN(det[1]!.value));
        assert.deepEqual(
          det.slice(2).map((r) => r.value),
          [Infinity, -Infinity],
        );
        const spectra = arrays.filter((a) => a.observable === "spectrum").map((a) => a.value);
        assert.deepEqual(spectra, [RAGGED_SPECTRUM, null, spectrumOf(3), []]);
        assert.equal((spectra[0] as (number | null)[]).length, 63);
        assert.deepEqual(arrays.find((a) => a.observable === "image")!.value, RAGGED_IMAGE);
      }));

    it("selects events in a time window across runs, and only the asked observables", () =>
      open(async (source) => {
        const { rows, arrays } = await collect(source, {
          window: { from: (TB + 2) * 1000, to: (TB + 101.5) * 1000 },
          observables: ["det"],
        });
        assert.equal(arrays.length, 0);
        assert.deepEqual(
          rows.map((r) => [r.run, r.isNull === 1 ? null : r.value]),
          [
            [101, 20.5],
            [101, 30.5],
            [101, 40.5],
            [102, null],
          ],
        );
      }));

    it("fingerprints runs: primary events only, rows 0 for a run without events", () =>
      open(async (source) => {
        const s = (seconds: number) => secondsMicros(TB + seconds);
        assert.deepEqual(await source.fingerprints(), [
          { run: 101, rows: 5, firstMicros: s(1), lastMicros: s(3) },
          { run: 102, rows: 4, firstMicros: s(101), lastMicros: s(104) },
          { run: 103, rows: 2, firstMicros: s(201), lastMicros: s(202) },
          { run: DERIVED, rows: 0, firstMicros: null, lastMicros: null },
        ]);
        assert.deepEqual(await source.fingerprints([DERIVED, 103]), [
          { run: DERIVED, rows: 0, firstMicros: null, lastMicros: null },
          { run: 103, rows: 2, firstMicros: s(201), lastMicros: s(202) },
        ]);
      }));

    it("reports runs with new events or a new run_stop, not other streams", () =>
      open(async (source, t) => {
        const first = await source.changesSince(null);
        assert.deepEqual(first.runs, [101, 102, 103, DERIVED]);
        await t.insert("event", [
          { uid: "ev-103-3", descriptor: "desc-103-primary", seq_num: 3, time: TB + 203, data: { det: 3.75 } },
        ]);
        const second = await source.changesSince(first.cursor);
        assert.deepEqual(second.runs, [103]);
        await t.insert("event", [{ uid: "ev-101-b2", descriptor: "desc-101-baseline", seq_num: 2, time: TB + 9, data: {} }]);
        const third = await source.changesSince(second.cursor);
        assert.deepEqual(third.runs, []);
        await t.insert("run_stop", [{ uid: "stop-103", run_start: "7d1f-103", time: TB + 210, exit_status: "fail" }]);
        const fourth = await source.changesSince(third.cursor);
        assert.deepEqual(fourth.runs, [103]);
        assert.equal((await source.runs()).find((r) => r.id === 103)!.status, "failed");
      }));

    it("describes the descriptor and event queries", () =>
      open(async (source) => {
        await source.runs();
        const text = source.describeQuery({ runs: [101] });
        assert.match(text, /^event_descriptor\.find\(\{"name":"primary","run_start":\{"\$in":\["7d1f-101"\]\}\}/m);
        assert.match(text, /^event\.find\(\{"descriptor":\{"\$in":/m);
      }));
  });
}
