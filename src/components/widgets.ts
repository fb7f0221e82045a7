// Draws one widget's content from its description and data. Content is always rendered from
// the widget's kind and spec, never stored as HTML.
import * as Plot from "@observablehq/plot";
import type { ObservableInfo } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import { m4 } from "../core/m4.js";
import { healthyBand, valueDomain } from "../core/value-axis.js";
import type { TimeWindow } from "../core/time-window.js";
import type { SeriesBuffer } from "./series-buffer.js";

export interface WidgetData {
  info: ObservableInfo | undefined;
  series: SeriesBuffer | undefined;
  window: TimeWindow;
}

export function renderWidgetBody(body: HTMLElement, widget: Widget, data: WidgetData): void {
  body.replaceChildren(widget.kind === "stat" ? statView(widget, data) : timeseriesView(body, widget, data));
}

function label(widget: Widget, info: ObservableInfo | undefined): string {
  const channel = info && info.channels > 1 ? ` [channel ${widget.spec.channel}]` : "";
  return `${widget.spec.observable}${channel}${info?.unit ? ` (${info.unit})` : ""}`;
}

function emptyNote(text: string): HTMLElement {
  const p = document.createElement("p");
  p.className = "widget-empty";
  p.textContent = text;
  return p;
}

function isOutOfRange(info: ObservableInfo | undefined, value: number): boolean {
  return !!info?.healthy && (value < info.healthy.min || value > info.healthy.max);
}

function statView(widget: Widget, { info, series }: WidgetData): HTMLElement {
  const latest = series?.latest();
  if (!info) return emptyNote(`${widget.spec.observable} is not in the catalog`);
  if (!latest) return emptyNote("no data in this window");
  const box = document.createElement("div");
  box.className = "stat";
  const value = document.createElement("output");
  value.className = "stat-value";
  value.setAttribute("aria-label", `${widget.spec.title} value`);
  value.textContent = formatValue(latest.value);
  const unit = document.createElement("span");
  unit.className = "stat-unit";
  unit.textContent = info.unit;
  const when = document.createElement("div");
  when.className = "stat-time";
  when.textContent = `${label(widget, info)} at ${new Date(latest.t).toLocaleTimeString()}`;
  box.append(value, unit, when);
  if (isOutOfRange(info, latest.value)) {
    box.classList.add("stat-alarm");
    const alarm = document.createElement("div");
    alarm.className = "stat-alarm-text";
    alarm.textContent = `outside healthy range ${info.healthy!.min}–${info.healthy!.max}`;
    box.append(alarm);
  }
  return box;
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs >= 1e6 || abs < 1e-3) ? v.toExponential(3) : String(Math.round(v * 1000) / 1000);
}

function timeseriesView(body: HTMLElement, widget: Widget, { info, series, window }: WidgetData): HTMLElement | SVGSVGElement {
  if (!info) return emptyNote(`${widget.spec.observable} is not in the catalog`);
  if (!series || series.length === 0) return emptyNote("no data in this window");
  const width = Math.max(200, body.clientWidth);
  const height = Math.max(120, body.clientHeight);
  // About four points per pixel column is all a line can show.
  const decimated = m4(series.columns(), Math.max(1, Math.floor(width)), window.from, window.to);
  const points = Array.from(decimated.x, (x, i) => ({ t: new Date(x), v: decimated.y[i]! }));
  const marks: Plot.Markish[] = [Plot.lineY(points, { x: "t", y: "v", stroke: "steelblue" })];
  // The axis follows the data; the healthy range is a band inside it (src/core/value-axis.ts).
  const domain = valueDomain(decimated.y);
  const band = domain && healthyBand(domain, info.healthy);
  if (band)
    marks.unshift(
      Plot.rectY([band], {
        x1: new Date(window.from),
        x2: new Date(window.to),
        y1: "y1",
        y2: "y2",
        fill: "#2a9d8f",
        fillOpacity: 0.08,
      }),
    );
  const plot = Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: { type: "time", domain: [new Date(window.from), new Date(window.to)], label: null },
    y: { label: label(widget, info), grid: true, ...(domain ? { domain } : { zero: false }) },
    marks,
  });
  plot.setAttribute("aria-label", `${widget.spec.title}: ${points.length} points drawn`);
  return plot;
}
