// The notebook library: what a physicist's own page (src/pages/<name>.md) needs, over the one
// data module the dashboards use (run-data.ts, DuckDB-WASM over the per-run Parquet snapshots).
// Every function takes plain values and returns plain values or typed arrays, so reactive cells
// can call them again whenever an input changes. The snapshot is found relative to this module,
// so a page works at any depth and in a folder published under a sub-path.
//
//   import {openSnapshot, select, series, arrays, runFlags, selectionInput} from "../components/notebook.js";
// (Framework reserves some names for its own globals, `observable` among them: the catalog entry
// is `observableInfo`.)
//   const snapshot = await openSnapshot();
//   const chosen = view(selectionInput(snapshot, {value: "night"}));
//   const hv = await series(snapshot, chosen, "camera.hv", 25);
import { siteNow } from "./site-mode.js";
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import { loadRunFlags } from "./flags-source.js";
import { type Widget, widgetSchema } from "../core/dashboard.js";
import { describeErrors, fieldErrors } from "../core/validation.js";
import { SeriesFeed } from "./series-feed.js";
import { createWidgetView, feedData, needsOf } from "./widgets.js";
import { type RunFlag, flagsByRun, runVerdict } from "../core/flags.js";
import { type ResolvedSelection, parseSelection, resolveSelection } from "../core/time-window.js";
import {
  type TimeChoice,
  dashboardView,
  describeRuns,
  describeWindow,
  parseRunSelection,
  parseWindow,
} from "../core/dashboard-time.js";
import { shownText, timeBar } from "./time-bar.js";
import { ensureWidgetStyles } from "./widget-styles.js";
import { pairByTime } from "../core/pairing.js";
import { medianGap } from "../core/freshness.js";
import { lowerBound } from "../core/m4.js";
import {
  type ArrayReadingView,
  type SeriesView,
  type Snapshot,
  lastReadingOf,
  loadSnapshotWhenReady,
  queryArrays,
  queryChannels,
  querySeries,
  summarizeRuns,
} from "./run-data.js";

export type { ResolvedSelection, Snapshot };

/** The snapshot directory beside the site's pages: `/snapshots/`, or `<sub-path>/snapshots/`. */
export const snapshotBase = (): URL => new URL("../../snapshots/", import.meta.url);

/** The snapshot, once the server has written one (a static copy has it already). */
export function openSnapshot(base: URL = snapshotBase()): Promise<Snapshot> {
  return loadSnapshotWhenReady(base);
}

/** The runs, newest first. */
export const runsOf = (snapshot: Snapshot): RunInfo[] => [...snapshot.catalog.runs].sort((a, b) => b.start - a.start);

/** The catalog's observable of that name; throws naming it when the snapshot has none. */
export function observableInfo(snapshot: Snapshot, name: string): ObservableInfo {
  const found = snapshot.catalog.observables.find((o) => o.name === name);
  if (!found)
    throw new Error(
      `no observable ${name} in this snapshot (it has ${snapshot.catalog.observables.map((o) => o.name).join(", ")})`,
    );
  return found;
}

/**
 * Which runs and span a selection means, in the CLI's words: `run:1003`, `runs:1000-1010`,
 * `latest`, `last:6h`, `window:<from>/<to>`, `night`, `night:2026-03-10`. Throws, saying what is
 * expected, when the text is not one, or when no run of the snapshot matches.
 */
export function select(snapshot: Snapshot, text: string, options: { utcOffsetMinutes?: number } = {}): ResolvedSelection {
  const resolved = resolveSelection(snapshot.catalog.runs, parseSelection(text, options), siteNow(), lastReadingOf(snapshot));
  if (!resolved) throw new Error(`no run in this snapshot matches ${text}`);
  return resolved;
}

