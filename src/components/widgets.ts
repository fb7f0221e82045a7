// Draws one widget from its description and the data the feed holds. Content is always rendered
// from the widget's kind and options, never stored as HTML. Each kind says what it needs
// (`needsOf`, handed to the feed) and what it read (`keysOf`, to redraw only widgets whose data
// changed), and each drawing returns a text alternative of its value ("HV, 1855 channels,
// 3 out of range") that the widget shows as its caption and gives screen readers.
//
// Technique by density: a raster (1855 channels x hundreds of columns) and an image are canvas
// pixels, repainted column by column as readings come; everything that M4 or binning has
// already thinned to a few thousand marks is Observable Plot (widget-charts.ts).
import { siteNow } from "./site-mode.js";
import type { ObservableInfo } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import type { TimeWindow } from "../core/time-window.js";
import { widgetProblem } from "../core/widget-kinds.js";
import { type DataNeed, type SeriesFeed, arraysKey, gridKey, seriesKey } from "./series-feed.js";
import { histogramView, profileView, timeseriesView, xyView } from "./widget-charts.js";
import { imageView, rasterView } from "./widget-dense.js";
import { statView, tableView } from "./widget-values.js";
import { alarmsView } from "./widget-alarms.js";
import { ensureWidgetStyles } from "./widget-styles.js";
import { type Drawing, type WidgetData, type WidgetView, emptyNote } from "./widget-common.js";
import { ChartPointer, type TimeControl } from "./chart-pointer.js";
import { measureSince } from "./timing.js";

/** What a widget asks the feed for; `pixels` is its drawing's width. */
export function needsOf(widget: Widget, info: (name: string) => ObservableInfo | undefined, pixels: number): DataNeed[] {
  if (widgetProblem(widget, info)) return [];
  const first = widget.series[0]!;
  switch (widget.kind) {
    case "alarms":
      return []; // the page's alarm news, not the snapshot
    case "raster":
    case "histogram":
      return [
        {
          kind: "grid",
          observable: first.observable,
          channels: info(first.observable)!.channels,
          columns: rasterColumns(pixels),
        },
      ];
    case "profile":
      return [
        {
          kind: "arrays",
          observable: first.observable,
          limit: (widget.previous ?? 4) + 1,
          ...(widget.runs ? { runs: widget.runs } : {}),
        },
      ];
    case "image":
      return [{ kind: "arrays", observable: first.observable, limit: 1 }];
    default:
      return widget.series.map((s) => ({ kind: "series", observable: s.observable, channel: s.channel }));
  }
}

/** A raster column every 2 px, at most 600: 1855 x 600 cells are still one fast DuckDB answer. */
export const rasterColumns = (pixels: number) => Math.max(60, Math.min(600, Math.floor(pixels / 2)));

/** The feed keys a widget's drawing depends on. */
export function keysOf(widget: Widget): string[] {
  const first = widget.series[0]!;
  if (widget.kind === "raster" || widget.kind === "histogram") return [gridKey(first.observable)];
  if (widget.kind === "profile") return [arraysKey(first.observable, widget.runs)];
  if (widget.kind === "image") return [arraysKey(first.observable)];
  if (widget.kind === "alarms") return [];
  return widget.series.map((s) => seriesKey(s.observable, s.channel));
}

/**
 * A view that draws itself afresh on every update (cheap for Plot charts of thinned data); its
 * pointer (hover, keyboard, zoom) stays and is bound to each new drawing.
 */
function redrawing(draw: (widget: Widget, data: WidgetData, size: { width: number; height: number }) => Drawing): WidgetView {
  const element = document.createElement("div");
  element.className = "widget-drawing";
  let pointer: ChartPointer | undefined;
  /** What the legend and notes took at this size last time: the next drawing starts that much shorter. */
  let room = { size: "", less: 0 };
  return {
    element,
    update(widget, data, size) {
      const key = `${size.width}x${size.height}`;
      if (room.size !== key) room = { size: key, less: 0 };
      let drawn = draw(widget, data, { width: size.width, height: size.height - room.less });
      element.replaceChildren(drawn.node);
      // A legend or a note takes room the chart cannot know before it is laid out: draw the
      // chart again shorter by what overflowed, so its time axis is never cut off.
      const over = element.isConnected ? element.scrollHeight - size.height : 0;
      if (over > 0) {
        room.less += over;
        drawn = draw(widget, data, { width: size.width, height: size.height - room.less });
        element.replaceChildren(drawn.node);
      } else if (over < -2 && room.less > 0) room.less = Math.max(0, room.less + over);
      pointer ??= new ChartPointer(element, data.time);
      pointer.bind(drawn.pointer);
      return drawn.text;
    },
  };
}

/**
 * What a widget draws from a feed: its buffers, grids and arrays, the runs, and the window as of
 * now (or the span a zoom or pan gesture shows before the data for it is read).
 */
export function feedData(
  feed: SeriesFeed,
  info: WidgetData["info"],
  fallback: TimeWindow,
  flags: WidgetData["flags"],
  change: WidgetData["change"],
  time?: { control: TimeControl; preview: TimeWindow | undefined },
): WidgetData {
  return {
    info,
    series: (o, c) => feed.buffer(o, c),
    grid: (o) => feed.grid(o),
    arrays: (o, runs) => feed.arrayReadings(o, runs),
    nearest: (o, c, t, within) => feed.nearest(o, c, t, within),
    runs: feed.runs(),
    settled: feed.settled(),
    now: siteNow(),
    window: time?.preview ?? feed.current()?.window ?? fallback,
    previewing: time?.preview !== undefined,
    flags,
    change,
    ...(time ? { time: time.control } : {}),
  };
}

/** The view for a widget's kind. A widget the catalog cannot draw says why instead. */
export function createWidgetView(widget: Widget): WidgetView {
  ensureWidgetStyles();
  const inner: WidgetView =
    widget.kind === "raster"
      ? rasterView()
      : widget.kind === "image"
        ? imageView()
        : widget.kind === "alarms"
          ? alarmsView()
          : redrawing(
              {
                timeseries: timeseriesView,
                stat: statView,
                histogram: histogramView,
                profile: profileView,
                xy: xyView,
                table: tableView,
              }[widget.kind],
            );
  return {
    element: inner.element,
    update(w, data, size) {
      const problem = widgetProblem(w, data.info);
      if (problem) {
        inner.element.replaceChildren(emptyNote(`Cannot draw: ${problem}`));
        return `${w.title}: cannot draw, ${problem}`;
      }
      const started = performance.now();
      const text = inner.update(w, data, size);
      // Benchmarks (bench/browser.ts) read what each kind's drawing costs.
      measureSince(`runboard:draw:${w.kind}`, started);
      return text;
    },
  };
}
