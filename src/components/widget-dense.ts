// The dense widgets, drawn as canvas pixels: a raster of every channel against time (1855
// pixels x hundreds of columns would be half a million SVG nodes) and a 2D image. The raster
// keeps its canvas and repaints only the columns live readings changed (ChannelGrid stamps), so
// a 10 Hz feed costs a column, not a frame.
import * as Plot from "@observablehq/plot";
import { type ChannelGrid, rasterPixels } from "../core/binning.js";
import {
  ABOVE_RANGE,
  BELOW_RANGE,
  NO_DATA,
  cellColor,
  cssColor,
  positiveExtent,
  ramp,
  robustExtent,
  scaleFraction,
} from "../core/color-scale.js";
import { type ObservableInfo, groupChannels, groupOf } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import type { TimeWindow } from "../core/time-window.js";
import { breakingGap, medianGap } from "../core/freshness.js";
import { healthyBand, valueDomain } from "../core/value-axis.js";
import { markColumns } from "../core/mark-columns.js";
import { formatInstant, groupWords, nearestIndex, rasterCellTip, runAt } from "./widget-tips.js";
import { ChartPointer } from "./chart-pointer.js";
import { el, labelled } from "./dom.js";
import { flagMarks } from "./flag-marks.js";
import {
  type WidgetData,
  type WidgetView,
  emptyNote,
  waiting,
  formatValue,
  rangeOf,
  withBreaks,
  withUnit,
} from "./widget-common.js";
import { measureSince } from "./timing.js";

/** The raster's edges: times, with the day once the span is long enough to cross one (a night). */
const timeLabel = (t: number, span: number) =>
  new Date(t).toLocaleString([], {
    ...(span >= 12 * 3600_000 ? { month: "short", day: "numeric" } : {}),
    hour: "2-digit",
    minute: "2-digit",
  });

export function rasterView(): WidgetView {
  return new RasterView();
}

type Range = ReturnType<typeof rangeOf>;

/** A flag mark's height and width, in px (widget-styles.ts). */
const FLAG_MARK_PX = 10;

type Size = { width: number; height: number };

/** What the canvas last showed, to repaint only the columns that changed since. */
interface Painted {
  grid: ChannelGrid;
  rows: number;
  stamp: number;
  key: string;
  image: ImageData;
  color: (v: number) => readonly [number, number, number];
}

/** Every channel against time as canvas pixels, the flagged channels beside it, and the highlighted one as a line. */
class RasterView implements WidgetView {
  readonly element: HTMLElement;
  private readonly canvas = el("canvas", { className: "raster-canvas" });
  private readonly marker = el("div", { className: "raster-marker" });
  private readonly axisTop = el("span", { className: "raster-axis-label" });
  private readonly axisBottom = el("span", { className: "raster-axis-label" });
  private readonly timeFrom = el("span");
  private readonly timeTo = el("span");
  private readonly times = el("div", { className: "raster-times" }, this.timeFrom, this.timeTo);
  private readonly channelInput = el("input", { type: "number", name: "highlight", min: "0", step: "1" });
  private readonly flaggedText = el("span", { className: "raster-flagged" });
  private readonly groupText = el("span", { className: "raster-group-text" });
  private readonly controls = el(
    "div",
    { className: "raster-controls" },
    labelled("Highlight channel", this.channelInput),
    this.groupText,
    this.flaggedText,
  );
  /** The rows of the highlighted channel's group, where the catalog groups the channels. */
  private readonly groupBand = el("div", { className: "raster-group", hidden: true });
  /** The span a drag across the canvas would zoom to. */
  private readonly zoomBand = el("div", { className: "chart-zoom-selection raster-zoom", hidden: true });
  private dragged = false;
  /** The canvas's place: it clips the canvas while a gesture moves it (followGesture). */
  private readonly clip = el("div", { className: "raster-clip" }, this.canvas);
  private readonly frame = el("div", { className: "raster-frame" }, this.clip, this.groupBand, this.marker, this.zoomBand);
  // Flagged channels (out of range, or silent) marked beside the raster, large enough to see
  // and to click, however few pixels their rows get.
  private readonly flags = el("div", { className: "raster-flags" });
  private readonly line = el("div", { className: "raster-line" });
  private readonly colorBar = new ColorBar();
  private linePointer: ChartPointer | undefined;
  private readonly cellTip = el("div", { className: "chart-tip", role: "tooltip", hidden: true });
  private painted: Painted | undefined;
  private unit = "";
  private current: { widget: Widget; data: WidgetData; channels: number } | undefined;