/** A text input for a selection whose value is the resolved selection (invalid text keeps the last one). */
export function selectionInput(
  snapshot: Snapshot,
  options: { value?: string; label?: string; utcOffsetMinutes?: number } = {},
): HTMLFormElement & { value: ResolvedSelection } {
  const form = document.createElement("form") as HTMLFormElement & { value: ResolvedSelection };
  form.className = "selection-input";
  const label = document.createElement("label");
  label.textContent = options.label ?? "Runs or time";
  const input = document.createElement("input");
  input.type = "text";
  input.value = options.value ?? "latest";
  input.placeholder = "run:1003, runs:1000-1010, last:6h, night, night:2026-03-10";
  label.append(" ", input);
  const problem = document.createElement("span");
  problem.className = "selection-problem";
  problem.setAttribute("role", "alert");
  form.append(label, problem);
  form.value = select(snapshot, input.value, options);
  const apply = () => {
    try {
      form.value = select(snapshot, input.value, options);
      problem.textContent = "";
      form.dispatchEvent(new Event("input", { bubbles: true }));
    } catch (error) {
      problem.textContent = error instanceof Error ? error.message : String(error);
    }
  };
  input.addEventListener("change", apply);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  return form;
}

/**
 * The dashboards' run and time controls as an input: runs (the newest, one, a range, the last N)
 * and a window (the last N hours of them, the whole runs, a fixed span, an observing night). Its
 * value is the resolved selection, like `select`'s; a choice that matches no run says so and keeps
 * the last one. The starting choice is written as in a dashboard's address:
 *
 *   const chosen = view(timeInput(snapshot, {runs: "last5", window: "runs"}));
 *   // runs: latest | 1003 | 1000-1010 | last5    window: 6h | runs | night | night:2026-03-10 | <ISO>/<ISO>
 */
export function timeInput(
  snapshot: Snapshot,
  options: { runs?: string; window?: string; utcOffsetMinutes?: number } = {},
): HTMLElement & { value: ResolvedSelection } {
  const runSelection = parseRunSelection(options.runs ?? "latest");
  const window = parseWindow(options.window ?? "runs");
  if (typeof runSelection === "string") throw new Error(`timeInput: runs ${JSON.stringify(options.runs)}: ${runSelection}`);
  if (typeof window === "string") throw new Error(`timeInput: window ${JSON.stringify(options.window)}: ${window}`);
  const offset = options.utcOffsetMinutes ?? 0;
  const resolve = (choice: TimeChoice): ResolvedSelection | undefined => {
    const view = dashboardView(snapshot.catalog.runs, choice, siteNow(), {
      utcOffsetMinutes: offset,
      lastReading: lastReadingOf(snapshot),
    });
    if (!view) return undefined;
    const byId = new Map(snapshot.catalog.runs.map((r) => [r.id, r]));
    return { runs: view.runs.map((id) => byId.get(id)!), window: view.window, ...(view.note ? { note: view.note } : {}) };
  };
  const first: TimeChoice = { runSelection, window, refreshSeconds: -1 };
  const resolved = resolve(first);
  if (!resolved)
    throw new Error(
      `timeInput: no run in this snapshot matches ${describeRuns(runSelection)} over ${describeWindow(window, offset)}`,
    );
  const show = (selection: ResolvedSelection) =>
    bar.setShown(
      shownText(
        selection.runs.map((r) => r.id),
        selection.window,
        selection.note,
      ),
    );
  const bar = timeBar({
    choice: first,
    utcOffsetMinutes: offset,
    refresh: false,
    onChange: (choice) => {
      const next = resolve(choice);
      if (!next)
        return bar.setShown(
          `Nothing matches ${describeRuns(choice.runSelection)} over ${describeWindow(choice.window, offset)}; still showing the last choice.`,
        );
      element.value = next;
      show(next);
      element.dispatchEvent(new Event("input", { bubbles: true }));
    },
  });
  bar.setRuns(snapshot.catalog.runs);
  ensureWidgetStyles();
  const box = document.createElement("div");
  box.className = "runboard-editor notebook-time";
  box.append(bar.element);
  // onChange runs only after this line, once someone changes a control.
  const element: HTMLElement & { value: ResolvedSelection } = Object.assign(box, { value: resolved });
  show(resolved);
  return element;
}

