// What each chart says under the pointer (chart-pointer.ts shows it): the time, value and unit,
// channel and run of the nearest reading on a time series, a bin's range and count on a
// histogram, a sample of each trace on a profile, the nearest point of an x-y chart, and a
// raster cell's channel, time span and extremes. Pure functions of the data the widget drew.
import type { ChannelGrid, Histogram } from "../core/binning.js";
import { type ChannelGroups, type ObservableInfo, type RunInfo, groupChannels, groupOf, runHolding } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import { lowerBound } from "../core/m4.js";
import type { Tip } from "./chart-pointer.js";
import type { ArrayReadingView } from "./run-data.js";
import { type WidgetData, formatValue, seriesLabel, withUnit } from "./widget-common.js";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A reading's time as a shifter reads it, to the millisecond: "2026-12-07 14:32:05.120" (local). */
export function formatInstant(t: number): string {
  const d = new Date(t);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** The run a time falls in, in words ("run 1003"), or "" between runs. */
export function runAt(runs: readonly RunInfo[], t: number): string {
  const run = runHolding(runs, t);
  return run ? `run ${run.id}` : "";
}

/** The index of the value in ascending `xs` nearest to x (-1 for none). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  if (xs.length === 0) return -1;
  const i = lowerBound(xs, x);
  if (i >= xs.length) return xs.length - 1;
  if (i === 0) return 0;
  return x - xs[i - 1]! <= xs[i]! - x ? i - 1 : i;
}

interface Found {
  label: string;
  unit: string;
  observable: string;
  channel: number;
  t: number;
  v: number;
}

/** The tip for readings found at one time: the time and run, then each series' value. */
export function readingsTip(found: readonly Found[], runs: readonly RunInfo[], lead: Found): Tip {
  const run = runAt(runs, lead.t);
  const lines = [`${formatInstant(lead.t)}${run ? ` · ${run}` : ""}`];
  for (const f of found) {
    const when = f.t === lead.t ? "" : ` (at ${formatInstant(f.t).slice(11)})`;
    lines.push(`${f.label}: ${withUnit(f.v, f.unit)}${when}`);
  }
  return { x: lead.t, y: lead.v, lines };
}

/** What a time series shows at time x: each series' nearest reading; the one nearest y leads. */
export function seriesFound(widget: Widget, data: WidgetData, x: number, y: number): { found: Found[]; lead: Found } | undefined {
  const found: Found[] = [];
  for (const ref of widget.series) {
    const info = data.info(ref.observable);
    const columns = data.series(ref.observable, ref.channel)?.columns();
    if (!columns || columns.x.length === 0) continue;
    const i = nearestIndex(columns.x, x);
    const base = { label: seriesLabel(ref, info), unit: info?.unit ?? "", observable: ref.observable, channel: ref.channel };
    found.push({ ...base, t: columns.x[i]!, v: columns.y[i]! });
  }
  if (found.length === 0) return undefined;
  const lead = found.reduce((best, f) => {
    const dt = Math.abs(f.t - x) - Math.abs(best.t - x);
    if (dt !== 0) return dt < 0 ? f : best;
    return Number.isFinite(y) && Math.abs(f.v - y) < Math.abs(best.v - y) ? f : best;
  });
  return { found, lead };
}

/**
 * The same, with each value taken from the snapshot's readings where the chart drew thinned
 * level-of-detail points: the reading nearest the time, not a bucket's extreme.
 */
export async function exactFound(data: WidgetData, found: readonly Found[], x: number, within: number): Promise<Found[]> {
  return Promise.all(
    found.map(async (f) => {
      const exact = await data.nearest(f.observable, f.channel, x, within);
      if (!exact || exact.value === null) return f;
      // The held history's own point stays if it is nearer (a live reading newer than the files).
      return Math.abs(exact.t - x) < Math.abs(f.t - x) ? { ...f, t: exact.t, v: exact.value } : f;
    }),
  );
}

/** A histogram's bar under x: its range and count, or an edge bin's count and furthest value. */
export function histogramTip(h: Histogram, x: number, unit: string, binWidth: number): Tip | undefined {
  const [lo, hi] = [h.edges[0]!, h.edges.at(-1)!];
  const channels = (n: number) => `${n} channel${n === 1 ? "" : "s"}`;
  if (x < lo - binWidth && h.under.count)
    return {
      x: lo - 2 * binWidth,
      y: h.under.count,
      lines: [`below ${withUnit(lo, unit)}: ${channels(h.under.count)}`, `furthest ${withUnit(h.under.furthest, unit)}`],
    };
  if (x > hi + binWidth && h.over.count)
    return {
      x: hi + 2 * binWidth,
      y: h.over.count,
      lines: [`above ${withUnit(hi, unit)}: ${channels(h.over.count)}`, `furthest ${withUnit(h.over.furthest, unit)}`],
    };
  if (x < lo || x > hi) return undefined;
  const i = Math.min(h.counts.length - 1, Math.floor((x - lo) / binWidth));
  const [from, to] = [h.edges[i]!, h.edges[i + 1]!];
  return { x: (from + to) / 2, y: h.counts[i]!, lines: [`${formatValue(from)}–${withUnit(to, unit)}`, channels(h.counts[i]!)] };
}

/** A profile's sample under x: each trace's value there, with its run and time. */
export function profileTip(
  traces: readonly { label: string; reading: ArrayReadingView }[],
  x: number,
  unit: string,
): Tip | undefined {
  const i = Math.round(x);
  const shown = traces.filter((tr) => i >= 0 && i < tr.reading.value.length);
  if (shown.length === 0) return undefined;
  const lines = [`sample ${i}`];
  for (const { label, reading } of shown.slice(0, 8)) {
    const v = (reading.value as (number | null)[])[i];
    lines.push(
      `${label}: ${v === null || v === undefined ? "no value" : withUnit(v, unit)} (run ${reading.run}, ${formatInstant(reading.t).slice(11)})`,
    );
  }
  const first = (shown[0]!.reading.value as (number | null)[])[i];
  return { x: i, ...(typeof first === "number" ? { y: first } : {}), lines };
}

/** The x-y point nearest (x, y), measured in fractions of each axis's span (y NaN: by x alone). */
export function xyTip(
  points: readonly { x: number; y: number; t: number; run: string }[],
  at: { x: number; y: number },
  spans: { x: number; y: number },
  labels: { x: string; y: string },
  runs: readonly RunInfo[],
): Tip | undefined {
  let best: (typeof points)[number] | undefined;
  let bestDistance = Infinity;
  for (const p of points) {
    const dx = (p.x - at.x) / (spans.x || 1);
    const dy = Number.isFinite(at.y) ? (p.y - at.y) / (spans.y || 1) : 0;
    const d = dx * dx + dy * dy;
    if (d < bestDistance) [best, bestDistance] = [p, d];
  }
  if (!best) return undefined;
  const run = best.run || runAt(runs, best.t);
  return {
    x: best.x,
    y: best.y,
    lines: [
      `${formatInstant(best.t)}${run ? ` · ${run}` : ""}`,
      `${labels.x}: ${formatValue(best.x)}`,
      `${labels.y}: ${formatValue(best.y)}`,
    ],
  };
}

/** A raster cell in words: its channel, its column's time span and the extremes held in it. */
export function rasterCellTip(grid: ChannelGrid, channel: number, column: number, info: ObservableInfo): string[] {
  const from = grid.from + column * grid.columnMs;
  const cell = channel * grid.columns + column;
  const [lo, hi] = [grid.min[cell]!, grid.max[cell]!];
  const value = Number.isNaN(lo)
    ? "no reading"
    : lo === hi
      ? withUnit(lo, info.unit)
      : `${formatValue(lo)} to ${withUnit(hi, info.unit)}`;
  const lines = [`channel ${channel}`, `${formatInstant(from).slice(0, 19)} + ${formatValue(grid.columnMs / 1000)} s`, value];
  return info.groups ? [...lines, groupWords(info.groups, channel, info.channels)] : lines;
}

/** "module 12: channels 84–90", the group a channel is in. */
export function groupWords(groups: ChannelGroups, channel: number, channels: number): string {
  const group = groupOf(groups, channel);
  const members = groupChannels(groups, group, channels);
  return `${groups.name} ${group}: channels ${members[0]}–${members.at(-1)}`;
}
