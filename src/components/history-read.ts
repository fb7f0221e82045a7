// What the widgets of a page need from the snapshot, and reading it: one query for every scalar
// series together, one per raster grid and per array observable. The queries run one after
// another in DuckDB-WASM's worker (run-data.ts, inTurn); each part is handed over as soon as it is read when the
// caller asks (`onPart`: a first load, where the page can draw each widget while the worker reads
// the next part), else the caller swaps the whole history in at once.
import type { ChannelGrid } from "../core/binning.js";
import type { RunInfo } from "../core/catalog.js";
import type { DashboardView } from "../core/dashboard-time.js";
import { siteNow } from "./site-mode.js";
import { type ArrayReadingView, type Snapshot, queryArrays, queryChannels, queryRaster } from "./run-data.js";
import { SeriesBuffer } from "./series-buffer.js";

export type DataNeed =
  /** One channel's readings in the window (time series, single number, table cell, xy axis). */
  | { kind: "series"; observable: string; channel: number }
  /** Every channel as a grid of time columns, with each channel's latest value (raster, histogram). */
  | { kind: "grid"; observable: string; channels: number; columns: number }
  /** The newest `limit` arrays in the window, or the last of each chosen run (profile, image). */
  | { kind: "arrays"; observable: string; limit: number; runs?: readonly number[] };

export const seriesKey = (observable: string, channel: number) => `series:${observable}#${channel}`;
export const gridKey = (observable: string) => `grid:${observable}`;
export const arraysKey = (observable: string, runs?: readonly number[]) =>
  `arrays:${observable}${runs ? `@${runs.join(",")}` : ""}`;

export function needKey(need: DataNeed): string {
  if (need.kind === "series") return seriesKey(need.observable, need.channel);
  if (need.kind === "grid") return gridKey(need.observable);
  return arraysKey(need.observable, need.runs);
}

export type ArraysRead = { need: Extract<DataNeed, { kind: "arrays" }>; readings: ArrayReadingView[] };

/** The history a page holds: series by seriesKey, grids by gridKey, arrays by arraysKey. */
export interface History {
  buffers: Map<string, SeriesBuffer>;
  grids: Map<string, ChannelGrid>;
  arrays: Map<string, ArraysRead>;
  /** The older runs of long rasters, read after the first draw; each gives the key it filled. */
  fillLater: (() => Promise<string>)[];
}

export const emptyHistory = (): History => ({ buffers: new Map(), grids: new Map(), arrays: new Map(), fillLater: [] });

export interface HistoryRequest {
  snapshot: Snapshot;
  view: DashboardView;
  needs: readonly DataNeed[];
  runList: readonly RunInfo[];
  /** The drawing width of the widest widget (how finely series are read). */
  pixels: number;
  /** A part read: its keys, and those of them with nothing in the window. */
  onPart?: (keys: string[], empty: string[]) => void;
}

/** Reads every need into `into` (each part as it comes), with the raster fills for later. */
export async function readHistory(request: HistoryRequest, into: History = emptyHistory()): Promise<History> {
  const reads: Promise<void>[] = [];
  // The series first: one query serves every time series, number, table and x-y chart.
  const series = request.needs.filter((n): n is Extract<DataNeed, { kind: "series" }> => n.kind === "series");
  if (series.length > 0) reads.push(readSeries(request, series, into));
  const asked = new Set<string>();
  for (const need of request.needs) {
    const key = needKey(need);
    if (need.kind === "series" || asked.has(key)) continue;
    asked.add(key);
    reads.push(need.kind === "grid" ? readGrid(request, need, into) : readArrays(request, need, into));
  }
  // The files are fetched together; the queries then run in turn (run-data.ts, inTurn).
  await Promise.all(reads);
  return into;
}

async function readGrid(request: HistoryRequest, need: Extract<DataNeed, { kind: "grid" }>, into: History) {
  const key = needKey(need);
  const { snapshot, view, needs } = request;
  // Widgets sharing a grid (a raster and a histogram of one camera) get the finest one asked.
  const columns = Math.max(...needs.map((n) => (n.kind === "grid" && needKey(n) === key ? n.columns : 0)));
  // Newest runs first: a night of 36 runs is drawn from the newest three, the rest filled in after.
  const newestFirst = [...view.runs].sort((a, b) => b - a);
  const [first, rest] = [newestFirst.slice(0, 3), newestFirst.slice(3)];
  const query = { observable: need.observable, channels: need.channels, window: view.window, columns };
  const { grid } = await queryRaster(snapshot, { ...query, runs: first });
  into.grids.set(key, grid);
  if (rest.length) into.fillLater.push(() => queryRaster(snapshot, { ...query, runs: rest }, grid).then(() => key));
  request.onPart?.([key], grid.latestT.some(Number.isFinite) ? [] : [key]);
}

async function readArrays(request: HistoryRequest, need: Extract<DataNeed, { kind: "arrays" }>, into: History) {
  const key = needKey(need);
  const { snapshot, view, needs, runList } = request;
  // Widgets sharing one observable's arrays (two profiles of one waveform) get the most asked for.
  const limit = Math.max(...needs.map((n) => (n.kind === "arrays" && needKey(n) === key ? n.limit : 0)));
  const asked = { ...need, limit };
  // Chosen runs: the last reading of each, wherever it is; else the newest in the window.
  const chosen = asked.runs ? runList.filter((r) => asked.runs!.includes(r.id)) : undefined;
  const window = chosen?.length
    ? { from: Math.min(...chosen.map((r) => r.start)), to: Math.max(...chosen.map((r) => r.stop ?? siteNow())) }
    : view.window;
  const readings = await queryArrays(snapshot, {
    runs: chosen ? chosen.map((r) => r.id) : view.runs,
    observable: asked.observable,
    window,
    limit: asked.runs ? asked.runs.length : asked.limit,
    lastOfEachRun: !!asked.runs,
  });
  into.arrays.set(key, { need: asked, readings });
  request.onPart?.([key], readings.length ? [] : [key]);
}

async function readSeries(request: HistoryRequest, needs: Extract<DataNeed, { kind: "series" }>[], into: History) {
  const channelsOf = new Map<string, Set<number>>();
  for (const need of needs)
    (channelsOf.get(need.observable) ?? channelsOf.set(need.observable, new Set()).get(need.observable)!).add(need.channel);
  const read = await queryChannels(request.snapshot, {
    runs: request.view.runs,
    series: [...channelsOf].map(([observable, channels]) => ({ observable, channels: [...channels] })),
    window: request.view.window,
    pixels: request.pixels,
  });
  // Everything up to liveSeq is in the files; the live tail brings what is newer.
  const heldSeq = request.snapshot.liveSeq ?? 0;
  const keys: string[] = [];
  const empty: string[] = [];
  for (const [observable, channels] of channelsOf) {
    for (const channel of channels) {
      const columns = read.get(observable)?.get(channel);
      const buffer = SeriesBuffer.fromColumns(columns?.t ?? [], columns?.value ?? [], []);
      buffer.lastSeq = heldSeq;
      buffer.thinned = !!columns?.thinned;
      const key = seriesKey(observable, channel);
      into.buffers.set(key, buffer);
      keys.push(key);
      if (buffer.length === 0) empty.push(key);
    }
  }
  request.onPart?.(keys, empty);
}
