// The browser end of /ws: subscribes, reads binary frames in place, resumes after a reconnect
// from the newest seq it holds of each observable, and reports its connection state for the
// page to show (including how many updates a slow connection had merged).
import type { Reading } from "../core/catalog.js";
import { decodeFrame, FRAME_FLAG_COALESCED, frameReadings } from "../core/live-frame.js";
import type { ServerMessage } from "../core/live-protocol.js";

export type LiveState = "connecting" | "live" | "reconnecting" | "closed";

export interface LiveClientOptions {
  observables: string[];
  /** Newest seq the page already holds (from its snapshot). */
  since: number;
  /** Per observable, only these channels (the ones the page draws). */
  channels?: Record<string, number[]>;
  /** Only this run's readings, or the newest run's. */
  run?: number | "newest";
  onReadings: (readings: Reading[]) => void;
  onState: (state: LiveState, detail?: string) => void;
  /** The server cannot replay what we missed: refetch the snapshot. */
  onResync: (reason: string) => void;
}

export class LiveClient {
  private ws: WebSocket | undefined;
  /** Per observable, the newest seq received; readings at or below it are dropped as repeats. */
  private readonly lastSeq = new Map<string, number>();
  private merged = 0;
  /** When the state line last said how far behind the feed is (it changes at most once a second). */
  private lagShownAt = 0;
  private attempt = 0;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: LiveClientOptions) {
    this.connect();
  }

  private connect(): void {
    this.options.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    const url = new URL("/ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.subscribe(ws);
    };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") this.onMessage(JSON.parse(event.data) as ServerMessage);
      else this.onFrame(event.data as ArrayBuffer);
    };
    ws.onclose = () => {
      if (this.closed) return;
      // Exponential backoff with jitter, capped at 5 s: a wall screen is live again within 10 s
      // of the server's return; the jitter spreads a room of screens over the 5 s.
      const delay = Math.min(5_000, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
      this.options.onState("reconnecting", `retrying in ${(delay / 1000).toFixed(1)} s`);
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
  }

  private subscribe(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(
      JSON.stringify({
        type: "subscribe",
        observables: this.options.observables,
        since: this.options.since,
        ...(this.options.channels ? { channels: this.options.channels } : {}),
        ...(this.options.run !== undefined ? { run: this.options.run } : {}),
        ...(this.lastSeq.size > 0 ? { resume: Object.fromEntries(this.lastSeq) } : {}),
      }),
    );
  }

  private onFrame(bytes: ArrayBuffer): void {
    const frame = decodeFrame(bytes);
    const last = this.lastSeq.get(frame.topic) ?? this.options.since;
    const fresh = frameReadings(frame).filter((r) => r.seq > last);
    if (frame.flags & FRAME_FLAG_COALESCED) this.merged += frame.merged;
    if (fresh.length === 0) return;
    this.lastSeq.set(frame.topic, fresh.at(-1)!.seq);
    this.options.onReadings(fresh);
    const now = Date.now();
    if (now - this.lagShownAt >= 1000 || frame.flags & FRAME_FLAG_COALESCED) {
      this.lagShownAt = now;
      // How far behind: from the newest reading's time to now (a DAQ's clock ahead counts as 0).
      let newest = -Infinity;
      for (const t of frame.t) if (t > newest) newest = t; // not Math.max(...t): a replay frame can be too long to spread
      const behind = Math.max(0, now - newest) / 1000;
      const merged = this.merged > 0 ? `, slow connection: ${this.merged} updates merged` : "";
      this.options.onState("live", `${behind < 10 ? behind.toFixed(1) : Math.round(behind)} s behind${merged}`);
    }
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case "subscribed":
        this.options.onState("live");
        return;
      case "resync":
        this.options.onResync(message.reason);
        return;
      case "busy": {
        // Nothing was subscribed: the same subscribe (with what we hold) once the server has room.
        const ws = this.ws;
        this.options.onState("connecting", `server busy, subscribing again in ${(message.retryAfterMs / 1000).toFixed(1)} s`);
        this.retryTimer = setTimeout(() => ws && this.subscribe(ws), message.retryAfterMs);
        return;
      }
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
