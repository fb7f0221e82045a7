// Flags and notes on runs: a person marks a run (or a span of it) bad, or reviewed (archived),
// with a note saying why. A flag records who and when; it can be withdrawn, which is kept too:
// nothing is erased, so the history of a run's verdicts can be read back in a review. Pure: the
// server, the pages and the snapshot's flags.json agree through these types and functions.
import { z } from "./z.js";

export const verdicts = ["bad", "reviewed"] as const;
export type Verdict = (typeof verdicts)[number];

const time = z.union([z.number().int().min(0), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

/** What a person sends: `POST /api/runs/:id/flags`. Times are epoch ms or ISO-8601. */
export const newFlagSchema = z
  .object({
    verdict: z.enum(verdicts),
    note: z.string().trim().min(1, "say why (the note is what a reviewer reads)").max(2000),
    /** A span within the run; both absent: the whole run. */
    from: time.optional(),
    to: time.optional(),
    /** What proposed it, when a widget did ("camera.hv[25] out of 1040-1060 V"). */
    proposedBy: z.string().max(300).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if ((f.from === undefined) !== (f.to === undefined))
      ctx.addIssue({
        code: "custom",
        path: [f.from === undefined ? "from" : "to"],
        message: "give both from and to, or neither",
      });
    if (f.from !== undefined && f.to !== undefined && f.from >= f.to)
      ctx.addIssue({ code: "custom", path: ["to"], message: "must come after from" });
  });
export type NewFlag = z.infer<typeof newFlagSchema>;

export const withdrawSchema = z.object({ reason: z.string().trim().max(2000).default("") }).strict();

export interface RunFlag {
  id: string;
  run: number;
  verdict: Verdict;
  note: string;
  /** Epoch ms; null for the whole run. */
  from: number | null;
  to: number | null;
  author: string;
  /** ISO-8601. */
  createdAt: string;
  proposedBy: string | null;
  /** Set once withdrawn; the flag stays in the history. */
  withdrawn: { by: string; at: string; reason: string } | null;
}

/** The flags in force (not withdrawn). */
export const standing = (flags: readonly RunFlag[]) => flags.filter((f) => f.withdrawn === null);

/**
 * A run's verdict from its standing flags: bad if any flag says so (a bad span taints the run),
 * else reviewed if one says so, else unreviewed.
 */
export function runVerdict(flags: readonly RunFlag[]): Verdict | "unreviewed" {
  const now = standing(flags);
  if (now.some((f) => f.verdict === "bad")) return "bad";
  return now.some((f) => f.verdict === "reviewed") ? "reviewed" : "unreviewed";
}

export const RUN_FILTERS = ["all", "unreviewed", "bad", "reviewed", "flagged-last-week"] as const;
export type RunFilter = (typeof RUN_FILTERS)[number];

export const RUN_FILTER_WORDS: Record<RunFilter, string> = {
  all: "all runs",
  unreviewed: "runs not yet reviewed",
  bad: "runs flagged bad",
  reviewed: "runs reviewed",
  "flagged-last-week": "runs flagged in the last 7 days",
};

/** Whether a run passes a filter, given its flags (all of them, withdrawn included). */
export function passesFilter(flags: readonly RunFlag[], filter: RunFilter, now: number): boolean {
  switch (filter) {
    case "all":
      return true;
    case "unreviewed":
    case "bad":
    case "reviewed":
      return runVerdict(flags) === filter;
    case "flagged-last-week":
      return standing(flags).some((f) => Date.parse(f.createdAt) >= now - 7 * 86_400_000);
  }
}

/** Groups flags by run. */
export function flagsByRun(flags: readonly RunFlag[]): Map<number, RunFlag[]> {
  const byRun = new Map<number, RunFlag[]>();
  for (const f of flags) (byRun.get(f.run) ?? byRun.set(f.run, []).get(f.run)!).push(f);
  return byRun;
}

/** The spans to shade on a time axis: each standing flag's span, or its whole run's. */
export function flagBands(
  flags: readonly RunFlag[],
  runSpan: (run: number) => { from: number; to: number } | undefined,
): { from: number; to: number; verdict: Verdict; run: number; note: string }[] {
  const bands = [];
  for (const f of standing(flags)) {
    const span = f.from !== null && f.to !== null ? { from: f.from, to: f.to } : runSpan(f.run);
    if (span) bands.push({ ...span, verdict: f.verdict, run: f.run, note: f.note });
  }
  return bands;
}

export interface OutOfRange {
  from: number;
  to: number;
  /** How many readings were outside, and the furthest one. */
  count: number;
  worst: number;
}

/**
 * Where a series leaves a healthy range: consecutive readings outside it joined into spans.
 * A span starts at the first reading outside and ends at the last; NaN readings are skipped.
 */
export function outOfRangeSpans(
  t: ArrayLike<number>,
  value: ArrayLike<number>,
  range: { min: number; max: number },
): OutOfRange[] {
  const spans: OutOfRange[] = [];
  let open: OutOfRange | undefined;
  const distance = (v: number) => (v < range.min ? range.min - v : v - range.max);
  for (let i = 0; i < t.length; i++) {
    const v = value[i]!;
    if (Number.isNaN(v)) continue;
    const outside = v < range.min || v > range.max;
    if (outside) {
      if (!open) open = { from: t[i]!, to: t[i]!, count: 0, worst: v };
      open.to = t[i]!;
      open.count++;
      if (distance(v) > distance(open.worst)) open.worst = v;
    } else if (open) {
      spans.push(open);
      open = undefined;
    }
  }
  if (open) spans.push(open);
  return spans;
}

/** "900–1300", or one side only where the other is open ("≤ 1300"). */
const rangeText = (r: { min: number; max: number }) =>
  Number.isFinite(r.min) && Number.isFinite(r.max) ? `${r.min}–${r.max}` : Number.isFinite(r.max) ? `≤ ${r.max}` : `≥ ${r.min}`;

/**
 * The PMT workflow's proposal for one run: out of range somewhere -> flag it bad over the span
 * where it was; all in range once the run has ended (the next scan began) -> mark it reviewed.
 * Nothing while a run is still going and in range. The person confirms; this only proposes.
 */
export function proposeVerdict(
  checks: readonly { label: string; unit?: string; range: { min: number; max: number }; spans: readonly OutOfRange[] }[],
  runEnded: boolean,
): (Omit<NewFlag, "proposedBy"> & { proposedBy: string }) | undefined {
  const failing = checks.filter((c) => c.spans.length > 0);
  if (failing.length > 0) {
    const from = Math.min(...failing.flatMap((c) => c.spans.map((s) => s.from)));
    const to = Math.max(...failing.flatMap((c) => c.spans.map((s) => s.to)));
    const words = failing.map((c) => {
      const count = c.spans.reduce((n, s) => n + s.count, 0);
      return `${c.label} left ${rangeText(c.range)}${c.unit ? ` ${c.unit}` : ""} (${count} reading${count === 1 ? "" : "s"})`;
    });
    // A single reading out of range is a span of one instant: widen it to a second so it shows.
    return {
      verdict: "bad",
      note: `Out of the healthy range: ${words.join("; ")}.`,
      from,
      to: to > from ? to : from + 1000,
      proposedBy: words.join("; "),
    };
  }
  if (!runEnded || checks.length === 0) return undefined;
  const labels = checks.map((c) => c.label);
  const named = labels.length <= 4 ? labels.join(", ") : `${labels.slice(0, 3).join(", ")} and ${labels.length - 3} more`;
  return {
    verdict: "reviewed",
    note: `All ${labels.length} series within their healthy ranges (${named}).`,
    proposedBy: `${named} in range`,
  };
}
