// Level of detail: which precomputed M4 table a view should read, and how its rows become the
// points a line chart draws. Snapshots keep M4 per time bucket at a few widths (see
// loaders/snapshot/staging.ts); a view picks the coarsest level whose buckets are still no
// wider than one pixel, so the drawn line is the same as from every reading.

/** One bucket of a level-of-detail table: M4 (first, min, max, last) with times in epoch ms. */
export interface LodBucket {
  n: number;
  firstT: number;
  firstV: number;
  minT: number;
  minV: number;
  maxT: number;
  maxV: number;
  lastT: number;
  lastV: number;
}

/**
 * The widest level (bucket seconds) not wider than one pixel of a `windowMs` span drawn
 * `pixels` wide, or undefined when even the finest is too coarse: then read the readings.
 */
export function chooseLodLevel(windowMs: number, pixels: number, levels: readonly number[]): number | undefined {
  if (!(windowMs > 0) || !(pixels > 0)) return undefined;
  const msPerPixel = windowMs / pixels;
  let best: number | undefined;
  for (const level of levels) if (level * 1000 <= msPerPixel && (best === undefined || level > best)) best = level;
  return best;
}

/** The buckets' M4 points in time order, each point once (first, min, max and last may coincide). */
export function lodPoints(buckets: readonly LodBucket[]): { t: Float64Array; value: Float64Array } {
  const sorted = [...buckets].sort((a, b) => a.firstT - b.firstT);
  const t: number[] = [];
  const value: number[] = [];
  for (const b of sorted) {
    const points: [number, number][] = [
      [b.firstT, b.firstV],
      [b.minT, b.minV],
      [b.maxT, b.maxV],
      [b.lastT, b.lastV],
    ];
    points.sort((p, q) => p[0] - q[0]);
    let previous = Number.NaN;
    for (const [pt, pv] of points) {
      if (pt === previous) continue;
      previous = pt;
      t.push(pt);
      value.push(pv);
    }
  }
  return { t: Float64Array.from(t), value: Float64Array.from(value) };
}

/** Exact count, minimum and maximum over whole buckets, without touching a single reading. */
export function lodSummary(buckets: readonly LodBucket[]): { n: number; min: number; max: number } {
  let n = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const b of buckets) {
    n += b.n;
    if (b.minV < min) min = b.minV;
    if (b.maxV > max) max = b.maxV;
  }
  return { n, min, max };
}