  constructor() {
    this.canvas.setAttribute("role", "img");
    this.element = el(
      "div",
      { className: "raster" },
      this.controls,
      el(
        "div",
        { className: "raster-body" },
        el("div", { className: "raster-axis" }, this.axisTop, this.axisBottom),
        this.frame,
        this.flags,
        this.colorBar.element,
      ),
      this.times,
      this.line,
    );
    this.channelInput.addEventListener("change", () => this.choose(Number(this.channelInput.value)));
    this.frame.append(this.cellTip);
    this.canvas.addEventListener("mousemove", (event) => this.pointAt(event));
    this.canvas.addEventListener("mouseleave", () => (this.cellTip.hidden = true));
    this.listenForGestures();
    this.canvas.addEventListener("click", (event) => {
      // The end of a drag-zoom is not a click on a channel.
      if (!this.current || this.dragged) return;
      const box = this.clip.getBoundingClientRect();
      this.choose(
        Math.min(this.current.channels - 1, Math.floor(((event.clientY - box.top) / box.height) * this.current.channels)),
      );
    });
  }

  /**
   * A drag across the canvas zooms the dashboard to that span, Shift+drag pans and Ctrl+wheel (a
   * pinch on a touchpad) zooms about the pointer, as on any time axis (chart-pointer.ts); a press
   * without a move still highlights the channel under it.
   */
  private listenForGestures(): void {
    let start: { x: number; pan?: TimeWindow } | undefined;
    const width = () => Math.max(1, this.canvas.clientWidth);
    const xOf = (e: MouseEvent) => Math.max(0, Math.min(width(), e.clientX - this.clip.getBoundingClientRect().left));
    this.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || !this.current?.data.time || !this.painted) return;
      this.dragged = false;
      start = { x: xOf(e), ...(e.shiftKey ? { pan: this.shownWindow() } : {}) };
      this.canvas.setPointerCapture(e.pointerId);
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (!start) return;
      const x = xOf(e);
      if (Math.abs(x - start.x) < 4 && !this.dragged) return;
      this.dragged = true;
      if (start.pan) {
        const shift = -((x - start.x) / width()) * (start.pan.to - start.pan.from);
        return this.current?.data.time?.preview(start.pan.from + shift, start.pan.to + shift);
      }
      Object.assign(this.zoomBand.style, { left: `${Math.min(x, start.x)}px`, width: `${Math.abs(x - start.x)}px` });
      this.zoomBand.hidden = false;
    });
    this.canvas.addEventListener("pointerup", (e) => {
      const [from, shown, time] = [start, this.shownWindow(), this.current?.data.time];
      start = undefined;
      this.zoomBand.hidden = true;
      if (!from || from.pan || !time || !this.dragged) return;
      const at = (x: number) => shown.from + (x / width()) * (shown.to - shown.from);
      const [a, b] = [at(from.x), at(xOf(e))];
      time.zoom(Math.min(a, b), Math.max(a, b));
    });
    this.canvas.addEventListener(
      "wheel",
      (e) => {
        const time = this.current?.data.time;
        if (!(e.ctrlKey || e.metaKey) || !time || !this.painted) return;
        e.preventDefault();
        const shown = this.shownWindow();
        const at = shown.from + (xOf(e) / width()) * (shown.to - shown.from);
        // The time under the pointer stays under it.
        const factor = Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.01)));
        time.preview(at - (at - shown.from) * factor, at + (shown.to - at) * factor);
      },
      { passive: false },
    );
  }

  /** The span the canvas shows: a pan or zoom gesture's while one is under way, else the grid's. */
  private shownWindow(): TimeWindow {
    const [grid, data] = [this.painted?.grid, this.current?.data];
    if (data?.previewing || !grid) return data?.window ?? { from: 0, to: 1 };
    return { from: grid.from, to: grid.to };
  }

  /**
   * During a pan or zoom gesture the grid drawn is moved and stretched to the span the gesture
   * shows (no read is made until it rests: then the grid of the new span is painted).
   */
  private followGesture(grid: ChannelGrid, data: WidgetData): void {
    const w = data.window;
    const span = w.to - w.from;
    if (!data.previewing || !(span > 0)) {
      this.canvas.style.transform = "";
      return;
    }
    const scale = (grid.to - grid.from) / span;
    const shift = ((grid.from - w.from) / span) * this.canvas.clientWidth;
    this.canvas.style.transform = `translateX(${shift}px) scaleX(${scale})`;
  }

  /** The cell under the pointer, in words: channel, time span and the extremes held in it. */
  private pointAt(event: MouseEvent): void {
    const grid = this.painted?.grid;
    const current = this.current;
    const info = current?.data.info(current.widget.series[0]!.observable);
    // During a pan or zoom gesture the cells are not where the grid has them.
    if (current?.data.previewing) this.cellTip.hidden = true;
    if (!grid || !current || !info || current.data.previewing) return;
    const box = this.clip.getBoundingClientRect();
    const channel = Math.min(current.channels - 1, Math.floor(((event.clientY - box.top) / box.height) * current.channels));
    const column = Math.min(grid.columns - 1, Math.floor(((event.clientX - box.left) / box.width) * grid.columns));
    if (channel < 0 || column < 0) return;
    this.cellTip.replaceChildren(...rasterCellTip(grid, channel, column, info).map((line) => el("div", {}, line)));
    this.cellTip.hidden = false;
    const x = event.clientX - box.left;
    const left = x + 12 + this.cellTip.offsetWidth > box.width ? x - 12 - this.cellTip.offsetWidth : x + 12;
    this.cellTip.style.left = `${Math.max(0, left)}px`;
    this.cellTip.style.top = `${Math.max(0, Math.min(box.height - this.cellTip.offsetHeight, event.clientY - box.top - 10))}px`;
  }

  private choose(channel: number): void {
    const current = this.current;
    if (!current || !Number.isInteger(channel) || channel < 0 || channel >= current.channels) return;
    current.data.change({ ...current.widget, highlight: channel });
  }

  update(widget: Widget, data: WidgetData, size: Size): string {
    const ref = widget.series[0]!;
    const info = data.info(ref.observable)!;
    const grid = data.grid(ref.observable);
    this.current = { widget, data, channels: info.channels };
    this.unit = info.unit;
    if (!grid) {
      // An empty window clears what an earlier one drew.
      this.flaggedText.textContent = waiting(data);
      this.element.classList.add("raster-empty");
      this.painted = undefined;
      this.line.replaceChildren();
      this.flags.replaceChildren();
      return `${widget.title}: ${waiting(data)}`;
    }
    this.element.classList.remove("raster-empty");
    const range = rangeOf(widget, info);
    const highlight = Math.min(info.channels - 1, widget.highlight ?? 0);
    if (document.activeElement !== this.channelInput) this.channelInput.value = String(highlight);
    this.channelInput.max = String(info.channels - 1);
    // What the controls and the time labels take as laid out (they wrap in a narrow widget):
    // the rest is shared by the raster (60%) and the highlighted channel's line.
    const room = size.height - this.controls.offsetHeight - this.times.offsetHeight - 8;
    const rasterHeight = Math.max(40, Math.floor(room * 0.6));
    this.paint(grid, Math.min(info.channels, rasterHeight), range);
    this.frame.style.height = `${rasterHeight}px`;
    this.marker.style.top = `${((highlight + 0.5) / info.channels) * 100}%`;
    this.showGroup(info, highlight);
    this.axisTop.textContent = "ch 0";
    this.axisBottom.textContent = `ch ${info.channels - 1}`;
    // The edges are the window's: a window that reaches past now (tonight) is empty at its right.
    this.followGesture(grid, data);
    const shown = this.shownWindow();
    this.timeFrom.textContent = timeLabel(shown.from, shown.to - shown.from);
    this.timeTo.textContent = timeLabel(shown.to, shown.to - shown.from);
    const { dead, outOfRange } = this.showFlagged(grid, info, range, rasterHeight);
    // The times sit under the canvas: clear of the flag marks and the colour bar beside it.
    this.colorBar.element.classList.toggle("color-bar-short", rasterHeight < 110);
    this.times.style.marginRight = `${this.flags.offsetWidth + this.colorBar.element.offsetWidth + 8}px`;
    const latest = grid.latest[highlight]!;
    const text = `${widget.title}: ${info.name}, ${info.channels} channels, ${outOfRange} out of range${
      dead ? `, ${dead} without data` : ""
    }; channel ${highlight} ${Number.isFinite(latest) ? withUnit(latest, info.unit) : "no data"}`;
    this.canvas.setAttribute("aria-label", text);
    this.drawLine(grid, info, highlight, range, data, Math.max(50, room - rasterHeight), size.width);
    return text;
  }

  /** The highlighted channel's group as a band over its rows, and its name beside the channel. */
  private showGroup(info: ObservableInfo, highlight: number): void {
    const groups = info.groups;
    this.groupBand.hidden = !groups;
    this.groupText.textContent = groups ? groupWords(groups, highlight, info.channels) : "";
    if (!groups) return;
    const members = groupChannels(groups, groupOf(groups, highlight), info.channels);
    this.groupBand.style.top = `${(members[0]! / info.channels) * 100}%`;
    this.groupBand.style.height = `${(members.length / info.channels) * 100}%`;
  }

  /** The whole raster afresh when the grid, its rows or the range changed; else only the changed columns. */
  private paint(grid: ChannelGrid, rows: number, range: Range): void {
    const key = `${rows}|${range ? `${range.min},${range.max}` : ""}`;
    const paintStart = performance.now();
    const painted = this.painted;
    if (!painted || painted.grid !== grid || painted.key !== key) {
      // The ramp spans the healthy channels' spread, fixed until the next full paint (a live
      // value must not recolour the whole raster); outliers have their own colours.
      const domain = robustExtent(grid.latest, range) ?? [0, 1];
      this.colorBar.show(domain, this.unit, !!range);
      const fraction = scaleFraction(domain);
      const color = (v: number) => cellColor(v, fraction, range);
      this.canvas.width = grid.columns;
      this.canvas.height = rows;
      const image = new ImageData(rasterPixels(grid, rows, range, color), grid.columns, rows);
      this.painted = { grid, rows, key, image, color, stamp: grid.changedSince(0).stamp };
      this.canvas.getContext("2d")!.putImageData(image, 0, 0);
      measureSince("runboard:raster-paint", paintStart);
      return;
    }
    const change = grid.changedSince(painted.stamp);
    if (change.all || change.columns.length) {
      // A new value also fills the empty columns after it (ChannelGrid.held).
      const columns = new Set<number>();
      for (const c of change.columns) for (let k = c; k <= Math.min(grid.columns - 1, c + 8); k++) columns.add(k);
      rasterPixels(grid, rows, range, painted.color, painted.image.data, change.all ? undefined : [...columns]);
      this.canvas.getContext("2d")!.putImageData(painted.image, 0, 0);
      measureSince("runboard:raster-paint", paintStart);
    }
    painted.stamp = change.stamp;
  }

  /** The flagged channels' marks beside the raster and their list above it; returns how many of each. */
  private showFlagged(grid: ChannelGrid, info: { channels: number; unit: string }, range: Range, height: number) {
    const { dead, outOfRange } = grid.flagged(range);
    const marks = [
      ...outOfRange.map((c) => ({ c, below: grid.latest[c]! < (range?.min ?? 0) })),
      ...dead.map((c) => ({ c, below: true })),
    ];
    // Marks of channels a few pixels apart go side by side, so each can be seen and clicked.
    const shown = (dead.length === info.channels ? [] : marks.slice(0, 60)).sort((a, b) => a.c - b.c);
    const columns = markColumns(
      shown.map(({ c }) => (c / info.channels) * height),
      FLAG_MARK_PX,
    );
    this.flags.style.width = `${(Math.max(...columns, 0) + 1) * (FLAG_MARK_PX + 1)}px`;
    this.flags.replaceChildren(
      ...shown.map(({ c, below }, i) => {
        const v = grid.latest[c]!;
        const mark = el("button", { type: "button", className: "raster-flag" });
        mark.style.top = `${(c / info.channels) * 100}%`;
        mark.style.left = `${columns[i]! * (FLAG_MARK_PX + 1)}px`;
        mark.style.background = cssColor(Number.isFinite(v) ? (below ? BELOW_RANGE : ABOVE_RANGE) : [128, 128, 128]);
        const said = `channel ${c}: ${Number.isFinite(v) ? withUnit(v, info.unit) : "no data"}`;
        mark.title = said;
        mark.setAttribute("aria-label", `Highlight ${said}`);
        mark.addEventListener("click", () => this.choose(c));
        return mark;
      }),
    );
    const list = (chs: number[]) => chs.slice(0, 8).join(", ") + (chs.length > 8 ? ` and ${chs.length - 8} more` : "");
    this.flaggedText.textContent =
      `${outOfRange.length} out of range${outOfRange.length ? ` (${list(outOfRange)})` : ""}` +
      (dead.length ? `; ${dead.length} without data${dead.length < info.channels ? ` (${list(dead)})` : ""}` : "");
    return { dead: dead.length, outOfRange: outOfRange.length };
  }

  /** The highlighted channel as a line (its cells' extremes as a band), with the healthy band. */
  private drawLine(
    grid: ChannelGrid,
    info: ObservableInfo,
    highlight: number,
    range: Range,
    data: WidgetData,
    height: number,
    width: number,
  ): void {
    const cells = grid.channelLine(highlight);
    if (cells.t.length === 0) return void this.line.replaceChildren(emptyNote(`channel ${highlight}: no data in this window`));
    const cellPoints = cells.t.map((t, i) => ({
      t: new Date(t),
      lo: cells.lo[i]!,
      hi: cells.hi[i]!,
      mid: (cells.lo[i]! + cells.hi[i]!) / 2,
    }));
    const gap = breakingGap(medianGap(cells.t), 2 * grid.columnMs);
    const points = withBreaks(cellPoints, gap, (p) => ({ ...p, lo: Number.NaN, hi: Number.NaN, mid: Number.NaN }));
    // The rest of its group (module) beside it, faint: a pixel is judged against its neighbours.
    const mates = groupMates(grid, info, highlight, gap);
    const yDomain = valueDomain([...cells.lo, ...cells.hi, ...mates.map((m) => m.mid)]);
    const band = yDomain && healthyBand(yDomain, range);
    const shown = this.shownWindow();
    const plot = Plot.plot({
      width: Math.max(160, width),
      height,
      marginLeft: 56,
      marginTop: 18,
      // The raster's span: during a pan or zoom gesture the gesture's, the line clipped to it.
      x: { type: "time", domain: [new Date(shown.from), new Date(shown.to)], label: null },
      y: { domain: yDomain, grid: true, label: info.unit ? `ch ${highlight} (${info.unit})` : `ch ${highlight}`, ticks: 2 },
      marks: [
        ...flagMarks(data.flags, shown.from, shown.to),
        ...(band ? [Plot.rectY([band], { y1: "y1", y2: "y2", fill: "#2a9d8f", fillOpacity: 0.1 })] : []),
        Plot.lineY(mates, {
          x: "t",
          y: "mid",
          z: "channel",
          stroke: "currentColor",
          strokeOpacity: 0.3,
          strokeWidth: 1,
          clip: true,
        }),
        Plot.areaY(points, { x: "t", y1: "lo", y2: "hi", fill: "#f59e0b", fillOpacity: 0.3, clip: true }),
        Plot.lineY(points, { x: "t", y: "mid", stroke: "#f59e0b", strokeWidth: 1.5, clip: true }),
      ],
    });
    const group = info.groups ? `, with the rest of ${info.groups.name} ${groupOf(info.groups, highlight)}` : "";
    plot.setAttribute("aria-label", `channel ${highlight} of ${info.name}${group}`);
    this.line.replaceChildren(plot);
    // The highlighted channel's line joins the shared crosshair, and zooms like a time series.
    this.linePointer ??= new ChartPointer(this.line, data.time);
    this.linePointer.bind({
      plot,
      time: true,
      tipAt: (x) => {
        const i = nearestIndex(cells.t, x);
        if (i < 0) return undefined;
        const [lo, hi, t] = [cells.lo[i]!, cells.hi[i]!, cells.t[i]!];
        const value = lo === hi ? withUnit(lo, info.unit) : `${formatValue(lo)} to ${withUnit(hi, info.unit)}`;
        const run = runAt(data.runs, t);
        return {
          x: t,
          y: (lo + hi) / 2,
          lines: [`${formatInstant(t)}${run ? ` · ${run}` : ""}`, `channel ${highlight}: ${value}`],
        };
      },
      steps: () => cells.t,
    });
  }
}

