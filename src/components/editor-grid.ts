// The editor's grid: GridStack owns positions while the user drags; the model
// (src/core/dashboard.ts) owns everything that is saved. Each widget is a titled region whose
// body the page fills from the widget's kind and data.
import { GridStack, type GridStackNode } from "gridstack";
import type { LayoutItem, Widget } from "../core/dashboard.js";
import { el } from "./dom.js";

function loadGridStackCss(): void {
  const href = import.meta.resolve("gridstack/dist/gridstack.min.css");
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href }));
}

export interface GridEvents {
  /** Positions changed (a drag or resize ended). */
  moved: (items: LayoutItem[]) => void;
  removed: (name: string) => void;
  resized: (name: string) => void;
}

export class DashboardGrid {
  readonly element = el("div", { className: "grid-stack" });
  private readonly grid: GridStack;
  private readonly bodies = new Map<string, HTMLElement>();

  constructor(private readonly events: GridEvents) {
    loadGridStackCss();
    this.grid = GridStack.init(
      { column: 12, cellHeight: 70, margin: 6, draggable: { handle: ".widget-header" }, resizable: { handles: "se" } },
      this.element,
    )!;
    this.grid.on("change", (_event, nodes) => events.moved(toItems(nodes)));
    this.grid.on("resizestop", (_event, itemEl) => {
      const name = itemEl.getAttribute("gs-id");
      if (name) events.resized(name);
    });
  }

  /** Adds a widget's frame at its place; returns the body to draw into. */
  add(name: string, widget: Widget, item: LayoutItem): HTMLElement {
    const remove = el("button", { type: "button", className: "remove", textContent: "×" });
    remove.setAttribute("aria-label", `Remove ${widget.spec.title}`);
    const header = el("div", { className: "widget-header" }, el("h3", {}, widget.spec.title), remove);
    const body = el("div", { className: "widget-body" });
    const content = el("div", { className: "grid-stack-item-content widget" }, header, body);
    content.setAttribute("role", "region");
    content.setAttribute("aria-label", widget.spec.title);
    content.dataset.kind = widget.kind;
    const itemEl = el("div", { className: "grid-stack-item" }, content);
    itemEl.setAttribute("gs-id", name);
    this.bodies.set(name, body);
    this.grid.makeWidget(itemEl, { id: name, x: item.x, y: item.y, w: item.w, h: item.h });
    remove.addEventListener("click", () => {
      this.grid.removeWidget(itemEl);
      this.bodies.delete(name);
      this.events.removed(name);
    });
    return body;
  }

  body(name: string): HTMLElement | undefined {
    return this.bodies.get(name);
  }

  /** Where every widget is now, as GridStack has them. */
  positions(): LayoutItem[] {
    return toItems(this.grid.engine.nodes);
  }

  /** The widest widget body, for the level of detail of the history read. */
  widestBody(): number {
    return Math.max(200, ...[...this.bodies.values()].map((b) => b.clientWidth));
  }
}

function toItems(nodes: GridStackNode[]): LayoutItem[] {
  return nodes
    .filter((n) => typeof n.id === "string")
    .map((n) => ({ element: String(n.id), x: n.x ?? 0, y: n.y ?? 0, w: n.w ?? 1, h: n.h ?? 1 }));
}
