// Bundled by bench/browser.ts (esbuild) into a page of its own: draws a 10-million-point series
// the way the time-series widget does (M4 to the chart's width, then Observable Plot), and the
// baseline, plain Observable Plot on the raw rows. Exposes `window.seriesBench` for Playwright.
import * as Plot from "@observablehq/plot";
import { SeriesBuffer } from "../../src/components/series-buffer.js";
import { createWidgetView } from "../../src/components/widgets.js";
import type { WidgetData } from "../../src/components/widget-common.js";
import type { ObservableInfo } from "../../src/core/catalog.js";
import type { Widget } from "../../src/core/dashboard.js";

const WIDTH = 900;
const HEIGHT = 300;

function series(n: number): { x: Float64Array; y: Float64Array } {
  // A day-long 1 Hz-ish signal with drift, noise and rare spikes, deterministic.
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < n; i++) {
    x[i] = i * 10;
    y[i] = 600 + 150 * Math.sin(i / 2e5) + 25 * (random() - 0.5) + (random() < 1e-5 ? 2500 : 0);
  }
  return { x, y };
}

function draw(root: HTMLElement, points: { x: Float64Array; y: Float64Array }, from: number, to: number): void {
  const plot = Plot.plot({
    width: WIDTH,
    height: HEIGHT,
    x: { domain: [from, to] },
    marks: [Plot.lineY({ length: points.x.length }, { x: points.x, y: points.y })],
  });
  root.replaceChildren(plot);
}

const root = document.createElement("div");
document.body.append(root);
let data: { x: Float64Array; y: Float64Array } | undefined;
/** The time series widget's own buffer of the same points. */
let buffer: SeriesBuffer | undefined;

declare global {
  interface Window {
    seriesBench: typeof seriesBench;
    widgetBench: typeof widgetBench;
  }
}

const seriesBench = {
  make(n: number) {
    data = series(n);
    buffer = SeriesBuffer.fromColumns(data.x, data.y, []);
    return data.x.length;
  },
  /** One view drawn the time series widget's way: its buffer's M4, then Plot. Returns ms. */
  runboard(from: number, to: number): number {
    const start = performance.now();
    draw(root, buffer!.m4(WIDTH, from, to), from, to);
    return performance.now() - start;
  },
  /** The same view with Plot alone on the raw rows inside it. Returns ms. */
  plain(from: number, to: number): number {
    const start = performance.now();
    // Plot clips nothing itself: the rows in view are what it must draw.
    let a = 0;
    while (a < data!.x.length && data!.x[a]! < from) a++;
    let b = a;
    while (b < data!.x.length && data!.x[b]! <= to) b++;
    draw(root, { x: data!.x.subarray(a, b), y: data!.y.subarray(a, b) }, from, to);
    return performance.now() - start;
  },
  /** Pan and zoom as a user drags: `frames` views, each drawn in its own animation frame. */
  async gesture(method: "runboard" | "plain", frames: number): Promise<{ frameMs: number[]; fps: number }> {
    const n = data!.x.length;
    const full = data!.x[n - 1]!;
    const frameMs: number[] = [];
    const began = performance.now();
    for (let i = 0; i < frames; i++) {
      // Zoom from the whole series to a tenth of it while panning across.
      const span = full * (1 - (0.9 * i) / frames);
      const from = ((full - span) * i) / frames;
      await new Promise(requestAnimationFrame);
      frameMs.push(this[method](from, from + span));
    }
    await new Promise(requestAnimationFrame);
    return { frameMs, fps: (frames * 1000) / (performance.now() - began) };
  },
};
/** The time series widget itself on the same buffer: its drawing, its pointer and its zoom. */
const widgetRoot = document.createElement("div");
widgetRoot.className = "runboard-editor";
document.body.append(widgetRoot);
const WIDGET: Widget = { kind: "timeseries", title: "Bench", series: [{ observable: "bench.signal", channel: 0 }] };
const INFO = {
  name: "bench.signal",
  unit: "V",
  shape: "scalar",
  channels: 1,
  description: "",
  healthy: undefined,
} as unknown as ObservableInfo;
let shown = { from: 0, to: 1 };
const view = createWidgetView(WIDGET);
widgetRoot.append(view.element);
function widgetData(): WidgetData {
  return {
    info: (name) => (name === INFO.name ? INFO : undefined),
    series: () => buffer,
    grid: () => undefined,
    arrays: () => undefined,
    nearest: () => undefined,
    runs: [],
    settled: true,
    now: Date.now(),
    window: shown,
    flags: [],
    change: () => undefined,
    // Zoom and pan as the dashboard does them: the chart redrawn over the new span at once.
    time: { zoom: (from, to) => drawWidget(from, to), preview: (from, to) => drawWidget(from, to) },
  };
}
function drawWidget(from: number, to: number): void {
  shown = { from, to };
  view.update(WIDGET, widgetData(), { width: WIDTH, height: HEIGHT });
}

const widgetBench = {
  /** Pointer moves across the widget's chart: ms from each event to its tooltip updated. */
  hover(moves: number): number[] {
    // Plain Plot's million-point path, left on the page, would be painted again every frame.
    root.replaceChildren();
    const full = data!.x[data!.x.length - 1]!;
    drawWidget(0, full);
    const host = view.element;
    const plot = host.querySelector("[aria-label*='points drawn']")!;
    const box = (plot.querySelector("svg") ?? plot).getBoundingClientRect();
    const tip = host.querySelector("[role=tooltip]");
    const times: number[] = [];
    for (let i = 0; i < moves; i++) {
      const x = box.left + 60 + ((box.width - 80) * (i + 0.5)) / moves;
      const started = performance.now();
      host.dispatchEvent(new PointerEvent("pointermove", { clientX: x, clientY: box.top + box.height / 2, bubbles: true }));
      if (!(tip ?? host.querySelector("[role=tooltip]"))?.textContent) throw new Error("no tooltip");
      times.push(performance.now() - started);
    }
    return times;
  },
  /** The naive tooltip: the nearest of the raw rows by a scan, per move. */
  hoverScan(moves: number): number[] {
    const x = data!.x;
    const times: number[] = [];
    for (let i = 0; i < moves; i++) {
      const target = (x[x.length - 1]! * (i + 0.5)) / moves;
      const started = performance.now();
      let best = 0;
      for (let k = 0; k < x.length; k++) if (Math.abs(x[k]! - target) < Math.abs(x[best]! - target)) best = k;
      if (best < 0) throw new Error("unreachable");
      times.push(performance.now() - started);
    }
    return times;
  },
  /** Ctrl+wheel zoom on the widget, a wheel event per animation frame: frames/s and draw ms. */
  async wheel(frames: number): Promise<{ frameMs: number[]; fps: number }> {
    root.replaceChildren();
    const full = data!.x[data!.x.length - 1]!;
    drawWidget(0, full);
    const host = view.element;
    const frameMs: number[] = [];
    const began = performance.now();
    for (let i = 0; i < frames; i++) {
      await new Promise(requestAnimationFrame);
      const box = (host.querySelector("svg") as SVGSVGElement).getBoundingClientRect();
      const started = performance.now();
      const event = { clientX: box.left + box.width * 0.6, clientY: box.top + box.height / 2, deltaY: -5, ctrlKey: true };
      host.dispatchEvent(new WheelEvent("wheel", { ...event, bubbles: true, cancelable: true }));
      frameMs.push(performance.now() - started);
    }
    await new Promise(requestAnimationFrame);
    return { frameMs, fps: (frames * 1000) / (performance.now() - began) };
  },
};

window.seriesBench = seriesBench;
window.widgetBench = widgetBench;
