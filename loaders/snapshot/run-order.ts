// The in-memory half of staging (see staging.ts): one run's scalar readings, held as typed
// columns, put in the order the Parquet files keep them (observable name, channel, time, run),
// with repeats of (run, observable, channel, time) dropped (the last one read wins), and their M4
// level-of-detail buckets. A few linear passes and no per-row objects: the readings arrive
// nearly sorted by time, so a counting sort by series followed by a check (and, rarely, a sort)
// of each series' times does it. Pure functions, unit-tested against DuckDB's SQL for the same.

/** One run's scalar readings as staged, in the order they were read. */
export interface RunColumns {
  length: number;
  run: Int32Array;
  /** Index into the stream's name dictionary. */
  observable: Uint16Array;
  channel: Int32Array;
  /** Epoch microseconds; NaN (or any non-finite number) when the reading has no time. */
  tMicros: Float64Array;
  /** A non-finite value (NULL arrives as NaN, NaN, ±Infinity) is stored as NULL. */
  value: Float64Array;
}

/** One (observable, channel) series: rows `from..to` (exclusive) of the ordered columns. */
export interface SeriesSpan {
  observable: number;
  channel: number;
  from: number;
  to: number;
}

/** A run's readings in output order, de-duplicated, in columns like the ones read. */
export interface OrderedRun extends RunColumns {
  series: SeriesSpan[];
  /** Repeats of (run, observable, channel, time) dropped. */
  duplicates: number;
  /** Readings without a time, dropped. */
  noTime: number;
}

const NO_SERIES = 0xffffffff;

/** Names' ranks in byte order (DuckDB's ORDER BY for VARCHAR; names are ASCII). */
function nameRanks(names: readonly string[]): Uint32Array {
  const ids = names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const rank = new Uint32Array(names.length);
  ids.forEach((id, r) => (rank[id] = r));
  return rank;
}

/** Columns to order a run into, reusable from run to run (at least as long as the run). */
export interface OrderScratch {
  seriesOfRow: Uint32Array;
  out: Omit<RunColumns, "length">;
}

export function orderScratch(capacity: number): OrderScratch {
  return {
    seriesOfRow: new Uint32Array(capacity),
    out: {
      run: new Int32Array(capacity),
      observable: new Uint16Array(capacity),
      channel: new Int32Array(capacity),
      tMicros: new Float64Array(capacity),
      value: new Float64Array(capacity),
    },
  };
}

/**
 * Sorts and de-duplicates one run's readings into `scratch.out` (new columns when omitted).
 * The readings are moved (not indexed) into series order in one pass, so every later pass,
 * and the hand-over to DuckDB, reads memory in order.
 */
export function orderRun(c: RunColumns, names: readonly string[], scratch = orderScratch(c.length)): OrderedRun {
  const { spans, noTime } = findSeries(c, scratch.seriesOfRow);
  // Counting sort by series, in (name, channel) order; stable, so equal times keep read order.
  const rank = nameRanks(names);
  const sorted = spans
    .map((_, s) => s)
    .sort((a, b) => rank[spans[a]!.observable]! - rank[spans[b]!.observable]! || spans[a]!.channel - spans[b]!.channel);
  const start = new Float64Array(spans.length);
  let at = 0;
  for (const s of sorted) {
    start[s] = at;
    at += spans[s]!.count;
  }
  const { run, observable, channel, tMicros: t, value } = scratch.out;
  const next = Float64Array.from(start);
  for (let i = 0; i < c.length; i++) {
    const s = scratch.seriesOfRow[i]!;
    if (s === NO_SERIES) continue;
    const k = next[s]!++;
    run[k] = c.run[i]!;
    t[k] = c.tMicros[i]!;
    value[k] = c.value[i]!;
  }
  const { series, kept, duplicates } = orderEachSeries(scratch.out, sorted, spans, start);
  return {
    length: kept,
    run: run.subarray(0, kept),
    observable: observable.subarray(0, kept),
    channel: channel.subarray(0, kept),
    tMicros: t.subarray(0, kept),
    value: value.subarray(0, kept),
    series,
    duplicates,
    noTime,
  };
}

interface SeriesCount {
  observable: number;
  channel: number;
  count: number;
}

