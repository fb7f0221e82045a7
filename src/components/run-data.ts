// The browser's one read path for history: a runboard snapshot directory (manifest.json,
// catalog.json, Parquet per run), kept fresh by the server or published as a static folder.
// DuckDB-WASM fetches only the byte ranges a query needs over HTTP. Short windows read the
// readings; long ones read the precomputed level-of-detail tables. Every page reads through
// here: the overview, the Runs page and the dashboard widgets (whose live tail series-feed.ts
// merges on top, from the manifest's liveSeq on).
import * as duckdb from "@duckdb/duckdb-wasm";
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import type { ManifestFile, ManifestRun } from "../core/manifest.js";
import { chooseLodLevel, type LodBucket, lodPoints, lodSummary } from "../core/lod.js";
import { ChannelGrid, binRows, readingsPerCellAtMost } from "../core/binning.js";
import { m4 } from "../core/m4.js";
import type { TimeWindow } from "../core/time-window.js";
import { getDuckDB } from "./duckdb.js";
import { measureSince } from "./timing.js";

/** The manifest's types are the writer's own (src/core/manifest.ts): one wire type for both sides. */
export type SnapshotFile = ManifestFile;
export type SnapshotRun = ManifestRun;

export interface Snapshot {
  base: URL;
  source: string;
  /** When the snapshot was last brought up to date (ISO time). */
  updatedAt: string;
  /** The embedded store's newest seq the files hold: the live feed resumes after it (null: none). */
  liveSeq: number | null;
  runs: SnapshotRun[];
  catalog: { observables: ObservableInfo[]; runs: RunInfo[] };
  /** Runs of the source with no files here: their snapshot could not be written, and why. */
  missing: { run: number; message: string }[];
  /** The manifest's validator, to ask cheaply whether it changed. */
  etag: string | null;
}

/** The server is still writing its first snapshot (it answers 503 until then). */
export class SnapshotNotReady extends Error {}

/**
 * A file the manifest named is gone: a newer manifest replaced it (and the file outlived its
 * grace period). Reading the manifest again and retrying once finds the new files.
 */
export class SnapshotFileGone extends Error {}

export async function loadSnapshot(base: URL): Promise<Snapshot> {
  const get = async (name: string) => {
    const response = await fetch(new URL(name, base), { cache: "no-cache" });
    if (response.status === 503) throw new SnapshotNotReady("the server is writing its first snapshot");
    if (!response.ok) throw new Error(`${new URL(name, base).pathname}: ${response.status} ${response.statusText}`);
    return { body: await response.json(), etag: response.headers.get("ETag") };
  };
  const { body: manifest, etag } = await get("manifest.json");
  const { body: catalog } = await get(manifest.catalog);
  const listed = new Set((manifest.runs as SnapshotRun[]).map((r) => r.run));
  const errors = (manifest.errors ?? []) as { run: number | null; message: string }[];
  return {
    base,
    source: manifest.source,
    updatedAt: manifest.updatedAt,
    liveSeq: manifest.liveSeq ?? null,
    runs: manifest.runs,
    catalog,
    missing: errors.flatMap((e) => (e.run !== null && !listed.has(e.run) ? [{ run: e.run, message: e.message }] : [])),
    etag,
  };
}

