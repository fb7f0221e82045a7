// A dashboard's run and time controls: which runs (the newest, one, a range, the last N), which
// span (the last N seconds of them, the whole of them, a fixed span, an observing night) and how
// often to read again. The choice lives in the address (`?run=1000-1010&window=6h`, readable like
// Grafana's from/to) so a link shows what the sender saw, and can be saved as the dashboard's
// default. Pure: the editor, the view page and the tests resolve a choice the same way, over the
// same functions as the Runs page and the CLI (time-window.ts).
import type { RunInfo } from "./catalog.js";
import {
  type DashboardWindow,
  type RunSelection,
  MAX_WINDOW_SECONDS,
  runSelectionSchema,
  timeWindowSchema,
} from "./dashboard.js";
import {
  type LastReading,
  type TimeWindow,
  formatDuration,
  isoDay,
  latestRun,
  nightContaining,
  nightStartingOn,
  nightWithRuns,
  parseDuration,
} from "./time-window.js";
import type { FieldError } from "./validation.js";

export interface TimeChoice {
  runSelection: RunSelection;
  window: DashboardWindow;
  /** 0: follow the live feed; -1: never read again; else every N seconds. */
  refreshSeconds: number;
}

/** The spans offered in the window picker (any other duration can be typed in the address). */
export const RELATIVE_WINDOWS = [900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400] as const;
/** The refresh intervals offered (seconds; 0 live, -1 off). */
export const REFRESH_CHOICES = [0, 10, 30, 60, 300, 900, -1] as const;

// --- text forms, for the address and the pickers -----------------------------------------------

export function formatRunSelection(selection: RunSelection): string {
  switch (selection.mode) {
    case "latest":
      return "latest";
    case "run":
      return String(selection.run);
    case "range":
      return `${selection.from}-${selection.to}`;
    case "last":
      return `last${selection.count}`;
  }
}

/** ISO time without milliseconds when it has none: `2026-03-10T18:00:00Z`. */
const isoTime = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");

export function formatWindow(window: DashboardWindow): string {
  switch (window.kind) {
    case "relative":
      return formatDuration(window.seconds);
    case "runs":
      return "runs";
    case "absolute":
      return `${isoTime(window.from)}/${isoTime(window.to)}`;
    case "night":
      return window.day ? `night:${window.day}` : "night";
  }
}

export function formatRefresh(seconds: number): string {
  return seconds === 0 ? "live" : seconds < 0 ? "off" : formatDuration(seconds);
}

export function parseRunSelection(text: string): RunSelection | string {
  const t = text.trim();
  let candidate: unknown;
  if (t === "latest") candidate = { mode: "latest" };
  else if (/^\d+$/.test(t)) candidate = { mode: "run", run: Number(t) };
  else if (/^\d+-\d+$/.test(t)) {
    const [from, to] = t.split("-").map(Number);
    candidate = { mode: "range", from, to };
  } else if (/^last\d+$/.test(t)) candidate = { mode: "last", count: Number(t.slice(4)) };
  else return "expected latest, a run (1003), a range (1000-1010) or the last N runs (last5)";
  const parsed = runSelectionSchema.safeParse(candidate);
  return parsed.success ? parsed.data : (parsed.error.issues[0]?.message ?? "not a run selection");
}

export function parseWindow(text: string): DashboardWindow | string {
  const t = text.trim();
  let candidate: unknown;
  const seconds = parseDuration(t);
  if (seconds !== undefined) candidate = { kind: "relative", seconds: Math.round(seconds) };
  else if (t === "runs") candidate = { kind: "runs" };
  else if (t === "night") candidate = { kind: "night" };
  else if (t.startsWith("night:")) {
    try {
      nightStartingOn(t.slice(6));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    candidate = { kind: "night", day: t.slice(6) };
  } else if (t.includes("/")) {
    const [from, to] = t.split("/").map((s) => Date.parse(s));
    if (from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to))
      return "a fixed window is two ISO times, e.g. 2026-03-10T18:00Z/2026-03-11T06:00Z";
    candidate = { kind: "absolute", from, to };
  } else return "expected a duration (15m, 6h, 2d), runs, night, night:<YYYY-MM-DD> or <from>/<to> in ISO time";
  const parsed = timeWindowSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === "too_big" && candidate && (candidate as { kind: string }).kind === "relative")
    return `at most ${formatDuration(MAX_WINDOW_SECONDS)}`;
  return issue?.message ?? "not a window";
}

