// Flags on the runs a dashboard shows: each run's verdict and its flags (who, when, why, the
// span; withdrawn ones struck through but kept), a form to flag a run or the span on screen, and
// what the widgets propose: a run whose values left the healthy range -> flag it bad over that
// span; a run that ended with everything in range -> mark it reviewed. The person confirms.
import { siteNow } from "./site-mode.js";
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import type { Widget } from "../core/dashboard.js";
import type { SeriesBuffer } from "./series-buffer.js";
import { lowerBound } from "../core/m4.js";
import { rangeOf, seriesLabel } from "./widget-common.js";
import {
  type NewFlag,
  type OutOfRange,
  type RunFlag,
  flagsByRun,
  outOfRangeSpans,
  proposeVerdict,
  runVerdict,
  standing,
} from "../core/flags.js";
import type { TimeWindow } from "../core/time-window.js";
import { ApiError, type Session, addFlag, fetchFlags, withdrawFlag } from "./api.js";
import { el, labelled } from "./dom.js";

/** One widget's series checked against its healthy range over one run. */
export interface RangeCheck {
  label: string;
  unit?: string;
  range: { min: number; max: number };
  spans: readonly OutOfRange[];
}

/**
 * Each time series, number and table widget with a healthy range, checked over one run's
 * readings as the page holds them (level-of-detail buckets keep their extremes).
 */
export function rangeChecks(
  run: RunInfo,
  widgets: readonly Widget[],
  info: (observable: string) => ObservableInfo | undefined,
  buffer: (observable: string, channel: number) => SeriesBuffer | undefined,
): RangeCheck[] {
  const checks: RangeCheck[] = [];
  const end = run.stop ?? siteNow();
  for (const widget of widgets) {
    if (widget.kind !== "timeseries" && widget.kind !== "stat" && widget.kind !== "table") continue;
    for (const ref of widget.series) {
      const observable = info(ref.observable);
      const range = rangeOf(widget, observable);
      const held = buffer(ref.observable, ref.channel);
      if (!range || !held || held.length === 0) continue;
      const { x, y } = held.columns();
      // The readings are in time order: the run's are one slice of them.
      const first = lowerBound(x, run.start);
      const last = lowerBound(x, end + 1);
      if (last === first) continue;
      checks.push({
        label: seriesLabel(ref, observable),
        unit: observable?.unit,
        range,
        spans: outOfRangeSpans(x.subarray(first, last), y.subarray(first, last), range),
      });
    }
  }
  return checks;
}

export interface RunFlagsOptions {
  session: Session;
  status: (text: string, isError?: boolean) => void;
  /** The runs on screen and the window. */
  shown: () => { runs: readonly RunInfo[]; window: TimeWindow } | undefined;
  /** Every run the source lists (a run has ended when a newer one began). */
  allRuns: () => readonly RunInfo[];
  /** The widgets' series checked over one run. */
  checks: (run: RunInfo) => RangeCheck[];
  /** Where the flags come from (default: the server's /api/flags). */
  load?: () => Promise<RunFlag[]>;
  /** The flags changed (the bands redraw). */
  onFlags: (flags: readonly RunFlag[]) => void;
  /** Read with the flags: what else the checks use (the server's alarm spans). */
  alsoLoad?: () => Promise<void>;
}

const time = (t: number) => new Date(t).toLocaleString();
const span = (f: { from: number | null; to: number | null }) =>
  f.from !== null && f.to !== null ? `${time(f.from)} – ${time(f.to)}` : "the whole run";

export function runFlagsPanel(options: RunFlagsOptions) {
  const panel = new RunFlagsPanel(options);
  return {
    element: panel.element,
    refresh: () => panel.refresh(),
    render: () => panel.render(),
    flags: () => panel.flags,
  };
}

/** Proposals shown at once; the older ones are counted. */
const SHOWN_PROPOSALS = 5;

