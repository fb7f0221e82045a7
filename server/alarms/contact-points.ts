// Alarm changes sent out of the building: to local webhooks (a JSON POST) and MQTT topics, each
// contact point with its own queue, so a receiver that is down or slow holds up only itself and
// never the ingest path (sending only queues). Failed sends are retried with backoff (1 s
// doubling to 60 s), in order; a queue holds at most 1000 notices and drops the oldest, counted.
import type { ContactPoint } from "../../src/core/alarm-rules.js";
import { SEVERITY_RANK, type Severity } from "../../src/core/alarm-state.js";

/** What a receiver is told of one change. */
export interface AlarmNotice {
  id: string;
  path: string;
  observable: string;
  channel: number;
  /** severity: the evaluator changed it; ack, shelve, unshelve, disable, enable: a person did. */
  kind: string;
  severity: Severity;
  currentSeverity: Severity;
  acknowledged: boolean;
  value: number | null;
  unit: string;
  /** When the change happened, ms since the epoch. */
  at: number;
  by: string;
  text: string;
}

const QUEUE_MAX = 1000;
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60_000;
const SEND_TIMEOUT_MS = 5000;

/** What a point's sender does: resolves once the receiver has it, throws otherwise. */
export type Deliver = (notice: AlarmNotice) => Promise<void>;

export interface ContactStatus {
  name: string;
  kind: ContactPoint["kind"];
  delivered: number;
  queued: number;
  dropped: number;
  failures: number;
  lastError: string | null;
}

/** Whether a point wants this notice: under its paths, and severe enough (its returns and acks too). */
export function wants(point: ContactPoint, notice: AlarmNotice): boolean {
  const under = !point.paths || point.paths.some((p) => notice.path === p || notice.path.startsWith(`${p}/`));
  const least = SEVERITY_RANK[point.minSeverity ?? "MINOR"];
  return under && Math.max(SEVERITY_RANK[notice.severity], SEVERITY_RANK[notice.currentSeverity]) >= least;
}

/** `{observable}`, `{channel}`, `{severity}`, `{path}` of a topic template, filled in. */
export function topicFor(template: string, notice: AlarmNotice): string {
  const fill: Record<string, string> = {
    observable: notice.observable,
    channel: String(notice.channel),
    severity: notice.severity,
    path: notice.path.replace(/^\//, ""),
  };
  return template.replace(/\{(observable|channel|severity|path)\}/g, (_, key: string) => fill[key]!);
}

export function webhookDeliver(url: string): Deliver {
  return async (notice) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "runboard-alarms" },
      body: JSON.stringify(notice),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  };
}

class PointQueue {
  readonly status: ContactStatus;
  private readonly queue: AlarmNotice[] = [];
  private busy = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly point: ContactPoint,
    private readonly deliver: Deliver & { close?: () => Promise<void> },
    private readonly log: (line: string) => void,
  ) {
    this.status = { name: point.name, kind: point.kind, delivered: 0, queued: 0, dropped: 0, failures: 0, lastError: null };
  }

  push(notice: AlarmNotice): void {
    this.queue.push(notice);
    if (this.queue.length > QUEUE_MAX) {
      this.queue.shift();
      this.status.dropped++;
    }
    this.status.queued = this.queue.length;
    if (!this.timer) void this.drain();
  }

  /** Sends in order; a failure waits, doubling, and tries the same notice again. */
  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.timer = undefined;
    try {
      while (this.queue.length > 0) {
        await this.deliver(this.queue[0]!);
        this.queue.shift();
        this.status.delivered++;
        this.status.queued = this.queue.length;
        this.status.failures = 0;
      }
    } catch (error) {
      this.status.failures++;
      this.status.lastError = error instanceof Error ? error.message : String(error);
      const wait = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.status.failures - 1));
      if (this.status.failures === 1) this.log(`alarm contact point ${this.point.name}: ${this.status.lastError}; retrying`);
      this.timer = setTimeout(() => void this.drain(), wait);
      this.timer.unref();
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.deliver.close?.();
  }
}

/** The contact points of the rules document, each with its queue. */
export class ContactPoints {
  private queues: PointQueue[] = [];

  constructor(
    private readonly senderFor: (point: ContactPoint) => Deliver & { close?: () => Promise<void> },
    private readonly log: (line: string) => void,
  ) {}

  /** The points of a new rules revision: unchanged points keep their queues. */
  configure(points: readonly ContactPoint[]): void {
    const key = (p: ContactPoint) => JSON.stringify(p);
    const kept = new Map(this.queues.map((q) => [key(q.point), q]));
    const next = points.map((p) => kept.get(key(p)) ?? new PointQueue(p, this.senderFor(p), this.log));
    for (const q of this.queues) if (!next.includes(q)) void q.close();
    this.queues = next;
  }

  /** Queues the notice for every point that wants it; never waits. */
  send(notice: AlarmNotice): void {
    for (const q of this.queues) if (wants(q.point, notice)) q.push(notice);
  }

  status(): ContactStatus[] {
    return this.queues.map((q) => ({ ...q.status }));
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
    this.queues = [];
  }
}