/** The other channels of the highlighted one's group, as points of faint lines (cell midpoints, broken at gaps). */
function groupMates(grid: ChannelGrid, info: ObservableInfo, highlight: number, gap: number) {
  if (!info.groups) return [];
  const members = groupChannels(info.groups, groupOf(info.groups, highlight), info.channels);
  return members
    .filter((c) => c !== highlight)
    .flatMap((channel) => {
      const cells = grid.channelLine(channel);
      const points = cells.t.map((t, i) => ({ t: new Date(t), mid: (cells.lo[i]! + cells.hi[i]!) / 2, channel }));
      return withBreaks(points, gap, (p) => ({ ...p, mid: Number.NaN }));
    });
}

/**
 * A colour bar with units beside a raster or an image: the ramp from its lowest to its highest
 * value, and, where health colours are used, swatches saying what they mean.
 */
class ColorBar {
  readonly element: HTMLElement;
  private readonly bar = el("canvas", { className: "color-bar", width: 1, height: 64 });
  private readonly top = el("span", { className: "color-bar-label" });
  private readonly bottom = el("span", { className: "color-bar-label" });
  private readonly keys = el("div", { className: "color-bar-keys" });

  constructor() {
    this.element = el("div", { className: "color-bar-box" }, this.top, this.bar, this.bottom, this.keys);
    this.element.setAttribute("role", "img");
    const ctx = this.bar.getContext("2d")!;
    for (let y = 0; y < 64; y++) {
      ctx.fillStyle = cssColor(ramp(1 - y / 63));
      ctx.fillRect(0, y, 1, 1);
    }
  }

