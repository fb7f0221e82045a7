// A dashboard's tabs and rows (schema 4): a tab bar when there are tabs, then the chosen tab's
// top grid and its rows, each a titled band that folds. One GridStack grid per section shown;
// widgets in a folded row or another tab are not placed, so they draw nothing and read no data
// until shown. In edit mode: add a row or a tab, remove a row, and choose where new widgets go.
import {
  type Dashboard,
  type LayoutItem,
  type LayoutRow,
  type PlacedItem,
  type SectionRef,
  type Widget,
  inSection,
  sectionValue,
} from "../core/dashboard.js";
import { el, labelled } from "./dom.js";
import { DashboardGrid, type GridEvents, type WidgetFrame } from "./editor-grid.js";

export interface SectionEvents extends GridEvents {
  /**
   * The rows or tabs change (applied to the layout as it is now, positions included): `persist`
   * when it is the dashboard's own (edit mode), not a reader folding a row.
   */
  layout: (change: (layout: Dashboard["layout"]) => Dashboard["layout"], persist: boolean) => void;
  /** Other widgets are shown now (a row opened or folded, another tab): place them and read their data. */
  reshow: () => void;
  /** Another tab was chosen (the address says which). */
  tabShown: () => void;
  /** A widget was dropped on another section ("row:<id>", "tab:<id>", "top"; see sectionOf). */
  moveTo: (name: string, section: string) => void;
}

type Layout = Dashboard["layout"];
const newId = (prefix: string, taken: readonly { id: string }[]) => {
  for (let i = 1; ; i++) if (!taken.some((t) => t.id === `${prefix}${i}`)) return `${prefix}${i}`;
};

export class DashboardSections {
  readonly element = el("div", { className: "dashboard-sections" });
  private readonly grids = new Map<string, { grid: DashboardGrid; section: SectionRef }>();
  private layout: Layout = { items: [], rows: [], tabs: [] };
  private activeTab: string | undefined;
  private readonly target = el("select", { name: "section" });

  constructor(
    private readonly events: SectionEvents,
    private readonly readOnly: boolean,
  ) {}

  /** Builds the tab bar, the rows and a grid for each section shown (empty until widgets are added). */
  show(layout: Layout, emptyText: string): void {
    for (const { grid } of this.grids.values()) grid.destroy();
    this.grids.clear();
    this.layout = layout;
    if (!layout.tabs.some((t) => t.id === this.activeTab)) this.activeTab = layout.tabs[0]?.id;
    const tab = this.activeTab;
    const parts: HTMLElement[] = [];
    if (layout.tabs.length) parts.push(this.tabBar());
    const rows = layout.rows.filter((r) => (r.tab ?? layout.tabs[0]?.id) === tab);
    const top = this.section(
      { ...(tab ? { tab } : {}) },
      rows.length ? (this.readOnly ? "" : "Widgets above the rows go here.") : emptyText,
    );
    top.element.classList.toggle("with-rows", rows.length > 0);
    top.element.dataset.drop = tab ? `tab:${tab}` : "top";
    parts.push(top.element);
    for (const row of rows) parts.push(this.rowBand(row));
    if (!this.readOnly) parts.push(this.toolbar());
    this.element.replaceChildren(...parts);
  }

  /** Whether an item is in a section shown now (its widget is drawn and reads data). */
  shows(item: PlacedItem): boolean {
    return [...this.grids.values()].some(({ section }) => inSection(item, section, this.layout));
  }

  /** Adds a widget's frame to the grid of its section (which must be shown). */
  add(name: string, widget: Widget, item: PlacedItem): WidgetFrame | undefined {
    const held = [...this.grids.values()].find(({ section }) => inSection(item, section, this.layout));
    return held?.grid.add(name, widget, item);
  }

  frame(name: string): WidgetFrame | undefined {
    for (const { grid } of this.grids.values()) {
      const frame = grid.frame(name);
      if (frame) return frame;
    }
    return undefined;
  }

  retitle(name: string, title: string): void {
    for (const { grid } of this.grids.values()) grid.retitle(name, title);
  }

  /** Where every widget shown is now (those not shown keep their places). */
  positions(): LayoutItem[] {
    return [...this.grids.values()].flatMap(({ grid }) => grid.positions());
  }

