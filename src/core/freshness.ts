// How old a value is, in the words a shifter reads at a glance, and when it counts as stale.

/** "4 s", "3 min", "2 h 5 min", "3 d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Whether a value taken at `t` is stale at `now`: nothing newer came for `staleSeconds`. */
export function isStale(t: number, now: number, staleSeconds: number): boolean {
  return now - t > staleSeconds * 1000;
}

/** A stat's default staleness: a few missed readings at the observable's usual cadence, at least a minute. */
export function defaultStaleSeconds(cadenceMs: number | undefined): number {
  return Math.max(60, Math.round(((cadenceMs ?? 10_000) * 5) / 1000));
}

/** The median gap between consecutive times: an observable's cadence, as its readings show it. */
export function medianGap(t: ArrayLike<number>): number | undefined {
  if (t.length < 2) return undefined;
  const gaps: number[] = [];
  for (let i = Math.max(1, t.length - 50); i < t.length; i++) gaps.push(t[i]! - t[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1];
}

/**
 * Where a line must break: the indices i at which x[i] - x[i-1] exceeds `maxGap`. A line drawn
 * straight across an hour the DAQ was down would show readings that never were.
 */
export function gapStarts(x: ArrayLike<number>, maxGap: number): number[] {
  const out: number[] = [];
  if (!(maxGap > 0)) return out;
  for (let i = 1; i < x.length; i++) if (x[i]! - x[i - 1]! > maxGap) out.push(i);
  return out;
}

/** The gap that breaks a line: several readings' worth at the usual cadence, and wider than `least` (a pixel column). */
export function breakingGap(cadenceMs: number | undefined, least: number): number {
  return Math.max(least, 5 * (cadenceMs ?? 0)) || Number.POSITIVE_INFINITY;
}
