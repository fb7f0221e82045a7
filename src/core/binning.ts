// Binning for the widgets that summarize many channels: the histogram of the latest value across
// a camera's pixels, and the raster grid (channel x time column) that draws every pixel over a
// night. Pure and unit-tested; the canvas and Plot renderers only draw what these return.

export interface Histogram {
  /** bins + 1 edges, ascending: the axis, which outliers do not stretch (see robustAxis). */
  edges: number[];
  counts: number[];
  /** Values below and above the axis, counted in the edge bins, with the furthest of each. */
  under: { count: number; furthest: number };
  over: { count: number; furthest: number };
  /** Values outside the healthy range (when one is given), below and above. */
  below: number;
  above: number;
  /** Channels without a finite value. */
  missing: number;
  total: number;
}

/** How far out a value must be, in interquartile ranges beyond the quartiles, to leave the axis (Tukey's "far out"). */
const FAR_OUT_IQR = 3;

/**
 * The span a histogram's axis covers: every value but the far outliers (beyond 3 IQR from the
 * quartiles), which go into edge bins instead. One dead pixel at 0.1 V beside 1855 pixels near
 * 1100 V would otherwise stretch the axis to 0-1200 V and squeeze the distribution into one bar.
 * The healthy range sets only the floor of the spread (1% of it), for a camera whose pixels
 * all read the same.
 */
export function robustAxis(values: ArrayLike<number>, range?: { min: number; max: number }): [number, number] | undefined {
  const finite = Float64Array.from(Array.prototype.filter.call(values, Number.isFinite) as number[]).sort();
  if (finite.length === 0) return undefined;
  const at = (q: number) => finite[Math.min(finite.length - 1, Math.floor(q * (finite.length - 1)))]!;
  const [q1, q3] = [at(0.25), at(0.75)];
  // A spread of zero (most pixels equal) would make every other value an outlier: a floor.
  const spread = Math.max(q3 - q1, (range ? range.max - range.min : Math.abs(q1)) * 0.01, 1e-9);
  const [fenceLo, fenceHi] = [q1 - FAR_OUT_IQR * spread, q3 + FAR_OUT_IQR * spread];
  // The axis spans the values inside the fences, no wider.
  return [finite.find((v) => v >= fenceLo)!, finite.findLast((v) => v <= fenceHi)!];
}

/**
 * The distribution of `values` in `bins` equal bins over their robust extent (robustAxis): the
 * far outliers are counted in the edge bins (`under`, `over`), and values outside the healthy
 * range are counted whether or not they are on the axis, so a dead pixel is never lost.
 */
export function histogram(values: ArrayLike<number>, bins: number, range?: { min: number; max: number }): Histogram {
  const n = Math.max(1, Math.trunc(bins));
  let missing = 0;
  let below = 0;
  let above = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) missing++;
    else if (range && v < range.min) below++;
    else if (range && v > range.max) above++;
  }
  const total = values.length - missing;
  const under = { count: 0, furthest: Number.NaN };
  const over = { count: 0, furthest: Number.NaN };
  const axis = robustAxis(values, range);
  if (!axis) return { edges: [], counts: [], under, over, below, above, missing, total };
  let [lo, hi] = axis;
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / n;
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + i * width));
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) {
      under.count++;
      if (!(v >= under.furthest)) under.furthest = v;
    } else if (v > hi) {
      over.count++;
      if (!(v <= over.furthest)) over.furthest = v;
    } else counts[Math.min(n - 1, Math.floor((v - lo) / width))]!++;
  }
  return { edges, counts, under, over, below, above, missing, total };
}

/** How many of `values` are outside `range` (missing values are not counted). */
export function countOutOfRange(values: ArrayLike<number>, range: { min: number; max: number } | undefined): number {
  if (!range) return 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < range.min || v > range.max) n++;
  }
  return n;
}

/**
 * Every channel of one observable against time: `columns` equal time columns over
 * [from, from + columns * columnMs). Each cell keeps the lowest and highest value that fell in
 * it, so a pixel that tripped for one reading in a 2-minute column still shows (see `shown`).
 * Live readings update cells in place; time beyond the last column shifts the grid left.
 */
export class ChannelGrid {
  readonly min: Float32Array;
  readonly max: Float32Array;
  /** The latest value and its time, per channel. */
  readonly latest: Float64Array;
  readonly latestT: Float64Array;
  /** A change counter, and when each column (and the whole grid, by a shift) last changed. */
  private stamp = 1;
  private readonly columnStamp: Uint32Array;
  private shiftedAt = 1;

