// Reads a runboard snapshot directory (manifest.json, catalog.json, Parquet per run) in the
// browser. DuckDB-WASM fetches only the byte ranges a query needs over HTTP, so a page can open
// a snapshot of many runs from a static host. Short windows read the readings and decimate them
// with M4; long ones read the precomputed level-of-detail tables instead.
import * as duckdb from "@duckdb/duckdb-wasm";
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import { chooseLodLevel, type LodBucket, lodPoints, lodSummary } from "../core/lod.js";
import { m4 } from "../core/m4.js";
import type { TimeWindow } from "../core/time-window.js";
import { getDuckDB } from "./duckdb.js";

export interface SnapshotFile {
  kind: "scalar" | "array" | "lod";
  path: string;
  rows: number;
}

export interface SnapshotRun {
  run: number;
  status: string;
  files: SnapshotFile[];
  lod: Record<string, number[]>;
  stats: Record<string, number>;
}

export interface Snapshot {
  base: URL;
  source: string;
  updatedAt: string;
  runs: SnapshotRun[];
  catalog: { observables: ObservableInfo[]; runs: RunInfo[] };
}

export async function loadSnapshot(base: URL): Promise<Snapshot> {
  const get = async (name: string) => {
    const response = await fetch(new URL(name, base));
    if (!response.ok) throw new Error(`${new URL(name, base).pathname}: ${response.status} ${response.statusText}`);
    return response.json();
  };
  const manifest = await get("manifest.json");
  const catalog = await get(manifest.catalog);
  return { base, source: manifest.source, updatedAt: manifest.updatedAt, runs: manifest.runs, catalog };
}

export interface SeriesView {
  t: Float64Array;
  value: Float64Array;
  /** Readings in the window (exact), and their extremes. */
  readings: number;
  min: number;
  max: number;
  /** "readings" or "lod 60 s": where the points came from. */
  from: string;
}

const registered = new Set<string>();

async function register(db: duckdb.AsyncDuckDB, url: URL): Promise<string> {
  const name = url.pathname.replace(/^\/+/, "").replaceAll("/", "_");
  if (!registered.has(name)) {
    await db.registerFileURL(name, url.href, duckdb.DuckDBDataProtocol.HTTP, false);
    registered.add(name);
  }
  return name;
}

const sqlList = (names: string[]) => `[${names.map((n) => `'${n.replaceAll("'", "''")}'`).join(", ")}]`;

/**
 * One channel of one observable over `window`, from the given runs, as at most ~4 x `pixels`
 * points. Uses a level-of-detail table when every run has one fine enough, else the readings.
 */
export async function querySeries(
  snapshot: Snapshot,
  query: { runs: number[]; observable: string; channel: number; window: TimeWindow; pixels: number },
): Promise<SeriesView> {
  const db = await getDuckDB();
  const runs = snapshot.runs.filter((r) => query.runs.includes(r.run));
  const empty: SeriesView = {
    t: new Float64Array(0),
    value: new Float64Array(0),
    readings: 0,
    min: NaN,
    max: NaN,
    from: "readings",
  };
  const withScalars = runs.filter((r) => r.files.some((f) => f.kind === "scalar"));
  if (withScalars.length === 0) return empty;
  const levels = withScalars.map((r) => r.lod[query.observable] ?? []);
  const common = levels.reduce((a, b) => a.filter((level) => b.includes(level)));
  const level = chooseLodLevel(query.window.to - query.window.from, query.pixels, common);
  const kind = level === undefined ? "scalar" : "lod";
  const names: string[] = [];
  for (const r of withScalars) {
    const file = r.files.find((f) => f.kind === kind);
    if (file) names.push(await register(db, new URL(file.path, snapshot.base)));
  }
  const conn = await db.connect();
  try {
    const params = [query.observable, query.channel, query.window.from, query.window.to];
    if (level === undefined) {
      const statement = await conn.prepare(
        `SELECT epoch_ms(t)::DOUBLE AS t, value FROM read_parquet(${sqlList(names)})
          WHERE observable = ? AND channel = ? AND value IS NOT NULL
            AND t BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000) ORDER BY t`,
      );
      const table = await statement.query(...params);
      await statement.close();
      const t = Float64Array.from(table.getChild("t")!.toArray() as ArrayLike<number>);
      const value = Float64Array.from(table.getChild("value")!.toArray() as ArrayLike<number>);
      let min = Infinity;
      let max = -Infinity;
      for (const v of value) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const decimated = m4({ x: t, y: value }, query.pixels, query.window.from, query.window.to);
      return {
        t: decimated.x,
        value: decimated.y,
        readings: t.length,
        min: t.length ? min : NaN,
        max: t.length ? max : NaN,
        from: "readings",
      };
    }
    const statement = await conn.prepare(
      `SELECT n, epoch_ms(first_t)::DOUBLE AS "firstT", first_v AS "firstV", epoch_ms(min_t)::DOUBLE AS "minT", min_v AS "minV",
              epoch_ms(max_t)::DOUBLE AS "maxT", max_v AS "maxV", epoch_ms(last_t)::DOUBLE AS "lastT", last_v AS "lastV"
         FROM read_parquet(${sqlList(names)})
        WHERE observable = ? AND channel = ? AND level = ${level}
          AND bucket BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)`,
    );
    const table = await statement.query(...params);
    await statement.close();
    const buckets = table.toArray().map((row) => ({ ...row.toJSON() }) as LodBucket);
    const points = lodPoints(buckets);
    const summary = lodSummary(buckets);
    return { ...points, readings: summary.n, min: summary.min, max: summary.max, from: `lod ${level} s` };
  } finally {
    await conn.close();
  }
}
