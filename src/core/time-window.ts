// Which span of time a view shows. Pure functions of (runs, selection, now), so the server,
// the loaders and the browser agree on the same window.
import type { RunInfo } from "./catalog.js";

export interface TimeWindow {
  /** Epoch milliseconds, inclusive. */
  from: number;
  /** Epoch milliseconds, inclusive. */
  to: number;
}

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

/** The newest run is the one that started last. */
export function latestRun(runs: readonly RunInfo[]): RunInfo | undefined {
  let best: RunInfo | undefined;
  for (const run of runs) if (!best || run.start > best.start || (run.start === best.start && run.id > best.id)) best = run;
  return best;
}

/**
 * The observing night that contains `t`: from 12:00 local time to 12:00 the next day.
 * `utcOffsetMinutes` is the site's offset from UTC (0 for La Palma in winter, -300 for
 * Chicago in winter): a night belongs to the site, not to the browser's time zone.
 */
export function nightContaining(t: number, utcOffsetMinutes = 0): TimeWindow {
  const offset = utcOffsetMinutes * 60_000;
  const local = t + offset;
  const noonToday = Math.floor(local / DAY_MS) * DAY_MS + 12 * HOUR_MS;
  const start = local >= noonToday ? noonToday : noonToday - DAY_MS;
  return { from: start - offset, to: start + DAY_MS - offset };
}

/**
 * The night to show for `t`: that night if it has data, else the last earlier night that has,
 * looking back at most `maxLookbackDays`. Returns undefined when none of them has data.
 */
export async function lastNightWithData(
  t: number,
  hasData: (window: TimeWindow) => boolean | Promise<boolean>,
  options: { utcOffsetMinutes?: number; maxLookbackDays?: number } = {},
): Promise<TimeWindow | undefined> {
  for (const night of nightsBack(t, options)) if (await hasData(night)) return night;
  return undefined;
}

/** The night containing `t`, then each earlier one, `maxLookbackDays` of them at most. */
function* nightsBack(t: number, options: { utcOffsetMinutes?: number; maxLookbackDays?: number }): Generator<TimeWindow> {
  const { utcOffsetMinutes = 0, maxLookbackDays = 180 } = options;
  let night = nightContaining(t, utcOffsetMinutes);
  for (let back = 0; back <= maxLookbackDays; back++) {
    yield night;
    night = { from: night.from - DAY_MS, to: night.from };
  }
}

/**
 * Which data a snapshot or a page asks for. Every source and page resolves these the same way
 * through `resolveSelection`, so "the newest run" or "last night" means one thing everywhere.
 */
export type DataSelection =
  | { kind: "run"; run: number }
  /** Run ids `from`..`to`, both included. */
  | { kind: "runs"; from: number; to: number }
  | { kind: "latest" }
  /** The last `seconds` up to now. */
  | { kind: "relative"; seconds: number }
  /** Epoch milliseconds, both included. */
  | { kind: "absolute"; from: number; to: number }
  /**
   * The observing night (12:00 to 12:00 at the site) that starts on `day` (YYYY-MM-DD, the
   * site's local date), or tonight when omitted; an empty night falls back to the last
   * earlier one with data, up to `maxLookbackDays`.
   */
  | { kind: "night"; day?: string; utcOffsetMinutes?: number; maxLookbackDays?: number };

export interface ResolvedSelection {
  /** The runs the selection covers, by id. */
  runs: RunInfo[];
  /** The span of time to show. */
  window: TimeWindow;
  /** Why the result differs from what was asked, e.g. a night that fell back to an earlier one. */
  note?: string;
}

/**
 * Epoch ms of a run's newest reading, where known. A run that was never closed (no stop) then
 * ends there, not "now": otherwise it would claim every night and window since it started.
 */
export type LastReading = (run: number) => number | null | undefined;

