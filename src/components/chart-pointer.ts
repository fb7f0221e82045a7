// Pointing at a chart: a crosshair and a tooltip (role="tooltip") saying what is under the
// pointer in words, with its unit, channel and run; the arrow keys reach the same values. On a
// time axis the crosshair is shared by every chart of the page (Grafana's shared crosshair), a
// drag across the plot zooms the dashboard to that span, Shift+drag pans and Ctrl+wheel (a
// pinch on a touchpad) zooms around the pointer (see TimeControl). A plain wheel still scrolls
// the page: a shifter scrolling past a chart must not zoom it by accident.
//
// A chart is drawn afresh on every update; the pointer belongs to the widget and is bound to
// each new drawing (`bind`), so what it points at survives a live update.
import type * as Plot from "@observablehq/plot";
import { el } from "./dom.js";

/** What the tooltip says and where: x (ms on a time axis) and y in data units, and its lines. */
export interface Tip {
  x: number;
  y?: number;
  lines: string[];
}

export interface PointerSpec {
  /** Plot's output: an SVG, or a figure holding a legend and the SVG. */
  plot: Element & Plot.Plot;
  /** A time axis (epoch ms) joins the shared crosshair and may zoom. */
  time: boolean;
  /** What is at (x, y) in data units (y NaN: anywhere along x), or undefined for nothing near. */
  tipAt(x: number, y: number): Tip | undefined;
  /** A better answer where the drawing is thinned: the nearest reading to (x, y) at full resolution. */
  refine?(tip: Tip, x: number, y: number): Promise<Tip | undefined>;
  /** The x of each point the arrow keys step through, ascending. */
  steps(): ArrayLike<number>;
}

/** What a time-axis chart may do to the dashboard's window. */
export interface TimeControl {
  /** A drag across [from, to] (ms): the dashboard zooms to it, as a new entry in the history. */
  zoom(from: number, to: number): void;
  /** A pan or wheel gesture: drawn at once, read again from the snapshot when the gesture rests. */
  preview(from: number, to: number): void;
}

type Scale = NonNullable<ReturnType<Plot.Plot["scale"]>>;
interface Geometry {
  box: DOMRect;
  host: DOMRect;
  /** CSS px per SVG unit (a plot scaled down by max-width). */
  ratio: number;
  x: Scale;
  y: Scale | undefined;
  /** The plot area, in CSS px from the host's top left. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const num = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v));

/** The page's shared crosshair: the time one chart points at, for every time-axis chart to mark. */
const crosshair = new EventTarget();
function shareCrosshair(t: number | undefined, from: ChartPointer): void {
  crosshair.dispatchEvent(new CustomEvent("move", { detail: { t, from } }));
}

/** Where a Plot output's own chart is (a legend comes before it in a figure). */
function chartSvg(plot: Element): SVGSVGElement | undefined {
  if (plot instanceof SVGSVGElement) return plot;
  return (plot.querySelector(":scope > svg") as SVGSVGElement | null) ?? undefined;
}

export class ChartPointer {
  private spec: PointerSpec | undefined;
  private readonly line = el("div", { className: "chart-crosshair", hidden: true });
  private readonly tip = el("div", { className: "chart-tip", role: "tooltip", hidden: true });
  private readonly selection = el("div", { className: "chart-zoom-selection", hidden: true });
  private drag: { from: number; mode: "zoom" | "pan"; domain: [number, number]; pointer: number } | undefined;
  /** What is pointed at (kept across redraws), and the keyboard's place among the steps. */
  private pointed: { x: number; y: number } | undefined;
  private step = -1;
  private asked = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly time?: TimeControl,
  ) {
    host.classList.add("chart-host");
    host.addEventListener("pointermove", (e) => this.onMove(e));
    host.addEventListener("pointerleave", () => this.leave());
    host.addEventListener("pointerdown", (e) => this.onDown(e));
    host.addEventListener("pointerup", (e) => this.onUp(e));
    host.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    host.addEventListener("keydown", (e) => this.onKey(e));
    host.addEventListener("blur", () => this.leave());
    crosshair.addEventListener("move", (e) => this.onShared((e as CustomEvent<{ t?: number; from: ChartPointer }>).detail));
  }