/**
 * One channel's readings over a selection, as typed arrays (epoch ms and values). Long spans come
 * from the level-of-detail tables (each bucket's first, minimum, maximum and last reading), short
 * ones from every reading: `pixels` says how fine the drawing is.
 */
export function series(
  snapshot: Snapshot,
  selection: ResolvedSelection,
  name: string,
  channel = 0,
  options: { pixels?: number } = {},
): Promise<SeriesView> {
  return querySeries(snapshot, {
    runs: selection.runs.map((r) => r.id),
    observable: name,
    channel,
    window: selection.window,
    pixels: options.pixels ?? 1000,
  });
}

/** Readings of a scan are few; this many "pixels" reads every one of them, never a decimation. */
const EVERY_READING = 100_000;

/**
 * A scan's points, detectors against a motor: each reading of the first detector, paired with the
 * motor position read at or just before it (bluesky reads the motor, then counts) and with the
 * other detectors' readings of the same point. One row per point, in time order:
 *
 *   const points = await scanPoints(snapshot, chosen, "beamline.sample_x", {det: "beamline.det", I0: "beamline.I0"});
 *   // [{t, x, det, I0}, ...]
 */
export async function scanPoints<K extends string>(
  snapshot: Snapshot,
  selection: ResolvedSelection,
  motor: string,
  detectors: Record<K, string>,
): Promise<({ t: number; x: number } & Record<K, number>)[]> {
  const names = Object.entries(detectors) as [K, string][];
  if (names.length === 0) throw new Error("scanPoints: name at least one detector");
  const [x, ...read] = await Promise.all(
    [motor, ...names.map(([, name]) => name)].map((name) => series(snapshot, selection, name, 0, { pixels: EVERY_READING })),
  );
  // The first detector's readings are the points; each has the newest motor position no older
  // than one step of the scan, and the other detectors' readings nearest to it (within half a step).
  const step = medianGap(x!.t) ?? 1000;
  const rows = pairByTime(x!, read[0]!, step).map((p) => ({ t: p.t, x: p.x, [names[0]![0]]: p.y }) as Record<string, number>);
  names.slice(1).forEach(([key], k) => {
    const column = read[k + 1]!;
    for (const row of rows) {
      const j = nearestIndex(column.t, row.t!);
      if (j >= 0 && Math.abs(column.t[j]! - row.t!) <= step / 2) row[key] = column.value[j]!;
    }
  });
  return rows.filter((row) => names.every(([key]) => Number.isFinite(row[key]))) as ({ t: number; x: number } & Record<
    K,
    number
  >)[];
}

/** The index of the time in `t` (sorted) nearest to `at`, or -1 when there is none. */
function nearestIndex(t: ArrayLike<number>, at: number): number {
  const j = lowerBound(t, at);
  if (j >= t.length) return t.length - 1;
  return j > 0 && at - t[j - 1]! < t[j]! - at ? j - 1 : j;
}

/** Several channels at once (one query): for each channel, its epoch ms and values. */
export async function channels(
  snapshot: Snapshot,
  selection: ResolvedSelection,
  name: string,
  wanted: readonly number[],
  options: { pixels?: number } = {},
): Promise<Map<number, { t: Float64Array; value: Float64Array }>> {
  const read = await queryChannels(snapshot, {
    runs: selection.runs.map((r) => r.id),
    series: [{ observable: name, channels: [...wanted] }],
    window: selection.window,
    pixels: options.pixels ?? 1000,
  });
  const out = new Map<number, { t: Float64Array; value: Float64Array }>();
  for (const channel of wanted) {
    const columns = read.get(name)?.get(channel);
    out.set(channel, { t: Float64Array.from(columns?.t ?? []), value: Float64Array.from(columns?.value ?? []) });
  }
  return out;
}

