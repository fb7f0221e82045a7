// Staging writes a run's Parquet files one of two ways: sorted in memory (run-order.ts), or,
// for a run beyond the in-memory budget, sorted and de-duplicated by DuckDB. A user must get
// the same files either way; these tests write the same readings both ways and compare.
import { DuckDBInstance } from "@duckdb/node-api";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bucketStart, lodBuckets, orderRun, type RunColumns } from "../../loaders/snapshot/run-order.js";
import { Staging } from "../../loaders/snapshot/staging.js";
import { type ArrayReading, type ArrayValue, ChunkBuilder, type ReadingChunk } from "../../loaders/sources/source.js";

const T0 = Date.UTC(2026, 0, 1, 22) * 1000; // epoch microseconds

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Readings as a slow-control source delivers them, with the odd cases mixed in: interleaved
 * channels, times out of order, repeated (observable, channel, time), no time, NULL, NaN and
 * ±Infinity values, negative channels, two runs.
 */
function oddReadings(count: number, seed = 7, runs = 2): ReadingChunk[] {
  const next = random(seed);
  const out = new ChunkBuilder(1000);
  const names = ["trigger.rate", "camera.hv", "camera.anode_current", "a.b"].map((n) => out.names.id(n));
  const chunks: ReadingChunk[] = [];
  let previous: [number, number, number] = [names[0]!, 0, T0];
  for (let i = 0; i < count; i++) {
    let observable = names[Math.floor(next() * names.length)]!;
    let channel = Math.floor(next() * 12) - 2;
    // Mostly increasing times, every 10th one from the past; every 50th repeats the one before.
    let t = T0 + i * 250_000 + (i % 10 === 0 ? -Math.floor(next() * 60e6) : 0);
    if (i % 50 === 49) [observable, channel, t] = previous;
    previous = [observable, channel, t];
    const r = next();
    const value = r < 0.01 ? null : r < 0.02 ? NaN : r < 0.025 ? Infinity : r < 0.03 ? -Infinity : 1000 * Math.sin(i) + next();
    const full = out.scalar(runs > 1 && i % 97 === 0 ? 2 : 1, observable, channel, i % 333 === 0 ? NaN : t, value);
    if (full) chunks.push(full);
  }
  chunks.push(...out.rest());
  return chunks;
}

