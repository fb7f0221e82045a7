// Per-(observable, channel) history held by the page: the snapshot's rows, then live readings
// appended in seq order. A reading whose seq the buffer already holds is ignored, so a replay
// that overlaps the snapshot never draws a point twice; so is one at a time the buffer already
// has (a watched database's row that is both in the snapshot and in the live feed).
//
// Storage is two Float64Arrays with room to grow (doubling), so a chart reads `columns()` as
// views without copying: a day of 10 Hz readings is 864 000 points, redrawn every frame.
import type { Reading } from "../core/catalog.js";
import { type M4Index, type Series, emptyM4Index, extendM4Index, lowerBound, m4, m4Indexed } from "../core/m4.js";

/** Below this many points plain M4 is as fast as keeping an index. */
const INDEX_FROM = 65_536;

export class SeriesBuffer {
  private t = new Float64Array(16);
  private v = new Float64Array(16);
  /** Points held from `start` (trimmed ones before it) to `end`. */
  private start = 0;
  private end = 0;
  lastSeq = 0;
  /** The history holds level-of-detail M4 points (real readings, but not every one), not every reading. */
  thinned = false;
  /** Min/max per block of the storage, built when the buffer is long (see `m4`). */
  private index: M4Index | undefined;

  static fromColumns(t: ArrayLike<number>, v: ArrayLike<number>, seq: ArrayLike<number>): SeriesBuffer {
    const buffer = new SeriesBuffer();
    buffer.t = Float64Array.from(t);
    buffer.v = Float64Array.from(v);
    buffer.end = buffer.t.length;
    for (let i = 0; i < seq.length; i++) buffer.lastSeq = Math.max(buffer.lastSeq, seq[i]!);
    return buffer;
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Room for one more point at the end, compacting trimmed space first. */
  private reserve(): void {
    if (this.end < this.t.length) return;
    const n = this.length;
    const capacity = n * 2 + 16 > this.t.length ? n * 2 + 16 : this.t.length;
    const t = new Float64Array(capacity);
    const v = new Float64Array(capacity);
    t.set(this.t.subarray(this.start, this.end));
    v.set(this.v.subarray(this.start, this.end));
    this.t = t;
    this.v = v;
    this.start = 0;
    this.end = n;
    this.index = undefined;
  }

  /** Appends a live reading; returns false for one already held. */
  append(reading: Pick<Reading, "seq" | "t" | "value">): boolean {
    if (reading.seq <= this.lastSeq || typeof reading.value !== "number") return false;
    this.lastSeq = reading.seq;
    const last = this.end - 1;
    if (this.length > 0 && reading.t === this.t[last]) return false;
    this.reserve();
    if (this.length === 0 || reading.t > this.t[this.end - 1]!) {
      this.t[this.end] = reading.t;
      this.v[this.end] = reading.value;
      this.end++;
      return true;
    }
    // Late arrival: keep time order.
    const at = this.start + lowerBound(this.t.subarray(this.start, this.end), reading.t);
    if (this.t[at] === reading.t) return false;
    this.index = undefined;
    this.t.copyWithin(at + 1, at, this.end);
    this.v.copyWithin(at + 1, at, this.end);
    this.t[at] = reading.t;
    this.v[at] = reading.value;
    this.end++;
    return true;
  }

  /** Forgets points older than `from`, so a long-open page does not grow without bound. */
  trimBefore(from: number): void {
    this.start += lowerBound(this.t.subarray(this.start, this.end), from);
  }

  latest(): { t: number; value: number } | undefined {
    return this.length === 0 ? undefined : { t: this.t[this.end - 1]!, value: this.v[this.end - 1]! };
  }

  /**
   * The points a line `buckets` pixels wide over [x0, x1] needs (M4). A long buffer keeps a
   * block index so a view of millions of points costs one read per block, not per point.
   */
  m4(buckets: number, x0: number, x1: number): Series {
    if (this.length < INDEX_FROM) return m4(this.columns(), buckets, x0, x1);
    this.index = extendM4Index(this.index ?? emptyM4Index(), this.v, this.end);
    return m4Indexed({ x: this.t, y: this.v }, this.index, this.start, this.end, buckets, x0, x1);
  }

  /** The held points as views (valid until the next append or trim). */
  columns(): { x: Float64Array; y: Float64Array } {
    return { x: this.t.subarray(this.start, this.end), y: this.v.subarray(this.start, this.end) };
  }
}