export function parseRefresh(text: string): number | string {
  const t = text.trim();
  if (t === "live") return 0;
  if (t === "off") return -1;
  const seconds = parseDuration(t);
  if (seconds === undefined || seconds < 5 || seconds > 3600) return "expected live, off or an interval from 5s to 1h, e.g. 30s";
  return Math.round(seconds);
}

/**
 * The choice in an address, over the dashboard's defaults. A parameter that does not parse is
 * left at the default and reported, naming the parameter, so a mistyped link still opens.
 */
export function timeFromQuery(
  search: string | URLSearchParams,
  defaults: TimeChoice,
): { choice: TimeChoice; errors: FieldError[] } {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const errors: FieldError[] = [];
  const choice = { ...defaults };
  const read = <T>(name: string, parse: (text: string) => T | string, set: (value: T) => void) => {
    const text = params.get(name);
    if (text === null) return;
    const value = parse(text);
    if (typeof value === "string") errors.push({ field: name, message: `${JSON.stringify(text)}: ${value}` });
    else set(value);
  };
  read("run", parseRunSelection, (v) => (choice.runSelection = v));
  read("window", parseWindow, (v) => (choice.window = v));
  read("refresh", parseRefresh, (v) => (choice.refreshSeconds = v));
  return { choice, errors };
}

/** Query characters a reader expects to see as they are (RFC 3986 allows them in a query). */
const readable = (text: string) => encodeURIComponent(text).replace(/%3A/gi, ":").replace(/%2F/gi, "/");

/**
 * The address's query for a choice: only what differs from the defaults, so a dashboard opened
 * as saved keeps a clean address. Other parameters in `keep` (e.g. `edit`) stay.
 */