let dir: string;
let reader: Awaited<ReturnType<typeof DuckDBInstance.create>>;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "runboard-staging-"));
  reader = await DuckDBInstance.create(":memory:");
});
after(() => {
  reader.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** A Parquet file's rows; ordered by `order`, or as stored when it is omitted. */
async function rows(file: string, order = "file_row_number"): Promise<Record<string, unknown>[]> {
  const db = await reader.connect();
  try {
    const result = await db.runAndReadAll(
      `SELECT * EXCLUDE (file_row_number) FROM read_parquet('${file}', file_row_number = true) ORDER BY ${order}`,
    );
    return result.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    db.closeSync();
  }
}

async function writeBothWays(chunks: ReadingChunk[], lodSeconds: number[]) {
  const results = [];
  for (const [way, inMemoryRows] of [
    ["memory", undefined],
    ["duckdb", 100],
  ] as const) {
    const lane = mkdtempSync(join(dir, `${way}-`));
    const staging = await Staging.open(lane, { inMemoryRows });
    try {
      for (const chunk of chunks) await staging.append(chunk, new Map());
      const written = await staging.write(lane, way, lodSeconds);
      results.push({ ...written, stats: { ...staging.stats } });
    } finally {
      staging.close();
    }
  }
  return results as [(typeof results)[0], (typeof results)[0]];
}

describe("staging: in memory and in DuckDB", () => {
  it("write the same readings, in the same order, with the same odd-data counts", async () => {
    const [memory, duckdb] = await writeBothWays(oddReadings(20_000), [10, 60]);
    assert.deepEqual(memory.stats, duckdb.stats);
    assert.ok(
      memory.stats.duplicates > 100 && memory.stats.noTime > 10 && memory.stats.nonFinite > 100,
      JSON.stringify(memory.stats),
    );
    const file = (w: typeof memory, kind: string) => w.files.find((f) => f.kind === kind)!;
    assert.equal(file(memory, "scalar").rows, file(duckdb, "scalar").rows);
    // In the order stored, not re-sorted: both must have sorted the same way.
    const inMemory = await rows(file(memory, "scalar").file);
    const inDuckDB = await rows(file(duckdb, "scalar").file);
    assert.deepEqual(inMemory, inDuckDB);
    const keys = inMemory.map((r) => `${String(r.observable)}|${String(r.channel).padStart(4)}|${String(r.t)}`);
    assert.deepEqual(
      keys,
      [...keys].sort((a, b) => {
        const [na, ca] = a.split("|");
        const [nb, cb] = b.split("|");
        return na! < nb! ? -1 : na! > nb! ? 1 : Number(ca) - Number(cb) || 0;
      }),
      "sorted by observable, then channel",
    );
  });

  it("write the same LOD buckets (minimum and maximum times may differ only on ties)", async () => {
    // One run, as LOD tables are per run: readings of two runs at the same time would tie.
    const [memory, duckdb] = await writeBothWays(oddReadings(20_000, 11, 1), [7, 60, 600]);
    assert.deepEqual(memory.lod, duckdb.lod);
    assert.ok(Object.keys(memory.lod).length > 0, "some level was kept");
    const lodFile = (w: typeof memory) => w.files.find((f) => f.kind === "lod")!.file;
    const order = "level, observable, channel, bucket";
    const strip = (r: Record<string, unknown>) => ({ ...r, min_t: undefined, max_t: undefined });
    const a = await rows(lodFile(memory), order);
    const b = await rows(lodFile(duckdb), order);
    assert.equal(a.length, b.length);
    assert.deepEqual(a.map(strip), b.map(strip));
  });
});

describe("staging: arrays", () => {
  it("keep every element across data chunks: NULL and non-finite elements as NULL, NULL and empty arrays, ragged 2d", async () => {
    const next = random(3);
    const readings: ArrayReading[] = [];
    // More than one data chunk (2048 rows) and more than one element flush (2^20 elements).
    for (let i = 0; i < 5000; i++) {
      const kind = i % 5;
      const element = () => {
        const r = next();
        return r < 0.02 ? null : r < 0.03 ? NaN : r < 0.035 ? -Infinity : Math.round(r * 1e6) / 100;
      };
      const value =
        kind === 0
          ? null
          : kind === 1
            ? []
            : kind === 2
              ? Array.from({ length: 64 + (i % 3) }, element)
              : Array.from({ length: 24 }, (_, r) => Array.from({ length: r === 5 && i % 7 === 0 ? 3 : 24 }, element));
      readings.push({
        run: 1,
        observable: kind >= 3 ? "camera.hitmap" : "pmt.waveform",
        channel: 0,
        tMicros: T0 + i * 1000,
        value,
      });
    }
    const lane = mkdtempSync(join(dir, "arrays-"));
    const staging = await Staging.open(lane);
    try {
      for (let i = 0; i < readings.length; i += 256)
        await staging.append({ kind: "array", readings: readings.slice(i, i + 256) }, new Map());
      const { files } = await staging.write(lane, "a", []);
      const stored = await arrayRows(files, "t");
      assert.equal(stored.length, readings.length);
      const asStored = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
      readings.forEach((reading, i) => {
        const row = stored[i]!;
        const v = reading.value as ArrayValue | null;
        const is2d = Array.isArray(v?.[0]);
        assert.deepEqual(row.value_1d, v === null || is2d ? null : (v as (number | null)[]).map(asStored), `reading ${i}`);
        assert.deepEqual(row.value_2d, is2d ? (v as (number | null)[][]).map((r) => r.map(asStored)) : null, `reading ${i}`);
      });
      const nonFinite = readings
        .flatMap((r) => ((r.value as ArrayValue | null) ?? []).flat())
        .filter((x) => x !== null && !Number.isFinite(x)).length;
      assert.equal(staging.stats.nonFinite, nonFinite);
      assert.equal(staging.stats.nulls, 1000);
    } finally {
      staging.close();
    }
  });
});

/** The rows of every array file written (a run larger than a part has several), in `order`. */
async function arrayRows(files: { kind: string; file: string }[], order: string): Promise<Record<string, unknown>[]> {
  const list = files.filter((f) => f.kind === "array").map((f) => `'${f.file}'`);
  const db = await reader.connect();
  try {
    const result = await db.runAndReadAll(`SELECT * FROM read_parquet([${list.join(", ")}]) ORDER BY ${order}`);
    return result.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    db.closeSync();
  }
}

describe("staging: array runs larger than a part", () => {
  /** Waveforms of two observables on three channels, every 7th one repeating an earlier key. */
  function waveforms(count: number, length: number): ArrayReading[] {
    return Array.from({ length: count }, (_, i) => {
      const key = i % 7 === 6 ? i - 3 : i;
      return {
        run: 1,
        observable: key % 2 ? "pmt.waveform" : "beam.profile",
        channel: key % 3,
        tMicros: T0 + key * 1000,
        value: Array.from({ length }, (_, k) => i * 10_000 + k),
      };
    });
  }

  async function writeWith(readings: ArrayReading[], arrayPartElements: number) {
    const lane = mkdtempSync(join(dir, "parts-"));
    const staging = await Staging.open(lane, { arrayPartElements });
    try {
      for (let i = 0; i < readings.length; i += 100)
        await staging.append({ kind: "array", readings: readings.slice(i, i + 100) }, new Map());
      const { files } = await staging.write(lane, "p", []);
      return { files, stats: { ...staging.stats } };
    } finally {
      staging.close();
    }
  }

  it("writes several sorted files holding what one file would, repeats across parts kept last", async () => {
    const readings = waveforms(700, 300);
    const one = await writeWith(readings, 10_000_000);
    const parts = await writeWith(readings, 30_000);
    assert.equal(one.files.filter((f) => f.kind === "array").length, 1);
    const partFiles = parts.files.filter((f) => f.kind === "array");
    assert.ok(partFiles.length >= 7, `${partFiles.length} parts`);
    const order = "observable, channel, t";
    const expected = await arrayRows(one.files, order);
    const got = await arrayRows(parts.files, order);
    assert.equal(got.length, 600);
    assert.deepEqual(got, expected);
    assert.equal(parts.stats.duplicates, 100);
    assert.equal(one.stats.duplicates, 100);
    // The last reading of a repeated key wins: reading 6 repeats key 3 and was read later.
    const firsts = got.map((r) => (r.value_1d as number[])[0]);
    assert.ok(firsts.includes(60_000) && !firsts.includes(30_000), "key 3 holds reading 6, not reading 3");
    for (const f of partFiles) {
      const stored = await rows(f.file);
      assert.deepEqual(stored, await arrayRows([f], order), `${f.file} is sorted by observable, channel and time`);
    }
  });
});

describe("run order", () => {
  const columns = (entries: [number, number, number, number][]): RunColumns => ({
    length: entries.length,
    run: new Int32Array(entries.length).fill(1),
    observable: Uint16Array.from(entries.map((e) => e[0])),
    channel: Int32Array.from(entries.map((e) => e[1])),
    tMicros: Float64Array.from(entries.map((e) => e[2])),
    value: Float64Array.from(entries.map((e) => e[3])),
  });

  it("orders by name, channel and time, keeps the last of repeats and drops readings without time", () => {
    // Names: 0 = "b", 1 = "a": "a" comes first whatever its dictionary index.
    const c = columns([
      [0, 1, 30, 1],
      [1, 0, 20, 2],
      [0, 1, 10, 3],
      [0, -1, 10, 4],
      [0, 1, 30, 5], // repeats (b, 1, 30): this one is kept
      [1, 0, NaN, 6],
    ]);
    const order = orderRun(c, ["b", "a"]);
    assert.deepEqual([...order.value], [2, 4, 3, 5]);
    assert.deepEqual([...order.tMicros], [20, 10, 10, 30]);
    assert.equal(order.duplicates, 1);
    assert.equal(order.noTime, 1);
    assert.deepEqual(
      order.series.map((s) => [s.observable, s.channel, s.to - s.from]),
      [
        [1, 0, 1],
        [0, -1, 1],
        [0, 1, 2],
      ],
    );
  });

  it("buckets times as DuckDB's time_bucket does, before 2000 and for widths that do not divide a day", () => {
    const origin = Date.UTC(2000, 0, 3) * 1000;
    assert.equal(bucketStart(origin + 6_999_999, 7e6), origin);
    assert.equal(bucketStart(origin + 7e6, 7e6), origin + 7e6);
    assert.equal(bucketStart(origin - 1, 7e6), origin - 7e6);
    assert.equal(bucketStart(Date.UTC(1999, 0, 1) * 1000 + 5, 60e6), Date.UTC(1999, 0, 1) * 1000);
  });

  it("computes M4 buckets over finite values only", () => {
    const c = columns([
      [0, 0, 0, 5],
      [0, 0, 1e6, NaN],
      [0, 0, 2e6, 1],
      [0, 0, 3e6, 9],
      [0, 0, 4e6, 4],
      [0, 0, 5e6, 3],
      [0, 0, 60e6, 7],
    ]);
    const { buckets, levels } = lodBuckets(orderRun(c, ["x"]), [60]);
    assert.deepEqual(levels.get(0), [60]);
    assert.equal(buckets.length, 2);
    assert.deepEqual(
      [buckets.n[0], buckets.firstV[0], buckets.minV[0], buckets.minT[0], buckets.maxV[0], buckets.maxT[0], buckets.lastV[0]],
      [5, 5, 1, 2e6, 9, 3e6, 3],
    );
  });
});
