// The dashboard editor: a GridStack grid over the pure dashboard model (src/core/dashboard.ts).
// GridStack owns positions while the user drags; the model owns everything that is saved.
import { GridStack, type GridStackNode } from "gridstack";
import type { ObservableInfo, Reading, RunInfo } from "../core/catalog.js";
import {
  type Dashboard,
  type Widget,
  type WidgetKind,
  addWidget,
  applyPositions,
  emptyDashboard,
  parseDashboard,
  removeWidget,
} from "../core/dashboard.js";
import { type TimeWindow, runTailWindow, selectRun } from "../core/time-window.js";
import { describeErrors } from "../core/validation.js";
import { ApiError, fetchCatalog, fetchDashboard, fetchRuns, fetchSnapshot, saveDashboard } from "./api.js";
import { loadScalarSeries, seriesKey } from "./duckdb.js";
import { LiveClient } from "./live-client.js";
import { SeriesBuffer } from "./series-buffer.js";
import { renderWidgetBody } from "./widgets.js";

const KIND_LABELS: Record<WidgetKind, string> = { timeseries: "Time series (line)", stat: "Single number" };

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node: HTMLElementTagNameMap[K] = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return el("label", { className: "field" }, el("span", {}, text), control);
}

function loadGridStackCss(): void {
  const href = import.meta.resolve("gridstack/dist/gridstack.min.css");
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(el("link", { rel: "stylesheet", href }));
}

export function dashboardIdFromLocation(loc: Location = location): string | undefined {
  const match = /\/d\/([A-Za-z0-9_-]{6,40})\/?$/.exec(loc.pathname);
  return match?.[1] ?? new URLSearchParams(loc.search).get("id") ?? undefined;
}

