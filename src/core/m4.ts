// M4 decimation: for each pixel column keep the first, last, minimum and maximum point.
// A line drawn from those is pixel-identical to one drawn from all points, so a night of
// 1 Hz data becomes about 4 x width points before Plot sees it.

export interface Series {
  x: Float64Array;
  y: Float64Array;
}

/**
 * Decimates a series sorted by x into at most 4 points per bucket over [x0, x1].
 * Points outside the range are dropped; NaN y values are skipped.
 */
export function m4(series: Series, buckets: number, x0: number, x1: number): Series {
  const { x, y } = series;
  const n = x.length;
  if (buckets < 1 || !(x1 > x0)) return { x: new Float64Array(0), y: new Float64Array(0) };
  const outX = new Float64Array(Math.min(n, buckets * 4));
  const outY = new Float64Array(outX.length);
  let out = 0;
  const scale = buckets / (x1 - x0);
  let i = lowerBound(x, x0);
  while (i < n && x[i]! <= x1) {
    const bucket = Math.min(buckets - 1, Math.floor((x[i]! - x0) * scale));
    let first = -1;
    let last = -1;
    let min = -1;
    let max = -1;
    for (; i < n && x[i]! <= x1 && Math.min(buckets - 1, Math.floor((x[i]! - x0) * scale)) === bucket; i++) {
      const v = y[i]!;
      if (Number.isNaN(v)) continue;
      if (first < 0) first = min = max = i;
      last = i;
      if (v < y[min]!) min = i;
      if (v > y[max]!) max = i;
    }
    if (first < 0) continue;
    // Emit in x order, without repeating an index.
    const picks = [first, min, max, last].sort((a, b) => a - b);
    let previous = -1;
    for (const p of picks) {
      if (p === previous) continue;
      outX[out] = x[p]!;
      outY[out] = y[p]!;
      out++;
      previous = p;
    }
  }
  return { x: outX.slice(0, out), y: outY.slice(0, out) };
}

/** First index whose x is >= target (binary search over sorted x). */
export function lowerBound(x: ArrayLike<number>, target: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a chart says about its decimation: "M4: 1 point in 380", or undefined when every reading is drawn. */
export function decimationNote(readings: number, drawn: number): string | undefined {
  if (!(drawn > 0) || readings <= drawn) return undefined;
  return `M4: 1 point in ${Math.round(readings / drawn)}`;
}

/**
 * The lowest and highest value in each of `buckets` columns over [x0, x1], for the band a
 * decimated line draws around itself (so a reader sees the spread M4's single line hides).
 * Columns without data are left out.
 */
export function columnExtremes(
  series: Series,
  buckets: number,
  x0: number,
  x1: number,
): { x: number[]; lo: number[]; hi: number[] } {
  const out = { x: [] as number[], lo: [] as number[], hi: [] as number[] };
  if (buckets < 1 || !(x1 > x0)) return out;
  const width = (x1 - x0) / buckets;
  const lo = new Float64Array(buckets).fill(Infinity);
  const hi = new Float64Array(buckets).fill(-Infinity);
  for (let i = lowerBound(series.x, x0); i < series.x.length && series.x[i]! <= x1; i++) {
    const v = series.y[i]!;
    if (Number.isNaN(v)) continue;
    const b = Math.min(buckets - 1, Math.floor((series.x[i]! - x0) / width));
    if (v < lo[b]!) lo[b] = v;
    if (v > hi[b]!) hi[b] = v;
  }
  for (let b = 0; b < buckets; b++) {
    if (lo[b]! > hi[b]!) continue;
    out.x.push(x0 + (b + 0.5) * width);
    out.lo.push(lo[b]!);
    out.hi.push(hi[b]!);
  }
  return out;
}
