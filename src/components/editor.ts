// The dashboard page, assembled from its parts: the run and time controls (time-bar.ts), the
// add-widget form (editor-form.ts), the grid (editor-grid.ts), each widget's settings
// (editor-settings.ts), the data the widgets declare (series-feed.ts, over the per-run snapshots
// and the live tail), the drawings (widgets.ts), saving, copies and export (editor-save.ts), the
// link (editor-link.ts) and the history (editor-history.ts). `/d/<id>` opens in view mode (no
// editing chrome); Edit (`?edit`) switches to the editor. Widgets whose data changed redraw
// together, once per animation frame.
import type { ObservableInfo } from "../core/catalog.js";
import { type Dashboard, type Widget, addWidget, applyPositions, emptyDashboard, removeWidget } from "../core/dashboard.js";
import { type TimeChoice, describeRuns, describeWindow, sameTime, timeFromQuery, timeQuery } from "../core/dashboard-time.js";
import { decodeDashboardLink } from "../core/dashboard-link.js";
import { parseDashboard } from "../core/dashboard.js";
import { isPublishedReview, siteNow } from "./site-mode.js";
import { loadSnapshotWhenReady } from "./run-data.js";
import { describeErrors } from "../core/validation.js";
import { DEFAULT_SIZE } from "../core/widget-kinds.js";
import {
  fetchCatalog,
  fetchDashboard,
  fetchRevision,
  fetchRuns,
  fetchSession,
  fetchSite,
  fetchTemplate,
  publishReviewArchive,
  ApiError,
  type Session,
} from "./api.js";
import type { DashboardAccess } from "../core/access.js";
import { sessionBadge } from "./session-badge.js";
import { sharingPanel } from "./editor-share.js";
import { el, frameScheduler } from "./dom.js";
import { getDuckDB } from "./duckdb.js";
import { saveControls } from "./editor-save.js";
import { copyLinkControl } from "./editor-link.js";
import { historyPanel } from "./editor-history.js";
import { addWidgetForm } from "./editor-form.js";
import { DashboardGrid } from "./editor-grid.js";
import { openWidgetSettings } from "./editor-settings.js";
import { refetchControl } from "./refetch-control.js";
import { type DataNeed, SeriesFeed } from "./series-feed.js";
import { themeToggle } from "./theme.js";
import { shownText, timeBar } from "./time-bar.js";
import { ensureWidgetStyles } from "./widget-styles.js";
import { createWidgetView, feedData, keysOf, needsOf } from "./widgets.js";
import type { FlagBand, WidgetView } from "./widget-common.js";
import { rangeChecks, runFlagsPanel } from "./run-flags.js";
import { flagBands, flagsByRun, runVerdict } from "../core/flags.js";
import { loadRunFlags } from "./flags-source.js";

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

interface Opened {
  dashboard: Dashboard;
  saved?: { id: string; revision: number };
  right: Right;
  access?: DashboardAccess;
  /** Where the document came from: a saved one, an old revision of it, a link, a template, or new. */
  origin: "saved" | "revision" | "link" | "template" | "new" | "published";
  /** The latest revision, when an older one is shown. */
  latest?: number;
}

/**
 * Opens what the address names: a whole dashboard in the fragment (`#dashboard=`), a template
 * (`?template=`), a saved dashboard (`/d/<id>`, at `?revision=n` if given), or a new one.
 */
