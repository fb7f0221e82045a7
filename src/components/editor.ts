// The dashboard page, assembled from its parts: the run and time controls (time-bar.ts), the
// add-widget form (editor-form.ts), the grid (editor-grid.ts), each widget's settings
// (editor-settings.ts), the data the widgets declare (series-feed.ts, over the per-run snapshots
// and the live tail), the drawings (widgets.ts), saving, copies and export (editor-save.ts), the
// link (editor-link.ts) and the history (editor-history.ts). `/d/<id>` opens in view mode (no
// editing chrome); Edit (`?edit`) switches to the editor. Widgets whose data changed redraw
// together, once per animation frame.
import type { ObservableInfo } from "../core/catalog.js";
import { type Dashboard, type Widget, addWidget, applyPositions, removeWidget } from "../core/dashboard.js";
import { type TimeChoice, describeRuns, describeWindow, sameTime, timeFromQuery, timeQuery } from "../core/dashboard-time.js";
import { flagBands, flagsByRun, runVerdict } from "../core/flags.js";
import { describeErrors } from "../core/validation.js";
import { DEFAULT_SIZE } from "../core/widget-kinds.js";
import { fetchRuns } from "./api.js";
import { el, frameScheduler } from "./dom.js";
import { getDuckDB } from "./duckdb.js";
import { addWidgetForm } from "./editor-form.js";
import { DashboardGrid } from "./editor-grid.js";
import { type ModeLink, copiedFrom, headerRow, notices, publishButton } from "./editor-header.js";
import { historyPanel } from "./editor-history.js";
import { copyLinkControl } from "./editor-link.js";
import { type EditorContext, loadEditorContext, statusLine } from "./editor-open.js";
import { saveControls } from "./editor-save.js";
import { openWidgetSettings } from "./editor-settings.js";
import { sharingPanel } from "./editor-share.js";
import { loadRunFlags } from "./flags-source.js";
import { refetchControl } from "./refetch-control.js";
import { rangeChecks, runFlagsPanel } from "./run-flags.js";
import { type DataNeed, SeriesFeed } from "./series-feed.js";
import { siteNow } from "./site-mode.js";
import { shownText, timeBar } from "./time-bar.js";
import type { FlagBand, WidgetView } from "./widget-common.js";
import { ensureWidgetStyles } from "./widget-styles.js";
import { createWidgetView, feedData, keysOf, needsOf } from "./widgets.js";

export { dashboardIdFromLocation } from "./editor-open.js";

export async function mountEditor(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-editor");
  // DuckDB-WASM takes a few hundred ms to start: start it now, while the catalog and the
  // dashboard are fetched, not when the first widget asks for data.
  getDuckDB().catch(() => undefined);
  const status = statusLine();
  const context = await loadEditorContext(root, status.set);
  if (!context) return;
  await new EditorPage(root, context, status).start();
}

const defaultsOf = (d: Dashboard): TimeChoice => ({
  runSelection: d.runSelection,
  window: d.window,
  refreshSeconds: d.refreshSeconds,
});

/**
 * The page, once its dashboard is open. It holds what the parts share (the document, the runs and
 * time chosen, whether it is saved and changed); each part owns the rest of its state: the time
 * bar, the feed, the grid, the flags panel, the header's controls.
 */
class EditorPage {
  private dashboard: Dashboard;
  private saved: { id: string; revision: number } | undefined;
  private dirty: boolean;
  private choice: TimeChoice;
  private readonly mayEdit: boolean;
  private readonly editing: boolean;
  private readonly info: (name: string) => ObservableInfo | undefined;
  private readonly modeLinks: ModeLink[] = [];
  private readonly views = new Map<string, { view: WidgetView; widget: Widget }>();
  private readonly scheduleRender = frameScheduler((name: string) => this.render(name));
  private readonly liveStatus = el("span", { className: "live-status" });
  private readonly dataTaken = el("p", { className: "data-taken" });
  private bands: FlagBand[] = [];
  private verdictOf = (_run: number): string => "unreviewed";
  private flagCheck: ReturnType<typeof setTimeout> | undefined;
  private readonly time: ReturnType<typeof timeBar>;
  private readonly feed: SeriesFeed;
  private readonly grid: DashboardGrid;
  private readonly flagsPanel: ReturnType<typeof runFlagsPanel>;