/** The newest `limit` readings of a 1D or 2D observable (waveforms, spectra, images), newest first. */
export function arrays(
  snapshot: Snapshot,
  selection: ResolvedSelection,
  name: string,
  options: { limit?: number; lastOfEachRun?: boolean } = {},
): Promise<ArrayReadingView[]> {
  return queryArrays(snapshot, {
    runs: selection.runs.map((r) => r.id),
    observable: name,
    window: selection.window,
    limit: options.limit ?? 10,
    lastOfEachRun: options.lastOfEachRun ?? false,
  });
}

/** Count, minimum, mean and maximum of every scalar observable, for each run of a selection. */
export async function summaries(
  snapshot: Snapshot,
  selection: ResolvedSelection,
): Promise<{ run: number; observable: string; readings: number; min: number; mean: number; max: number }[]> {
  const perRun = await Promise.all(
    selection.runs.map(async (r) => (await summarizeRuns(snapshot, [r.id])).map((s) => ({ run: r.id, ...s }))),
  );
  return perRun.flat();
}

/**
 * The flags on runs: from the runboard server when the page is served by one, else from the
 * snapshot's flags.json (a published copy). Empty when neither has any.
 */
export async function runFlags(snapshot: Snapshot): Promise<{ flags: RunFlag[]; verdictOf: (run: number) => string }> {
  const flags = await loadRunFlags(snapshot.base, new URL("../../api/flags", import.meta.url));
  const byRun = flagsByRun(flags);
  return { flags, verdictOf: (run) => runVerdict(byRun.get(run) ?? []) };
}

/**
 * A runboard widget as a cell: any kind a dashboard has (`timeseries`, `stat`, `raster`,
 * `histogram`, `profile`, `image`, `xy`, `table`), drawn from the snapshot over a selection,
 * frozen (no live feed). The widget is checked like a saved one; a bad one throws naming the field.
 *
 *   display(widget(snapshot, chosen, {kind: "raster", title: "HV", series: [{observable: "camera.hv"}], highlight: 25}));
 */
export function widget(
  snapshot: Snapshot,
  selection: ResolvedSelection,
  spec: unknown,
  size: { width?: number; height?: number } = {},
): HTMLElement {
  const parsed = widgetSchema.safeParse(spec);
  if (!parsed.success) throw new Error(`widget: ${describeErrors(fieldErrors(parsed.error))}`);
  let described: Widget = parsed.data;
  const width = size.width ?? 640;
  const height = size.height ?? 280;
  const byName = new Map(snapshot.catalog.observables.map((o) => [o.name, o]));
  const info = (name: string) => byName.get(name);
  const view = createWidgetView(described);
  const caption = document.createElement("p");
  caption.className = "widget-caption";
  const box = document.createElement("figure");
  box.className = "runboard-editor notebook-widget";
  box.style.width = `${width}px`;
  // The drawing takes `height`; the caption goes below it.
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", described.title);
  box.append(view.element, caption);
  const draw = () => {
    // The widget's own controls (a raster's highlighted channel) redraw it.
    const change = (next: Widget) => {
      described = next;
      draw();
    };
    caption.textContent = view.update(described, feedData(feed, info, selection.window, [], change), { width, height });
  };
  const feed: SeriesFeed = new SeriesFeed({
    base: snapshot.base,
    // Only the selection's runs: a run that starts as the window ends is not one of them.
    runs: () => Promise.resolve(selection.runs),
    live: false,
    pixels: () => width,
    onData: draw,
    onLive: () => undefined,
    onStatus: (text, isError) => {
      if (isError) caption.textContent = text;
    },
  });
  // The selection's span, frozen: a fixed window shows exactly the runs in it.
  void feed.declare(needsOf(described, info, width), {
    runSelection: { mode: "latest" },
    window: { kind: "absolute", from: selection.window.from, to: Math.max(selection.window.to, selection.window.from + 1) },
    refreshSeconds: -1,
  });
  return box;
}
