// The dashboard editor, assembled from its parts: the add-widget form (editor-form.ts), the grid
// (editor-grid.ts), each widget's settings (editor-settings.ts), the data the widgets declare
// (series-feed.ts, over the per-run snapshots and the live tail), the drawings (widgets.ts) and
// saving (editor-save.ts). Widgets whose data changed redraw together, once per animation frame.
import type { ObservableInfo } from "../core/catalog.js";
import { type Widget, addWidget, applyPositions, emptyDashboard, removeWidget } from "../core/dashboard.js";
import { DEFAULT_SIZE } from "../core/widget-kinds.js";
import { fetchCatalog, fetchDashboard, fetchRuns, fetchSession, type Session } from "./api.js";
import type { DashboardAccess } from "../core/access.js";
import { sessionBadge } from "./session-badge.js";
import { sharingPanel } from "./editor-share.js";
import { el, frameScheduler } from "./dom.js";
import { getDuckDB } from "./duckdb.js";
import { saveControls } from "./editor-save.js";
import { addWidgetForm } from "./editor-form.js";
import { DashboardGrid } from "./editor-grid.js";
import { openWidgetSettings } from "./editor-settings.js";
import { refetchControl } from "./refetch-control.js";
import { type DataNeed, SeriesFeed } from "./series-feed.js";
import { themeToggle } from "./theme.js";
import { type WidgetView, createWidgetView, keysOf, needsOf } from "./widgets.js";

export function dashboardIdFromLocation(loc: Location = location): string | undefined {
  const match = /\/d\/([A-Za-z0-9_-]{6,40})\/?$/.exec(loc.pathname);
  return match?.[1] ?? new URLSearchParams(loc.search).get("id") ?? undefined;
}

/** The status line: what happened last, in words. */
function statusLine() {
  const element = el("p", { className: "status", role: "status" });
  const set = (text: string, isError = false) => {
    element.textContent = text;
    element.classList.toggle("error", isError);
  };
  return { element, set };
}

/** What the user may do with the dashboard they have open. */
type Right = "share" | "edit" | "view";

/** Opens the dashboard in the address (a new one when there is none), with what the user may do with it. */
async function openDashboard(
  session: Session,
  setStatus: (text: string, isError?: boolean) => void,
): Promise<{
  dashboard: ReturnType<typeof emptyDashboard>;
  saved?: { id: string; revision: number };
  right: Right;
  access?: DashboardAccess;
}> {
  const id = dashboardIdFromLocation();
  const fresh = { dashboard: emptyDashboard(), right: (session.rights.includes("create-dashboard") ? "share" : "view") as Right };
  if (!id) return fresh;
  try {
    const record = await fetchDashboard(id);
    return {
      dashboard: record.dashboard,
      saved: { id: record.id, revision: record.revision },
      right: record.right,
      access: record.access,
    };
  } catch (error) {
    setStatus(`Could not open dashboard ${id}: ${error instanceof Error ? error.message : String(error)}`, true);
    return fresh;
  }
}