  constructor(
    private readonly root: HTMLElement,
    private readonly context: EditorContext,
    private readonly status: ReturnType<typeof statusLine>,
  ) {
    const { opened, catalog } = context;
    const infoByName = new Map(catalog.map((o) => [o.name, o]));
    this.info = (name) => infoByName.get(name);
    this.dashboard = opened.dashboard;
    this.saved = opened.origin === "revision" ? undefined : opened.saved;
    // A saved dashboard opens to be looked at; Edit (?edit) opens the editor. An old revision is
    // only looked at; the page shows only what the user may do, and the server checks it again.
    this.mayEdit = opened.right !== "view";
    this.editing =
      this.mayEdit &&
      opened.origin !== "revision" &&
      (opened.origin !== "saved" || new URLSearchParams(location.search).has("edit"));
    document.body.classList.toggle("dashboard-viewing", !this.editing);
    this.dirty = opened.origin === "link" || opened.origin === "template";
    const fromAddress = timeFromQuery(location.search, defaultsOf(this.dashboard));
    this.choice = fromAddress.choice;
    if (fromAddress.errors.length) status.set(`Ignored in the address: ${describeErrors(fromAddress.errors)}`, true);
    this.liveStatus.setAttribute("aria-label", "Live connection");
    ensureWidgetStyles(); // the time bar's look, also before the first widget draws
    this.time = this.makeTimeBar();
    this.feed = this.makeFeed();
    this.grid = this.makeGrid();
    this.flagsPanel = this.makeFlagsPanel();
  }

  private changed(): void {
    this.dirty = true;
    this.status.set("Unsaved changes");
  }

  // --- runs and time: the address over the dashboard's defaults ------------------------------

  private query(): string {
    const keep: Record<string, string> = {};
    const { opened } = this.context;
    if (this.editing && opened.origin === "saved") keep.edit = "";
    if (opened.origin === "revision") keep.revision = String(opened.saved!.revision);
    return timeQuery(this.choice, defaultsOf(this.dashboard), keep);
  }

  private writeAddress(): void {
    const path = this.saved ? `/d/${this.saved.id}` : location.pathname;
    const hash = this.context.opened.origin === "link" && !this.saved ? location.hash : "";
    history.replaceState(null, "", `${path}${this.query()}${hash}`);
    this.pointModeLinks();
  }

  /** Links to the other mode (Edit, View): they keep the runs and time on screen. */
  private pointModeLinks(): void {
    if (!this.saved) return;
    for (const { link, keep } of this.modeLinks) {
      link.href = `/d/${this.saved.id}${timeQuery(this.choice, defaultsOf(this.dashboard), keep)}`;
      link.hidden = false;
    }
  }

  private makeTimeBar(): ReturnType<typeof timeBar> {
    const time = timeBar({
      choice: this.choice,
      utcOffsetMinutes: this.context.site.utcOffsetMinutes,
      // A review is frozen: there is nothing to refresh from.
      refresh: !this.context.review,
      onChange: (next) => {
        this.choice = next;
        this.writeAddress();
        time.setIsDefault(sameTime(this.choice, defaultsOf(this.dashboard)));
        void this.declare();
      },
      ...(this.editing
        ? {
            onMakeDefault: () => {
              this.dashboard = { ...this.dashboard, ...this.choice };
              time.setIsDefault(true);
              this.writeAddress();
              this.changed();
            },
          }
        : {}),
    });
    time.setIsDefault(sameTime(this.choice, defaultsOf(this.dashboard)));
    return time;
  }

  // --- drawing: widgets marked dirty are redrawn together once per frame ----------------------

  private render(name: string): void {
    const frame = this.grid.frame(name);
    const widget = this.dashboard.elements[name];
    if (!frame || !widget) return;
    let held = this.views.get(name);
    if (!held || held.widget !== widget) {
      held = { view: createWidgetView(widget), widget };
      this.views.set(name, held);
      frame.body.replaceChildren(held.view.element);
    }
    const now = siteNow();
    const fallback = this.choice.window.kind === "relative" ? this.choice.window.seconds : 3600;
    const window = { from: now - fallback * 1000, to: now };
    const data = feedData(this.feed, this.info, window, this.bands, (next) => this.replaceWidget(name, next));
    const text = held.view.update(widget, data, { width: frame.body.clientWidth, height: frame.body.clientHeight });
    frame.caption.textContent = text.startsWith(`${widget.title}: `) ? text.slice(widget.title.length + 2) : text;
  }

  private renderAll(): void {
    this.scheduleRender(Object.keys(this.dashboard.elements));
  }

  // --- data: the widgets declare, the feed fetches --------------------------------------------

