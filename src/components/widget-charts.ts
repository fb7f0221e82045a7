// The widgets Observable Plot draws: by the time data reaches them, M4 (time series), binning
// (histogram) or the array's own length (profile) has thinned it to a few thousand marks at
// most, which Plot draws in a few milliseconds.
import * as Plot from "@observablehq/plot";
import { histogram } from "../core/binning.js";
import { runHolding } from "../core/catalog.js";
import { positiveExtent } from "../core/color-scale.js";
import type { Widget, YScale } from "../core/dashboard.js";
import { columnExtremes, decimationNote, lowerBound } from "../core/m4.js";
import type { PointerSpec } from "./chart-pointer.js";
import { exactFound, histogramTip, profileTip, readingsTip, seriesFound, xyTip } from "./widget-tips.js";
import { breakingGap, medianGap } from "../core/freshness.js";
import { pairByTime } from "../core/pairing.js";
import { healthyBand, valueDomain } from "../core/value-axis.js";
import { el } from "./dom.js";
import { flagMarks } from "./flag-marks.js";
import {
  type WidgetData,
  emptyNote,
  formatValue,
  nothingToDraw,
  rangeOf,
  seriesLabel,
  withBreaks,
  withUnit,
} from "./widget-common.js";

type Size = { width: number; height: number };

/** The y axis options for a widget's scale over the values drawn; the band it may draw. */
function yAxis(scale: YScale | undefined, values: ArrayLike<number>, range: { min: number; max: number } | undefined) {
  const mode = scale?.mode ?? "auto";
  const domain: [number, number] | undefined =
    scale?.mode === "fixed" ? [scale.min, scale.max] : mode === "log" ? positiveExtent(values) : valueDomain(values);
  const band = domain && healthyBand(domain, range);
  return {
    options: { type: mode === "log" ? ("log" as const) : ("linear" as const), ...(domain ? { domain } : {}) },
    band,
    domain,
  };
}

/** The plot's own size: the drawing's, less what sits beside it (widgets.ts fits legends and notes). */
function chartSize(size: Size) {
  return { width: Math.max(160, size.width), height: Math.max(60, size.height) };
}

function withNote(plot: Element, note: string | undefined): Node {
  if (!note) return plot;
  return el("div", { className: "chart" }, plot, el("div", { className: "chart-note", textContent: note }));
}

export function timeseriesView(widget: Widget, data: WidgetData, size: Size) {
  const { width, height } = chartSize(size);
  const { from, to } = data.window;
  const lines: { label: string; t: Date; v: number }[] = [];
  const bands: { label: string; t: Date; lo: number; hi: number }[] = [];
  const drawn: number[] = [];
  const notes: string[] = [];
  const latest: string[] = [];
  let unit = "";
  for (const ref of widget.series) {
    const info = data.info(ref.observable)!;
    unit ||= info.unit;
    const label = seriesLabel(ref, info);
    const series = data.series(ref.observable, ref.channel);
    if (!series || series.length === 0) continue;
    const columns = series.columns();
    // About four points per pixel column is all a line can show (M4).
    const buckets = Math.max(1, Math.floor(width));
    const thinned = series.m4(buckets, from, to);
    const points = Array.from(thinned.x, (x, i) => ({ label, t: new Date(x), v: thinned.y[i]! }));
    for (const p of points) drawn.push(p.v);
    // Where the readings stopped (a DAQ down for an hour) the line stops too.
    const gap = breakingGap(medianGap(columns.x), (2 * (to - from)) / buckets);
    lines.push(...withBreaks(points, gap, (p) => ({ ...p, v: Number.NaN })));
    const note = decimationNote(series.length, thinned.x.length, buckets);
    if (note) {
      notes.push(widget.series.length > 1 ? `${label}: ${note}` : note);
      // From M4's points, which hold each pixel column's lowest and highest reading: the band is
      // as true as a scan of every reading, and costs the chart's width, not the readings in view.
      const ext = columnExtremes(thinned, Math.max(1, Math.floor(width / 3)), from, to);
      ext.x.forEach((x, i) => bands.push({ label, t: new Date(x), lo: ext.lo[i]!, hi: ext.hi[i]! }));
    }
    const last = series.latest();
    if (last) latest.push(`${label} ${formatValue(last.value)}`);
  }
  if (drawn.length === 0) return nothingToDraw(widget, data);
  const single = widget.series.length === 1 ? data.info(widget.series[0]!.observable) : undefined;
  const y = yAxis(widget.yScale, drawn, single ? rangeOf(widget, single) : widget.thresholds);
  const marks: Plot.Markish[] = [...flagMarks(data.flags, from, to)];
  if (y.band)
    marks.push(
      Plot.rectY([y.band], { x1: new Date(from), x2: new Date(to), y1: "y1", y2: "y2", fill: "#2a9d8f", fillOpacity: 0.1 }),
    );
  if (bands.length) marks.push(Plot.areaY(bands, { x: "t", y1: "lo", y2: "hi", z: "label", fill: "label", fillOpacity: 0.18 }));
  marks.push(Plot.lineY(lines, { x: "t", y: "v", z: "label", stroke: "label" }));
  const plot = Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: { type: "time", domain: [new Date(from), new Date(to)], label: null },
    y: { ...y.options, label: unit ? `${unit}` : null, grid: true, clamp: widget.yScale?.mode === "fixed" },
    color: { legend: widget.series.length > 1, domain: [...new Set(lines.map((l) => l.label))] },
    marks,
  });
  plot.setAttribute("aria-label", `${widget.title}: ${drawn.length} points drawn`);
  return {
    node: withNote(plot, notes.join("; ")),
    text: `${widget.title}: ${latest.join(", ")} ${unit}`.trim(),
    pointer: timeseriesPointer(widget, data, plot, width),
  };
}

