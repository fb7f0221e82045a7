// What every widget drawing shares: the data a drawing reads (WidgetData), what a drawing is
// (WidgetView), and the small formatting helpers. Below the drawings (widget-charts, -dense,
// -values) and the dispatcher (widgets.ts), so none of them imports another in a circle.
import type { ChannelGrid } from "../core/binning.js";
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import { gapStarts } from "../core/freshness.js";
import type { TimeWindow } from "../core/time-window.js";
import type { FlagBand } from "./flag-marks.js";
import type { ArrayReadingView } from "./run-data.js";
import type { SeriesBuffer } from "./series-buffer.js";
import type { PointerSpec, TimeControl } from "./chart-pointer.js";
import type { ScalarRow } from "./run-readings.js";

export type { FlagBand };

export interface WidgetData {
  info: (observable: string) => ObservableInfo | undefined;
  series: (observable: string, channel: number) => SeriesBuffer | undefined;
  grid: (observable: string) => ChannelGrid | undefined;
  arrays: (observable: string, runs?: readonly number[]) => ArrayReadingView[] | undefined;
  runs: readonly RunInfo[];
  window: TimeWindow;
  /** `window` is a zoom or pan gesture's span, shown before its data is read. */
  previewing?: boolean;
  now: number;
  /** Flags on the runs shown, as spans to shade on time axes. */
  flags: readonly FlagBand[];
  /** The data asked for has been read (a missing grid or array then means none, not "loading"). */
  settled: boolean;
  /**
   * The reading nearest `t` at full resolution, where the held history is thinned (undefined
   * where it holds every reading: its own nearest point is exact).
   */
  nearest: (observable: string, channel: number, t: number, within: number) => Promise<ScalarRow | undefined> | undefined;
  /** Zoom and pan of the dashboard's window from a time axis (none in a notebook cell). */
  time?: TimeControl;
  /** The user changed the widget from inside it (a raster's highlighted channel). */
  change: (next: Widget) => void;
}

/** One drawing of a chart: the node, its text alternative, and what the pointer can read on it. */
export interface Drawing {
  node: Node;
  text: string;
  pointer?: PointerSpec;
}

/** A drawn widget: its element, kept across updates, and the text alternative of what it shows. */
export interface WidgetView {
  element: HTMLElement;
  update(widget: Widget, data: WidgetData, size: { width: number; height: number }): string;
}

/** The range that colours and bands a widget's values: its own thresholds, else the catalog's. */
export function rangeOf(widget: Widget, info: ObservableInfo | undefined) {
  return widget.thresholds ?? info?.healthy;
}

export function seriesLabel(ref: { observable: string; channel: number }, info: ObservableInfo | undefined): string {
  return info && info.channels > 1 ? `${ref.observable}[${ref.channel}]` : ref.observable;
}

export function emptyNote(text: string): HTMLElement {
  const p = document.createElement("p");
  p.className = "widget-empty";
  p.textContent = text;
  return p;
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs >= 1e6 || abs < 1e-3) ? v.toExponential(3) : String(Math.round(v * 1000) / 1000);
}

/**
 * Points with a break (a point whose value is NaN, which Plot leaves undrawn) wherever the time
 * jumps by more than `maxGap` (see gapStarts): lines stop where the readings stopped.
 */
export function withBreaks<T extends { t: Date | number }>(points: readonly T[], maxGap: number, blank: (p: T) => T): T[] {
  const times = points.map((p) => +p.t);
  const breaks = new Set(gapStarts(times, maxGap));
  if (breaks.size === 0) return [...points];
  const out: T[] = [];
  points.forEach((p, i) => {
    if (breaks.has(i)) out.push(blank(p));
    out.push(p);
  });
  return out;
}

/** A value with its unit, as a reader says it: "3 V", "0.2" (no unit, no trailing space). */
export function withUnit(v: number, unit: string): string {
  return unit ? `${formatValue(v)} ${unit}` : formatValue(v);
}

/** What a widget says while it has nothing to draw: still reading, or nothing there. */
export function waiting(data: WidgetData): string {
  return data.settled ? "no data in this window" : "loading…";
}

/** A widget with nothing to draw: "loading…" until the first read is settled, then "no data". */
export function nothingToDraw(widget: Widget, data: WidgetData): { node: HTMLElement; text: string } {
  const said = waiting(data);
  return { node: emptyNote(said), text: `${widget.title}: ${said}` };
}
