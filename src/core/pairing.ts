// One observable against another (a scan: detector against motor position). Readings of two
// series rarely share exact times unless they came in one event, so each y reading is paired
// with the x reading at or just before it, within a tolerance.
import { lowerBound } from "./m4.js";

export interface Column {
  t: ArrayLike<number>;
  value: ArrayLike<number>;
}

export interface PairedPoint {
  x: number;
  y: number;
  /** The y reading's time. */
  t: number;
}

/** Pairs each y reading with the newest x reading no later than it and at most `toleranceMs` older. */
export function pairByTime(x: Column, y: Column, toleranceMs: number): PairedPoint[] {
  const out: PairedPoint[] = [];
  for (let i = 0; i < y.t.length; i++) {
    const t = y.t[i]!;
    // lowerBound finds the first x at or after t; an exact match is that one, else the one before.
    let j = lowerBound(x.t, t);
    if (j >= x.t.length || x.t[j]! > t) j--;
    if (j < 0 || t - x.t[j]! > toleranceMs) continue;
    const xv = x.value[j]!;
    const yv = y.value[i]!;
    if (Number.isFinite(xv) && Number.isFinite(yv)) out.push({ x: xv, y: yv, t });
  }
  return out;
}
