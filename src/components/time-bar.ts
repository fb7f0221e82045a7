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
  const runs = new RunPicker();
  const window = new WindowPicker(offset);
  const refresh = el("select", {}, ...REFRESH_CHOICES.map((s) => option(String(s), refreshText(s))));
  const problem = el("span", { className: "time-problem", role: "alert" });

  /** Shows the inputs the chosen modes need, also while what is typed is not valid yet. */
  const layout = () => {
    runs.layout();
    // A fixed span or a night shows the runs in it: the run picker does not apply.
    runs.applies(window.layout());
  };
  /** Puts the choice into the controls. */
  const show = () => {
    runs.show(choice.runSelection);
    window.show(choice.window);
    refresh.value = String(choice.refreshSeconds);
    if (refresh.value !== String(choice.refreshSeconds)) {
      refresh.append(option(String(choice.refreshSeconds), refreshText(choice.refreshSeconds)));
      refresh.value = String(choice.refreshSeconds);
    }
    layout();
  };
  const apply = () => {
    const runSelection = runs.read();
    const span = window.read();
    problem.textContent =
      typeof runSelection === "string" ? `Runs: ${runSelection}` : typeof span === "string" ? `Window: ${span}` : "";
    if (typeof runSelection === "string" || typeof span === "string") return layout();
    const next: TimeChoice = { runSelection, window: span, refreshSeconds: Number(refresh.value) };
    if (sameChoice(next, choice)) return show();
    choice = next;
    show();
    options.onChange(choice);
  };
  runs.onChange(apply);
  window.onChange(apply);
  refresh.addEventListener("change", apply);

  const shown = el("span", { className: "time-shown" });
  shown.setAttribute("aria-live", "polite");
  const makeDefault = options.onMakeDefault ? makeDefaultButton(options.onMakeDefault) : undefined;
  const element = el(
    "div",
    { className: "time-bar" },
    runs.list,
    el("span", { className: "time-group" }, labelled("Runs", runs.mode), runs.box),
    el("span", { className: "time-group" }, labelled("Window", window.mode), window.box),
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
    setRuns(list: readonly RunInfo[], verdictOf: (run: number) => string = () => "unreviewed") {
      runs.offer(list, verdictOf, offset);
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

const sameChoice = (a: TimeChoice, b: TimeChoice) =>
  formatRunSelection(a.runSelection) === formatRunSelection(b.runSelection) &&
  formatWindow(a.window) === formatWindow(b.window) &&
  a.refreshSeconds === b.refreshSeconds;

function makeDefaultButton(onClick: () => void): HTMLButtonElement {
  const button = el("button", {
    type: "button",
    className: "make-default",
    textContent: "Make default",
    title: "Keep these runs and this window as the dashboard's default (then save)",
  });
  button.addEventListener("click", onClick);
  return button;
}

/** Which runs: the newest (followed), one, a range, or the last N; its inputs and what they say. */
class RunPicker {
  readonly mode = el(
    "select",
    {},
    option("latest", "Newest run (follow)"),
    option("run", "One run"),
    option("range", "Range of runs"),
    option("last", "Last N runs"),
  );
  readonly list = el("datalist", { id: `runs-${Math.random().toString(36).slice(2)}` });
  /** What the list offers now (see offer). */
  private offered = "";
  readonly box = el("span", { className: "time-inputs" });
  private readonly from = this.runInput("Run");
  private readonly to = this.runInput("Last run");
  private readonly count = el("input", { type: "number", min: "1", max: "500", step: "1", value: "5", className: "run-number" });

  constructor() {
    this.count.setAttribute("aria-label", "How many runs");
  }

  private runInput(label: string): HTMLInputElement {
    const input = el("input", { type: "number", min: "0", step: "1", className: "run-number" });
    input.setAttribute("list", this.list.id);
    input.setAttribute("aria-label", label);
    return input;
  }

  onChange(apply: () => void): void {
    // Switching to a mode that needs a number fills one in from what is on screen.
    this.mode.addEventListener("change", () => {
      if (this.mode.value !== "latest" && this.from.value === "" && this.list.options.length) {
        this.from.value = this.list.options[0]!.value;
        this.to.value = this.list.options[0]!.value;
      }
      if (this.mode.value === "range" && this.to.value === "") this.to.value = this.from.value;
      apply();
    });
    for (const input of [this.from, this.to, this.count]) input.addEventListener("change", apply);
  }

  show(sel: RunSelection): void {
    this.mode.value = sel.mode;
    if (sel.mode === "run") this.from.value = String(sel.run);
    if (sel.mode === "range") [this.from.value, this.to.value] = [String(sel.from), String(sel.to)];
    if (sel.mode === "last") this.count.value = String(sel.count);
  }

  layout(): void {
    const mode = this.mode.value;
    this.from.setAttribute("aria-label", mode === "range" ? "First run" : "Run");
    this.box.replaceChildren(
      ...(mode === "run" ? [this.from] : mode === "range" ? [this.from, el("span", {}, "to"), this.to] : []),
      ...(mode === "last" ? [this.count] : []),
    );
  }

  applies(yes: boolean): void {
    this.mode.disabled = !yes;
    this.box.hidden = !yes;
  }

  read(): RunSelection | string {
    const n = (input: HTMLInputElement) => (input.value.trim() === "" ? NaN : Number(input.value));
    const [from, to, count] = [n(this.from), n(this.to), n(this.count)];
    switch (this.mode.value) {
      case "run":
        return Number.isInteger(from) && from >= 0 ? { mode: "run", run: from } : "give a run number";
      case "range":
        if (!Number.isInteger(from) || !Number.isInteger(to)) return "give the first and the last run";
        return from <= to ? { mode: "range", from, to } : "the first run comes after the last";
      case "last":
        return Number.isInteger(count) && count >= 1 && count <= 500 ? { mode: "last", count } : "the last 1 to 500 runs";
      default:
        return { mode: "latest" };
    }
  }

  offer(runs: readonly RunInfo[], verdictOf: (run: number) => string, offset: number): void {
    const newest = [...runs].sort((a, b) => b.start - a.start).slice(0, 500);
    // The page offers the runs on every live update (10 a second): the 500 options are built
    // again only when a run, its state or its verdict changed.
    const offered = newest.map((r) => `${r.id} ${r.start} ${r.status} ${verdictOf(r.id)}`).join("\n") + ` ${offset}`;
    if (offered === this.offered) return;
    this.offered = offered;
    const text = (r: RunInfo, verdict: string) =>
      `${r.id} · ${isoDay(r.start, offset)} · ${r.status}${verdict === "unreviewed" ? "" : ` · flagged ${verdict}`}`;
    this.list.replaceChildren(...newest.map((r) => option(String(r.id), text(r, verdictOf(r.id)))));
  }
}

/** Which span: the last hours, whole runs, a fixed span or an observing night; at the site's offset. */
class WindowPicker {
  readonly mode = el(
    "select",
    {},
    ...RELATIVE_WINDOWS.map((s) => option(formatDuration(s), `Last ${formatDuration(s)}`)),
    option("runs", "Whole runs"),
    option("absolute", "Fixed span…"),
    option("night", "Observing night…"),
  );
  readonly box = el("span", { className: "time-inputs" });
  private readonly from = el("input", { type: "datetime-local" });
  private readonly to = el("input", { type: "datetime-local" });
  private readonly night = el("input", { type: "date" });

  constructor(private readonly offset: number) {
    this.from.setAttribute("aria-label", "From");
    this.to.setAttribute("aria-label", "To");
    this.night.setAttribute("aria-label", "Night starting on (empty: the last night with data)");
  }

  onChange(apply: () => void): void {
    this.mode.addEventListener("change", () => {
      if (this.mode.value === "absolute" && (!this.from.value || !this.to.value)) {
        const now = siteNow();
        [this.from.value, this.to.value] = [toLocalInput(now - 6 * 3600_000, this.offset), toLocalInput(now, this.offset)];
      }
      apply();
    });
    for (const input of [this.from, this.to, this.night]) input.addEventListener("change", apply);
  }

  show(w: DashboardWindow): void {
    const relative = w.kind === "relative" ? formatDuration(w.seconds) : undefined;
    // A duration typed in the address that the picker lacks is offered as it is.
    if (relative && ![...this.mode.options].some((o) => o.value === relative))
      this.mode.prepend(option(relative, `Last ${relative}`));
    this.mode.value = relative ?? w.kind;
    if (w.kind === "absolute")
      [this.from.value, this.to.value] = [toLocalInput(w.from, this.offset), toLocalInput(w.to, this.offset)];
    if (w.kind === "night") this.night.value = w.day ?? "";
  }

  /** Shows the inputs the mode needs; returns whether the run picker applies with it. */
  layout(): boolean {
    const kind = this.mode.value;
    this.box.replaceChildren(
      ...(kind === "absolute" ? [this.from, el("span", {}, "to"), this.to] : []),
      ...(kind === "night" ? [this.night] : []),
    );
    return kind !== "absolute" && kind !== "night";
  }

  read(): DashboardWindow | string {
    const value = this.mode.value;
    if (value === "runs") return { kind: "runs" };
    if (value === "night") return this.night.value ? { kind: "night", day: this.night.value } : { kind: "night" };
    if (value === "absolute") {
      if (!this.from.value || !this.to.value) return "give the span's start and end";
      const [from, to] = [fromLocalInput(this.from.value, this.offset), fromLocalInput(this.to.value, this.offset)];
      return from < to ? { kind: "absolute", from, to } : "the span must end after it starts";
    }
    const seconds = RELATIVE_WINDOWS.find((s) => formatDuration(s) === value) ?? Math.round(parseDuration(value) ?? 3600);
    return { kind: "relative", seconds };
  }
}

function refreshText(seconds: number): string {
  return seconds === 0 ? "Live" : seconds < 0 ? "Off" : `Every ${formatRefresh(seconds)}`;
}