/** Where a run ends: its stop; for an open run, its newest reading (its start when it has none), else now. */
function endOf(run: RunInfo, now: number, lastReading?: LastReading): number {
  if (run.stop !== null) return run.stop;
  const last = lastReading?.(run.id);
  return last === undefined ? now : (last ?? run.start);
}

const overlaps = (run: RunInfo, w: TimeWindow, now: number, lastReading?: LastReading) =>
  run.start <= w.to && endOf(run, now, lastReading) >= w.from;

function runsWindow(runs: readonly RunInfo[], now: number): TimeWindow {
  return {
    from: Math.min(...runs.map((r) => r.start)),
    to: Math.max(...runs.map((r) => r.stop ?? now)),
  };
}

/** Resolves a selection against the runs a source lists. `undefined` when nothing matches. */
export function resolveSelection(
  runs: readonly RunInfo[],
  selection: DataSelection,
  now: number,
  lastReading?: LastReading,
): ResolvedSelection | undefined {
  const byId = [...runs].sort((a, b) => a.id - b.id);
  const inWindow = (window: TimeWindow, note?: string): ResolvedSelection => ({
    runs: byId.filter((r) => overlaps(r, window, now, lastReading)),
    window,
    ...(note ? { note } : {}),
  });
  switch (selection.kind) {
    case "run":
    case "latest": {
      const run = selection.kind === "run" ? byId.find((r) => r.id === selection.run) : latestRun(byId);
      return run ? { runs: [run], window: { from: run.start, to: run.stop ?? now } } : undefined;
    }
    case "runs": {
      const chosen = byId.filter((r) => r.id >= selection.from && r.id <= selection.to);
      return chosen.length > 0 ? { runs: chosen, window: runsWindow(chosen, now) } : undefined;
    }
    case "relative":
      return inWindow({ from: now - selection.seconds * 1000, to: now });
    case "absolute":
      return inWindow({ from: selection.from, to: selection.to });
    case "night": {
      const offset = selection.utcOffsetMinutes ?? 0;
      const asked = selection.day ? nightStartingOn(selection.day, offset) : nightContaining(now, offset);
      const found = nightWithRuns(
        byId,
        asked.from,
        now,
        { utcOffsetMinutes: offset, maxLookbackDays: selection.maxLookbackDays },
        lastReading,
      );
      if (!found) return undefined;
      return inWindow(
        found,
        found.from === asked.from
          ? undefined
          : `no data in the night of ${isoDay(asked.from, offset)}; showing ${isoDay(found.from, offset)}`,
      );
    }
  }
}

/** The night whose first noon falls on `day` (YYYY-MM-DD, the site's local date). */
export function nightStartingOn(day: string, utcOffsetMinutes = 0): TimeWindow {
  const midnight = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(midnight)) throw new Error(`${day} is not a date like 2026-03-10`);
  // Date.parse rolls 2026-11-31 over to 1 December; a day the calendar lacks is refused instead.
  if (isoDay(midnight) !== day) throw new Error(`${day} is not a day of the calendar (that month has fewer days)`);
  return nightContaining(midnight + 12 * HOUR_MS - utcOffsetMinutes * 60_000, utcOffsetMinutes);
}

