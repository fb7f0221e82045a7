// The editor's grid: GridStack owns positions while the user drags; the model
// (src/core/dashboard.ts) owns everything that is saved. Each widget is a titled region whose
// body the page fills from the widget's kind and data.
import { GridStack, type GridItemHTMLElement, type GridStackNode } from "gridstack";
import { GRID_COLUMNS, type LayoutItem, type Widget } from "../core/dashboard.js";
import { el } from "./dom.js";
import { MIN_SIZE } from "../core/widget-kinds.js";

function loadGridStackCss(): void {
  const href = import.meta.resolve("gridstack/dist/gridstack.min.css");
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href }));
}

export interface GridEvents {
  /** Positions changed (a drag, a resize or a key press ended). */
  moved: (items: LayoutItem[]) => void;
  removed: (name: string) => void;
  resized: (name: string) => void;
  settings: (name: string) => void;
  /** The widget's readings: inspect them, download them. */
  data: (name: string) => void;
  /** A drag is under way at (clientX, clientY); `ended` when the widget was let go there. */
  dragAt?: (name: string, clientX: number, clientY: number, ended: boolean) => void;
}

/** A widget's frame: the body its view draws into and the caption that says what it shows. */
export interface WidgetFrame {
  body: HTMLElement;
  caption: HTMLElement;
  heading: HTMLElement;
  region: HTMLElement;
}

export class DashboardGrid {
  readonly element = el("div", { className: "grid-stack" });
  private readonly grid: GridStack;
  private readonly frames = new Map<string, WidgetFrame>();

  /** `readOnly`: the user may only view this dashboard; nothing moves and there is nothing to remove. */
  constructor(
    private readonly events: GridEvents,
    private readonly readOnly = false,
  ) {
    loadGridStackCss();
    this.grid = GridStack.init(
      {
        column: GRID_COLUMNS,
        cellHeight: 70,
        margin: 6,
        staticGrid: readOnly,
        draggable: { handle: ".widget-handle" },
        resizable: { handles: "se" },
      },
      this.element,
    )!;
    this.grid.on("change", (_event, nodes) => events.moved(toItems(nodes)));
    if (!readOnly) this.followDrags();
    this.grid.on("resizestop", (_event, itemEl) => {
      const name = itemEl.getAttribute("gs-id");
      if (name) events.resized(name);
    });
  }

  /**
   * Tells where the pointer is while a widget is dragged and where it was let go: GridStack keeps
   * a widget in its own grid, and the sections move it to the row or tab it was dropped on.
   */
  private followDrags(): void {
    let dragging: { name: string; x: number; y: number } | undefined;
    const track = (e: MouseEvent) => {
      if (!dragging) return;
      Object.assign(dragging, { x: e.clientX, y: e.clientY });
      this.events.dragAt?.(dragging.name, e.clientX, e.clientY, false);
    };
    this.grid.on("dragstart", (event, itemEl) => {
      const name = itemEl.getAttribute("gs-id");
      if (!name) return;
      const start = event as Partial<MouseEvent>;
      dragging = { name, x: start.clientX ?? 0, y: start.clientY ?? 0 };
      document.addEventListener("mousemove", track);
    });
    this.grid.on("dragstop", () => {
      document.removeEventListener("mousemove", track);
      const ended = dragging;
      dragging = undefined;
      if (ended) this.events.dragAt?.(ended.name, ended.x, ended.y, true);
    });
  }

  /** Adds a widget's frame at its place. */
  add(name: string, widget: Widget, item: Pick<LayoutItem, "x" | "y" | "w" | "h">): WidgetFrame {
    const remove = el("button", { type: "button", className: "remove", textContent: "×" });
    const settings = el("button", { type: "button", className: "settings", textContent: "⚙" });
    const data = el("button", { type: "button", className: "data", textContent: "⤓" });
    const heading = el("h3", {}, widget.title);
    // The title bar is the drag handle, and with the keyboard: arrows move, Shift+arrows resize.
    const handle = el("div", { className: "widget-handle", tabIndex: this.readOnly ? -1 : 0 }, heading);
    // An alarm table has no readings to inspect or download.
    const dataButton = widget.kind === "alarms" ? [] : [data];
    const header = el("div", { className: "widget-header" }, handle, ...dataButton, ...(this.readOnly ? [] : [settings, remove]));
    const body = el("div", { className: "widget-body" });
    const caption = el("p", { className: "widget-caption", id: `caption-${name}` });
    const region = el("div", { className: "grid-stack-item-content widget" }, header, body, caption);
    region.setAttribute("role", "region");
    region.setAttribute("aria-describedby", caption.id);
    region.dataset.kind = widget.kind;
    const itemEl = el("div", { className: "grid-stack-item" }, region);
    itemEl.setAttribute("gs-id", name);
    const frame = { body, caption, heading, region };
    this.frames.set(name, frame);
    this.retitle(name, widget.title);
    const least = MIN_SIZE[widget.kind];
    this.grid.makeWidget(itemEl, { id: name, x: item.x, y: item.y, w: item.w, h: item.h, minW: least.w, minH: least.h });
    remove.addEventListener("click", () => {
      this.grid.removeWidget(itemEl);
      this.frames.delete(name);
      this.events.removed(name);
    });
    settings.addEventListener("click", () => this.events.settings(name));
    data.addEventListener("click", () => this.events.data(name));
    handle.addEventListener("keydown", (event) => this.onKey(event, itemEl, name));
    return frame;
  }