/** Hover on a time series: each series' nearest reading, exact where the history is thinned. */
function timeseriesPointer(widget: Widget, data: WidgetData, plot: Element & Plot.Plot, width: number): PointerSpec {
  const { from, to } = data.window;
  return {
    plot,
    time: true,
    tipAt: (x, y) => {
      const at = seriesFound(widget, data, x, y);
      return at && readingsTip(at.found, data.runs, at.lead);
    },
    refine: async (_tip, x, y) => {
      const at = seriesFound(widget, data, x, y);
      if (!at) return undefined;
      // Two pixel columns either side: where the nearest reading must be.
      const exact = await exactFound(data, at.found, x, (2 * (to - from)) / Math.max(1, width));
      if (exact.every((e, i) => e === at.found[i])) return undefined;
      const lead = exact.reduce((best, e) => (Math.abs(e.t - x) < Math.abs(best.t - x) ? e : best));
      return readingsTip(exact, data.runs, lead);
    },
    steps: () => {
      const first = widget.series[0]!;
      const columns = data.series(first.observable, first.channel)?.columns();
      if (!columns) return [];
      return columns.x.subarray(lowerBound(columns.x, from), lowerBound(columns.x, to + 1));
    },
  };
}

export function histogramView(widget: Widget, data: WidgetData, size: Size) {
  const ref = widget.series[0]!;
  const info = data.info(ref.observable)!;
  const grid = data.grid(ref.observable);
  if (!grid) return nothingToDraw(widget, data);
  const range = rangeOf(widget, info);
  const h = histogram(grid.latest, widget.bins ?? 40, range);
  const out = h.below + h.above;
  const beyond = h.under.count + h.over.count;
  const text =
    `${widget.title}: ${info.name}, ${info.channels} channels, ${out} out of range` +
    (out ? ` (${h.below} below, ${h.above} above)` : "") +
    (h.missing ? `, ${h.missing} without data` : "") +
    (beyond ? `; ${beyond} beyond the axis, in the edge bins` : "");
  if (h.total === 0) return nothingToDraw(widget, data);
  const bins = h.counts.map((count, i) => ({ x1: h.edges[i]!, x2: h.edges[i + 1]!, count }));
  const { width, height } = chartSize(size);
  const [lo, hi] = [h.edges[0]!, h.edges.at(-1)!];
  const binWidth = (hi - lo) / bins.length;
  const edges = edgeBins(h, binWidth, info.unit);
  const marks: Plot.Markish[] = [];
  const band = healthyBand([lo, hi], range);
  if (band) marks.push(Plot.rectX([band], { x1: "y1", x2: "y2", fill: "#2a9d8f", fillOpacity: 0.1 }));
  // Bars of out-of-range values in the alarm colour, so a lone dead pixel's bar is seen.
  const outside = (x1: number, x2: number) => !!range && (x2 <= range.min || x1 >= range.max);
  const fill = (d: { x1: number; x2: number }) => (outside(d.x1, d.x2) ? "#dc2626" : "steelblue");
  marks.push(Plot.rectY(bins, { x1: "x1", x2: "x2", y: "count", insetLeft: 0.5, insetRight: 0.5, fill }));
  if (edges.length) {
    const edgeFill = (d: { below: boolean; furthest: number }) =>
      range && (d.below ? d.furthest < range.min : d.furthest > range.max) ? "#dc2626" : "#9ca3af";
    marks.push(
      Plot.rectY(edges, { x1: "x1", x2: "x2", y: "count", fill: edgeFill, title: "label" }),
      // Labels run inward from the edges, so none is cut at a narrow width.
      ...edges.map((d) =>
        Plot.text([d], {
          x: d.below ? "x1" : "x2",
          y: "count",
          text: "label",
          dy: -6,
          textAnchor: d.below ? "start" : "end",
          fontSize: 9,
        }),
      ),
    );
  }
  marks.push(Plot.ruleY([0]));
  const plot = Plot.plot({
    width,
    height,
    marginLeft: 44,
    marginTop: edges.length ? 30 : 20,
    // Counts of 1 (a dead pixel) next to 1800: a square-root axis keeps both readable.
    y: { type: "sqrt", label: "channels (√ scale)", grid: true },
    x: {
      label: info.unit || null,
      domain: [lo - (h.under.count ? 2.5 : 0) * binWidth, hi + (h.over.count ? 2.5 : 0) * binWidth],
    },
    marks,
  });
  plot.setAttribute("aria-label", text);
  const note = `${out} of ${h.total} out of range` + (beyond ? `; ${beyond} in edge bins` : "");
  const centres = [...edges.map((e) => (e.x1 + e.x2) / 2), ...bins.map((b) => (b.x1 + b.x2) / 2)].sort((a, b) => a - b);
  const pointer: PointerSpec = { plot, time: false, tipAt: (x) => histogramTip(h, x, info.unit, binWidth), steps: () => centres };
  return { node: withNote(plot, note), text, pointer };
}