export async function mountEditor(root: HTMLElement): Promise<void> {
  loadGridStackCss();
  root.classList.add("runboard-editor");

  const status = el("p", { className: "status", role: "status" });
  const liveStatus = el("span", { className: "live-status" });
  liveStatus.setAttribute("aria-label", "Live connection");
  const setStatus = (text: string, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };

  let catalog: ObservableInfo[];
  try {
    catalog = await fetchCatalog();
  } catch (error) {
    root.replaceChildren(el("p", { className: "error" }, `runboard server not reachable: ${String(error)}`));
    return;
  }
  const infoByName = new Map(catalog.map((o) => [o.name, o]));

  let dashboard: Dashboard = emptyDashboard();
  let saved: { id: string; revision: number } | undefined;
  const id = dashboardIdFromLocation();
  if (id) {
    try {
      const record = await fetchDashboard(id);
      dashboard = record.dashboard;
      saved = { id: record.id, revision: record.revision };
    } catch (error) {
      setStatus(`Could not open dashboard ${id}: ${error instanceof Error ? error.message : String(error)}`, true);
    }
  }

  // --- header: title, save, share ---------------------------------------------------------
  const titleInput = el("input", { type: "text", value: dashboard.title, required: true, maxLength: 200 });
  titleInput.addEventListener("input", () => setStatus("Unsaved changes"));
  const saveButton = el("button", { type: "button", textContent: "Save dashboard" });
  const shareLink = el("a", { className: "share" });
  const showShare = () => {
    if (!saved) return shareLink.replaceChildren();
    shareLink.href = `/d/${saved.id}`;
    shareLink.textContent = `Share: ${new URL(`/d/${saved.id}`, location.href).href}`;
  };
  showShare();

  // --- add-widget form --------------------------------------------------------------------
  const observableSelect = el("select", { name: "observable" });
  for (const o of catalog) {
    const detail = o.shape === "scalar" ? (o.channels > 1 ? `${o.channels} channels` : "scalar") : o.shape;
    observableSelect.append(el("option", { value: o.name, textContent: `${o.name} — ${o.description || detail} (${detail})` }));
  }
  const kindSelect = el("select", { name: "kind" });
  for (const [kind, text] of Object.entries(KIND_LABELS)) kindSelect.append(el("option", { value: kind, textContent: text }));
  const widgetTitle = el("input", { type: "text", name: "title", maxLength: 120, placeholder: "e.g. Trigger rate" });
  const channelInput = el("input", { type: "number", name: "channel", min: "0", value: "0", step: "1" });
  const channelField = labelled("Channel", channelInput);
  const addButton = el("button", { type: "submit", textContent: "Add widget" });
  const addForm = el(
    "form",
    { className: "add-widget" },
    el("strong", {}, "Add a widget"),
    labelled("Observable", observableSelect),
    labelled("Chart type", kindSelect),
    labelled("Widget title", widgetTitle),
    channelField,
    addButton,
  );
  const updateChannelField = () => {
    const info = infoByName.get(observableSelect.value);
    channelField.hidden = !info || info.channels <= 1;
    channelInput.max = String(Math.max(0, (info?.channels ?? 1) - 1));
    // Only scalar observables can be drawn by the two chart types the editor offers today.
    addButton.disabled = info?.shape !== "scalar";
    addButton.title = addButton.disabled ? `${observableSelect.value} is ${info?.shape}: no chart type for it yet` : "";
  };
  observableSelect.addEventListener("change", updateChannelField);
  updateChannelField();

  const gridElement = el("div", { className: "grid-stack" });
  root.replaceChildren(
    el("div", { className: "editor-header" }, labelled("Dashboard title", titleInput), saveButton, liveStatus),
    status,
    shareLink,
    addForm,
    gridElement,
  );

  const grid = GridStack.init(
    { column: 12, cellHeight: 70, margin: 6, draggable: { handle: ".widget-header" }, resizable: { handles: "se" } },
    gridElement,
  )!;

  // --- data: snapshot + live tail ---------------------------------------------------------
  const buffers = new Map<string, SeriesBuffer>();
  const bodies = new Map<string, HTMLElement>();
  let currentRun: RunInfo | undefined;
  let live: LiveClient | undefined;
  let dirty = new Set<string>();
  let frame = 0;

  const windowNow = (): TimeWindow =>
    currentRun ? runTailWindow(currentRun, dashboard.windowSeconds, Date.now()) : { from: Date.now() - 1000, to: Date.now() };

  const renderElement = (name: string) => {
    const body = bodies.get(name);
    const widget = dashboard.elements[name];
    if (!body || !widget) return;
    renderWidgetBody(body, widget, {
      info: infoByName.get(widget.spec.observable),
      series: buffers.get(seriesKey(widget.spec.observable, widget.spec.channel)),
      window: windowNow(),
    });
  };
  // Live readings mark widgets dirty; they are redrawn together once per animation frame.
  const scheduleRender = (names: Iterable<string>) => {
    for (const n of names) dirty.add(n);
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const todo = dirty;
      dirty = new Set();
      for (const name of todo) renderElement(name);
    });
  };

  const scalarKeysInUse = () => {
    const wanted = new Map<string, { observable: string; channel: number }>();
    for (const w of Object.values(dashboard.elements)) {
      if (infoByName.get(w.spec.observable)?.shape !== "scalar") continue;
      wanted.set(seriesKey(w.spec.observable, w.spec.channel), { observable: w.spec.observable, channel: w.spec.channel });
    }
    return [...wanted.values()];
  };

  const onLiveReadings = (readings: Reading[]) => {
    const touched = new Set<string>();
    let newerRun = false;
    for (const r of readings) {
      if (currentRun && r.run !== currentRun.id) {
        if (dashboard.runSelection.mode === "latest" && r.run > currentRun.id) newerRun = true;
        continue;
      }
      const buffer = buffers.get(seriesKey(r.observable, r.channel));
      if (buffer?.append(r)) touched.add(seriesKey(r.observable, r.channel));
    }
    if (newerRun) {
      void refreshData("a new run started");
      return;
    }
    const window = windowNow();
    for (const key of touched) buffers.get(key)!.trimBefore(window.from);
    const names = Object.entries(dashboard.elements)
      .filter(([, w]) => touched.has(seriesKey(w.spec.observable, w.spec.channel)))
      .map(([name]) => name);
    scheduleRender(names);
  };

  let refreshing: Promise<void> | undefined;
  let refreshAgain = false;
  async function refreshData(reason = ""): Promise<void> {
    if (refreshing) {
      // The widget set may have changed since this refresh started: run once more after it.
      refreshAgain = true;
      return refreshing;
    }
    refreshAgain = false;
    refreshing = (async () => {
      const wanted = scalarKeysInUse();
      live?.close();
      live = undefined;
      if (wanted.length === 0) {
        buffers.clear();
        liveStatus.textContent = "";
        return;
      }
      // Runs are fetched on every refresh: a new run may have started since the page opened.
      const run = selectRun(await fetchRuns(), dashboard.runSelection);
      if (!run) {
        setStatus("No data yet: the selected run is not in the store.", true);
        return;
      }
      const observables = [...new Set(wanted.map((w) => w.observable))];
      const snapshot = await fetchSnapshot(observables, run.id, dashboard.windowSeconds);
      const series = await loadScalarSeries(snapshot.bytes, wanted);
      currentRun = run;
      buffers.clear();
      for (const [key, columns] of series) {
        const buffer = SeriesBuffer.fromColumns(columns.t, columns.value, columns.seq);
        // Everything up to the snapshot's seq is in the file, even if not for this key.
        buffer.lastSeq = Math.max(buffer.lastSeq, snapshot.seq);
        buffers.set(key, buffer);
      }
      scheduleRender(Object.keys(dashboard.elements));
      if (run.stop === null || dashboard.runSelection.mode === "latest") {
        // Only the channels the widgets draw: one pixel of a 2000-channel camera is 1/2000 of the traffic.
        const channels: Record<string, number[]> = {};
        for (const w of wanted) (channels[w.observable] ??= []).push(w.channel);
        live = new LiveClient({
          observables,
          since: snapshot.seq,
          channels,
          run: dashboard.runSelection.mode === "latest" ? "newest" : run.id,
          onReadings: onLiveReadings,
          onState: (state, detail) => {
            liveStatus.textContent = `${state === "live" ? "● live" : state}${detail ? ` (${detail})` : ""} — run ${run.id}`;
            liveStatus.dataset.state = state;
          },
          onResync: (why) => void refreshData(why),
        });
      } else {
        liveStatus.textContent = `run ${run.id} (stopped)`;
      }
      if (reason) setStatus(`Reloaded data: ${reason}`);
    })()
      .catch((error: unknown) =>
        setStatus(`Could not load data: ${error instanceof Error ? error.message : String(error)}`, true),
      )
      .finally(() => {
        refreshing = undefined;
        if (refreshAgain) void refreshData();
      });
    return refreshing;
  }

  // --- widgets on the grid ----------------------------------------------------------------
  const addToGrid = (name: string, widget: Widget) => {
    const item = dashboard.layout.items.find((i) => i.element === name)!;
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
    bodies.set(name, body);
    grid.makeWidget(itemEl, { id: name, x: item.x, y: item.y, w: item.w, h: item.h });
    remove.addEventListener("click", () => {
      grid.removeWidget(itemEl);
      bodies.delete(name);
      dashboard = removeWidget(dashboard, name);
      setStatus("Unsaved changes");
    });
    renderElement(name);
  };

  const syncPositions = (nodes: GridStackNode[]) => {
    dashboard = applyPositions(
      dashboard,
      nodes
        .filter((n) => typeof n.id === "string")
        .map((n) => ({ element: String(n.id), x: n.x ?? 0, y: n.y ?? 0, w: n.w ?? 1, h: n.h ?? 1 })),
    );
  };
  grid.on("change", (_event, nodes) => {
    syncPositions(nodes);
    setStatus("Unsaved changes");
  });
  grid.on("resizestop", (_event, itemEl) => {
    const name = itemEl.getAttribute("gs-id");
    if (name) scheduleRender([name]);
  });

  for (const item of dashboard.layout.items) addToGrid(item.element, dashboard.elements[item.element]!);

  addForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const info = infoByName.get(observableSelect.value);
    if (!info) return;
    const widget: Widget = {
      kind: kindSelect.value as WidgetKind,
      spec: {
        title: widgetTitle.value.trim() || info.name,
        observable: info.name,
        channel: info.channels > 1 ? Math.min(info.channels - 1, Math.max(0, Math.trunc(Number(channelInput.value) || 0))) : 0,
      },
    };
    const [next, name] = addWidget(dashboard, widget, widget.kind === "stat" ? { w: 3, h: 3 } : { w: 6, h: 4 });
    dashboard = next;
    addToGrid(name, widget);
    widgetTitle.value = "";
    setStatus("Unsaved changes");
    void refreshData();
  });

  saveButton.addEventListener("click", async () => {
    syncPositions(grid.engine.nodes);
    const candidate = parseDashboard({ ...dashboard, title: titleInput.value });
    if (!candidate.ok) {
      setStatus(`Cannot save: ${describeErrors(candidate.errors)}`, true);
      return;
    }
    saveButton.disabled = true;
    try {
      const record = await saveDashboard(candidate.value, saved);
      dashboard = record.dashboard;
      saved = { id: record.id, revision: record.revision };
      history.replaceState(null, "", `/d/${record.id}`);
      showShare();
      setStatus(`Saved revision ${record.revision}`);
    } catch (error) {
      setStatus(`Save failed: ${error instanceof ApiError ? error.message : String(error)}`, true);
    } finally {
      saveButton.disabled = false;
    }
  });

  // Time moves on even without new readings: slide the windows every few seconds.
  setInterval(() => scheduleRender(Object.keys(dashboard.elements)), 5000);
  await refreshData();
}
