// Bundled by bench/browser.ts (esbuild) into a page of its own: draws a 10-million-point series
// the way the time-series widget does (M4 to the chart's width, then Observable Plot), and the
// baseline, plain Observable Plot on the raw rows. Exposes `window.seriesBench` for Playwright.
import * as Plot from "@observablehq/plot";
import { SeriesBuffer } from "../../src/components/series-buffer.js";

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
window.seriesBench = seriesBench;
