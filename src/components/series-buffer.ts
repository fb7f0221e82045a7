// Per-(observable, channel) history held by the page: the snapshot's rows, then live readings
// appended in seq order. A reading whose seq the buffer already holds is ignored, so a replay
// that overlaps the snapshot never draws a point twice; so is one at a time the buffer already
// has (a watched database's row that is both in the snapshot and in the live feed).
import type { Reading } from "../core/catalog.js";
import { lowerBound } from "../core/m4.js";

export class SeriesBuffer {
  private t: number[] = [];
  private v: number[] = [];
  lastSeq = 0;

  static fromColumns(t: ArrayLike<number>, v: ArrayLike<number>, seq: ArrayLike<number>): SeriesBuffer {
    const buffer = new SeriesBuffer();
    buffer.t = Array.from(t);
    buffer.v = Array.from(v);
    for (let i = 0; i < seq.length; i++) buffer.lastSeq = Math.max(buffer.lastSeq, seq[i]!);
    return buffer;
  }

  get length(): number {
    return this.t.length;
  }

  /** Appends a live reading; returns false for one already held. */
  append(reading: Pick<Reading, "seq" | "t" | "value">): boolean {
    if (reading.seq <= this.lastSeq || typeof reading.value !== "number") return false;
    this.lastSeq = reading.seq;
    const n = this.t.length;
    if (n > 0 && reading.t === this.t[n - 1]) return false;
    if (n === 0 || reading.t > this.t[n - 1]!) {
      this.t.push(reading.t);
      this.v.push(reading.value);
    } else {
      // Late arrival: keep time order.
      const at = lowerBound(this.t, reading.t);
      if (this.t[at] === reading.t) return false;
      this.t.splice(at, 0, reading.t);
      this.v.splice(at, 0, reading.value);
    }
    return true;
  }

  /** Forgets points older than `from`, so a long-open page does not grow without bound. */
  trimBefore(from: number): void {
    const cut = lowerBound(this.t, from);
    if (cut > 0) {
      this.t.splice(0, cut);
      this.v.splice(0, cut);
    }
  }

  latest(): { t: number; value: number } | undefined {
    const n = this.t.length;
    return n === 0 ? undefined : { t: this.t[n - 1]!, value: this.v[n - 1]! };
  }

  columns(): { x: Float64Array; y: Float64Array } {
    return { x: Float64Array.from(this.t), y: Float64Array.from(this.v) };
  }
}