  /** Binds the pointer to a new drawing (or none), keeping what was pointed at. */
  bind(spec: PointerSpec | undefined): void {
    this.spec = spec;
    const svg = spec && chartSvg(spec.plot);
    if (!spec || !svg) {
      this.host.removeAttribute("tabindex");
      return;
    }
    this.host.tabIndex = 0;
    const how = spec.time && this.time ? "; drag to zoom, Shift+drag to pan, Ctrl+wheel to zoom" : "";
    this.host.title = `Point at the chart or use the arrow keys to read values${how}`;
    this.host.append(this.line, this.selection, this.tip);
    if (this.pointed) this.show(this.pointed.x, this.pointed.y, false);
  }

  private geometry(): Geometry | undefined {
    const spec = this.spec;
    const svg = spec && chartSvg(spec.plot);
    const x = spec?.plot.scale("x");
    if (!svg || !x?.invert || !svg.isConnected) return undefined;
    const box = svg.getBoundingClientRect();
    const host = this.host.getBoundingClientRect();
    const ratio = box.width / (svg.width.baseVal.value || box.width || 1);
    const y = spec.plot.scale("y");
    const [x0, x1] = Array.from(x.range ?? [0, box.width], Number) as [number, number];
    const [y0, y1] = Array.from(y?.range ?? [box.height, 0], Number) as [number, number];
    const offset = (v: number, start: number) => start + v * ratio;
    return {
      box,
      host,
      ratio,
      x,
      y,
      left: offset(Math.min(x0, x1), box.left - host.left),
      right: offset(Math.max(x0, x1), box.left - host.left),
      top: offset(Math.min(y0, y1), box.top - host.top),
      bottom: offset(Math.max(y0, y1), box.top - host.top),
    };
  }

  /** Data coordinates under a pointer event, if it is over the plot area. */
  private dataAt(e: PointerEvent | WheelEvent, g: Geometry): { x: number; y: number; px: number } | undefined {
    const px = e.clientX - g.host.left;
    const py = e.clientY - g.host.top;
    if (px < g.left - 2 || px > g.right + 2 || py < g.top - 2 || py > g.bottom + 2) return undefined;
    const svgX = (e.clientX - g.box.left) / g.ratio;
    const svgY = (e.clientY - g.box.top) / g.ratio;
    return { x: num(g.x.invert!(svgX)), y: g.y?.invert ? num(g.y.invert(svgY)) : Number.NaN, px };
  }

  private onMove(e: PointerEvent): void {
    const g = this.geometry();
    if (!g) return;
    const at = this.dataAt(e, g);
    if (this.drag) return this.dragTo(e, g);
    if (!at) return this.leave();
    this.pointed = { x: at.x, y: at.y };
    this.show(at.x, at.y, true);
  }

  /** Shows the tip for (x, y) with its crosshair; `share` tells the other charts. */
  private show(x: number, y: number, share: boolean): void {
    const spec = this.spec;
    const g = this.geometry();
    const tip = spec?.tipAt(x, y);
    if (!spec || !g || !tip) return this.hide();
    this.place(tip, g);
    if (share && spec.time) shareCrosshair(tip.x, this);
    const asked = ++this.asked;
    void spec.refine?.(tip, x, y).then((better) => {
      if (better && asked === this.asked && this.spec === spec) this.place(better, g);
    });
  }

