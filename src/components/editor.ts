// The dashboard page, assembled from its parts: the run and time controls (time-bar.ts), the
// add-widget form (editor-form.ts), the grid (editor-grid.ts), each widget's settings
// (editor-settings.ts), the data the widgets declare (series-feed.ts, over the per-run snapshots
// and the live tail), the drawings (widgets.ts), saving, copies and export (editor-save.ts), the
// link (editor-link.ts) and the history (editor-history.ts). `/d/<id>` opens in view mode (no
// editing chrome); Edit (`?edit`) switches to the editor. Widgets whose data changed redraw
// together, once per animation frame.
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import {
  type Dashboard,
  type PlacedItem,
  type Widget,
  addWidget,
  applyPositions,
  moveToSection,
  sectionOf,
  sectionValue,
  sameLayout,
  removeWidget,
} from "../core/dashboard.js";
import {
  type TimeChoice,
  describeRuns,
  describeWindow,
  formatWindow,
  sameTime,
  timeFromQuery,
  timeQuery,
} from "../core/dashboard-time.js";
import { type RunFlag, flagBands, flagsByRun, runVerdict } from "../core/flags.js";
import { describeErrors } from "../core/validation.js";
import { DEFAULT_SIZE } from "../core/widget-kinds.js";
import { fetchRuns } from "./api.js";
import { type AlarmSpanListing, alarmChecks, fetchAlarmSpans } from "./alarm-checks.js";
import { alarmFeed } from "./alarm-feed.js";
import { markWidget, widgetAlarm } from "./widget-alarm-marks.js";
import { el, frameScheduler } from "./dom.js";
import { getDuckDB } from "./duckdb.js";
import { addWidgetForm } from "./editor-form.js";
import { DashboardSections } from "./editor-sections.js";
import { type ModeLink, copiedFrom, headerRow, notices, publishButton } from "./editor-header.js";
import { historyPanel } from "./editor-history.js";
import { copyLinkControl } from "./editor-link.js";
import { type EditorContext, loadEditorContext, statusLine } from "./editor-open.js";
import { saveControls } from "./editor-save.js";
import { openWidgetSettings } from "./editor-settings.js";
import { sharingPanel } from "./editor-share.js";
import { loadRunFlags } from "./flags-source.js";
import { enterKiosk, freshnessBadge, kioskMode } from "./kiosk.js";
import { followPlaylist, playlistPlace } from "./playlist-player.js";
import { refetchControl } from "./refetch-control.js";
import { rangeChecks, runFlagsPanel } from "./run-flags.js";
import { type DataNeed, SeriesFeed } from "./series-feed.js";
import { siteNow } from "./site-mode.js";
import { shownText, timeBar } from "./time-bar.js";
import type { TimeControl } from "./chart-pointer.js";
import { openDataDialog } from "./widget-data-dialog.js";
import type { ExportSource } from "./widget-export.js";
import type { TimeWindow } from "../core/time-window.js";
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
  /** The stored layout is being put on the grid (its moves are not changes). */
  private placing = false;
  private choice: TimeChoice;
  private readonly mayEdit: boolean;
  private readonly editing: boolean;
  private readonly info: (name: string) => ObservableInfo | undefined;
  private readonly modeLinks: ModeLink[] = [];
  private readonly views = new Map<string, { view: WidgetView; widget: Widget }>();
  private readonly scheduleRender = frameScheduler((name: string) => this.render(name));
  private readonly liveStatus = el("span", { className: "live-status" });
  private readonly dataTaken = el("p", { className: "data-taken" });
  /** The flags last loaded, and their bands as of the runs last known (see flagBandsNow). */
  private flags: readonly RunFlag[] = [];
  private bands: { runs: readonly RunInfo[]; bands: FlagBand[] } | undefined;
  private verdictOf = (_run: number): string => "unreviewed";
  private flagsRead = false;
  /** The server's MAJOR alarm spans over the window, for the runs' flag proposals. */
  private alarmSpans: AlarmSpanListing[] = [];
  private flagCheck: ReturnType<typeof setTimeout> | undefined;
  private readonly time: ReturnType<typeof timeBar>;
  private readonly feed: SeriesFeed;
  private readonly grid: DashboardSections;
  private readonly flagsPanel: ReturnType<typeof runFlagsPanel>;
  /** A wall screen (?kiosk, &fit): the widgets alone, never edited. */
  private readonly kiosk = kioskMode();
  /** Live or polled, the data are late once older than twice the refresh (15 s for live's poll). */
  private readonly freshness = freshnessBadge(() =>
    this.choice.refreshSeconds > 0 ? this.choice.refreshSeconds * 1000 : 15_000,
  );

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
      !this.kiosk.kiosk &&
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
    this.grid.chooseTab(new URLSearchParams(location.search).get("tab"));
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
    const tab = this.grid.shownTab();
    if (tab) keep.tab = tab;
    if (opened.origin === "revision") keep.revision = String(opened.saved!.revision);
    if (this.kiosk.kiosk) keep.kiosk = "";
    if (this.kiosk.fit) keep.fit = "";
    const place = playlistPlace();
    if (place) Object.assign(keep, { playlist: place.id, step: String(place.step) });
    return timeQuery(this.choice, defaultsOf(this.dashboard), keep);
  }

  /** The address says what is on screen; `push` makes a new history entry (a zoom Back undoes). */
  private writeAddress(push = false): void {
    const path = this.saved ? `/d/${this.saved.id}` : location.pathname;
    const hash = this.context.opened.origin === "link" && !this.saved ? location.hash : "";
    if (push) history.pushState(null, "", `${path}${this.query()}${hash}`);
    else history.replaceState(null, "", `${path}${this.query()}${hash}`);
    this.pointModeLinks();
  }

  // --- zoom and pan from the charts' time axes -----------------------------------------------

  /** The span a pan or wheel gesture shows until its data is read (see TimeControl). */
  private preview: TimeWindow | undefined;
  private previewRest: ReturnType<typeof setTimeout> | undefined;
  private readonly resetZoom = el("button", { type: "button", className: "reset-zoom", textContent: "Reset zoom", hidden: true });

  readonly timeControl: TimeControl = {
    zoom: (from, to) => this.zoomTo(from, to),
    preview: (from, to) => {
      this.preview = { from, to };
      this.renderAll();
      clearTimeout(this.previewRest);
      // Read when the gesture rests: one history entry and one read per gesture.
      this.previewRest = setTimeout(() => {
        this.preview = undefined;
        this.zoomTo(from, to);
      }, 300);
    },
  };

  /** Zooms the whole dashboard to [from, to]: in the address (Back undoes it), read afresh. */
  private zoomTo(from: number, to: number): void {
    if (!(to > from)) return;
    this.showTime({ ...this.choice, window: { kind: "absolute", from: Math.floor(from), to: Math.ceil(to) } }, true);
  }

  /** Shows a choice of runs and time: the time bar, the address, Reset, and the data for it. */
  private showTime(choice: TimeChoice, push: boolean): void {
    this.choice = choice;
    this.time.setChoice(choice);
    this.writeAddress(push);
    this.time.setIsDefault(sameTime(choice, defaultsOf(this.dashboard)));
    this.showReset();
    void this.declare();
  }

  /** Reset is offered while a zoom (a fixed span other than the dashboard's own) is shown. */
  private showReset(): void {
    const own = defaultsOf(this.dashboard).window;
    this.resetZoom.hidden = this.choice.window.kind !== "absolute" || formatWindow(this.choice.window) === formatWindow(own);
  }

  /** Back and Forward: the runs and time the address then said. */
  private onHistory(): void {
    this.showTime(timeFromQuery(location.search, defaultsOf(this.dashboard)).choice, false);
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
        this.showReset();
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
    const data = feedData(this.feed, this.info, window, this.flagBandsNow(), (next) => this.replaceWidget(name, next), {
      control: this.timeControl,
      preview: this.preview,
    });
    const caption = (text: string) => (text.startsWith(`${widget.title}: `) ? text.slice(widget.title.length + 2) : text);
    const size = contentBox(frame.body);
    frame.caption.textContent = caption(held.view.update(widget, data, size));
    // A caption that took a line more or less resized the body the chart was drawn for ("loading…"
    // becoming two lines of notes): drawn again at the body's new size, its axis stays inside.
    const now2 = contentBox(frame.body);
    if (now2.height !== size.height || now2.width !== size.width)
      frame.caption.textContent = caption(held.view.update(widget, data, now2));
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
      onUpdated: (at) => this.freshness.updated(at),
      onLive: (text, state) => {
        this.liveStatus.textContent = text;
        this.liveStatus.dataset.state = state;
      },
      // "" takes back what the feed said (an error, "waiting"): the line says again what stands.
      onStatus: (text, isError) => this.status.set(text || (this.dirty ? "Unsaved changes" : ""), isError),
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

  /** What the widgets shown need (one in a folded row or another tab reads nothing). */
  private needs(): DataNeed[] {
    return this.dashboard.layout.items
      .filter((item) => this.grid.shows(item))
      .flatMap(({ element }) => {
        const w = this.dashboard.elements[element];
        return w ? needsOf(w, this.info, this.grid.frame(element)?.body.clientWidth ?? 600) : [];
      });
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

  /** Puts a widget in another row or tab ("row:<id>", "tab:<id>", "top"), at its first free place. */
  private moveWidget(name: string, section: string): void {
    this.dashboard = moveToSection(applyPositions(this.dashboard, this.grid.positions()), name, sectionOf(section));
    this.changed();
    this.reshow();
  }

  private makeGrid(): DashboardSections {
    return new DashboardSections(
      {
        layout: (change, persist) => {
          const current = applyPositions(this.dashboard, this.grid.positions());
          this.dashboard = { ...current, layout: change(current.layout) };
          if (persist) this.changed();
          this.reshow();
        },
        reshow: () => {
          this.dashboard = applyPositions(this.dashboard, this.grid.positions());
          this.reshow();
        },
        tabShown: () => this.writeAddress(),
        moveTo: (name, section) => this.moveWidget(name, section),
        moved: (items) => {
          const next = applyPositions(this.dashboard, items);
          if (sameLayout(next.layout, this.dashboard.layout)) return;
          this.dashboard = next;
          // The grid compacting a stored layout as it places it is not the user's change.
          if (!this.placing) this.changed();
        },
        removed: (name) => {
          const widget = this.dashboard.elements[name];
          const item = this.dashboard.layout.items.find((i) => i.element === name);
          this.dashboard = removeWidget(this.dashboard, name);
          this.views.delete(name);
          this.changed();
          if (widget && item)
            this.status.set(`Removed “${widget.title}” (unsaved changes).`, false, {
              label: "Undo",
              run: () => this.restoreWidget(widget, item),
            });
        },
        resized: (name) => {
          this.views.delete(name);
          this.scheduleRender([name]);
        },
        settings: (name) => {
          const widget = this.dashboard.elements[name];
          const item = this.dashboard.layout.items.find((i) => i.element === name);
          if (!widget || !item) return;
          const place = {
            options: this.grid.places(),
            current: sectionValue(item, this.dashboard.layout),
            move: (value: string) => this.moveWidget(name, value),
          };
          openWidgetSettings(widget, this.info, (next) => this.replaceWidget(name, next), place);
        },
        data: (name) => {
          const widget = this.dashboard.elements[name];
          if (widget) void openDataDialog(widget, this.exportSource());
        },
      },
      !this.editing,
    );
  }

  /** What a widget's Data dialog reads: the snapshot and runs shown, the window, the live tail. */
  private exportSource(): ExportSource | undefined {
    const shown = this.feed.source();
    const now = this.feed.current();
    if (!shown || !now) return undefined;
    return {
      ...shown,
      runList: this.feed.runs(),
      window: this.preview ?? now.window,
      info: this.info,
      buffer: (o, c) => this.feed.buffer(o, c),
      grid: (o) => this.feed.grid(o),
      arrays: (o, runs) => this.feed.arrayReadings(o, runs),
    };
  }

  /** Puts back a widget the user removed, where it was. */
  private restoreWidget(widget: Widget, item: PlacedItem): void {
    const { elements, layout } = this.dashboard;
    this.dashboard = {
      ...this.dashboard,
      elements: { ...elements, [item.element]: widget },
      layout: { ...layout, items: [...layout.items, item] },
    };
    this.place(item.element, widget);
    this.changed();
    void this.declare();
  }

  /** Puts a widget on its section's grid and draws it, if its section is shown. */
  private place(name: string, widget: Widget): void {
    const item = this.dashboard.layout.items.find((i) => i.element === name);
    if (item && this.grid.add(name, widget, item)) this.render(name);
    this.markAlarms();
  }

  /** Borders widgets whose observable is in alarm (not in a published review: no alarms there). */
  private markAlarms(): void {
    if (this.context.review) return;
    const { alarms } = alarmFeed().picture();
    for (const [name, widget] of Object.entries(this.dashboard.elements)) {
      const frame = this.grid.frame(name);
      if (frame) markWidget(frame.region, frame.heading, widgetAlarm(widget, alarms.values()));
    }
  }

  /** Rows opened or folded, another tab: the sections again, and the data the widgets shown need. */
  private reshow(): void {
    this.showGrid();
    void this.declare();
  }

  // --- flags on the runs shown: bands on the time axes, the panel, the widgets' proposals ------

  private makeFlagsPanel(): ReturnType<typeof runFlagsPanel> {
    const { review, base, session } = this.context;
    return runFlagsPanel({
      ...(review ? { load: () => loadRunFlags(base, null) } : {}),
      session,
      status: this.status.set,
      shown: () => {
        const now = this.feed.current();
        return now ? { runs: this.feed.runs().filter((r) => now.runs.includes(r.id)), window: now.window } : undefined;
      },
      allRuns: () => this.feed.runs(),
      checks: (run) => [
        ...rangeChecks(run, Object.values(this.dashboard.elements), this.info, (o, c) => this.feed.buffer(o, c)),
        ...alarmChecks(run, this.alarmSpans),
      ],
      // The server's MAJOR alarm spans over the window shown (a published review has no server).
      ...(review
        ? {}
        : {
            alsoLoad: async () => {
              const window = this.feed.current()?.window;
              if (window) this.alarmSpans = await fetchAlarmSpans(window.from, window.to);
            },
          }),
      onFlags: (flags) => {
        // The same flags read again (each refresh, and once the window is known): nothing to
        // redraw, and a chart someone is pointing at keeps its drawing.
        const key = (list: readonly RunFlag[]) => list.map((f) => `${f.id}${f.withdrawn ? "-" : ""}`).join();
        if (this.flagsRead && key(flags) === key(this.flags)) return;
        this.flagsRead = true;
        this.flags = flags;
        this.bands = undefined;
        const byRun = flagsByRun(flags);
        this.verdictOf = (id) => runVerdict(byRun.get(id) ?? []);
        this.time.setRuns(this.feed.runs(), this.verdictOf);
        this.renderAll();
      },
    });
  }

  /**
   * The flags' bands on the time axes. A flag on a whole run takes the run's span, so the bands
   * are made again once the runs are known (the flags may load first) and as a running one grows.
   */
  private flagBandsNow(): FlagBand[] {
    const runs = this.feed.runs();
    if (this.bands?.runs === runs && runs.every((r) => r.stop !== null)) return this.bands.bands;
    const runSpan = (id: number) => {
      const run = runs.find((r) => r.id === id);
      return run ? { from: run.start, to: run.stop ?? siteNow() } : undefined;
    };
    this.bands = { runs, bands: flagBands(this.flags, runSpan) };
    return this.bands.bands;
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
      tags: this.dashboard.tags ?? [],
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
    if (this.kiosk.kiosk) return this.startKiosk();
    const { opened, session, review, catalog } = this.context;
    void this.flagsPanel.refresh();
    // Flags set by colleagues appear within half a minute (a review's are frozen).
    if (!review) setInterval(() => void this.flagsPanel.refresh(), 30_000);
    const { save, link, publish } = this.controls();
    const form = addWidgetForm(catalog, (widget) => {
      const [next, name] = addWidget(this.dashboard, widget, DEFAULT_SIZE[widget.kind], this.grid.targetSection());
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
    addEventListener("popstate", () => this.onHistory());
    this.resetZoom.addEventListener("click", () => {
      this.showTime({ ...this.choice, window: defaultsOf(this.dashboard).window }, true);
    });
    this.time.element.append(this.resetZoom);
    this.showReset();
    // Leaving with unsaved changes asks first (the browser's own question).
    addEventListener("beforeunload", (event) => {
      if (this.editing && this.dirty) event.preventDefault();
    });
    // Time moves on even without new readings: slide the windows, age the values.
    setInterval(() => this.renderAll(), 5000);
    this.followAlarms();
    await this.declare();
    // Once the window is known: the server's alarm spans for the flag proposals.
    void this.flagsPanel.refresh();
  }

  /** Widgets' alarm marks follow the alarm news (what is known now, then each change). */
  private followAlarms(): void {
    if (this.context.review) return;
    alarmFeed().listen((_picture, _rose, changed) => {
      if (changed > 0) this.markAlarms();
    });
    this.markAlarms();
  }

  /** A wall screen: the title, the live state and "updated hh:mm:ss" over the widgets alone. */
  private async startKiosk(): Promise<void> {
    enterKiosk();
    const title = el("strong", { className: "kiosk-title" }, this.dashboard.title);
    const bar = el("div", { className: "kiosk-bar" }, title, this.liveStatus, this.freshness.element);
    const place = playlistPlace();
    if (place) followPlaylist(bar, place);
    this.root.replaceChildren(bar, this.status.element, this.grid.element);
    this.showGrid();
    if (this.kiosk.fit) {
      let settle: ReturnType<typeof setTimeout> | undefined;
      addEventListener("resize", () => {
        clearTimeout(settle);
        settle = setTimeout(() => this.fitScreen(), 150);
      });
    }
    setInterval(() => this.renderAll(), 5000);
    this.followAlarms();
    await this.declare();
  }

  /** Every widget on the screen, no scroll bar, none shorter than a readable 110 px. */
  private fitScreen(): void {
    const top = this.grid.element.getBoundingClientRect().top + scrollY;
    const bottom =
      Number.parseFloat(getComputedStyle(document.getElementById("observablehq-center") ?? document.body).paddingBottom) || 0;
    if (this.grid.fitTo(innerHeight - top - bottom - 2, 110) !== undefined) this.renderAll();
  }

  private showGrid(): void {
    if (this.dirty) this.status.set("Unsaved changes");
    this.pointModeLinks();
    const empty = this.editing ? "No widgets yet: add one with the form above." : "This dashboard has no widgets yet.";
    // The widgets' drawings go with their old frames.
    this.views.clear();
    this.grid.show(this.dashboard.layout, empty);
    // Top to bottom, as the grid lays them out: an item placed above one already there moves it.
    const items = [...this.dashboard.layout.items].sort((a, b) => a.y - b.y || a.x - b.x);
    this.placing = true;
    for (const item of items) this.place(item.element, this.dashboard.elements[item.element]!);
    this.placing = false;
    if (!this.editing) this.grid.element.setAttribute("aria-label", `${this.dashboard.title}, view mode`);
    if (this.kiosk.fit) requestAnimationFrame(() => this.fitScreen());
  }
}

/** An element's inner size, less its padding: the room a drawing has. */
function contentBox(element: HTMLElement): { width: number; height: number } {
  const style = getComputedStyle(element);
  const px = (v: string) => Number.parseFloat(v) || 0;
  return {
    width: element.clientWidth - px(style.paddingLeft) - px(style.paddingRight),
    height: element.clientHeight - px(style.paddingTop) - px(style.paddingBottom),
  };
}