  private makeFeed(): SeriesFeed {
    const { review, base, site } = this.context;
    return new SeriesFeed({
      base,
      runs: (snapshot) => (review ? Promise.resolve(snapshot.catalog.runs) : fetchRuns()),
      live: !review,
      pixels: () => this.grid.widestBody(),
      utcOffsetMinutes: site.utcOffsetMinutes,
      onData: (keys) => this.onData(keys),
      onLive: (text, state) => {
        this.liveStatus.textContent = text;
        this.liveStatus.dataset.state = state;
      },
      onStatus: this.status.set,
    });
  }

  private onData(keys: ReadonlySet<string>): void {
    const reading = Object.entries(this.dashboard.elements)
      .filter(([, w]) => keysOf(w).some((k) => keys.has(k)))
      .map(([name]) => name);
    this.scheduleRender(keys.size === 0 ? Object.keys(this.dashboard.elements) : reading);
    this.time.setRuns(this.feed.runs(), this.verdictOf);
    this.scheduleFlagCheck();
    const now = this.feed.current();
    if (now) {
      this.time.setShown(shownText(now.runs, now.window, now.note));
      this.dataTaken.textContent = `History from the snapshot of ${now.snapshot.source}, updated ${new Date(now.snapshot.updatedAt).toLocaleString()}; run ${now.run.id} is ${now.run.status}.`;
    } else {
      const over = describeWindow(this.choice.window, this.context.site.utcOffsetMinutes);
      this.time.setShown(`Nothing matches ${describeRuns(this.choice.runSelection)} over ${over}.`);
    }
  }

  private needs(): DataNeed[] {
    return Object.entries(this.dashboard.elements).flatMap(([name, w]) =>
      needsOf(w, this.info, this.grid.frame(name)?.body.clientWidth ?? 600),
    );
  }

  private declare(): Promise<void> {
    return this.feed.declare(this.needs(), this.choice);
  }

  private replaceWidget(name: string, next: Widget): void {
    const before = this.dashboard.elements[name];
    this.dashboard = { ...this.dashboard, elements: { ...this.dashboard.elements, [name]: next } };
    this.grid.retitle(name, next.title);
    if (this.editing) this.changed();
    // A change of what is read needs the feed; a change of how it is drawn only a redraw.
    const reads = (w: Widget | undefined) => JSON.stringify(w && needsOf(w, this.info, 600));
    if (reads(before) !== reads(next)) void this.declare();
    this.scheduleRender([name]);
  }

  // --- the grid ---------------------------------------------------------------------------------

  private makeGrid(): DashboardGrid {
    return new DashboardGrid(
      {
        moved: (items) => {
          this.dashboard = applyPositions(this.dashboard, items);
          this.changed();
        },
        removed: (name) => {
          this.dashboard = removeWidget(this.dashboard, name);
          this.views.delete(name);
          this.changed();
        },
        resized: (name) => {
          this.views.delete(name);
          this.scheduleRender([name]);
        },
        settings: (name) => {
          const widget = this.dashboard.elements[name];
          if (widget) openWidgetSettings(widget, this.info, (next) => this.replaceWidget(name, next));
        },
      },
      !this.editing,
    );
  }

  private place(name: string, widget: Widget): void {
    this.grid.add(
      name,
      widget,
      this.dashboard.layout.items.find((i) => i.element === name)!,
    );
    this.render(name);
  }

  // --- flags on the runs shown: bands on the time axes, the panel, the widgets' proposals ------

  private makeFlagsPanel(): ReturnType<typeof runFlagsPanel> {
    const { review, base, session } = this.context;
    const runSpan = (id: number) => {
      const run = this.feed.runs().find((r) => r.id === id);
      return run ? { from: run.start, to: run.stop ?? siteNow() } : undefined;
    };
    return runFlagsPanel({
      ...(review ? { load: () => loadRunFlags(base, null) } : {}),
      session,
      status: this.status.set,
      shown: () => {
        const now = this.feed.current();
        return now ? { runs: this.feed.runs().filter((r) => now.runs.includes(r.id)), window: now.window } : undefined;
      },
      allRuns: () => this.feed.runs(),
      checks: (run) => rangeChecks(run, Object.values(this.dashboard.elements), this.info, (o, c) => this.feed.buffer(o, c)),
      onFlags: (flags) => {
        this.bands = flagBands(flags, runSpan);
        const byRun = flagsByRun(flags);
        this.verdictOf = (id) => runVerdict(byRun.get(id) ?? []);
        this.time.setRuns(this.feed.runs(), this.verdictOf);
        this.renderAll();
      },
    });
  }

  private scheduleFlagCheck(): void {
    this.flagCheck ??= setTimeout(() => {
      this.flagCheck = undefined;
      this.flagsPanel.render();
    }, 1000);
  }