/** Each row's series (observable, channel) into `seriesOfRow` (NO_SERIES for a row without time), and each series' size. */
function findSeries(c: RunColumns, seriesOfRow: Uint32Array): { spans: SeriesCount[]; noTime: number } {
  const byChannel: (Map<number, number> | undefined)[] = [];
  const spans: SeriesCount[] = [];
  let noTime = 0;
  let lastObservable = -1;
  let lastChannel = 0;
  let lastSeries = 0;
  for (let i = 0; i < c.length; i++) {
    if (!Number.isFinite(c.tMicros[i]!)) {
      seriesOfRow[i] = NO_SERIES;
      noTime++;
      continue;
    }
    const o = c.observable[i]!;
    const ch = c.channel[i]!;
    if (o !== lastObservable || ch !== lastChannel) {
      const channels = (byChannel[o] ??= new Map());
      let s = channels.get(ch);
      if (s === undefined) {
        s = spans.length;
        spans.push({ observable: o, channel: ch, count: 0 });
        channels.set(ch, s);
      }
      lastObservable = o;
      lastChannel = ch;
      lastSeries = s;
    }
    seriesOfRow[i] = lastSeries;
    spans[lastSeries]!.count++;
  }
  return { spans, noTime };
}

/** Each series by time, then run (usually already so), then repeats dropped, compacting in place. */
function orderEachSeries(
  out: OrderScratch["out"],
  sorted: readonly number[],
  spans: readonly SeriesCount[],
  start: Float64Array,
) {
  const { run, observable, channel, tMicros: t, value } = out;
  const series: SeriesSpan[] = [];
  let kept = 0;
  let duplicates = 0;
  for (const s of sorted) {
    const from = start[s]!;
    const to = from + spans[s]!.count;
    let ordered = true;
    for (let k = from + 1; k < to && ordered; k++) ordered = t[k - 1]! < t[k]! || (t[k - 1] === t[k] && run[k - 1]! <= run[k]!);
    if (!ordered) sortSeries(run, t, value, from, to);
    const first = kept;
    for (let k = from; k < to; k++) {
      if (k + 1 < to && t[k + 1] === t[k] && run[k + 1] === run[k]) {
        duplicates++;
        continue;
      }
      run[kept] = run[k]!;
      t[kept] = t[k]!;
      value[kept] = value[k]!;
      kept++;
    }
    observable.fill(spans[s]!.observable, first, kept);
    channel.fill(spans[s]!.channel, first, kept);
    series.push({ observable: spans[s]!.observable, channel: spans[s]!.channel, from: first, to: kept });
  }
  return { series, kept, duplicates };
}

/** Sorts one series' rows by time, then run, then read order (rare: most sources deliver in time order). */
function sortSeries(run: Int32Array, t: Float64Array, value: Float64Array, from: number, to: number): void {
  const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => t[a]! - t[b]! || run[a]! - run[b]! || a - b);
  const [r, tt, v] = [order.map((k) => run[k]!), order.map((k) => t[k]!), order.map((k) => value[k]!)];
  run.set(r, from);
  t.set(tt, from);
  value.set(v, from);
}

/**
 * The LOD levels (seconds, ascending) worth keeping for an observable: those that leave more
 * than 4 readings per bucket on average, so a level never merely copies the readings.
 */
export function usefulLodLevels(readings: number, series: number, spanSeconds: number, levels: readonly number[]): number[] {
  const perSeries = readings / Math.max(1, series);
  return [...new Set(levels)]
    .sort((a, b) => a - b)
    .filter((level) => perSeries / Math.max(1, Math.ceil(spanSeconds / level)) > 4);
}

/** DuckDB's default origin for time_bucket with a width in seconds: 2000-01-03 00:00:00 UTC. */
const BUCKET_ORIGIN_MICROS = 946_857_600_000_000;

/** The start of the `widthMicros` bucket holding `tMicros`, exactly as DuckDB's time_bucket. */
export function bucketStart(tMicros: number, widthMicros: number): number {
  const r = (tMicros - BUCKET_ORIGIN_MICROS) % widthMicros;
  return tMicros - r - (r < 0 ? widthMicros : 0);
}