/** The edge bins of far outliers, one bin wide, a bin's gap from the axis, labelled with their count and furthest value. */
function edgeBins(h: ReturnType<typeof histogram>, binWidth: number, unit: string) {
  const [lo, hi] = [h.edges[0]!, h.edges.at(-1)!];
  const bins = [];
  if (h.under.count)
    bins.push({
      x1: lo - 2.5 * binWidth,
      x2: lo - 1.5 * binWidth,
      count: h.under.count,
      below: true,
      furthest: h.under.furthest,
      label: `${h.under.count} below (${withUnit(h.under.furthest, unit)})`,
    });
  if (h.over.count)
    bins.push({
      x1: hi + 1.5 * binWidth,
      x2: hi + 2.5 * binWidth,
      count: h.over.count,
      below: false,
      furthest: h.over.furthest,
      label: `${h.over.count} above (${withUnit(h.over.furthest, unit)})`,
    });
  return bins;
}

export function profileView(widget: Widget, data: WidgetData, size: Size) {
  const ref = widget.series[0]!;
  const info = data.info(ref.observable)!;
  const readings = data.arrays(ref.observable, widget.runs) ?? [];
  if (readings.length === 0) return nothingToDraw(widget, data);
  const overlay = !!widget.runs;
  const shown = overlay ? readings : readings.slice(0, (widget.previous ?? 4) + 1);
  const points: { age: number; label: string; i: number; v: number }[] = [];
  shown.forEach((r, age) => {
    const label = overlay ? `run ${r.run}` : age === 0 ? "newest" : `${age} before`;
    (r.value as (number | null)[]).forEach((v, i) => {
      if (v !== null && Number.isFinite(v)) points.push({ age, label, i, v });
    });
  });
  const { width, height } = chartSize(size);
  const y = yAxis(
    widget.yScale,
    Float64Array.from(points, (p) => p.v),
    widget.thresholds ?? info.healthy,
  );
  const marks: Plot.Markish[] = [];
  if (y.band) marks.push(Plot.rectY([y.band], { y1: "y1", y2: "y2", fill: "#2a9d8f", fillOpacity: 0.1 }));
  if (overlay) marks.push(Plot.lineY(points, { x: "i", y: "v", z: "label", stroke: "label" }));
  else
    marks.push(
      // The newest on top in full colour; the ones before fade with age.
      Plot.lineY(
        points.filter((p) => p.age > 0),
        { x: "i", y: "v", z: "age", stroke: "currentColor", strokeOpacity: (p: { age: number }) => 0.45 / p.age },
      ),
      Plot.lineY(
        points.filter((p) => p.age === 0),
        { x: "i", y: "v", stroke: "steelblue", strokeWidth: 2 },
      ),
    );
  const plot = Plot.plot({
    width,
    height,
    marginLeft: 50,
    x: { label: "sample" },
    y: { ...y.options, label: info.unit || null, grid: true },
    color: overlay ? { legend: true } : undefined,
    marks,
  });
  const newest = shown[0]!;
  const values = (newest.value as (number | null)[]).map((v) => v ?? Number.NaN);
  let peak = 0;
  values.forEach((v, i) => {
    if (v > values[peak]!) peak = i;
  });
  const when = new Date(newest.t).toLocaleTimeString();
  const text = overlay
    ? `${widget.title}: ${info.name} of runs ${shown.map((r) => r.run).join(", ")}`
    : `${widget.title}: ${info.name} at ${when} (run ${newest.run}), peak ${withUnit(values[peak]!, info.unit)} at sample ${peak}`;
  plot.setAttribute("aria-label", text);
  const traces = shown.map((reading, age) => ({
    reading,
    label: overlay ? `run ${reading.run}` : age === 0 ? "newest" : `${age} before`,
  }));
  const samples = Array.from({ length: values.length }, (_, i) => i);
  const pointer: PointerSpec = { plot, time: false, tipAt: (x) => profileTip(traces, x, info.unit), steps: () => samples };
  return { node: plot, text, pointer };
}

