// The page's one subscription to the alarm news on /ws (the alarm area, the alarm page, the
// alarm table widget and the annunciator all listen to it). The server sends news every second,
// a heartbeat when nothing changed; a page that has heard nothing for three seconds says the
// alarm service is lost rather than keep showing a stale green.
import { type AlarmNewsMessage, type PageAlarm, applyNews } from "../core/alarm-news.js";
import type { AlarmCounts } from "../core/alarm-state.js";
import type { ServerMessage } from "../core/live-protocol.js";

/** News comes every second: three missed make the service lost. */
export const LOST_AFTER_MS = 3000;

export interface AlarmPicture {
  alarms: ReadonlyMap<string, PageAlarm>;
  counts: AlarmCounts;
  /** When the newest news arrived (page clock), 0 before any. */
  heardAt: number;
  /** Why the page cannot tell the alarms now; null while the news comes. */
  lost: string | null;
  /** Something the server refused (not signed in, no alarm service). */
  refused: string | null;
}

/** `rose`: new or risen and unacknowledged; `changed`: how many alarms this news changed. */
export type AlarmListener = (picture: AlarmPicture, rose: PageAlarm[], changed: number) => void;

const NO_COUNTS: AlarmCounts = { MINOR: 0, MAJOR: 0, INVALID: 0, unacknowledged: 0 };

export class AlarmFeed {
  private readonly alarms = new Map<string, PageAlarm>();
  private counts = NO_COUNTS;
  private heardAt = 0;
  private lost: string | null = null;
  private refused: string | null = null;
  private readonly listeners = new Set<AlarmListener>();
  private ws: WebSocket | undefined;
  private attempt = 0;
  private readonly startedAt = Date.now();

  constructor() {
    this.connect();
    // Checked often, so "lost" shows within a fraction of a second of the third missed beat.
    setInterval(() => this.checkHeartbeat(), 250);
  }

  picture(): AlarmPicture {
    return { alarms: this.alarms, counts: this.counts, heardAt: this.heardAt, lost: this.lost, refused: this.refused };
  }

  /** Called now with what the page holds, then on every news. */
  listen(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    listener(this.picture(), [], 0);
    return () => this.listeners.delete(listener);
  }

  private tell(rose: PageAlarm[], changed = 0): void {
    const picture = this.picture();
    for (const listener of this.listeners) listener(picture, rose, changed);
  }

  private connect(): void {
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "alarms" }));
    ws.onmessage = (event) => {
      if (typeof event.data === "string") this.onMessage(JSON.parse(event.data) as ServerMessage);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      // Backoff with jitter, at most 5 s: a wall screen is back soon after the server is.
      const delay = Math.min(5000, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      setTimeout(() => this.connect(), delay);
    };
  }

  private onMessage(message: ServerMessage): void {
    if (message.type === "error") {
      this.refused = `${message.message}`;
      this.tell([]);
      return;
    }
    if (message.type !== "alarms") return;
    this.attempt = 0;
    this.refused = null;
    const rose = applyNews(this.alarms, message as AlarmNewsMessage);
    this.counts = message.counts;
    this.heardAt = Date.now();
    this.lost = null;
    this.tell(rose, message.changed.length);
  }

  private checkHeartbeat(): void {
    const since = this.heardAt || this.startedAt;
    const silentFor = Date.now() - since;
    if (silentFor < LOST_AFTER_MS || this.refused) return;
    const connected = this.ws?.readyState === WebSocket.OPEN;
    const reason = connected ? "no news from the alarm service" : "no connection to the server";
    const wasLost = this.lost;
    this.lost = `${reason} for ${Math.round(silentFor / 1000)} s`;
    if (wasLost !== this.lost) this.tell([]);
  }
}

let feed: AlarmFeed | undefined;
/** The page's feed, opened on first use. */
export function alarmFeed(): AlarmFeed {
  feed ??= new AlarmFeed();
  return feed;
}