  /**
   * Sizes the grid rows so that every section shown fits in `height` px (a wall screen's fit),
   * but never a widget shorter than `leastWidgetPx`. Returns the row height chosen.
   */
  fitTo(height: number, leastWidgetPx: number): number | undefined {
    const grids = [...this.grids.values()].map(({ grid }) => grid);
    const taken = grids.map((g) => g.rowsTaken()).filter((t) => t.rows > 0);
    const rows = taken.reduce((sum, t) => sum + t.rows, 0);
    if (rows === 0) return undefined;
    // What is not grid rows (tabs, row headers) stays as it is.
    const gridsNow = grids.reduce((sum, g) => sum + g.element.offsetHeight, 0);
    const around = this.element.offsetHeight - gridsNow;
    const smallest = Math.min(...taken.map((t) => t.smallest));
    const rowPx = Math.max(Math.ceil(leastWidgetPx / smallest), Math.floor((height - around) / rows));
    for (const g of grids) g.setRowHeight(rowPx);
    return rowPx;
  }

  widestBody(): number {
    return Math.max(200, ...[...this.grids.values()].map(({ grid }) => grid.widestBody()));
  }

  /** The tab shown, when it is not the first (for the address: `?tab=<id>`). */
  shownTab(): string | undefined {
    return this.activeTab !== undefined && this.activeTab !== this.layout.tabs[0]?.id ? this.activeTab : undefined;
  }

  /** Shows a tab (from the address) the next time the sections are shown. */
  chooseTab(id: string | null): void {
    if (id) this.activeTab = id;
  }

  /** The sections a widget can be put in, in words, for its settings: "top", "row HV", "tab Trigger". */
  places(): { value: string; label: string }[] {
    const { tabs, rows } = this.layout;
    const tabTitle = (id: string | undefined) => tabs.find((t) => t.id === (id ?? tabs[0]?.id))?.title;
    const top = tabs.length
      ? tabs.map((t) => ({ value: `tab:${t.id}`, label: `top of tab ${t.title}` }))
      : [{ value: "top", label: "the top" }];
    return [
      ...top,
      ...rows.map((r) => ({ value: `row:${r.id}`, label: `row ${r.title}${tabs.length ? ` (tab ${tabTitle(r.tab)})` : ""}` })),
    ];
  }

  /** Where the add form puts a new widget: the section chosen in the toolbar, else the tab's top. */
  targetSection(): SectionRef {
    const [kind, id] = this.target.value.split(":");
    if (kind === "row" && id) return { row: id };
    return this.activeTab ? { tab: this.activeTab } : {};
  }

  /**
   * A widget dragged over another row (folded or not), the top of its tab or another tab's title
   * is marked there, and let go there it moves there, at the first free place.
   */
  private dragAt(name: string, x: number, y: number, ended: boolean): void {
    const item = this.layout.items.find((i) => i.element === name);
    const target = document
      .elementsFromPoint(x, y)
      .find((e) => !e.closest(".ui-draggable-dragging") && e.closest("[data-drop]"))
      ?.closest<HTMLElement>("[data-drop]");
    const elsewhere = item && target && target.dataset.drop !== sectionValue(item, this.layout) ? target : undefined;
    for (const marked of this.element.querySelectorAll(".drop-target"))
      if (marked !== elsewhere) marked.classList.remove("drop-target");
    if (!ended) elsewhere?.classList.add("drop-target");
    else if (elsewhere) {
      elsewhere.classList.remove("drop-target");
      // After GridStack has finished with the drag: moving rebuilds the grids, this one too.
      const section = elsewhere.dataset.drop!;
      setTimeout(() => this.events.moveTo(name, section), 0);
    }
  }

  private section(section: SectionRef, emptyText: string): DashboardGrid {
    const grid = new DashboardGrid({ ...this.events, dragAt: (...at) => this.dragAt(...at) }, this.readOnly);
    grid.element.dataset.empty = emptyText;
    this.grids.set(section.row ? `row:${section.row}` : `tab:${section.tab ?? ""}`, { grid, section });
    return grid;
  }

  private tabBar(): HTMLElement {
    const bar = el("div", { className: "dashboard-tabs" });
    bar.setAttribute("role", "tablist");
    bar.setAttribute("aria-label", "Tabs of this dashboard");
    for (const tab of this.layout.tabs) {
      const button = el("button", { type: "button", className: "dashboard-tab", textContent: tab.title });
      button.setAttribute("role", "tab");
      button.setAttribute("aria-selected", String(tab.id === this.activeTab));
      button.dataset.drop = `tab:${tab.id}`;
      button.addEventListener("click", () => {
        if (tab.id === this.activeTab) return;
        this.activeTab = tab.id;
        this.events.reshow();
        this.events.tabShown();
      });
      bar.append(button);
    }
    return bar;
  }

