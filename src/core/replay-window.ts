// The live server's memory of recent frames, for clients that reconnect: by default the last
// 60 minutes, and never more than a byte budget. A client says, per topic, the newest seq it
// holds; it gets back exactly the frames with newer readings, or is told that some of them
// have already left the window (or came before this server started), so it must refetch from
// the snapshot or the source instead of showing a silent gap.
//
// Frames are kept as the bytes that were sent, so a replay costs no encoding. A frame whose
// older readings the client already has is sent whole; the client drops readings by seq.

export interface ReplayLimits {
  maxAgeMs: number;
  maxBytes: number;
}

export const DEFAULT_REPLAY_LIMITS: ReplayLimits = { maxAgeMs: 60 * 60_000, maxBytes: 64 * 1024 * 1024 };

interface HeldFrame {
  topic: string;
  /** The newest reading's seq in the frame. */
  seq: number;
  bytes: Uint8Array;
  at: number;
}

/** A queue with O(1) removal at the head (an array that is compacted now and then). */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  /** Items from the first one `keep` accepts to the end (items are in ascending order for it). */
  from(keep: (item: T) => boolean): T[] {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keep(this.items[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return this.items.slice(lo);
  }
}

export type ReplayAnswer =
  | { ok: true; frames: Uint8Array[] }
  /** Some readings newer than the client's seq are no longer (or never were) here. */
  | { ok: false; reason: string };

export class ReplayWindow {
  private readonly all = new Queue<HeldFrame>();
  private readonly byTopic = new Map<string, Queue<HeldFrame>>();
  /** Per topic, the newest seq of a frame that has left the window. */
  private readonly evicted = new Map<string, number>();
  private heldBytes = 0;

  /**
   * @param startSeq the newest seq the server knew of when it started: readings up to it were
   *   never in this window.
   */
  constructor(
    private readonly limits: ReplayLimits,
    private readonly startSeq: number,
    private readonly now: () => number = Date.now,
  ) {}

  get bytes(): number {
    return this.heldBytes;
  }

  /** Keeps a sent frame; frames come in seq order. */
  add(topic: string, seq: number, bytes: Uint8Array): void {
    const frame: HeldFrame = { topic, seq, bytes, at: this.now() };
    this.all.push(frame);
    let queue = this.byTopic.get(topic);
    if (!queue) this.byTopic.set(topic, (queue = new Queue()));
    queue.push(frame);
    this.heldBytes += bytes.byteLength;
    this.trim();
  }

  /** Drops frames older than the age limit or beyond the byte budget, oldest first. */
  private trim(): void {
    const oldest = this.now() - this.limits.maxAgeMs;
    for (let head = this.all.peek(); head; head = this.all.peek()) {
      if (head.at >= oldest && this.heldBytes <= this.limits.maxBytes) break;
      this.all.shift();
      this.byTopic.get(head.topic)!.shift();
      this.heldBytes -= head.bytes.byteLength;
      this.evicted.set(head.topic, Math.max(this.evicted.get(head.topic) ?? 0, head.seq));
    }
  }

  /** The frames of `topic` holding readings newer than `since`. */
  since(topic: string, since: number): ReplayAnswer {
    this.trim();
    const floor = Math.max(this.startSeq, this.evicted.get(topic) ?? 0);
    if (since < floor) {
      return {
        ok: false,
        reason:
          floor === this.startSeq && !this.evicted.has(topic)
            ? `readings of ${topic} after seq ${since} came before this server started (seq ${this.startSeq})`
            : `readings of ${topic} after seq ${since} have left the replay window`,
      };
    }
    return { ok: true, frames: (this.byTopic.get(topic)?.from((f) => f.seq > since) ?? []).map((f) => f.bytes) };
  }
}