export function timeQuery(choice: TimeChoice, defaults: TimeChoice, keep: Record<string, string> = {}): string {
  const parts = Object.entries(keep).map(([k, v]) => (v === "" ? readable(k) : `${readable(k)}=${readable(v)}`));
  const run = formatRunSelection(choice.runSelection);
  const window = formatWindow(choice.window);
  const refresh = formatRefresh(choice.refreshSeconds);
  if (run !== formatRunSelection(defaults.runSelection)) parts.push(`run=${readable(run)}`);
  if (window !== formatWindow(defaults.window)) parts.push(`window=${readable(window)}`);
  if (refresh !== formatRefresh(defaults.refreshSeconds)) parts.push(`refresh=${readable(refresh)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export const sameTime = (a: TimeChoice, b: TimeChoice) =>
  formatRunSelection(a.runSelection) === formatRunSelection(b.runSelection) &&
  formatWindow(a.window) === formatWindow(b.window) &&
  a.refreshSeconds === b.refreshSeconds;

/** In words, for the time bar, the history and captions: "runs 1000-1010, last 6h". */
export function describeRuns(selection: RunSelection): string {
  switch (selection.mode) {
    case "latest":
      return "the newest run";
    case "run":
      return `run ${selection.run}`;
    case "range":
      return `runs ${selection.from}-${selection.to}`;
    case "last":
      return `the last ${selection.count} runs`;
  }
}

export function describeWindow(window: DashboardWindow, utcOffsetMinutes = 0): string {
  switch (window.kind) {
    case "relative":
      return `the last ${formatDuration(window.seconds)}`;
    case "runs":
      return "the whole runs";
    case "absolute":
      return `${isoTime(window.from)} to ${isoTime(window.to)}`;
    case "night":
      return window.day ? `the night of ${window.day}` : `tonight (${offsetText(utcOffsetMinutes)})`;
  }
}

const offsetText = (minutes: number) =>
  minutes === 0 ? "UTC" : `UTC${minutes > 0 ? "+" : "-"}${formatDuration(Math.abs(minutes) * 60).replace("m", " min")}`;

// --- resolving a choice against the runs ---------------------------------------------------------

export interface DashboardView {
  /** The newest run shown: its id and status head the page. */
  run: RunInfo;
  /** The runs the widgets read, by id. */
  runs: number[];
  window: TimeWindow;
  /** The window moves with the clock (the last N seconds of a running run). */
  slides: boolean;
  /** The window's end follows the clock, its start stays (a running run shown whole). */
  grows?: boolean;
  /** What the live feed should bring: every run's new readings, one run's, or none. */
  live: { follow: "all" } | { follow: "run"; run: number } | null;
  /** Why what is shown differs from what was asked (a night that fell back to an earlier one). */
  note?: string;
}

export interface ViewOptions {
  /** The site's offset from UTC in minutes: a night runs 12:00 to 12:00 there. */
  utcOffsetMinutes?: number;
  lastReading?: LastReading;
}

const endOf = (run: RunInfo, now: number) => run.stop ?? now;
/** Runs with readings possible inside the window: one that stopped as the window starts is not. */
export const overlapping = (runs: readonly RunInfo[], w: TimeWindow, now: number) =>
  runs.filter((r) => r.start <= w.to && endOf(r, now) > w.from);

/** The runs a selection names, oldest first; empty when none of them exists. */
export function chosenRuns(runs: readonly RunInfo[], selection: RunSelection): RunInfo[] {
  const byStart = [...runs].sort((a, b) => a.start - b.start || a.id - b.id);
  switch (selection.mode) {
    case "latest": {
      const run = latestRun(runs);
      return run ? [run] : [];
    }
    case "run":
      return byStart.filter((r) => r.id === selection.run);
    case "range":
      return byStart.filter((r) => r.id >= selection.from && r.id <= selection.to);
    case "last":
      return byStart.slice(-selection.count);
  }
}

/**
 * What a dashboard shows for a choice, now. A fixed span or a night shows the runs in it (the
 * run picker does not apply); otherwise the chosen runs, over their last N seconds or whole.
 * Following the newest run, the last N seconds reach back across runs, so the previous run's
 * history stays on screen when a new one starts. Undefined when nothing matches.
 */
export function dashboardView(
  runs: readonly RunInfo[],
  choice: Pick<TimeChoice, "runSelection" | "window">,
  now: number,
  options: ViewOptions = {},
): DashboardView | undefined {
  const { runSelection: selection, window: asked } = choice;
  const newestOf = (list: RunInfo[]) => latestRun(list)!;
  if (asked.kind === "absolute" || asked.kind === "night") {
    let window: TimeWindow = asked.kind === "absolute" ? { from: asked.from, to: asked.to } : { from: 0, to: 0 };
    let note: string | undefined;
    if (asked.kind === "night") {
      const offset = options.utcOffsetMinutes ?? 0;
      const wanted = asked.day ? nightStartingOn(asked.day, offset) : nightContaining(now, offset);
      const found = nightWithRuns(runs, wanted.from, now, { utcOffsetMinutes: offset }, options.lastReading);
      if (!found) return undefined;
      if (found.from !== wanted.from)
        note = `no data in the night of ${isoDay(wanted.from, offset)}; showing the night of ${isoDay(found.from, offset)}`;
      window = found;
    }
    const inside = overlapping(runs, window, now);
    if (inside.length === 0) return undefined;
    const live = window.to >= now ? ({ follow: "all" } as const) : null;
    return { run: newestOf(inside), runs: ids(inside), window, slides: false, live, ...(note ? { note } : {}) };
  }
  const chosen = chosenRuns(runs, selection);
  if (chosen.length === 0) return undefined;
  const newest = newestOf(chosen);
  const following = selection.mode === "latest" || selection.mode === "last";
  const running = newest.stop === null;
  const live = following ? ({ follow: "all" } as const) : running ? ({ follow: "run", run: newest.id } as const) : null;
  const first = Math.min(...chosen.map((r) => r.start));
  const to = Math.max(...chosen.map((r) => endOf(r, now)));
  // A running run shown whole keeps its first reading on screen: the window grows with it.
  if (asked.kind === "runs")
    return { run: newest, runs: ids(chosen), window: { from: first, to }, slides: false, grows: running, live };
  const from = to - asked.seconds * 1000;
  // The newest run reaches back across earlier runs; chosen runs stay within themselves.
  if (selection.mode === "latest") {
    const window = { from, to };
    return { run: newest, runs: ids(overlapping(runs, window, now)), window, slides: running, live };
  }
  const window = { from: Math.max(from, first), to };
  return { run: newest, runs: ids(overlapping(chosen, window, now)), window, slides: running, live };
}

const ids = (runs: readonly RunInfo[]) => runs.map((r) => r.id).sort((a, b) => a - b);