  constructor(
    readonly channels: number,
    readonly columns: number,
    public from: number,
    readonly columnMs: number,
  ) {
    this.min = new Float32Array(channels * columns).fill(Number.NaN);
    this.max = new Float32Array(channels * columns).fill(Number.NaN);
    this.latest = new Float64Array(channels).fill(Number.NaN);
    this.latestT = new Float64Array(channels).fill(Number.NaN);
    this.columnStamp = new Uint32Array(columns).fill(1);
  }

  get to(): number {
    return this.from + this.columns * this.columnMs;
  }

  /** The column of time t, or -1 before the grid. */
  columnOf(t: number): number {
    return t < this.from ? -1 : Math.floor((t - this.from) / this.columnMs);
  }

  /** Adds a value (a reading or an aggregate's extreme) at time t. */
  add(channel: number, t: number, lo: number, hi = lo): void {
    if (channel < 0 || channel >= this.channels || !Number.isFinite(lo) || !Number.isFinite(hi)) return;
    // A single reading (lo === hi) is also the channel's latest when it is the newest.
    if (hi === lo) this.setLatest(channel, t, lo);
    let column = this.columnOf(t);
    if (column < 0) return;
    if (column >= this.columns) {
      this.shift(column - this.columns + 1);
      column = this.columns - 1;
    }
    const cell = channel * this.columns + column;
    const m = this.min[cell]!;
    if (!(lo >= m)) this.min[cell] = lo;
    const x = this.max[cell]!;
    if (!(hi <= x)) this.max[cell] = hi;
    this.columnStamp[column] = ++this.stamp;
  }

  /** Merges an aggregate (the extremes of many readings) into one cell; the latest values stay. */
  addCell(channel: number, column: number, lo: number, hi: number): void {
    if (channel < 0 || channel >= this.channels || column < 0 || column >= this.columns) return;
    const cell = channel * this.columns + column;
    if (!(lo >= this.min[cell]!)) this.min[cell] = lo;
    if (!(hi <= this.max[cell]!)) this.max[cell] = hi;
    this.columnStamp[column] = ++this.stamp;
  }

  /** Sets a channel's latest value (from the snapshot's own query: exact, not a cell's extreme). */
  setLatest(channel: number, t: number, value: number): void {
    if (channel < 0 || channel >= this.channels || t < this.latestT[channel]!) return;
    this.latest[channel] = value;
    this.latestT[channel] = t;
  }

  /** Moves the grid `by` columns later in time, forgetting the oldest. */
  shift(by: number): void {
    if (by <= 0) return;
    const keep = Math.max(0, this.columns - by);
    for (let c = 0; c < this.channels; c++) {
      const row = c * this.columns;
      this.min.copyWithin(row, row + this.columns - keep, row + this.columns);
      this.max.copyWithin(row, row + this.columns - keep, row + this.columns);
      this.min.fill(Number.NaN, row + keep, row + this.columns);
      this.max.fill(Number.NaN, row + keep, row + this.columns);
    }
    this.from += by * this.columnMs;
    this.shiftedAt = ++this.stamp;
  }

  /**
   * The value a cell shows: its extreme outside the healthy range when it has one (a trip or a
   * spike must not average away), else the middle of its extremes. NaN for an empty cell.
   */
  shown(channel: number, column: number, range: { min: number; max: number } | undefined): number {
    const cell = channel * this.columns + column;
    const lo = this.min[cell]!;
    const hi = this.max[cell]!;
    if (range && lo < range.min) return lo;
    if (range && hi > range.max) return hi;
    return (lo + hi) / 2;
  }

  /**
   * As `shown`, but an empty cell holds the channel's value from up to `back` columns before:
   * a 30 s cadence drawn in 15 s columns is a continuous row, not stripes. NaN beyond that.
   */
  held(channel: number, column: number, range: { min: number; max: number } | undefined, back = 8): number {
    for (let c = column; c >= 0 && c >= column - back; c--) {
      const v = this.shown(channel, c, range);
      if (!Number.isNaN(v)) return v;
    }
    return Number.NaN;
  }

  /** One channel's cells as a line: the middle of each cell's extremes, with the cell's time. */
  channelLine(channel: number): { t: number[]; lo: number[]; hi: number[] } {
    const out = { t: [] as number[], lo: [] as number[], hi: [] as number[] };
    for (let column = 0; column < this.columns; column++) {
      const cell = channel * this.columns + column;
      if (Number.isNaN(this.min[cell]!)) continue;
      out.t.push(this.from + (column + 0.5) * this.columnMs);
      out.lo.push(this.min[cell]!);
      out.hi.push(this.max[cell]!);
    }
    return out;
  }

