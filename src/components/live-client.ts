// The browser end of /ws: subscribes, resumes from the newest seq it has after a reconnect,
// and reports its connection state for the page to show.
import type { Reading } from "../core/catalog.js";
import type { ServerMessage } from "../core/live-protocol.js";

export type LiveState = "connecting" | "live" | "reconnecting" | "closed";

export interface LiveClientOptions {
  observables: string[];
  /** Newest seq the page already holds (from its snapshot). */
  since: number;
  onReadings: (readings: Reading[]) => void;
  onState: (state: LiveState, detail?: string) => void;
  /** The server cannot replay what we missed: refetch the snapshot. */
  onResync: (reason: string) => void;
}

export class LiveClient {
  private ws: WebSocket | undefined;
  private lastSeq: number;
  private attempt = 0;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LiveClientOptions) {
    this.lastSeq = options.since;
    this.connect();
  }

  private connect(): void {
    this.options.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      ws.send(JSON.stringify({ type: "subscribe", observables: this.options.observables, since: this.lastSeq }));
    };
    ws.onmessage = (event) => this.onMessage(JSON.parse(String(event.data)) as ServerMessage);
    ws.onclose = () => {
      if (this.closed) return;
      // Exponential backoff with jitter, capped at 10 s.
      const delay = Math.min(10_000, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      this.options.onState("reconnecting", `retrying in ${(delay / 1000).toFixed(1)} s`);
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case "subscribed":
        this.options.onState("live");
        return;
      case "readings": {
        const fresh = message.readings.filter((r) => r.seq > this.lastSeq);
        if (fresh.length === 0) return;
        this.lastSeq = fresh.at(-1)!.seq;
        this.options.onReadings(fresh);
        return;
      }
      case "resync":
        this.options.onResync(message.reason);
        return;
      case "error":
        this.options.onState("live", `server: ${message.field}: ${message.message}`);
        return;
      default:
        return;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.ws?.close();
    this.options.onState("closed");
  }
}