/** The site's local date (YYYY-MM-DD) at epoch ms `t`. */
export function isoDay(t: number, utcOffsetMinutes = 0): string {
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/**
 * `lastNightWithData` when the runs are known: a night has data when a run overlaps it.
 * Pure and synchronous, for pages and snapshots that already hold the run list.
 */
export function nightWithRuns(
  runs: readonly RunInfo[],
  t: number,
  now: number,
  options: { utcOffsetMinutes?: number; maxLookbackDays?: number } = {},
  lastReading?: LastReading,
): TimeWindow | undefined {
  for (const night of nightsBack(t, options)) if (runs.some((r) => overlaps(r, night, now, lastReading))) return night;
  return undefined;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86400 };

/** Seconds of a duration such as `90s`, `30m`, `6h` or `2d`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|min|m|h|d)$/.exec(text);
  if (!m || Number(m[1]) <= 0) return undefined;
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

/**
 * Which runs, in words: "run 1003", "runs 1000–1010 (11)", and runs that are not consecutive
 * as their stretches, "runs 41–43, 25170–25176 (10)" (a night that holds a beamline's scans
 * and a camera's runs is not 25 000 runs). Past four stretches, the middle ones are elided.
 */
export function describeRunIds(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  if (sorted.length === 0) return "no runs";
  if (sorted.length === 1) return `run ${sorted[0]}`;
  const stretches: [number, number][] = [];
  for (const id of sorted) {
    const last = stretches.at(-1);
    if (last && id === last[1] + 1) last[1] = id;
    else stretches.push([id, id]);
  }
  const text = stretches.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  const shown = text.length > 4 ? [text[0], text[1], "…", text.at(-1)] : text;
  return `runs ${shown.join(", ")} (${sorted.length})`;
}

/** The shortest text `parseDuration` reads back: 3600 -> `1h`, 5400 -> `90m`. */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * Parses the text form used by the CLI and page URLs:
 * `run:1003`, `runs:1000-1010`, `latest`, `last:6h`, `window:<ISO>/<ISO>`, `night`, `night:2026-03-10`.
 * Throws an Error whose message says what was expected.
 */
export function parseSelection(text: string, options: { utcOffsetMinutes?: number } = {}): DataSelection {
  // What a physicist types first: a run number ("25499") or a range of them ("25495-25498").
  const plain = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (plain && plain[2] === undefined) return { kind: "run", run: Number(plain[1]) };
  if (plain && Number(plain[1]) <= Number(plain[2])) return { kind: "runs", from: Number(plain[1]), to: Number(plain[2]) };
  const [kind = "", arg = ""] = text.trim().split(/:(.*)/s);
  const fail = (what: string): never => {
    throw new Error(`${JSON.stringify(text)}: ${what}`);
  };
  switch (kind) {
    case "run": {
      if (!/^\d+$/.test(arg)) fail("run:<id> needs a run number, e.g. run:1003");
      return { kind: "run", run: Number(arg) };
    }
    case "runs": {
      const m = /^(\d+)-(\d+)$/.exec(arg);
      if (!m || Number(m[1]) > Number(m[2]))
        fail("runs:<first>-<last> needs two run numbers, first <= last, e.g. runs:1000-1010");
      return { kind: "runs", from: Number(m![1]), to: Number(m![2]) };
    }
    case "latest":
      if (arg) fail("latest takes no argument");
      return { kind: "latest" };
    case "last": {
      const seconds = parseDuration(arg);
      if (seconds === undefined) fail("last:<duration> needs a positive duration such as 90s, 30m, 6h or 2d");
      return { kind: "relative", seconds: seconds! };
    }
    case "window": {
      const [from, to] = arg.split("/").map((s) => Date.parse(s));
      if (from === undefined || to === undefined || Number.isNaN(from) || Number.isNaN(to) || from > to) {
        fail("window:<from>/<to> needs two ISO times, from <= to, e.g. window:2026-03-10T18:00Z/2026-03-11T06:00Z");
      }
      return { kind: "absolute", from: from!, to: to! };
    }
    case "night":
      if (arg) {
        try {
          nightStartingOn(arg);
        } catch (error) {
          fail(error instanceof Error ? error.message : String(error));
        }
      }
      return {
        kind: "night",
        ...(arg ? { day: arg } : {}),
        ...(options.utcOffsetMinutes ? { utcOffsetMinutes: options.utcOffsetMinutes } : {}),
      };
    default:
      return fail(
        "expected run:<id>, runs:<first>-<last>, latest, last:<duration>, window:<from>/<to>, night or night:<YYYY-MM-DD>",
      );
  }
}