/** M4 buckets as columns: per bucket its count and first, min, max and last reading (time, value). */
export interface LodColumns {
  length: number;
  observable: Uint16Array;
  channel: Int32Array;
  level: Int32Array;
  bucket: Float64Array;
  n: Int32Array;
  firstT: Float64Array;
  firstV: Float64Array;
  minT: Float64Array;
  minV: Float64Array;
  maxT: Float64Array;
  maxV: Float64Array;
  lastT: Float64Array;
  lastV: Float64Array;
}

function lodColumns(capacity: number): LodColumns {
  const f = () => new Float64Array(capacity);
  return {
    length: 0,
    observable: new Uint16Array(capacity),
    channel: new Int32Array(capacity),
    level: new Int32Array(capacity),
    bucket: f(),
    n: new Int32Array(capacity),
    firstT: f(),
    firstV: f(),
    minT: f(),
    minV: f(),
    maxT: f(),
    maxV: f(),
    lastT: f(),
    lastV: f(),
  };
}

function grow(l: LodColumns): LodColumns {
  const bigger = lodColumns(Math.max(1024, l.observable.length * 2));
  for (const key of Object.keys(l) as (keyof LodColumns)[]) {
    if (key !== "length") (bigger[key] as Float64Array).set(l[key] as Float64Array);
  }
  bigger.length = l.length;
  return bigger;
}

/**
 * M4 buckets of the ordered readings at each useful level, in (level, name, channel, bucket)
 * order, and the levels kept per observable. Only finite values count. Times are rounded to
 * whole microseconds first, as the Parquet files store them. Where a bucket's minimum (or
 * maximum) occurs twice, the earlier reading is taken.
 */
export function lodBuckets(r: OrderedRun, lodSeconds: readonly number[]): { buckets: LodColumns; levels: Map<number, number[]> } {
  const { series } = r;
  const t = r.tMicros;
  const v = r.value;
  // What each observable looks like: finite readings, series with some, time span.
  const shape = new Map<number, { readings: number; series: number; first: number; last: number }>();
  for (const s of series) {
    let count = 0;
    let first = Infinity;
    let last = -Infinity;
    for (let k = s.from; k < s.to; k++) {
      if (!Number.isFinite(v[k]!)) continue;
      count++;
      if (first === Infinity) first = Math.round(t[k]!);
      last = Math.round(t[k]!);
    }
    if (count === 0) continue;
    const o = shape.get(s.observable) ?? { readings: 0, series: 0, first: Infinity, last: -Infinity };
    o.readings += count;
    o.series++;
    o.first = Math.min(o.first, first);
    o.last = Math.max(o.last, last);
    shape.set(s.observable, o);
  }
  const levels = new Map<number, number[]>();
  for (const [observable, o] of shape) {
    const kept = usefulLodLevels(o.readings, o.series, (o.last - o.first) / 1e6, lodSeconds);
    if (kept.length > 0) levels.set(observable, kept);
  }

  let out = lodColumns(1024);
  for (const level of [...new Set(lodSeconds)].sort((a, b) => a - b)) {
    const width = level * 1e6;
    for (const s of series) {
      if (!levels.get(s.observable)?.includes(level)) continue;
      let bucket = NaN;
      let i = -1;
      for (let k = s.from; k < s.to; k++) {
        const value = v[k]!;
        if (!Number.isFinite(value)) continue;
        const time = Math.round(t[k]!);
        const b = bucketStart(time, width);
        if (b !== bucket) {
          if (out.length === out.observable.length) out = grow(out);
          i = out.length++;
          bucket = b;
          out.observable[i] = s.observable;
          out.channel[i] = s.channel;
          out.level[i] = level;
          out.bucket[i] = b;
          out.n[i] = 0;
          out.firstT[i] = out.minT[i] = out.maxT[i] = time;
          out.firstV[i] = out.minV[i] = out.maxV[i] = value;
        }
        out.n[i]!++;
        if (value < out.minV[i]!) {
          out.minV[i] = value;
          out.minT[i] = time;
        }
        if (value > out.maxV[i]!) {
          out.maxV[i] = value;
          out.maxT[i] = time;
        }
        out.lastT[i] = time;
        out.lastV[i] = value;
      }
    }
  }
  return { buckets: out, levels };
}