  /** Puts the crosshair at the tip's x and the tooltip beside it, inside the widget. */
  private place(tip: Tip, g: Geometry): void {
    const px = g.box.left - g.host.left + num(g.x.apply(tip.x)) * g.ratio;
    this.drawLine(px, g);
    this.tip.replaceChildren(...tip.lines.map((line) => el("div", {}, line)));
    this.tip.hidden = false;
    const py = tip.y !== undefined && g.y ? g.box.top - g.host.top + num(g.y.apply(tip.y)) * g.ratio : g.top;
    const width = this.tip.offsetWidth;
    const height = this.tip.offsetHeight;
    const left = px + 12 + width > g.host.width ? Math.max(0, px - 12 - width) : px + 12;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${Math.max(0, Math.min(g.host.height - height, py - height / 2))}px`;
  }

  private drawLine(px: number, g: Geometry): void {
    this.line.hidden = false;
    this.line.style.left = `${px}px`;
    this.line.style.top = `${g.top}px`;
    this.line.style.height = `${Math.max(0, g.bottom - g.top)}px`;
  }

  private hide(): void {
    this.tip.hidden = true;
    this.line.hidden = true;
  }

  private leave(): void {
    if (this.drag) return;
    this.pointed = undefined;
    this.hide();
    if (this.spec?.time) shareCrosshair(undefined, this);
  }

  /** Another chart's crosshair: a line at the same time, no tooltip. */
  private onShared({ t, from }: { t?: number; from: ChartPointer }): void {
    if (from === this || !this.spec?.time) return;
    const g = this.geometry();
    this.tip.hidden = true;
    if (t === undefined || !g) return void (this.line.hidden = true);
    const px = g.box.left - g.host.left + num(g.x.apply(t)) * g.ratio;
    if (px < g.left || px > g.right) return void (this.line.hidden = true);
    this.drawLine(px, g);
  }

  private onKey(e: KeyboardEvent): void {
    const steps = this.spec?.steps();
    if (!steps || steps.length === 0) return;
    const last = steps.length - 1;
    const jump = Math.max(1, Math.round(steps.length / 10));
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, PageUp: -jump, PageDown: jump };
    if (e.key === "Escape") return this.leave();
    if (e.key === "Home") this.step = 0;
    else if (e.key === "End") this.step = last;
    else if (e.key in moves) this.step = Math.max(0, Math.min(last, (this.step < 0 ? last : this.step) + moves[e.key]!));
    else return;
    e.preventDefault();
    this.pointed = { x: steps[this.step]!, y: Number.NaN };
    this.show(steps[this.step]!, Number.NaN, true);
  }

  // --- zoom and pan (time axes) ---------------------------------------------------------------

  private onDown(e: PointerEvent): void {
    const g = this.geometry();
    if (!g || !this.spec?.time || !this.time || e.button !== 0) return;
    const at = this.dataAt(e, g);
    if (!at) return;
    const [d0, d1] = Array.from(g.x.domain ?? [], num) as [number, number];
    this.drag = { from: at.x, mode: e.shiftKey ? "pan" : "zoom", domain: [d0, d1], pointer: at.px };
    this.host.setPointerCapture(e.pointerId);
    e.preventDefault();
  }

  private dragTo(e: PointerEvent, g: Geometry): void {
    const drag = this.drag!;
    const px = Math.max(g.left, Math.min(g.right, e.clientX - g.host.left));
    if (drag.mode === "pan") {
      // From the span when the drag began: the chart redraws under the pointer as it pans.
      const msPerPx = (drag.domain[1] - drag.domain[0]) / Math.max(1, g.right - g.left);
      const shift = (drag.pointer - px) * msPerPx;
      this.time!.preview(drag.domain[0] + shift, drag.domain[1] + shift);
      return;
    }
    this.selection.hidden = false;
    this.selection.style.left = `${Math.min(px, drag.pointer)}px`;
    this.selection.style.width = `${Math.abs(px - drag.pointer)}px`;
    this.selection.style.top = `${g.top}px`;
    this.selection.style.height = `${Math.max(0, g.bottom - g.top)}px`;
  }

  private onUp(e: PointerEvent): void {
    const drag = this.drag;
    this.drag = undefined;
    this.selection.hidden = true;
    const g = this.geometry();
    if (!drag || !g || drag.mode === "pan") return;
    const px = Math.max(g.left, Math.min(g.right, e.clientX - g.host.left));
    // A click is not a zoom.
    if (Math.abs(px - drag.pointer) < 4) return;
    const to = num(g.x.invert!((px - (g.box.left - g.host.left)) / g.ratio));
    this.pointed = undefined;
    this.time!.zoom(Math.min(drag.from, to), Math.max(drag.from, to));
  }

  private onWheel(e: WheelEvent): void {
    if (!(e.ctrlKey || e.metaKey) || !this.spec?.time || !this.time) return;
    const g = this.geometry();
    const at = g && this.dataAt(e, g);
    if (!g || !at) return;
    e.preventDefault();
    const [d0, d1] = Array.from(g.x.domain ?? [], num) as [number, number];
    // Zooms about the pointer: the time under it stays under it.
    const factor = Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.01)));
    this.time.preview(at.x - (at.x - d0) * factor, at.x + (d1 - at.x) * factor);
  }
}
