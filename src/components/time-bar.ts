// The run and time controls above a dashboard: which runs, which span, how often to read again.
// Each change is applied at once and written into the address (dashboard-time.ts), so the
// address always shows what is on screen; "Make default" keeps the choice in the document.
import { siteNow } from "./site-mode.js";
import type { RunInfo } from "../core/catalog.js";
import type { DashboardWindow, RunSelection } from "../core/dashboard.js";
import {
  REFRESH_CHOICES,
  RELATIVE_WINDOWS,
  type TimeChoice,
  formatRefresh,
  formatRunSelection,
  formatWindow,
} from "../core/dashboard-time.js";
import { describeRunIds, formatDuration, isoDay, parseDuration } from "../core/time-window.js";
import { el, labelled } from "./dom.js";

export interface TimeBarOptions {
  choice: TimeChoice;
  onChange: (choice: TimeChoice) => void;
  /** Offered to editors: keep the choice as the dashboard's default. */
  onMakeDefault?: () => void;
  utcOffsetMinutes: number;
  /** Offer the refresh choice (a dashboard); a notebook reads a snapshot and has none. */
  refresh?: boolean;
}

/** What is on screen, in words: "Showing runs 1003–1005 (3), <from> – <to>. <note>". */
export function shownText(runs: readonly number[], window: { from: number; to: number }, note?: string): string {
  const which = describeRunIds(runs);
  const span = `${new Date(window.from).toLocaleString()} – ${new Date(window.to).toLocaleString()}`;
  return `Showing ${which}, ${span}${note ? `. ${note}` : ""}`;
}

/** `<input type="datetime-local">` speaks the site's wall clock; these convert at the site's offset. */
const toLocalInput = (t: number, offset: number) => new Date(t + offset * 60_000).toISOString().slice(0, 16);
const fromLocalInput = (text: string, offset: number) => Date.parse(`${text}:00Z`) - offset * 60_000;

const option = (value: string, text: string) => el("option", { value, textContent: text });

