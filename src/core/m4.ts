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

/**
 * What a chart says about its decimation, in a reader's words: "showing 380-point extremes per
 * pixel" (short enough for a small widget's one line); undefined when every reading is drawn. `drawn` is what M4 kept
 * (up to 4 a pixel column), `pixels` the columns it kept them for.
 */
export function decimationNote(readings: number, drawn: number, pixels: number): string | undefined {
  if (!(drawn > 0) || !(pixels > 0) || readings <= drawn) return undefined;
  const perPixel = Math.max(2, Math.round(readings / pixels));
  return `showing ${perPixel.toLocaleString("en")}-point extremes per pixel`;
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

/**
 * Where the lowest and highest value of each block of `block` points lies (indices into the
 * series, first occurrence; -1 for a block without a number). With it, M4 over a view of
 * millions of points reads one entry per block instead of every point (m4Indexed).
 */
export interface M4Index {
  block: number;
  min: Int32Array;
  max: Int32Array;
  /** Complete blocks summarized so far. */
  blocks: number;
}

export function emptyM4Index(block = 256): M4Index {
  return { block, min: new Int32Array(0), max: new Int32Array(0), blocks: 0 };
}

/** Summarizes the complete blocks of y[0, end) not summarized yet; returns the index (grown if needed). */
export function extendM4Index(index: M4Index, y: ArrayLike<number>, end: number): M4Index {
  const blocks = Math.floor(end / index.block);
  if (blocks <= index.blocks) return index;
  let { min, max } = index;
  if (blocks > min.length) {
    const grownMin = new Int32Array(Math.max(blocks, min.length * 2));
    const grownMax = new Int32Array(grownMin.length);
    grownMin.set(min.subarray(0, index.blocks));
    grownMax.set(max.subarray(0, index.blocks));
    min = grownMin;
    max = grownMax;
  }
  for (let b = index.blocks; b < blocks; b++) {
    let lo = -1;
    let hi = -1;
    for (let i = b * index.block, e = i + index.block; i < e; i++) {
      const v = y[i]!;
      if (Number.isNaN(v)) continue;
      if (lo < 0 || v < y[lo]!) lo = i;
      if (hi < 0 || v > y[hi]!) hi = i;
    }
    min[b] = lo;
    max[b] = hi;
  }
  return { block: index.block, min, max, blocks };
}

/**
 * The same points as `m4(series, buckets, x0, x1)` (tested to be identical), read from
 * series[lo, hi) with the block index: each bucket's range is found by binary search, its
 * whole blocks are read from the index and only the partial blocks at its ends point by point.
 */
export function m4Indexed(
  series: Series,
  index: M4Index,
  lo: number,
  hi: number,
  buckets: number,
  x0: number,
  x1: number,
): Series {
  const { x, y } = series;
  if (buckets < 1 || !(x1 > x0)) return { x: new Float64Array(0), y: new Float64Array(0) };
  const scale = buckets / (x1 - x0);
  const bucketOf = (t: number) => Math.min(buckets - 1, Math.floor((t - x0) * scale));
  const outX: number[] = [];
  const outY: number[] = [];
  let i = lo + lowerBound(x.subarray(lo, hi), x0);
  const B = index.block;
  while (i < hi && x[i]! <= x1) {
    const bucket = bucketOf(x[i]!);
    // The first index past this bucket: the bucket of x is monotone in x, so binary search.
    let a = i + 1;
    let b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (x[mid]! <= x1 && bucketOf(x[mid]!) === bucket) a = mid + 1;
      else b = mid;
    }
    const end = a;
    let min = -1;
    let max = -1;
    const take = (k: number) => {
      const v = y[k]!;
      if (Number.isNaN(v)) return;
      if (min < 0 || v < y[min]!) min = k;
      if (max < 0 || v > y[max]!) max = k;
    };
    const firstWhole = Math.ceil(i / B);
    const lastWhole = Math.min(Math.floor(end / B), index.blocks);
    if (lastWhole > firstWhole) {
      for (let k = i; k < firstWhole * B; k++) take(k);
      for (let blk = firstWhole; blk < lastWhole; blk++) {
        const bl = index.min[blk]!;
        const bh = index.max[blk]!;
        if (bl < 0) continue;
        if (min < 0 || y[bl]! < y[min]!) min = bl;
        if (max < 0 || y[bh]! > y[max]!) max = bh;
      }
      for (let k = lastWhole * B; k < end; k++) take(k);
    } else {
      for (let k = i; k < end; k++) take(k);
    }
    if (min >= 0) {
      let first = i;
      while (Number.isNaN(y[first]!)) first++;
      let last = end - 1;
      while (Number.isNaN(y[last]!)) last--;
      const picks = [first, min, max, last].sort((p, q) => p - q);
      let previous = -1;
      for (const p of picks) {
        if (p === previous) continue;
        outX.push(x[p]!);
        outY.push(y[p]!);
        previous = p;
      }
    }
    i = end;
  }
  return { x: Float64Array.from(outX), y: Float64Array.from(outY) };
}