  show(domain: readonly [number, number], unit: string, health: boolean, mode = "linear"): void {
    this.top.textContent = withUnit(domain[1], unit);
    this.bottom.textContent = withUnit(domain[0], unit);
    const key = (color: readonly [number, number, number], text: string) => {
      const swatch = el("span", { className: "color-bar-swatch" });
      swatch.style.background = cssColor(color);
      return el("span", { className: "color-bar-key" }, swatch, text);
    };
    this.keys.replaceChildren(...(health ? [key(ABOVE_RANGE, "above"), key(BELOW_RANGE, "below"), key(NO_DATA, "none")] : []));
    this.element.setAttribute(
      "aria-label",
      `Colour scale${mode === "log" ? " (log)" : ""}: ${withUnit(domain[0], unit)} to ${withUnit(domain[1], unit)}` +
        (health ? "; above the healthy range red, below it magenta, no data grey" : ""),
    );
  }
}

export function imageView(): WidgetView {
  const canvas = el("canvas", { className: "image-canvas" });
  canvas.setAttribute("role", "img");
  const bar = new ColorBar();
  const readout = el("div", { className: "image-readout", textContent: "point at a cell to read its value" });
  readout.setAttribute("aria-live", "polite");
  const scale = el("select", { name: "colorScale" });
  for (const mode of ["linear", "log"]) scale.append(el("option", { value: mode, textContent: mode }));
  const element = el(
    "div",
    { className: "image" },
    el("div", { className: "image-controls" }, labelled("Colour scale", scale), readout),
    el("div", { className: "image-body" }, canvas, bar.element),
  );
  let shown: { rows: (number | null)[][]; unit: string } | undefined;
  let current: { widget: Widget; data: WidgetData } | undefined;
  scale.addEventListener("change", () => {
    if (current) current.data.change({ ...current.widget, colorScale: scale.value as "linear" | "log" });
  });
  canvas.addEventListener("mousemove", (event) => {
    if (!shown) return;
    const box = canvas.getBoundingClientRect();
    const row = Math.floor(((event.clientY - box.top) / box.height) * shown.rows.length);
    const col = Math.floor(((event.clientX - box.left) / box.width) * (shown.rows[0]?.length ?? 0));
    const v = shown.rows[row]?.[col];
    if (v === undefined) return;
    readout.textContent = `row ${row}, column ${col}: ${v === null ? "no value" : withUnit(v, shown.unit)}`;
  });

  return {
    element,
    update(widget, data, size) {
      current = { widget, data };
      const ref = widget.series[0]!;
      const info = data.info(ref.observable)!;
      const newest = data.arrays(ref.observable)?.[0];
      // With nothing to show, the last image goes too: it would pass for this window's.
      element.classList.toggle("image-empty", !newest);
      if (!newest) {
        shown = undefined;
        readout.textContent = waiting(data);
        return `${widget.title}: ${waiting(data)}`;
      }
      if (!shown) readout.textContent = "point at a cell to read its value";
      const rows = newest.value as (number | null)[][];
      const height = rows.length;
      const width = rows[0]?.length ?? 0;
      shown = { rows, unit: info.unit };
      const mode = widget.colorScale ?? "linear";
      scale.value = mode;
      const flat = Float64Array.from(rows.flat(), (v) => v ?? Number.NaN);
      const domain = (mode === "log" ? positiveExtent(flat) : valueDomain(flat, 0)) ?? [0, 1];
      const max = paintImage(canvas, flat, width, height, scaleFraction(domain, mode));
      // Square cells: the image is as large as the body allows at its own aspect ratio.
      const side = Math.max(2, Math.min(size.width - 70, size.height - 70) / Math.max(width, height));
      canvas.style.width = `${Math.floor(side * width)}px`;
      canvas.style.height = `${Math.floor(side * height)}px`;
      bar.show(domain, info.unit, false, mode);
      bar.element.style.height = canvas.style.height;
      const text = `${widget.title}: ${info.name} ${height}×${width} at ${new Date(newest.t).toLocaleTimeString()}, max ${withUnit(flat[max]!, info.unit)} at row ${Math.floor(max / width)}, column ${max % width}`;
      canvas.setAttribute("aria-label", text);
      return text;
    },
  };
}

/** The image's cells as pixels (NaN grey); returns the index of its largest value. */
function paintImage(
  canvas: HTMLCanvasElement,
  flat: Float64Array,
  width: number,
  height: number,
  fraction: (v: number) => number,
): number {
  canvas.width = width;
  canvas.height = height;
  const image = new ImageData(width, height);
  let max = 0;
  flat.forEach((v, i) => {
    const f = fraction(v);
    const [r, g, b] = Number.isNaN(f) ? [128, 128, 128] : ramp(f);
    image.data.set([r, g, b, 255], i * 4);
    if (!(v <= flat[max]!)) max = i;
  });
  canvas.getContext("2d")!.putImageData(image, 0, 0);
  return max;
}