async function openDashboard(session: Session, setStatus: (text: string, isError?: boolean) => void): Promise<Opened> {
  const params = new URLSearchParams(location.search);
  const mayCreate = session.rights.includes("create-dashboard");
  const fresh: Opened = { dashboard: emptyDashboard(), right: mayCreate ? "share" : "view", origin: "new" };
  const fragment = new URLSearchParams(location.hash.slice(1)).get("dashboard");
  if (fragment) {
    const parsed = await decodeDashboardLink(fragment);
    if (parsed.ok) return { ...fresh, dashboard: parsed.value, origin: "link" };
    setStatus(`This link's dashboard cannot be opened: ${describeErrors(parsed.errors)}`, true);
    return fresh;
  }
  const template = params.get("template");
  if (template) {
    try {
      return { ...fresh, dashboard: await fetchTemplate(template), origin: "template" };
    } catch (error) {
      setStatus(`Could not open template ${template}: ${error instanceof Error ? error.message : String(error)}`, true);
      return fresh;
    }
  }
  const id = dashboardIdFromLocation();
  if (!id) return fresh;
  try {
    const record = await fetchDashboard(id);
    const opened: Opened = {
      dashboard: record.dashboard,
      saved: { id: record.id, revision: record.revision },
      right: record.right,
      access: record.access,
      origin: "saved",
    };
    const asked = Number(params.get("revision"));
    if (params.has("revision") && asked !== record.revision) {
      const old = await fetchRevision(id, asked);
      return { ...opened, dashboard: old.dashboard, origin: "revision", latest: record.revision, saved: { id, revision: asked } };
    }
    return opened;
  } catch (error) {
    setStatus(`Could not open dashboard ${id}: ${error instanceof Error ? error.message : String(error)}`, true);
    return fresh;
  }
}

/** Who looks at a published review: anyone, who may only view. */
const REVIEWER: Session = { mode: "none", user: "reviewer", role: "viewer", rights: [], canSignOut: false };

/** A published review's dashboard: `dashboard.html?id=<name>` reads `../dashboards/<name>.json`. */
async function openPublished(setStatus: (text: string, isError?: boolean) => void): Promise<Opened> {
  const fresh: Opened = { dashboard: emptyDashboard("No dashboard"), right: "view", origin: "new" };
  const name = new URLSearchParams(location.search).get("id") ?? "";
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    setStatus("This review's page needs ?id=<dashboard> (see the review's front page).", true);
    return fresh;
  }
  const response = await fetch(new URL(`../dashboards/${name}.json`, location.href));
  if (!response.ok) {
    setStatus(`This review has no dashboard ${name}.`, true);
    return fresh;
  }
  const parsed = parseDashboard(await response.json());
  if (!parsed.ok) {
    setStatus(`Dashboard ${name} cannot be shown: ${describeErrors(parsed.errors)}`, true);
    return fresh;
  }
  return { dashboard: parsed.value, right: "view", origin: "published" };
}