  retitle(name: string, title: string): void {
    const frame = this.frames.get(name);
    if (!frame) return;
    frame.heading.textContent = title;
    frame.region.setAttribute("aria-label", title);
    const [data, settings, remove] = [".data", ".settings", ".remove"].map((c) =>
      frame.region.querySelector(`.widget-header > button${c}`),
    );
    data?.setAttribute("aria-label", `Data of ${title}`);
    data?.setAttribute("title", "Inspect and download the readings (CSV, Parquet)");
    settings?.setAttribute("aria-label", `Settings of ${title}`);
    remove?.setAttribute("aria-label", `Remove ${title}`);
    if (!this.readOnly) {
      frame.region.querySelector(".widget-handle")?.setAttribute("aria-label", `Move ${title} (arrow keys; Shift+arrows resize)`);
    }
  }

  private onKey(event: KeyboardEvent, itemEl: HTMLElement, name: string): void {
    const step: Record<string, [number, number]> = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
    };
    const delta = step[event.key];
    const node = (itemEl as GridItemHTMLElement).gridstackNode;
    if (!delta || !node) return;
    event.preventDefault();
    const [dx, dy] = delta;
    const x = node.x ?? 0;
    const y = node.y ?? 0;
    const w = node.w ?? 1;
    const h = node.h ?? 1;
    if (event.shiftKey) {
      this.grid.update(itemEl, { w: Math.max(1, Math.min(GRID_COLUMNS - x, w + dx)), h: Math.max(1, h + dy) });
    } else if (dx !== 0) {
      this.grid.update(itemEl, { x: Math.max(0, Math.min(GRID_COLUMNS - w, x + dx)), y });
    } else {
      // The grid packs widgets upwards, so one row down may float straight back: step further
      // until the widget has passed the one below it (or moved up past the one above).
      for (let k = 1; k <= 100 && node.y === y; k++) {
        const target = y + dy * k;
        if (target < 0) break;
        this.grid.update(itemEl, { x, y: target });
      }
    }
    this.events.moved(this.positions());
    if (event.shiftKey) this.events.resized(name);
  }

  /** Takes GridStack off the element (a section no longer shown). */
  destroy(): void {
    this.grid.destroy(false);
    this.frames.clear();
  }

  frame(name: string): WidgetFrame | undefined {
    return this.frames.get(name);
  }

  /** Where every widget is now, as GridStack has them. */
  positions(): LayoutItem[] {
    return toItems(this.grid.engine.nodes);
  }

  /** How many grid rows the widgets take, and the fewest rows any one widget has. */
  rowsTaken(): { rows: number; smallest: number } {
    const nodes = this.grid.engine.nodes;
    const rows = Math.max(0, ...nodes.map((n) => (n.y ?? 0) + (n.h ?? 1)));
    return { rows, smallest: Math.min(...nodes.map((n) => n.h ?? 1)) };
  }

  /** The height of one grid row, px (a wall screen's fit). */
  setRowHeight(px: number): void {
    this.grid.cellHeight(px);
  }

  /** The widest widget body, for the level of detail of the history read. */
  widestBody(): number {
    return Math.max(200, ...[...this.frames.values()].map((f) => f.body.clientWidth));
  }
}

function toItems(nodes: GridStackNode[]): LayoutItem[] {
  return nodes
    .filter((n) => typeof n.id === "string")
    .map((n) => ({ element: String(n.id), x: n.x ?? 0, y: n.y ?? 0, w: n.w ?? 1, h: n.h ?? 1 }));
}