  private rowBand(row: LayoutRow): HTMLElement {
    const count = this.layout.items.filter((i) => i.row === row.id).length;
    const toggle = el("button", {
      type: "button",
      className: "row-toggle",
      textContent: `${row.collapsed ? "▸" : "▾"} ${row.title}`,
    });
    toggle.setAttribute("aria-expanded", String(!row.collapsed));
    toggle.title = row.collapsed ? `Open: ${count} widget${count === 1 ? "" : "s"}` : "Fold";
    toggle.addEventListener("click", () => this.toggleRow(row.id));
    const header = el(
      "div",
      { className: "row-header" },
      toggle,
      el("span", { className: "row-count" }, row.collapsed ? `${count} widget${count === 1 ? "" : "s"}` : ""),
    );
    if (!this.readOnly) {
      const remove = el("button", { type: "button", className: "row-remove", textContent: "Remove row" });
      remove.setAttribute("aria-label", `Remove row ${row.title} (its widgets move up to the tab)`);
      remove.addEventListener("click", () => this.removeRow(row));
      header.append(remove);
    }
    const band = el("section", { className: "dashboard-row" }, header);
    band.setAttribute("aria-label", `Row ${row.title}`);
    band.dataset.drop = `row:${row.id}`;
    if (!row.collapsed) band.append(this.section({ row: row.id }, "No widgets in this row yet.").element);
    return band;
  }

  private toggleRow(id: string): void {
    const fold = (l: Layout) => ({ ...l, rows: l.rows.map((r) => (r.id === id ? { ...r, collapsed: !r.collapsed } : r)) });
    this.events.layout(fold, !this.readOnly);
  }

  /** Removes a row; its widgets move up to its tab's top, below what is there. */
  private removeRow(row: LayoutRow): void {
    const unrow = (l: Layout): Layout => ({
      ...l,
      rows: l.rows.filter((r) => r.id !== row.id),
      items: l.items.map((i) => {
        if (i.row !== row.id) return i;
        const { row: _gone, ...rest } = i;
        return { ...rest, y: rest.y + 1000, ...(row.tab ? { tab: row.tab } : {}) };
      }),
    });
    this.events.layout(unrow, true);
  }

  /** Edit mode: add a row or a tab, and where new widgets go. */
  private toolbar(): HTMLElement {
    const title = el("input", { type: "text", name: "sectionTitle", maxLength: 100, placeholder: "e.g. HV" });
    const addRow = el("button", { type: "button", textContent: "Add row" });
    const addTab = el("button", { type: "button", textContent: "Add tab" });
    const named = (what: string) =>
      title.value.trim() || `${what} ${what === "Row" ? this.layout.rows.length + 1 : this.layout.tabs.length + 1}`;
    addRow.addEventListener("click", () => {
      const row: LayoutRow = {
        id: newId("r", this.layout.rows),
        title: named("Row"),
        collapsed: false,
        ...(this.activeTab ? { tab: this.activeTab } : {}),
      };
      this.events.layout((l) => ({ ...l, rows: [...l.rows, row] }), true);
    });
    addTab.addEventListener("click", () => {
      // The first tab holds what the dashboard had so far.
      const tabs = this.layout.tabs.length ? [...this.layout.tabs] : [{ id: "t1", title: "Main" }];
      const tab = { id: newId("t", tabs), title: named("Tab") };
      this.activeTab = tab.id;
      this.events.layout((l) => ({ ...l, tabs: [...tabs, tab] }), true);
    });
    const rows = this.layout.rows.filter((r) => (r.tab ?? this.layout.tabs[0]?.id) === this.activeTab);
    const previous = this.target.value;
    this.target.replaceChildren(
      el("option", { value: "top", textContent: this.layout.tabs.length ? "the top of this tab" : "the top" }),
      ...rows.map((r) => el("option", { value: `row:${r.id}`, textContent: `row ${r.title}` })),
    );
    if ([...this.target.options].some((o) => o.value === previous)) this.target.value = previous;
    const bar = el(
      "div",
      { className: "sections-toolbar" },
      labelled("New widgets go to", this.target),
      labelled("Row or tab title", title),
      addRow,
      addTab,
    );
    return bar;
  }
}