export async function mountEditor(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-editor");
  // DuckDB-WASM takes a few hundred ms to start: start it now, while the catalog and the
  // dashboard are fetched, not when the first widget asks for data.
  getDuckDB().catch(() => undefined);
  const status = statusLine();
  let catalog: ObservableInfo[];
  let session: Session;
  let site: { utcOffsetMinutes: number };
  let opened: Opened;
  // A published review (a static folder) has no server: its snapshot, dashboards and flags are
  // files beside the page, and nothing may ask for /api or /ws.
  const review = isPublishedReview();
  const base = review ? new URL("../snapshots/", location.href) : new URL("/snapshots/", location.href);
  try {
    if (review) {
      const snapshot = await loadSnapshotWhenReady(base);
      [catalog, session, site] = [snapshot.catalog.observables, REVIEWER, { utcOffsetMinutes: 0 }];
      opened = await openPublished(status.set);
    } else {
      [catalog, session, site] = await Promise.all([
        fetchCatalog().then((c) => c.observables),
        fetchSession(),
        fetchSite().catch(() => ({ utcOffsetMinutes: 0 })),
      ]);
      opened = await openDashboard(session, status.set);
    }
  } catch (error) {
    root.replaceChildren(
      el(
        "p",
        { className: "error" },
        `${review ? "this review's files cannot be read" : "runboard server not reachable"}: ${String(error)}`,
      ),
    );
    return;
  }
  const infoByName = new Map(catalog.map((o) => [o.name, o]));
  const info = (name: string) => infoByName.get(name);
  let dashboard = opened.dashboard;
  let saved = opened.origin === "revision" ? undefined : opened.saved;
  const params = new URLSearchParams(location.search);
  // A saved dashboard opens to be looked at; Edit (?edit) opens the editor. An old revision is
  // only looked at; the page shows only what the user may do, and the server checks it again.
  const mayEdit = opened.right !== "view";
  const editing = mayEdit && opened.origin !== "revision" && (opened.origin !== "saved" || params.has("edit"));
  const readOnly = !editing;
  document.body.classList.toggle("dashboard-viewing", readOnly);
  let dirty = opened.origin === "link" || opened.origin === "template";
  const changed = () => {
    dirty = true;
    status.set("Unsaved changes");
  };

  // --- runs and time: the address over the dashboard's defaults ------------------------------
  const defaultsOf = (d: Dashboard): TimeChoice => ({
    runSelection: d.runSelection,
    window: d.window,
    refreshSeconds: d.refreshSeconds,
  });
  const fromAddress = timeFromQuery(location.search, defaultsOf(dashboard));
  let choice = fromAddress.choice;
  if (fromAddress.errors.length) status.set(`Ignored in the address: ${describeErrors(fromAddress.errors)}`, true);
  const kept = () => {
    const keep: Record<string, string> = {};
    if (editing && opened.origin === "saved") keep.edit = "";
    if (opened.origin === "revision") keep.revision = String(opened.saved!.revision);
    return keep;
  };
  const query = () => timeQuery(choice, defaultsOf(dashboard), kept());
  /** Links to the other mode (Edit, View): they keep the runs and time on screen. */
  const modeLinks: { link: HTMLAnchorElement; keep: Record<string, string> }[] = [];
  const writeAddress = () => {
    const path = saved ? `/d/${saved.id}` : location.pathname;
    history.replaceState(null, "", `${path}${query()}${opened.origin === "link" && !saved ? location.hash : ""}`);
    pointModeLinks();
  };
  const pointModeLinks = () => {
    if (!saved) return;
    for (const { link, keep } of modeLinks) {
      link.href = `/d/${saved.id}${timeQuery(choice, defaultsOf(dashboard), keep)}`;
      link.hidden = false;
    }
  };
  ensureWidgetStyles(); // the time bar's look, also before the first widget draws
  const time = timeBar({
    choice,
    utcOffsetMinutes: site.utcOffsetMinutes,
    // A review is frozen: there is nothing to refresh from.
    refresh: !review,
    onChange: (next) => {
      choice = next;
      writeAddress();
      time.setIsDefault(sameTime(choice, defaultsOf(dashboard)));
      void declare();
    },
    ...(editing
      ? {
          onMakeDefault: () => {
            dashboard = { ...dashboard, ...choice };
            time.setIsDefault(true);
            writeAddress();
            changed();
          },
        }
      : {}),
  });
  time.setIsDefault(sameTime(choice, defaultsOf(dashboard)));

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
    const now = siteNow();
    const fallback = choice.window.kind === "relative" ? choice.window.seconds : 3600;
    const text = held.view.update(
      widget,
      feedData(feed, info, { from: now - fallback * 1000, to: now }, bands, (next) => replaceWidget(name, next)),
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
    base,
    runs: (snapshot) => (review ? Promise.resolve(snapshot.catalog.runs) : fetchRuns()),
    live: !review,
    pixels: () => grid.widestBody(),
    utcOffsetMinutes: site.utcOffsetMinutes,
    onData: (keys) => {
      scheduleRender(keys.size === 0 ? Object.keys(dashboard.elements) : widgetsReading(keys));
      time.setRuns(feed.runs(), verdictOf);
      scheduleFlagCheck();
      const now = feed.current();
      if (now) {
        time.setShown(shownText(now.runs, now.window, now.note));
        dataTaken.textContent = `History from the snapshot of ${now.snapshot.source}, updated ${new Date(now.snapshot.updatedAt).toLocaleString()}; run ${now.run.id} is ${now.run.status}.`;
      } else {
        time.setShown(
          `Nothing matches ${describeRuns(choice.runSelection)} over ${describeWindow(choice.window, site.utcOffsetMinutes)}.`,
        );
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
  const declare = () => feed.declare(needs(), choice);

  const replaceWidget = (name: string, next: Widget) => {
    const before = dashboard.elements[name];
    dashboard = { ...dashboard, elements: { ...dashboard.elements, [name]: next } };
    grid.retitle(name, next.title);
    if (editing) changed();
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
        changed();
      },
      removed: (name) => {
        dashboard = removeWidget(dashboard, name);
        views.delete(name);
        changed();
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

  // --- flags on the runs shown: bands on the time axes, the panel, the widgets' proposals ------
  let bands: FlagBand[] = [];
  let verdictOf = (_run: number): string => "unreviewed";
  const runSpan = (id: number) => {
    const run = feed.runs().find((r) => r.id === id);
    return run ? { from: run.start, to: run.stop ?? siteNow() } : undefined;
  };
  const flagsPanel = runFlagsPanel({
    ...(review ? { load: () => loadRunFlags(base, null) } : {}),
    session,
    status: status.set,
    shown: () => {
      const now = feed.current();
      return now ? { runs: feed.runs().filter((r) => now.runs.includes(r.id)), window: now.window } : undefined;
    },
    allRuns: () => feed.runs(),
    checks: (run) => rangeChecks(run, Object.values(dashboard.elements), info, (o, c) => feed.buffer(o, c)),
    onFlags: (flags) => {
      bands = flagBands(flags, runSpan);
      const byRun = flagsByRun(flags);
      verdictOf = (id) => runVerdict(byRun.get(id) ?? []);
      time.setRuns(feed.runs(), verdictOf);
      scheduleRender(Object.keys(dashboard.elements));
    },
  });
  let flagCheck: ReturnType<typeof setTimeout> | undefined;
  const scheduleFlagCheck = () => {
    flagCheck ??= setTimeout(() => {
      flagCheck = undefined;
      flagsPanel.render();
    }, 1000);
  };
  void flagsPanel.refresh();
  // Flags set by colleagues appear within half a minute (a review's are frozen).
  if (!review) setInterval(() => void flagsPanel.refresh(), 30_000);

  // --- header ---------------------------------------------------------------------------------
  const save = saveControls({
    title: dashboard.title,
    saved,
    current: () => applyPositions(dashboard, grid.positions()),
    onSaved: (record) => {
      dashboard = record.dashboard;
      saved = { id: record.id, revision: record.revision };
      opened.origin = "saved";
      dirty = false;
      writeAddress();
    },
    status: status.set,
    changed,
    mayDelete: opened.right === "share",
  });
  const link = copyLinkControl({
    current: () => ({ ...applyPositions(dashboard, grid.positions()), title: save.titleInput.value, ...choice }),
    saved: () => saved,
    dirty: () => dirty,
    query,
    status: status.set,
    offerSave: editing ? () => save.saveButton.focus() : undefined,
  });

  // "Publish for review": the runs on screen and this dashboard, as a folder to download.
  const publish = el("button", { type: "button", className: "publish", textContent: "Publish for review" });
  publish.addEventListener("click", async () => {
    const now = feed.current();
    if (!saved || !now) return status.set("Save the dashboard first; a review holds saved dashboards.", true);
    const runs = `runs:${Math.min(...now.runs)}-${Math.max(...now.runs)}`;
    publish.disabled = true;
    status.set(`Publishing ${runs} with this dashboard…`);
    try {
      const { blob, name } = await publishReviewArchive({ runs, dashboards: [saved.id], title: `${dashboard.title}: ${runs}` });
      const url = URL.createObjectURL(blob);
      const download = el("a", { href: url, download: name });
      document.body.append(download);
      download.click();
      download.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
      status.set(
        `Downloaded ${name} (${(blob.size / 1e6).toFixed(1)} MB): unpack it on any static host; its index.html says what is inside.`,
      );
    } catch (error) {
      status.set(`Could not publish: ${error instanceof ApiError ? error.message : String(error)}`, true);
    } finally {
      publish.disabled = false;
    }
  });
  const mayPublish = !review && session.rights.includes("create-dashboard");

  const form = addWidgetForm(catalog, (widget) => {
    const [next, name] = addWidget(dashboard, widget, DEFAULT_SIZE[widget.kind]);
    dashboard = next;
    place(name, widget);
    changed();
    void declare();
  });
  const refetch = refetchControl({
    placeholder: () => (feed.current() ? `run:${feed.current()!.run.id}` : ""),
    onDone: () => void feed.reload("re-fetched from the source"),
  });

  const notice = (text: string, ...extra: (Node | string)[]) => el("p", { className: "view-only" }, text, ...extra);
  const notices: HTMLElement[] = [];
  if (!mayEdit && !review) {
    notices.push(
      notice(
        saved
          ? `You may view this dashboard (you are a ${session.role}); ask its owner${opened.access?.owner ? `, ${opened.access.owner},` : ""} to share it with you as editor to change it.`
          : `You are a ${session.role}: you may view dashboards shared with you; an admin can make you an editor.`,
      ),
    );
  }
  if (opened.origin === "revision") {
    notices.push(
      notice(
        `This is revision ${opened.saved!.revision} of this dashboard, as it was saved; the latest is revision ${opened.latest}. `,
        el("a", { href: `/d/${opened.saved!.id}` }, "Open the latest"),
        mayEdit ? " · restore it from the history below." : "",
      ),
    );
  }
  if (opened.origin === "link") {
    notices.push(
      notice("Opened from a link: this dashboard is not saved. Save makes it one of your dashboards.", ...(mayEdit ? [] : [])),
    );
  }
  if (opened.origin === "template") notices.push(notice("A new dashboard from a template: it is not saved yet."));
  if (review)
    notices.push(
      notice(
        "A published review: the data as it was when it was published, frozen, not live. ",
        el("a", { href: "../" }, "What this review holds"),
      ),
    );
  const origin = dashboard.forkedFrom;
  const copied = origin
    ? el(
        "p",
        { className: "forked-from" },
        "A copy of ",
        // A review holds no other dashboard to link to.
        review
          ? `"${origin.title}", revision ${origin.revision}`
          : el("a", { href: `/d/${origin.id}?revision=${origin.revision}` }, `"${origin.title}", revision ${origin.revision}`),
        ".",
      )
    : "";

  const historyId = opened.saved?.id;
  const historyBox = historyId
    ? historyPanel({
        id: historyId,
        shown: opened.saved!.revision,
        mayRestore: mayEdit,
        query: () => timeQuery(choice, defaultsOf(dashboard)),
        onRestored: () => location.assign(`/d/${historyId}${timeQuery(choice, defaultsOf(dashboard))}`),
        status: status.set,
      })
    : "";
  const sharing =
    opened.right === "share" && saved && opened.access && session.mode !== "none" ? sharingPanel(saved.id, opened.access) : "";
  let headerRow: HTMLElement;
  if (editing) {
    if (opened.origin === "saved") save.titleInput.setAttribute("aria-describedby", "");
    const viewLink = el("a", { className: "to-view", hidden: !saved }, "View");
    modeLinks.push({ link: viewLink, keep: {} });
    headerRow = el(
      "div",
      { className: "editor-header" },
      save.title,
      save.message,
      save.saveButton,
      save.forkButton,
      link,
      save.exportButton,
      save.deleteButton,
      ...(mayPublish ? [publish] : []),
      viewLink,
      themeToggle(),
      liveStatus,
      sessionBadge(session),
    );
  } else {
    const edit = mayEdit && saved ? el("a", { className: "edit button" }, "Edit") : "";
    if (edit) modeLinks.push({ link: edit, keep: { edit: "" } });
    // Anyone who may create dashboards may keep a copy of one they may only view.
    const copy = !mayEdit && saved && session.rights.includes("create-dashboard") ? save.forkButton : "";
    headerRow = el(
      "div",
      { className: "editor-header view-header" },
      el("h1", { className: "dashboard-title" }, dashboard.title),
      edit,
      copy,
      ...(review ? [] : [link]),
      ...(mayPublish && saved ? [publish] : []),
      themeToggle(),
      liveStatus,
      ...(review ? [] : [sessionBadge(session)]),
    );
  }
  root.replaceChildren(
    headerRow,
    copied,
    time.element,
    status.element,
    ...notices,
    flagsPanel.element,
    sharing,
    editing ? form : "",
    grid.element,
    el(
      "div",
      { className: "editor-footer" },
      dataTaken,
      historyBox,
      ...(editing && session.rights.includes("refresh-snapshots") ? [refetch] : []),
    ),
  );
  if (dirty) status.set("Unsaved changes");
  pointModeLinks();
  for (const item of dashboard.layout.items) place(item.element, dashboard.elements[item.element]!);
  grid.element.dataset.empty = readOnly ? "This dashboard has no widgets yet." : "No widgets yet: add one with the form above.";
  if (!editing) grid.element.setAttribute("aria-label", `${dashboard.title}, view mode`);

  // Time moves on even without new readings: slide the windows, age the values.
  setInterval(() => scheduleRender(Object.keys(dashboard.elements)), 5000);
  await declare();
}