export function timeBar(options: TimeBarOptions) {
  let choice = options.choice;
  const offset = options.utcOffsetMinutes;

  // --- runs --------------------------------------------------------------------------------
  const runMode = el(
    "select",
    {},
    option("latest", "Newest run (follow)"),
    option("run", "One run"),
    option("range", "Range of runs"),
    option("last", "Last N runs"),
  );
  const runList = el("datalist", { id: `runs-${Math.random().toString(36).slice(2)}` });
  const runInput = (label: string) => {
    const input = el("input", { type: "number", min: "0", step: "1", className: "run-number" });
    input.setAttribute("list", runList.id);
    input.setAttribute("aria-label", label);
    return input;
  };
  const runFrom = runInput("Run");
  const runTo = runInput("Last run");
  const runCount = el("input", { type: "number", min: "1", max: "500", step: "1", value: "5", className: "run-number" });
  runCount.setAttribute("aria-label", "How many runs");
  const runsBox = el("span", { className: "time-inputs" });

  // --- window ------------------------------------------------------------------------------
  const windowMode = el(
    "select",
    {},
    ...RELATIVE_WINDOWS.map((s) => option(formatDuration(s), `Last ${formatDuration(s)}`)),
    option("runs", "Whole runs"),
    option("absolute", "Fixed span…"),
    option("night", "Observing night…"),
  );
  const spanFrom = el("input", { type: "datetime-local" });
  spanFrom.setAttribute("aria-label", "From");
  const spanTo = el("input", { type: "datetime-local" });
  spanTo.setAttribute("aria-label", "To");
  const nightDay = el("input", { type: "date" });
  nightDay.setAttribute("aria-label", "Night starting on (empty: the last night with data)");
  const windowBox = el("span", { className: "time-inputs" });

  const refresh = el("select", {}, ...REFRESH_CHOICES.map((s) => option(String(s), refreshText(s))));
  const problem = el("span", { className: "time-problem", role: "alert" });

  /** Puts the choice into the controls. */
  const show = () => {
    const sel = choice.runSelection;
    runMode.value = sel.mode;
    if (sel.mode === "run") runFrom.value = String(sel.run);
    if (sel.mode === "range") [runFrom.value, runTo.value] = [String(sel.from), String(sel.to)];
    if (sel.mode === "last") runCount.value = String(sel.count);
    const w = choice.window;
    const relative = w.kind === "relative" ? formatDuration(w.seconds) : undefined;
    // A duration typed in the address that the picker lacks is offered as it is.
    if (relative && ![...windowMode.options].some((o) => o.value === relative))
      windowMode.prepend(option(relative, `Last ${relative}`));
    windowMode.value = relative ?? w.kind;
    if (w.kind === "absolute") [spanFrom.value, spanTo.value] = [toLocalInput(w.from, offset), toLocalInput(w.to, offset)];
    if (w.kind === "night") nightDay.value = w.day ?? "";
    refresh.value = String(choice.refreshSeconds);
    if (refresh.value !== String(choice.refreshSeconds)) {
      refresh.append(option(String(choice.refreshSeconds), refreshText(choice.refreshSeconds)));
      refresh.value = String(choice.refreshSeconds);
    }
    layout();
  };
  /** Shows the inputs the chosen modes need, also while what is typed is not valid yet. */
  const layout = () => {
    const mode = runMode.value;
    runFrom.setAttribute("aria-label", mode === "range" ? "First run" : "Run");
    runsBox.replaceChildren(
      ...(mode === "run" ? [runFrom] : mode === "range" ? [runFrom, el("span", {}, "to"), runTo] : []),
      ...(mode === "last" ? [runCount] : []),
    );
    const kind = windowMode.value;
    windowBox.replaceChildren(
      ...(kind === "absolute" ? [spanFrom, el("span", {}, "to"), spanTo] : []),
      ...(kind === "night" ? [nightDay] : []),
    );
    // A fixed span or a night shows the runs in it: the run picker does not apply.
    const runsApply = kind !== "absolute" && kind !== "night";
    runMode.disabled = !runsApply;
    runsBox.hidden = !runsApply;
  };

  const readRuns = (): RunSelection | string => {
    const n = (input: HTMLInputElement) => (input.value.trim() === "" ? NaN : Number(input.value));
    switch (runMode.value) {
      case "run":
        return Number.isInteger(n(runFrom)) && n(runFrom) >= 0 ? { mode: "run", run: n(runFrom) } : "give a run number";
      case "range":
        if (!Number.isInteger(n(runFrom)) || !Number.isInteger(n(runTo))) return "give the first and the last run";
        return n(runFrom) <= n(runTo) ? { mode: "range", from: n(runFrom), to: n(runTo) } : "the first run comes after the last";
      case "last":
        return Number.isInteger(n(runCount)) && n(runCount) >= 1 && n(runCount) <= 500
          ? { mode: "last", count: n(runCount) }
          : "the last 1 to 500 runs";
      default:
        return { mode: "latest" };
    }
  };
  const readWindow = (): DashboardWindow | string => {
    const value = windowMode.value;
    if (value === "runs") return { kind: "runs" };
    if (value === "night") return nightDay.value ? { kind: "night", day: nightDay.value } : { kind: "night" };
    if (value === "absolute") {
      if (!spanFrom.value || !spanTo.value) return "give the span's start and end";
      const [from, to] = [fromLocalInput(spanFrom.value, offset), fromLocalInput(spanTo.value, offset)];
      return from < to ? { kind: "absolute", from, to } : "the span must end after it starts";
    }
    const seconds = RELATIVE_WINDOWS.find((s) => formatDuration(s) === value) ?? Math.round(parseDuration(value) ?? 3600);
    return { kind: "relative", seconds };
  };

  const apply = () => {
    const runs = readRuns();
    const window = readWindow();
    const wrong = typeof runs === "string" ? `Runs: ${runs}` : typeof window === "string" ? `Window: ${window}` : "";
    problem.textContent = wrong;
    if (typeof runs === "string" || typeof window === "string") return layout();
    const next: TimeChoice = { runSelection: runs, window, refreshSeconds: Number(refresh.value) };
    if (
      formatRunSelection(next.runSelection) === formatRunSelection(choice.runSelection) &&
      formatWindow(next.window) === formatWindow(choice.window) &&
      next.refreshSeconds === choice.refreshSeconds
    )
      return show();
    choice = next;
    show();
    options.onChange(choice);
  };

  // Switching to a mode that needs a number fills one in from what is on screen.
  runMode.addEventListener("change", () => {
    if (runMode.value !== "latest" && runFrom.value === "" && runList.options.length) {
      runFrom.value = runList.options[0]!.value;
      runTo.value = runList.options[0]!.value;
    }
    if (runMode.value === "range" && runTo.value === "") runTo.value = runFrom.value;
    apply();
  });
  windowMode.addEventListener("change", () => {
    if (windowMode.value === "absolute" && (!spanFrom.value || !spanTo.value)) {
      const now = siteNow();
      [spanFrom.value, spanTo.value] = [toLocalInput(now - 6 * 3600_000, offset), toLocalInput(now, offset)];
    }
    apply();
  });
  for (const input of [runFrom, runTo, runCount, spanFrom, spanTo, nightDay, refresh]) input.addEventListener("change", apply);

  const shown = el("span", { className: "time-shown" });
  shown.setAttribute("aria-live", "polite");
  const makeDefault = options.onMakeDefault
    ? el("button", {
        type: "button",
        className: "make-default",
        textContent: "Make default",
        title: "Keep these runs and this window as the dashboard's default (then save)",
      })
    : undefined;
  makeDefault?.addEventListener("click", () => options.onMakeDefault!());

  const element = el(
    "div",
    { className: "time-bar" },
    runList,
    el("span", { className: "time-group" }, labelled("Runs", runMode), runsBox),
    el("span", { className: "time-group" }, labelled("Window", windowMode), windowBox),
    ...(options.refresh === false ? [] : [labelled("Refresh", refresh)]),
    ...(makeDefault ? [makeDefault] : []),
    problem,
    shown,
  );
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", "Runs and time");
  show();

  return {
    element,
    /** The runs the pickers offer, newest first, with their verdict where someone gave one. */
    setRuns(runs: readonly RunInfo[], verdictOf: (run: number) => string = () => "unreviewed") {
      const newest = [...runs].sort((a, b) => b.start - a.start).slice(0, 500);
      const text = (r: RunInfo, verdict: string) =>
        `${r.id} · ${isoDay(r.start, offset)} · ${r.status}${verdict === "unreviewed" ? "" : ` · flagged ${verdict}`}`;
      runList.replaceChildren(...newest.map((r) => option(String(r.id), text(r, verdictOf(r.id)))));
    },
    /** What is on screen, in words: the runs read, the span, and why it differs from the choice. */
    setShown(text: string) {
      shown.textContent = text;
    },
    setChoice(next: TimeChoice) {
      choice = next;
      show();
    },
    /** The default is being shown: there is nothing to make default. */
    setIsDefault(isDefault: boolean) {
      if (makeDefault) makeDefault.hidden = isDefault;
    },
  };
}

function refreshText(seconds: number): string {
  return seconds === 0 ? "Live" : seconds < 0 ? "Off" : `Every ${formatRefresh(seconds)}`;
}