export async function mountEditor(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-editor");
  // DuckDB-WASM takes a few hundred ms to start: start it now, while the catalog and the
  // dashboard are fetched, not when the first widget asks for data.
  getDuckDB().catch(() => undefined);
  const status = statusLine();
  let catalog: ObservableInfo[];
  let session: Session;
  try {
    [catalog, session] = await Promise.all([fetchCatalog().then((c) => c.observables), fetchSession()]);
  } catch (error) {
    root.replaceChildren(el("p", { className: "error" }, `runboard server not reachable: ${String(error)}`));
    return;
  }
  const infoByName = new Map(catalog.map((o) => [o.name, o]));
  const info = (name: string) => infoByName.get(name);
  const opened = await openDashboard(session, status.set);
  let dashboard = opened.dashboard;
  const saved = opened.saved;
  // The page shows only what the user may do; the server checks it again.
  const readOnly = opened.right === "view";

  const liveStatus = el("span", { className: "live-status" });
  liveStatus.setAttribute("aria-label", "Live connection");
  const dataTaken = el("p", { className: "data-taken" });

  // --- drawing: widgets marked dirty are redrawn together once per frame ----------------------
  const views = new Map<string, { view: WidgetView; widget: Widget }>();
  const render = (name: string) => {
    const frame = grid.frame(name);
    const widget = dashboard.elements[name];
    if (!frame || !widget) return;
    let held = views.get(name);
    if (!held || held.widget !== widget) {
      held = { view: createWidgetView(widget), widget };
      views.set(name, held);
      frame.body.replaceChildren(held.view.element);
    }
    const now = Date.now();
    const text = held.view.update(
      widget,
      {
        info,
        series: (o, c) => feed.buffer(o, c),
        grid: (o) => feed.grid(o),
        arrays: (o, runs) => feed.arrayReadings(o, runs),
        runs: feed.runs(),
        now,
        window: feed.current()?.window ?? { from: now - dashboard.windowSeconds * 1000, to: now },
        change: (next) => replaceWidget(name, next),
      },
      { width: frame.body.clientWidth, height: frame.body.clientHeight },
    );
    frame.caption.textContent = text.startsWith(`${widget.title}: `) ? text.slice(widget.title.length + 2) : text;
  };
  const scheduleRender = frameScheduler(render);
  const widgetsReading = (keys: ReadonlySet<string>) =>
    Object.entries(dashboard.elements)
      .filter(([, w]) => keysOf(w).some((k) => keys.has(k)))
      .map(([name]) => name);

  // --- data: the widgets declare, the feed fetches --------------------------------------------
  const feed = new SeriesFeed({
    base: new URL("/snapshots/", location.href),
    runs: () => fetchRuns(),
    live: true,
    pixels: () => grid.widestBody(),
    onData: (keys) => {
      scheduleRender(keys.size === 0 ? Object.keys(dashboard.elements) : widgetsReading(keys));
      const now = feed.current();
      if (now) {
        dataTaken.textContent = `History from the snapshot of ${now.snapshot.source}, updated ${new Date(now.snapshot.updatedAt).toLocaleString()}; run ${now.run.id} is ${now.run.status}.`;
      }
    },
    onLive: (text, state) => {
      liveStatus.textContent = text;
      liveStatus.dataset.state = state;
    },
    onStatus: status.set,
  });
  const needs = (): DataNeed[] =>
    Object.entries(dashboard.elements).flatMap(([name, w]) => needsOf(w, info, grid.frame(name)?.body.clientWidth ?? 600));
  const declare = () => feed.declare(needs(), dashboard.runSelection, dashboard.windowSeconds);

  const replaceWidget = (name: string, next: Widget) => {
    const before = dashboard.elements[name];
    dashboard = { ...dashboard, elements: { ...dashboard.elements, [name]: next } };
    grid.retitle(name, next.title);
    status.set("Unsaved changes");
    // A change of what is read needs the feed; a change of how it is drawn only a redraw.
    const reads = (w: Widget | undefined) => JSON.stringify(w && needsOf(w, info, 600));
    if (reads(before) !== reads(next)) void declare();
    scheduleRender([name]);
  };

  // --- the grid ---------------------------------------------------------------------------------
  const grid = new DashboardGrid(
    {
      moved: (items) => {
        dashboard = applyPositions(dashboard, items);
        status.set("Unsaved changes");
      },
      removed: (name) => {
        dashboard = removeWidget(dashboard, name);
        views.delete(name);
        status.set("Unsaved changes");
      },
      resized: (name) => {
        views.delete(name);
        scheduleRender([name]);
      },
      settings: (name) => {
        const widget = dashboard.elements[name];
        if (widget) openWidgetSettings(widget, info, (next) => replaceWidget(name, next));
      },
    },
    readOnly,
  );
  const place = (name: string, widget: Widget) => {
    grid.add(
      name,
      widget,
      dashboard.layout.items.find((i) => i.element === name)!,
    );
    render(name);
  };

  // --- header: title, save, share, theme ----------------------------------------------------
  const header = saveControls({
    title: dashboard.title,
    saved,
    current: () => applyPositions(dashboard, grid.positions()),
    onSaved: (next) => (dashboard = next),
    status: status.set,
  });

  const form = addWidgetForm(catalog, (widget) => {
    const [next, name] = addWidget(dashboard, widget, DEFAULT_SIZE[widget.kind]);
    dashboard = next;
    place(name, widget);
    status.set("Unsaved changes");
    void declare();
  });
  const refetch = refetchControl({
    placeholder: () => (feed.current() ? `run:${feed.current()!.run.id}` : ""),
    onDone: () => void feed.reload("re-fetched from the source"),
  });

  const viewOnly = el(
    "p",
    { className: "view-only" },
    saved
      ? `You may view this dashboard (you are a ${session.role}); ask its owner${opened.access?.owner ? `, ${opened.access.owner},` : ""} to share it with you as editor to change it.`
      : `You are a ${session.role}: you may view dashboards shared with you; an admin can make you an editor.`,
  );
  if (readOnly) header.title.querySelector("input")!.disabled = true;
  const sharing =
    opened.right === "share" && saved && opened.access && session.mode !== "none" ? sharingPanel(saved.id, opened.access) : "";
  root.replaceChildren(
    el(
      "div",
      { className: "editor-header" },
      header.title,
      ...(readOnly ? [] : [header.saveButton]),
      themeToggle(),
      liveStatus,
      sessionBadge(session),
    ),
    status.element,
    header.shareLink,
    sharing,
    readOnly ? viewOnly : form,
    grid.element,
    el("div", { className: "editor-footer" }, dataTaken, ...(session.rights.includes("refresh-snapshots") ? [refetch] : [])),
  );
  for (const item of dashboard.layout.items) place(item.element, dashboard.elements[item.element]!);
  grid.element.dataset.empty = readOnly ? "This dashboard has no widgets yet." : "No widgets yet: add one with the form above.";

  // Time moves on even without new readings: slide the windows, age the values.
  setInterval(() => scheduleRender(Object.keys(dashboard.elements)), 5000);
  await declare();
}