/** Waits out a server that is writing its first snapshot, telling `onWait` why it waits. */
export async function loadSnapshotWhenReady(base: URL, onWait: (why: string) => void = () => undefined): Promise<Snapshot> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await loadSnapshot(base);
    } catch (error) {
      if (!(error instanceof SnapshotNotReady) || attempt >= 120) throw error;
      onWait(error.message);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** A run's newest reading in the snapshot (epoch ms; null when it has none), for resolveSelection. */
export function lastReadingOf(snapshot: Snapshot): (run: number) => number | null | undefined {
  const byRun = new Map(snapshot.runs.map((r) => [r.run, r.fingerprint?.lastMicros]));
  return (run) => {
    const micros = byRun.get(run);
    return micros === undefined ? undefined : micros === null ? null : micros / 1000;
  };
}

/** Whether the manifest changed since `snapshot` was read (a 304 costs a few bytes). */
export async function snapshotChanged(snapshot: Snapshot): Promise<boolean> {
  const headers: Record<string, string> = snapshot.etag ? { "If-None-Match": snapshot.etag } : {};
  const response = await fetch(new URL("manifest.json", snapshot.base), { cache: "no-cache", headers });
  if (response.status === 304 || !response.ok) return false;
  const manifest = (await response.json()) as { updatedAt: string };
  return manifest.updatedAt !== snapshot.updatedAt;
}

/** Per channel, the readings (or level-of-detail points) of one observable. */
/** Per channel: the readings in time order, or (`thinned`) the level-of-detail M4 points of them. */
export type ChannelSeries = Map<number, { t: Float64Array; value: Float64Array; thinned?: boolean }>;

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

/**
 * Files registered with DuckDB by name (names carry the file's content suffix, so a rewrite is a
 * new name). Each is registered once, from bytes fetched for it alone: DuckDB-WASM transfers the
 * buffer it is given to its worker, so a reactive cell that registered the same ArrayBuffer again
 * when it re-ran would throw "Cannot perform Construct on a detached ArrayBuffer".
 */
const registered = new Map<string, Promise<void>>();

/**
 * A run's file is small (hundreds of kB): fetched whole, in parallel with the others, it is one
 * request. Left to DuckDB-WASM, every file costs several synchronous range requests one after
 * another in its worker, which was most of a dashboard's first draw. Files above this size are
 * still read by range, so a huge run never has to fit in the page's memory.
 */
const FETCH_WHOLE_BELOW = 16 * 1024 * 1024;

function register(db: duckdb.AsyncDuckDB, url: URL, bytes: number): Promise<string> {
  const name = url.pathname.replace(/^\/+/, "").replaceAll("/", "_");
  let done = registered.get(name);
  if (!done) {
    done =
      bytes <= FETCH_WHOLE_BELOW
        ? fetch(url).then(async (response) => {
            if (response.status === 404) throw new SnapshotFileGone(`${url.pathname}: replaced by a newer snapshot`);
            if (!response.ok) throw new Error(`${url.pathname}: ${response.status} ${response.statusText}`);
            await db.registerFileBuffer(name, new Uint8Array(await response.arrayBuffer()));
          })
        : db.registerFileURL(name, url.href, duckdb.DuckDBDataProtocol.HTTP, false);
    // A failed fetch is tried again next time, not remembered.
    done.catch(() => registered.delete(name));
    registered.set(name, done);
  }
  return done.then(() => name);
}

/** The page's reads of history, one after another (see inTurn). */
let turn: Promise<unknown> = Promise.resolve();

/**
 * Runs a prepared statement once the page's earlier reads are done. DuckDB-WASM's worker works
 * on concurrent prepared queries in turns, so all of a page's reads finished together; in
 * order, the first is back in a fraction of the time and its widgets are drawn while the worker
 * reads the next.
 */
async function inTurn(conn: duckdb.AsyncDuckDBConnection, sql: string, params: unknown[]) {
  const run = turn.then(async () => {
    const statement = await conn.prepare(sql);
    try {
      return await statement.query(...params);
    } finally {
      await statement.close();
    }
  });
  turn = run.catch(() => undefined);
  return run;
}

export const sqlList = (names: string[]) => `[${names.map((n) => `'${n.replaceAll("'", "''")}'`).join(", ")}]`;

/** The files of one kind for these runs, registered with DuckDB (fetched together). */
export async function filesOf(
  db: duckdb.AsyncDuckDB,
  snapshot: Snapshot,
  runs: readonly SnapshotRun[],
  kind: SnapshotFile["kind"],
) {
  const files = runs.flatMap((r) => r.files.filter((f) => f.kind === kind));
  return Promise.all(files.map((f) => register(db, new URL(f.path, snapshot.base), f.bytes)));
}

/** The level-of-detail width every one of these runs has for `observable` that suits the view, if any. */
function commonLevel(runs: readonly SnapshotRun[], observable: string, window: TimeWindow, pixels: number) {
  const levels = runs.map((r) => r.lod[observable] ?? []);
  const common = levels.length ? levels.reduce((a, b) => a.filter((level) => b.includes(level))) : [];
  return chooseLodLevel(window.to - window.from, pixels, common);
}

/**
 * Some channels of some scalar observables over `window`, from the given runs, in time order:
 * every reading when the window is short, the level-of-detail points (M4) when it is long.
 * Observables read the same way share one query (each query costs DuckDB-WASM a round of
 * file requests): a dashboard of twelve widgets asks once or twice, not twelve times.
 * Widgets keep these as their history and append the live tail.
 */
export async function queryChannels(
  snapshot: Snapshot,
  query: {
    runs: readonly number[];
    series: readonly { observable: string; channels: readonly number[] }[];
    window: TimeWindow;
    pixels: number;
  },
): Promise<Map<string, ChannelSeries>> {
  const out = new Map<string, ChannelSeries>();
  const runs = snapshot.runs.filter((r) => query.runs.includes(r.run) && r.files.some((f) => f.kind === "scalar"));
  const wanted = query.series
    .map((s) => ({ observable: s.observable, channels: s.channels.filter((c) => Number.isInteger(c) && c >= 0) }))
    .filter((s) => s.channels.length > 0);
  for (const s of wanted) out.set(s.observable, new Map());
  if (runs.length === 0 || wanted.length === 0) return out;
  // Grouped by where they are read from: the readings, or a level-of-detail width.
  const byLevel = new Map<number | undefined, typeof wanted>();
  for (const s of wanted) {
    const level = commonLevel(runs, s.observable, query.window, query.pixels);
    (byLevel.get(level) ?? byLevel.set(level, []).get(level)!).push(s);
  }
  const started = performance.now();
  const db = await getDuckDB();
  const conn = await db.connect();
  try {
    for (const [level, group] of byLevel) {
      const names = await filesOf(db, snapshot, runs, level === undefined ? "scalar" : "lod");
      if (names.length === 0) continue;
      // Names are parameters; channels are checked integers.
      const which = group.map((s) => `(observable = ? AND channel IN (${s.channels.join(", ")}))`).join(" OR ");
      const params = [...group.map((s) => s.observable), query.window.from, query.window.to];
      if (level === undefined) {
        const table = await inTurn(
          conn,
          `SELECT observable, channel, epoch_ms(t)::DOUBLE AS t, value FROM read_parquet(${sqlList(names)})
            WHERE (${which}) AND value IS NOT NULL
              AND t BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000) ORDER BY observable, channel, t`,
          [...params],
        );
        splitBySeries(
          out,
          table.getChild("observable")!.toArray() as string[],
          table.getChild("channel")!.toArray(),
          table.getChild("t")!.toArray(),
          table.getChild("value")!.toArray(),
        );
        continue;
      }
      const table = await inTurn(
        conn,
        `SELECT observable, channel, n, epoch_ms(first_t)::DOUBLE AS "firstT", first_v AS "firstV", epoch_ms(min_t)::DOUBLE AS "minT",
                min_v AS "minV", epoch_ms(max_t)::DOUBLE AS "maxT", max_v AS "maxV", epoch_ms(last_t)::DOUBLE AS "lastT",
                last_v AS "lastV"
           FROM read_parquet(${sqlList(names)})
          WHERE (${which}) AND level = ${level}
            AND bucket BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)`,
        [...params],
      );
      const buckets = new Map<string, Map<number, LodBucket[]>>();
      for (const row of table.toArray()) {
        const { observable, channel, ...bucket } = row.toJSON() as LodBucket & { observable: string; channel: number };
        const perChannel = buckets.get(observable) ?? buckets.set(observable, new Map()).get(observable)!;
        (perChannel.get(channel) ?? perChannel.set(channel, []).get(channel)!).push(bucket);
      }
      for (const [observable, perChannel] of buckets)
        for (const [channel, list] of perChannel) out.get(observable)?.set(channel, { ...lodPoints(list), thinned: true });
    }
    measureSince("runboard:channels-query", started);
    return out;
  } finally {
    await conn.close();
  }
}

function splitBySeries(
  out: Map<string, ChannelSeries>,
  observable: ArrayLike<string>,
  channel: ArrayLike<number>,
  t: ArrayLike<number>,
  value: ArrayLike<number>,
): void {
  // Rows come ordered by observable and channel: each series is one contiguous slice.
  for (let start = 0; start < channel.length;) {
    let end = start;
    while (end < channel.length && channel[end] === channel[start] && observable[end] === observable[start]) end++;
    out.get(observable[start]!)?.set(Number(channel[start]), {
      t: Float64Array.from({ length: end - start }, (_, i) => Number(t[start + i])),
      value: Float64Array.from({ length: end - start }, (_, i) => Number(value[start + i])),
    });
    start = end;
  }
}

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
  const level = commonLevel(withScalars, query.observable, query.window, query.pixels);
  const names = await filesOf(db, snapshot, withScalars, level === undefined ? "scalar" : "lod");
  const conn = await db.connect();
  try {
    const params = [query.observable, query.channel, query.window.from, query.window.to];
    if (level === undefined) {
      const table = await inTurn(
        conn,
        `SELECT epoch_ms(t)::DOUBLE AS t, value FROM read_parquet(${sqlList(names)})
          WHERE observable = ? AND channel = ? AND value IS NOT NULL
            AND t BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000) ORDER BY t`,
        [...params],
      );
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
    const table = await inTurn(
      conn,
      `SELECT n, epoch_ms(first_t)::DOUBLE AS "firstT", first_v AS "firstV", epoch_ms(min_t)::DOUBLE AS "minT", min_v AS "minV",
              epoch_ms(max_t)::DOUBLE AS "maxT", max_v AS "maxV", epoch_ms(last_t)::DOUBLE AS "lastT", last_v AS "lastV"
         FROM read_parquet(${sqlList(names)})
        WHERE observable = ? AND channel = ? AND level = ${level}
          AND bucket BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)`,
      [...params],
    );
    const buckets = table.toArray().map((row) => ({ ...row.toJSON() }) as LodBucket);
    const points = lodPoints(buckets);
    const summary = lodSummary(buckets);
    return { ...points, readings: summary.n, min: summary.min, max: summary.max, from: `lod ${level} s` };
  } finally {
    await conn.close();
  }
}

export interface ObservableSummary {
  observable: string;
  channels: number;
  readings: number;
  min: number;
  mean: number;
  max: number;
}

/** Count, channels, minimum, mean and maximum of every scalar observable in these runs. */
export async function summarizeRuns(snapshot: Snapshot, runIds: readonly number[]): Promise<ObservableSummary[]> {
  const runs = snapshot.runs.filter((r) => runIds.includes(r.run));
  const db = await getDuckDB();
  const names = await filesOf(db, snapshot, runs, "scalar");
  if (names.length === 0) return [];
  const conn = await db.connect();
  try {
    const table = await conn.query(
      `SELECT observable, count(DISTINCT channel)::INTEGER AS channels, count(value)::INTEGER AS readings,
              min(value) AS min, avg(value) AS mean, max(value) AS max
         FROM read_parquet(${sqlList(names)}) GROUP BY observable ORDER BY observable`,
    );
    return table.toArray().map((row) => ({ ...row.toJSON() }) as ObservableSummary);
  } finally {
    await conn.close();
  }
}

/**
 * Where a raster's cells hold at most this many rows (an upper bound), the rows are read as they
 * are and binned in the page: DuckDB-WASM's grouping of 1855 channels x 120 columns (a cell per
 * reading) cost it several times the scan, and the page bins 200 000 rows in a few ms.
 */
const BIN_IN_PAGE_UP_TO = 4;

/**
 * The SQL of a raster's read: each row a channel, a time, the extremes and the newest reading,
 * either as stored (readings or level-of-detail buckets) or grouped into the grid's cells by
 * DuckDB (`t` then the cell's column). Its parameters, in order: for grouped, the grid's start
 * and column width; then the observable, the channel count and the window.
 */
function rasterSql(files: string, level: number | undefined, grouped: boolean): string {
  const [time, filter, lo, hi, lastT, lastV] =
    level === undefined
      ? ["t", "value IS NOT NULL", "value", "value", "t", "value"]
      : ["bucket", `level = ${level}`, "min_v", "max_v", "last_t", "last_v"];
  const where = `WHERE observable = ? AND ${filter} AND channel < ?
      AND ${time} BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)`;
  if (!grouped) {
    const extremes =
      level === undefined
        ? `${lo} AS lo`
        : `${lo} AS lo, ${hi} AS hi, epoch_ms(${lastT})::DOUBLE AS "lastT", ${lastV} AS "lastV"`;
    return `SELECT channel::INTEGER AS channel, epoch_ms(${time})::DOUBLE AS t, ${extremes} FROM read_parquet(${files}) ${where}`;
  }
  // One pass gives both: each cell's extremes, and its newest reading (the newest cell's is the
  // channel's latest, exact: a level-of-detail bucket keeps its last reading and time).
  return `SELECT channel::INTEGER AS channel,
            (?::DOUBLE + floor((epoch_ms(${time}) - ?::DOUBLE) / ?::DOUBLE) * ?::DOUBLE) AS t,
            min(${lo})::DOUBLE AS lo, max(${hi})::DOUBLE AS hi, epoch_ms(max(${lastT}))::DOUBLE AS "lastT",
            arg_max(${lastV}, ${lastT})::DOUBLE AS "lastV"
       FROM read_parquet(${files}) ${where} GROUP BY 1, 2`;
}

/**
 * Every channel of one scalar observable over `window` as a grid of `columns` time columns, each
 * cell the lowest and highest value in it (from a level-of-detail table when one is fine enough,
 * else from the readings; binned in the page where a cell holds a reading or two, else
 * aggregated by DuckDB: 1855 pixels over a night arrive as at most 1855 x columns rows), and
 * each channel's exact latest value.
 */
export async function queryRaster(
  snapshot: Snapshot,
  query: { runs: readonly number[]; observable: string; channels: number; window: TimeWindow; columns: number },
  /** A grid to add these runs to (a raster filled newest runs first), else a new one. */
  into?: ChannelGrid,
): Promise<{ grid: ChannelGrid; from: string }> {
  const started = performance.now();
  const columns = into?.columns ?? Math.max(1, Math.trunc(query.columns));
  const columnMs = into?.columnMs ?? Math.max(1, Math.ceil((query.window.to - query.window.from) / columns));
  const grid = into ?? new ChannelGrid(query.channels, columns, query.window.from, columnMs);
  const runs = snapshot.runs.filter((r) => query.runs.includes(r.run) && r.files.some((f) => f.kind === "scalar"));
  if (runs.length === 0) return { grid, from: "readings" };
  const db = await getDuckDB();
  const level = commonLevel(runs, query.observable, query.window, columns);
  const names = await filesOf(db, snapshot, runs, level === undefined ? "scalar" : "lod");
  const cells = query.channels * columns;
  const perCell =
    level === undefined
      ? readingsPerCellAtMost(
          runs.map((r) => ({ start: r.start, stop: r.stop, rows: r.rows.scalar })),
          query.window,
          cells,
        )
      : columnMs / (level * 1000);
  const grouped = perCell > BIN_IN_PAGE_UP_TO;
  const conn = await db.connect();
  try {
    const cellOf = grouped ? [grid.from, grid.from, columnMs, columnMs] : [];
    const { observable, channels, window } = query;
    const table = await inTurn(conn, rasterSql(sqlList(names), level, grouped), [
      ...cellOf,
      observable,
      channels,
      window.from,
      window.to,
    ]);
    const column = (name: string) => table.getChild(name)!.toArray() as Float64Array;
    const [t, lo] = [column("t"), column("lo")];
    const stored = !grouped && level === undefined;
    binRows(grid, {
      channel: table.getChild("channel")!.toArray() as Int32Array,
      t,
      lo,
      hi: stored ? lo : column("hi"),
      lastT: stored ? t : column("lastT"),
      lastV: stored ? lo : column("lastV"),
    });
    // Benchmarks (bench/browser.ts) read this; it costs a timestamp.
    measureSince("runboard:raster-query", started);
    return { grid, from: level === undefined ? "readings" : `lod ${level} s` };
  } finally {
    await conn.close();
  }
}

/** One array reading: a waveform or spectrum (1d) or an image (2d, rows of values). */
export interface ArrayReadingView {
  run: number;
  channel: number;
  /** Epoch ms. */
  t: number;
  value: (number | null)[] | (number | null)[][];
}

/**
 * The newest `limit` readings of a 1d or 2d observable in `window`, from the given runs, newest
 * first: what a profile (the latest waveform with the few before it faded) or an image draws.
 */
export async function queryArrays(
  snapshot: Snapshot,
  query: { runs: readonly number[]; observable: string; window: TimeWindow; limit: number; lastOfEachRun?: boolean },
): Promise<ArrayReadingView[]> {
  const started = performance.now();
  const runs = snapshot.runs.filter((r) => query.runs.includes(r.run));
  const db = await getDuckDB();
  const names = await filesOf(db, snapshot, runs, "array");
  if (names.length === 0) return [];
  const conn = await db.connect();
  try {
    // Which readings, chosen on the keys alone; then their values, unsorted (the order is made
    // below). Sorting rows that carry 2d values (LIST of LIST) made DuckDB-WASM 1.28 stop with
    // "memory access out of bounds" for images of 128x128; sorting the keys costs nothing.
    const files = sqlList(names);
    const table = await inTurn(
      conn,
      `WITH chosen AS (
         SELECT run, channel, t FROM read_parquet(${files})
          WHERE observable = ? AND t BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)
          ${query.lastOfEachRun ? "QUALIFY row_number() OVER (PARTITION BY run ORDER BY t DESC) = 1" : ""}
          ORDER BY t DESC LIMIT ${Math.max(1, Math.min(1000, Math.trunc(query.limit)))})
       SELECT a.run, a.channel, epoch_ms(a.t)::DOUBLE AS t, a.value_1d, a.value_2d
         FROM read_parquet(${files}) a SEMI JOIN chosen c ON a.run = c.run AND a.channel = c.channel AND a.t = c.t
        WHERE a.observable = ?`,
      [query.observable, query.window.from, query.window.to, query.observable],
    );
    // LIST columns arrive as Arrow vectors; iterating one gives its elements, null where null.
    type ListLike = Iterable<unknown>;
    const list = (v: ListLike) => [...v].map((x) => (x === null ? null : Number(x)));
    const readings = table.toArray().map((row) => {
      const r = row.toJSON() as { run: number; channel: number; t: number; value_1d: ListLike | null; value_2d: ListLike | null };
      const value = r.value_1d ? list(r.value_1d) : [...(r.value_2d ?? [])].map((rowOf) => list(rowOf as ListLike));
      return { run: Number(r.run), channel: Number(r.channel), t: Number(r.t), value };
    });
    measureSince("runboard:arrays-query", started);
    // Newest first, as asked (ties by run, then channel, for a stable order).
    return readings.sort((a, b) => b.t - a.t || b.run - a.run || a.channel - b.channel);
  } finally {
    await conn.close();
  }
}
