// What a slow client gets instead of an ever-growing send buffer: while its connection is
// backed up, the readings meant for it are folded into the latest value per (observable,
// channel), with a count of the updates that were merged away. When the connection drains it
// gets one coalesced frame per observable (the page shows the count), then the live stream
// again. Memory per slow client is bounded by the channels it watches, not by time.
import type { Reading } from "./catalog.js";

export interface CoalescedTopic {
  topic: string;
  /** The latest reading of each channel, in seq order. */
  readings: Reading[];
  /** Readings that arrived and were replaced by a later one before they could be sent. */
  merged: number;
}

export class Coalescer {
  private readonly latest = new Map<string, { byChannel: Map<number, Reading>; merged: number }>();

  get pending(): boolean {
    return this.latest.size > 0;
  }

  /** Folds in readings that could not be sent, in seq order. */
  add(readings: readonly Reading[]): void {
    for (const r of readings) {
      let topic = this.latest.get(r.observable);
      if (!topic) this.latest.set(r.observable, (topic = { byChannel: new Map(), merged: 0 }));
      if (topic.byChannel.has(r.channel)) topic.merged++;
      topic.byChannel.set(r.channel, r);
    }
  }

  /** What is held, per topic, and forgets it. */
  take(): CoalescedTopic[] {
    const out = [...this.latest].map(([topic, { byChannel, merged }]) => ({
      topic,
      readings: [...byChannel.values()].sort((a, b) => a.seq - b.seq),
      merged,
    }));
    this.latest.clear();
    return out;
  }
}
