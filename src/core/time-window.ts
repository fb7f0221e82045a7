// Which span of time a view shows. Pure functions of (runs, selection, now), so the server,
// the loaders and the browser agree on the same window.
import type { RunInfo } from "./catalog.js";
import type { RunSelection } from "./dashboard.js";

export interface TimeWindow {
  /** Epoch milliseconds, inclusive. */
  from: number;
  /** Epoch milliseconds, inclusive. */
  to: number;
}

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

export function relativeWindow(now: number, seconds: number): TimeWindow {
  return { from: now - seconds * 1000, to: now };
}

/** The newest run is the one that started last. */
export function latestRun(runs: readonly RunInfo[]): RunInfo | undefined {
  let best: RunInfo | undefined;
  for (const run of runs) if (!best || run.start > best.start || (run.start === best.start && run.id > best.id)) best = run;
  return best;
}

export function selectRun(runs: readonly RunInfo[], selection: RunSelection): RunInfo | undefined {
  return selection.mode === "latest" ? latestRun(runs) : runs.find((r) => r.id === selection.run);
}

/**
 * The last `seconds` of a run: up to now while it is running, up to its stop once it stopped.
 * A window never starts before the run does.
 */
export function runTailWindow(run: RunInfo, seconds: number, now: number): TimeWindow {
  const to = run.stop ?? now;
  return { from: Math.max(run.start, to - seconds * 1000), to };
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
  const { utcOffsetMinutes = 0, maxLookbackDays = 180 } = options;
  let night = nightContaining(t, utcOffsetMinutes);
  for (let back = 0; back <= maxLookbackDays; back++) {
    if (await hasData(night)) return night;
    night = { from: night.from - DAY_MS, to: night.from };
  }
  return undefined;
}