class RunFlagsPanel {
  readonly element = el("details", { className: "run-flags" });
  flags: RunFlag[] = [];
  private readonly mayFlag: boolean;
  private readonly summary = el("summary", {}, "Flags");
  private readonly list = el("div", { className: "run-flag-list" });
  private readonly proposals = el("div", { className: "run-flag-proposals" });
  private readonly runSelect = el("select", { name: "flag-run" });

  constructor(private readonly options: RunFlagsOptions) {
    this.mayFlag = options.session.rights.includes("flag-runs");
    this.element.append(this.summary, this.proposals, this.list, ...(this.mayFlag ? [this.form()] : []));
  }

  /** The form: flag a run (whole, or the span on screen). */
  private form(): HTMLFormElement {
    const verdict = el(
      "select",
      { name: "verdict" },
      el("option", { value: "bad", textContent: "bad" }),
      el("option", { value: "reviewed", textContent: "reviewed (archive)" }),
    );
    const note = el("input", {
      type: "text",
      name: "note",
      maxLength: 2000,
      placeholder: "why (read by the reviewer)",
      className: "flag-note",
    });
    const onlyWindow = el("input", { type: "checkbox", name: "only-window" });
    const form = el(
      "form",
      { className: "flag-form" },
      labelled("Run", this.runSelect),
      labelled("Verdict", verdict),
      labelled("Note", note),
      el("label", { className: "check" }, onlyWindow, " only the span on screen"),
      el("button", { type: "submit", textContent: "Flag run" }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const run = this.options.allRuns().find((r) => r.id === Number(this.runSelect.value));
      const shown = this.options.shown();
      if (!run || !shown) return;
      const flag: NewFlag = { verdict: verdict.value as NewFlag["verdict"], note: note.value };
      if (onlyWindow.checked) {
        const end = run.stop ?? siteNow();
        flag.from = Math.max(run.start, Math.round(shown.window.from));
        flag.to = Math.min(end, Math.round(shown.window.to));
      }
      if (await this.send(run.id, flag)) note.value = "";
    });
    return form;
  }

  private async send(run: number, flag: NewFlag): Promise<boolean> {
    try {
      await addFlag(run, flag);
      this.options.status(`Run ${run} flagged ${flag.verdict}.`);
      await this.refresh();
      return true;
    } catch (error) {
      this.options.status(`Could not flag run ${run}: ${error instanceof ApiError ? error.message : String(error)}`, true);
      return false;
    }
  }

  private flagItem(f: RunFlag): HTMLElement {
    const item = el(
      "li",
      { className: f.withdrawn ? "withdrawn" : "" },
      el("span", { className: `verdict verdict-${f.verdict}` }, f.verdict),
      ` ${span(f)} · ${f.author}, ${time(Date.parse(f.createdAt))}: `,
      el("span", { className: "flag-text" }, f.note),
    );
    item.dataset.flag = f.id;
    const { session } = this.options;
    if (f.withdrawn) {
      const why = f.withdrawn.reason ? `: ${f.withdrawn.reason}` : "";
      item.append(
        el(
          "span",
          { className: "withdrawn-note" },
          ` — withdrawn by ${f.withdrawn.by}, ${time(Date.parse(f.withdrawn.at))}${why}`,
        ),
      );
    } else if (this.mayFlag && (f.author === session.user || session.role === "admin")) {
      const withdraw = el("button", { type: "button", textContent: "Withdraw" });
      withdraw.setAttribute("aria-label", `Withdraw the ${f.verdict} flag on run ${f.run}`);
      withdraw.addEventListener("click", () => void this.withdraw(f));
      item.append(" ", withdraw);
    }
    return item;
  }

  private async withdraw(f: RunFlag): Promise<void> {
    const reason = prompt("Why is this flag withdrawn? (kept in the run's history)") ?? undefined;
    if (reason === undefined) return;
    try {
      await withdrawFlag(f.run, f.id, reason);
      this.options.status(`Withdrew the ${f.verdict} flag on run ${f.run}; it stays in the run's history.`);
      await this.refresh();
    } catch (error) {
      this.options.status(`Could not withdraw: ${error instanceof ApiError ? error.message : String(error)}`, true);
    }
  }

