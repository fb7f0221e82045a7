// The widgets that show values as text: a single number (with its age, a sparkline, the alarm
// colour and a stale state) and a table of latest values coloured by their healthy range.
import * as Plot from "@observablehq/plot";
import { healthOf } from "../core/color-scale.js";
import type { Widget } from "../core/dashboard.js";
import { breakingGap, defaultStaleSeconds, formatAge, isStale, medianGap } from "../core/freshness.js";
import { el } from "./dom.js";
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

export function statView(widget: Widget, data: WidgetData, size: { width: number; height: number }) {
  const ref = widget.series[0]!;
  const info = data.info(ref.observable)!;
  const series = data.series(ref.observable, ref.channel);
  const latest = series?.latest();
  const label = seriesLabel(ref, info);
  if (!latest) return nothingToDraw(widget, data);
  const columns = series!.columns();
  const staleAfter = widget.staleSeconds ?? defaultStaleSeconds(medianGap(columns.x));
  // Stale means silent before the window's end: a past run's last value is not stale, only old.
  const stale = isStale(latest.t, Math.min(data.now, data.window.to), staleAfter);
  const range = rangeOf(widget, info);
  const health = healthOf(latest.value, range);
  const value = el("output", { className: "stat-value", textContent: formatValue(latest.value) });
  value.setAttribute("aria-label", `${widget.title} value`);
  const age = formatAge(data.now - latest.t);
  const box = el(
    "div",
    { className: "stat" },
    el("div", { className: "stat-line" }, value, el("span", { className: "stat-unit", textContent: info.unit })),
    el("div", { className: "stat-time", textContent: `${label}, ${age} ago` }),
  );
  box.dataset.health = health;
  if (stale) {
    box.classList.add("stat-stale");
    box.append(el("div", { className: "stat-stale-text", textContent: `stale: nothing new for ${age}` }));
  }
  if (health === "below" || health === "above") {
    box.classList.add("stat-alarm");
    box.append(el("div", { className: "stat-alarm-text", textContent: `outside healthy range ${range!.min}–${range!.max}` }));
  }
  // The sparkline: the window's shape at a glance, under the number.
  const sparkHeight = Math.max(0, Math.min(60, size.height - 110));
  if (sparkHeight >= 24 && columns.x.length > 1) {
    const gap = breakingGap(medianGap(columns.x), (2 * (data.window.to - data.window.from)) / Math.max(80, size.width));
    const points = withBreaks(
      Array.from(columns.x, (t, i) => ({ t, v: columns.y[i]! })),
      gap,
      (p) => ({ ...p, v: Number.NaN }),
    );
    const spark = Plot.plot({
      width: Math.max(80, size.width - 16),
      height: sparkHeight,
      margin: 2,
      axis: null,
      x: { domain: [data.window.from, data.window.to] },
      y: { zero: false },
      marks: [Plot.lineY(points, { x: "t", y: "v", stroke: "currentColor", strokeOpacity: 0.6 })],
    });
    spark.setAttribute("aria-hidden", "true");
    spark.classList.add("stat-spark");
    box.append(spark);
  }
  const state = stale ? ", stale" : health === "ok" || health === "missing" ? "" : `, ${health} the healthy range`;
  return { node: box, text: `${widget.title}: ${withUnit(latest.value, info.unit)}, ${age} ago${state}` };
}

export function tableView(widget: Widget, data: WidgetData) {
  const rows = widget.series.map((ref) => {
    const info = data.info(ref.observable)!;
    const latest = data.series(ref.observable, ref.channel)?.latest();
    const range = rangeOf(widget, info);
    const health = latest ? healthOf(latest.value, range) : "missing";
    return { ref, info, latest, range, health };
  });
  const table = el("table", { className: "value-table" });
  // Channels of one observable: its name heads the column and each row is a channel, so a narrow
  // widget keeps all three columns.
  const shared =
    rows.length > 1 && rows.every((r) => r.ref.observable === rows[0]!.ref.observable) ? rows[0]!.ref.observable : "";
  const rowLabel = (r: (typeof rows)[number]) => (shared ? `ch ${r.ref.channel}` : seriesLabel(r.ref, r.info));
  table.append(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { textContent: shared || "Series" }),
        el("th", { textContent: "Latest" }),
        el("th", { textContent: "Age" }),
      ),
    ),
  );
  const body = el("tbody");
  for (const r of rows) {
    const value = el("td", {
      className: "value-cell",
      textContent: r.latest ? withUnit(r.latest.value, r.info.unit) : data.settled ? "—" : "…",
    });
    value.dataset.health = r.health;
    if (r.range) value.title = `healthy ${r.range.min}–${r.range.max} ${r.info.unit}`;
    body.append(
      el(
        "tr",
        {},
        el("th", { scope: "row", textContent: rowLabel(r), title: seriesLabel(r.ref, r.info) }),
        value,
        el("td", { className: "value-age", textContent: r.latest ? formatAge(data.now - r.latest.t) : "" }),
      ),
    );
  }
  table.append(body);
  const out = rows.filter((r) => r.health === "below" || r.health === "above");
  const missing = rows.filter((r) => r.health === "missing").length;
  // Nothing read yet: the table says so, not "8 without data".
  if (!data.settled && rows.every((r) => !r.latest)) return { node: wrapped(table), text: `${widget.title}: loading…` };
  const text =
    `${widget.title}: ${rows.length} values, ${out.length} out of range` +
    (out.length ? ` (${out.map((r) => seriesLabel(r.ref, r.info)).join(", ")})` : "") +
    (missing ? `, ${missing} without data` : "");
  return { node: rows.length ? wrapped(table) : emptyNote("no series"), text };
}

/** A table that does not fit its widget scrolls sideways rather than losing its last column. */
const wrapped = (table: HTMLElement) => el("div", { className: "value-table-wrap" }, table);