export function xyView(widget: Widget, data: WidgetData, size: Size) {
  const [xRef, yRef] = widget.series as [(typeof widget.series)[0], (typeof widget.series)[0]];
  const xInfo = data.info(xRef.observable)!;
  const yInfo = data.info(yRef.observable)!;
  const xs = data.series(xRef.observable, xRef.channel);
  const ys = data.series(yRef.observable, yRef.channel);
  const xLabel = seriesLabel(xRef, xInfo);
  const yLabel = seriesLabel(yRef, yInfo);
  if (!xs?.length || !ys?.length) return nothingToDraw(widget, data);
  const x = xs.columns();
  const yc = ys.columns();
  // Readings of one event share a time; otherwise pair with the x reading of the same cadence step.
  const tolerance = Math.max(1000, 1.5 * Math.max(medianGap(x.x) ?? 0, medianGap(yc.x) ?? 0));
  const pairs = pairByTime({ t: x.x, value: x.y }, { t: yc.x, value: yc.y }, tolerance);
  if (pairs.length === 0)
    return { node: emptyNote("no readings close enough in time to pair"), text: `${widget.title}: nothing to pair` };
  const byRun = widget.colorBy === "run";
  const runOf = (t: number) => runHolding(data.runs, t)?.id ?? 0;
  const points = pairs.map((p) => ({ ...p, time: new Date(p.t), run: byRun ? `run ${runOf(p.t)}` : "" }));
  const { width, height } = chartSize(size);
  const y = yAxis(
    widget.yScale,
    Float64Array.from(points, (p) => p.y),
    undefined,
  );
  const plot = Plot.plot({
    width,
    height,
    marginLeft: 56,
    x: {
      label: `${xLabel}${xInfo.unit ? ` (${xInfo.unit})` : ""}`,
      zero: false,
      domain: valueDomain(Float64Array.from(points, (p) => p.x)),
    },
    y: { ...y.options, label: `${yLabel}${yInfo.unit ? ` (${yInfo.unit})` : ""}`, grid: true },
    // Both ends readable on a light and a dark page (viridis's old end is near black, turbo's first run too).
    color: byRun ? { legend: true, type: "categorical" } : { type: "time", range: ["#60a5fa", "#f59e0b"], interpolate: "hcl" },
    marks: [Plot.dot(points, { x: "x", y: "y", r: 2, fill: byRun ? "run" : "time", fillOpacity: 0.8 })],
  });
  const last = points.at(-1)!;
  const text = `${widget.title}: ${points.length} points of ${yLabel} against ${xLabel}; newest ${formatValue(last.y)} at ${formatValue(last.x)}`;
  plot.setAttribute("aria-label", text);
  const spanOf = (values: number[]) => Math.max(...values) - Math.min(...values);
  const spans = { x: spanOf(points.map((p) => p.x)), y: spanOf(points.map((p) => p.y)) };
  const labels = { x: `${xLabel}${xInfo.unit ? ` (${xInfo.unit})` : ""}`, y: `${yLabel}${yInfo.unit ? ` (${yInfo.unit})` : ""}` };
  const byX = points.map((p) => p.x).sort((a, b) => a - b);
  const pointer: PointerSpec = {
    plot,
    time: false,
    tipAt: (x, y) => xyTip(points, { x, y }, spans, labels, data.runs),
    steps: () => byX,
  };
  return { node: withNote(plot, byRun ? undefined : "colour: time, blue = older, orange = newest"), text, pointer };
}