  render(): void {
    const shown = this.options.shown();
    const runs = shown ? [...shown.runs].sort((a, b) => b.id - a.id) : [];
    const byRun = flagsByRun(this.flags);
    const previous = this.runSelect.value;
    this.runSelect.replaceChildren(...runs.map((r) => el("option", { value: String(r.id), textContent: `run ${r.id}` })));
    if (runs.some((r) => String(r.id) === previous)) this.runSelect.value = previous;
    const standingShown = runs.reduce((n, r) => n + standing(byRun.get(r.id) ?? []).length, 0);
    this.renderList(runs, byRun);
    const proposed = this.renderProposals(runs, byRun);
    const bad = proposed.filter((p) => p.proposal.verdict === "bad").length;
    this.summary.textContent =
      `Flags on the runs shown: ${standingShown} standing` +
      (proposed.length ? ` · ${proposed.length} proposed${bad ? ` (${bad} out of range)` : ""}` : "");
    this.summary.classList.toggle("has-proposals", bad > 0);
  }

  /**
   * Runs with flags get a line each; the others are named together, so a night of 40 runs does
   * not push the widgets off the screen.
   */
  private renderList(runs: readonly RunInfo[], byRun: Map<number, RunFlag[]>): void {
    const flagged = runs.filter((r) => (byRun.get(r.id) ?? []).length > 0);
    const unflagged = runs.filter((r) => (byRun.get(r.id) ?? []).length === 0);
    const notFlagged = `Not flagged: ${unflagged.length === 1 ? "run" : "runs"} ${unflagged.map((r) => r.id).join(", ")}.`;
    this.list.replaceChildren(
      ...flagged.map((r) => {
        const own = byRun.get(r.id)!;
        const v = runVerdict(own);
        const row = el(
          "div",
          { className: "run-flag-run" },
          el("strong", {}, `Run ${r.id}`),
          " ",
          el("span", { className: `verdict verdict-${v}` }, v),
          el("ul", {}, ...own.map((f) => this.flagItem(f))),
        );
        row.dataset.run = String(r.id);
        return row;
      }),
      ...(unflagged.length ? [el("p", { className: "unflagged" }, notFlagged)] : []),
    );
  }

  /** Proposals only for runs nobody has judged yet, newest first; returns them all. */
  private renderProposals(runs: readonly RunInfo[], byRun: Map<number, RunFlag[]>) {
    const newest = Math.max(...this.options.allRuns().map((r) => r.start));
    const proposed = this.mayFlag
      ? runs
          .filter((r) => runVerdict(byRun.get(r.id) ?? []) === "unreviewed")
          .flatMap((r) => {
            const proposal = proposeVerdict(this.options.checks(r), r.stop !== null && r.start < newest);
            return proposal ? [{ run: r, proposal }] : [];
          })
      : [];
    const more = `${proposed.length - SHOWN_PROPOSALS} older runs have proposals too: show fewer runs to see them.`;
    this.proposals.replaceChildren(
      ...proposed.slice(0, SHOWN_PROPOSALS).map(({ run, proposal }) => {
        const confirm = el("button", {
          type: "button",
          textContent: proposal.verdict === "bad" ? `Flag run ${run.id} bad` : `Mark run ${run.id} reviewed`,
        });
        confirm.addEventListener("click", () => void this.send(run.id, proposal));
        const box = el(
          "p",
          { className: `proposal proposal-${proposal.verdict}` },
          `Proposed for run ${run.id}: ${proposal.note} `,
          confirm,
        );
        box.dataset.run = String(run.id);
        return box;
      }),
      ...(proposed.length > SHOWN_PROPOSALS ? [el("p", { className: "unflagged" }, more)] : []),
    );
    return proposed;
  }

  async refresh(): Promise<void> {
    try {
      this.flags = this.options.load ? await this.options.load() : (await fetchFlags()).flatMap((r) => r.flags);
      await this.options.alsoLoad?.().catch(() => undefined);
    } catch {
      // The next refresh asks again; what is shown stays.
      return;
    }
    this.options.onFlags(this.flags);
    this.render();
  }
}