  // --- the page -----------------------------------------------------------------------------

  /** The header's controls: save, copy, export, delete, the link, publishing. */
  private controls() {
    const { opened, session, review } = this.context;
    const save = saveControls({
      title: this.dashboard.title,
      saved: this.saved,
      current: () => applyPositions(this.dashboard, this.grid.positions()),
      onSaved: (record) => {
        this.dashboard = record.dashboard;
        this.saved = { id: record.id, revision: record.revision };
        opened.origin = "saved";
        this.dirty = false;
        this.writeAddress();
      },
      status: this.status.set,
      changed: () => this.changed(),
      mayDelete: opened.right === "share",
    });
    const link = copyLinkControl({
      current: () => ({ ...applyPositions(this.dashboard, this.grid.positions()), title: save.titleInput.value, ...this.choice }),
      saved: () => this.saved,
      dirty: () => this.dirty,
      query: () => this.query(),
      status: this.status.set,
      offerSave: this.editing ? () => save.saveButton.focus() : undefined,
    });
    const mayPublish = !review && session.rights.includes("create-dashboard");
    const what = () => ({ saved: this.saved, runs: this.feed.current()?.runs, title: this.dashboard.title });
    const publish = mayPublish ? publishButton(what, this.status.set) : undefined;
    return { save, link, publish };
  }

  /** The history of a saved dashboard, and who may see it (for its owner and admins). */
  private footerParts() {
    const { opened, session } = this.context;
    const historyId = opened.saved?.id;
    const historyBox = historyId
      ? historyPanel({
          id: historyId,
          shown: opened.saved!.revision,
          mayRestore: this.mayEdit,
          query: () => timeQuery(this.choice, defaultsOf(this.dashboard)),
          onRestored: () => location.assign(`/d/${historyId}${timeQuery(this.choice, defaultsOf(this.dashboard))}`),
          status: this.status.set,
        })
      : "";
    const shareable = opened.right === "share" && this.saved && opened.access && session.mode !== "none";
    const sharing = shareable ? sharingPanel(this.saved!.id, opened.access!) : "";
    const refetch = refetchControl({
      placeholder: () => (this.feed.current() ? `run:${this.feed.current()!.run.id}` : ""),
      onDone: () => void this.feed.reload("re-fetched from the source"),
    });
    return { historyBox, sharing, refetch };
  }

  async start(): Promise<void> {
    const { opened, session, review, catalog } = this.context;
    void this.flagsPanel.refresh();
    // Flags set by colleagues appear within half a minute (a review's are frozen).
    if (!review) setInterval(() => void this.flagsPanel.refresh(), 30_000);
    const { save, link, publish } = this.controls();
    const form = addWidgetForm(catalog, (widget) => {
      const [next, name] = addWidget(this.dashboard, widget, DEFAULT_SIZE[widget.kind]);
      this.dashboard = next;
      this.place(name, widget);
      this.changed();
      void this.declare();
    });
    const { historyBox, sharing, refetch } = this.footerParts();
    if (this.editing && opened.origin === "saved") save.titleInput.setAttribute("aria-describedby", "");
    const { editing, mayEdit, saved, modeLinks, liveStatus } = this;
    const header = headerRow({
      session,
      review,
      editing,
      mayEdit,
      saved,
      title: this.dashboard.title,
      save,
      link,
      publish,
      liveStatus,
      modeLinks,
    });
    this.root.replaceChildren(
      header,
      copiedFrom(this.dashboard, review),
      this.time.element,
      this.status.element,
      ...notices(opened, session, review, mayEdit, !!saved),
      this.flagsPanel.element,
      sharing,
      editing ? form : "",
      this.grid.element,
      el(
        "div",
        { className: "editor-footer" },
        this.dataTaken,
        historyBox,
        ...(editing && session.rights.includes("refresh-snapshots") ? [refetch] : []),
      ),
    );
    this.showGrid();
    // Time moves on even without new readings: slide the windows, age the values.
    setInterval(() => this.renderAll(), 5000);
    await this.declare();
  }

  private showGrid(): void {
    if (this.dirty) this.status.set("Unsaved changes");
    this.pointModeLinks();
    for (const item of this.dashboard.layout.items) this.place(item.element, this.dashboard.elements[item.element]!);
    const empty = this.editing ? "No widgets yet: add one with the form above." : "This dashboard has no widgets yet.";
    this.grid.element.dataset.empty = empty;
    if (!this.editing) this.grid.element.setAttribute("aria-label", `${this.dashboard.title}, view mode`);
  }
}