  /** Channels whose latest value is missing (dead) or outside the range, in channel order. */
  flagged(range: { min: number; max: number } | undefined): { dead: number[]; outOfRange: number[] } {
    const dead: number[] = [];
    const outOfRange: number[] = [];
    for (let c = 0; c < this.channels; c++) {
      const v = this.latest[c]!;
      if (!Number.isFinite(v)) dead.push(c);
      else if (range && (v < range.min || v > range.max)) outOfRange.push(c);
    }
    return { dead, outOfRange };
  }

  /**
   * What a drawing made at `stamp` must repaint: everything after a shift, else the columns
   * changed since. Each drawing keeps its own stamp, so two widgets can share one grid.
   */
  changedSince(stamp: number): { all: boolean; columns: number[]; stamp: number } {
    if (stamp < this.shiftedAt) return { all: true, columns: [], stamp: this.stamp };
    const columns: number[] = [];
    for (let c = 0; c < this.columns; c++) if (this.columnStamp[c]! > stamp) columns.push(c);
    return { all: false, columns, stamp: this.stamp };
  }
}

/**
 * An upper bound on the readings a cell of a raster gets: every scalar reading of the runs (of
 * every observable, spread evenly over each run's span) that falls in the window, over the cells.
 * Cheap to know before a query (the manifest counts rows per run): where it is small, a cell has
 * one or two readings and binning them in the page beats a grouped query (see queryRaster).
 */
export function readingsPerCellAtMost(
  runs: readonly { start: number; stop: number | null; rows: number }[],
  window: { from: number; to: number },
  cells: number,
): number {
  let readings = 0;
  for (const run of runs) {
    const stop = run.stop ?? window.to;
    const span = Math.max(1, stop - run.start);
    const overlap = Math.max(0, Math.min(stop, window.to) - Math.max(run.start, window.from));
    readings += run.rows * Math.min(1, overlap / span);
  }
  return cells > 0 ? readings / cells : Infinity;
}

/**
 * Adds rows to a grid: each a channel's cell extremes at time `t` (a reading, or a
 * level-of-detail bucket's lowest and highest) and its newest reading. A reading is all four:
 * pass one array as lo, hi and lastV, and `t` as lastT.
 */
export function binRows(
  grid: ChannelGrid,
  rows: {
    channel: ArrayLike<number>;
    t: ArrayLike<number>;
    lo: ArrayLike<number>;
    hi: ArrayLike<number>;
    lastT: ArrayLike<number>;
    lastV: ArrayLike<number>;
  },
): void {
  const { channel, t, lo, hi, lastT, lastV } = rows;
  for (let i = 0; i < channel.length; i++) {
    const c = channel[i]!;
    grid.addCell(c, grid.columnOf(t[i]!), lo[i]!, hi[i]!);
    grid.setLatest(c, lastT[i]!, lastV[i]!);
  }
}

/**
 * RGBA pixels of a raster `rows` high (rows <= channels: each row covers a run of channels) and
 * one pixel per column. A row shows the most alarming of its channels' cells (below or above the
 * range before the mean of the healthy ones), so no dead pixel is averaged away when 1855
 * channels share 300 rows; an empty cell holds the value before it (ChannelGrid.held). Only
 * `columns` are written when given (a live update; callers add the columns a new value holds into).
 */
export function rasterPixels(
  grid: ChannelGrid,
  rows: number,
  range: { min: number; max: number } | undefined,
  color: (value: number) => readonly [number, number, number],
  into?: Uint8ClampedArray<ArrayBuffer>,
  columns?: readonly number[],
): Uint8ClampedArray<ArrayBuffer> {
  const out = into ?? new Uint8ClampedArray(grid.columns * rows * 4);
  const perRow = grid.channels / rows;
  const cols = columns ?? Array.from({ length: grid.columns }, (_, i) => i);
  for (let row = 0; row < rows; row++) {
    const c0 = Math.floor(row * perRow);
    const c1 = Math.max(c0 + 1, Math.floor((row + 1) * perRow));
    for (const col of cols) {
      let worst = Number.NaN;
      let sum = 0;
      let n = 0;
      for (let ch = c0; ch < c1; ch++) {
        const v = grid.held(ch, col, range);
        if (Number.isNaN(v)) continue;
        if (range && (v < range.min || v > range.max)) {
          // Below the range (a dead pixel) outranks above it.
          if (Number.isNaN(worst) || v < range.min) worst = v;
        } else {
          sum += v;
          n++;
        }
      }
      const value = !Number.isNaN(worst) ? worst : n > 0 ? sum / n : Number.NaN;
      const [r, g, b] = color(value);
      const at = (row * grid.columns + col) * 4;
      out[at] = r;
      out[at + 1] = g;
      out[at + 2] = b;
      out[at + 3] = Number.isNaN(value) ? 40 : 255;
    }
  }
  return out;
}
