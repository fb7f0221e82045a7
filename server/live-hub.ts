// The /ws websocket hub: browsers subscribe to observables and get every new reading once.
//
// A subscription may carry `since` (the newest seq the client already has, e.g. from its
// Parquet snapshot). The hub replays what is newer from the store, holding back live readings
// until the replay is sent, so the client sees no gap and no duplicate.
import type { IncomingMessage, Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";
import type { Reading } from "../src/core/catalog.js";
import {
  type ClientMessage,
  MAX_CLIENT_MESSAGE_BYTES,
  type ServerMessage,
  clientMessageSchema,
} from "../src/core/live-protocol.js";
import { fieldErrors } from "../src/core/validation.js";
import type { EmbeddedStore } from "../loaders/embedded-store.js";

export interface LiveHubOptions {
  /** Replays longer than this tell the client to refetch its snapshot instead. */
  maxReplay: number;
  /** A client whose unsent bytes exceed this stops receiving frames until it catches up. */
  maxBufferedBytes: number;
  heartbeatMs: number;
  isAllowedRequest: (req: IncomingMessage) => boolean;
}

interface ClientState {
  observables: Set<string>;
  /** Newest seq sent (or known) to this client; nothing at or below it is sent again. */
  lastSeq: number;
  /** Live readings held back while a replay is being read from the store. */
  pending: Reading[] | null;
  /** Frames were dropped because the client was too slow: it must resync. */
  dropped: boolean;
  alive: boolean;
}

export class LiveHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<WebSocket, ClientState>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly store: EmbeddedStore,
    private readonly options: LiveHubOptions,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
    this.wss.on("connection", (ws) => this.onConnection(ws));
    this.heartbeat = setInterval(() => this.checkAlive(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  attach(server: Server, path = "/ws"): void {
    server.on("upgrade", (req, socket, head) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname !== path) return; // leave other upgrade paths alone
      if (!this.options.isAllowedRequest(req)) {
        socket.write("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit("connection", ws, req));
    });
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  private onConnection(ws: WebSocket): void {
    const state: ClientState = {
      observables: new Set(),
      lastSeq: this.store.lastSeq(),
      pending: null,
      dropped: false,
      alive: true,
    };
    this.clients.set(ws, state);
    ws.on("pong", () => (state.alive = true));
    ws.on("message", (data, isBinary) => void this.onMessage(ws, state, data.toString(), isBinary));
    ws.on("close", () => this.clients.delete(ws));
    ws.on("error", () => this.clients.delete(ws));
    send(ws, { type: "hello", seq: state.lastSeq });
  }

  private async onMessage(ws: WebSocket, state: ClientState, text: string, isBinary: boolean): Promise<void> {
    if (isBinary) return send(ws, { type: "error", field: "(message)", message: "send JSON text frames" });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return send(ws, { type: "error", field: "(message)", message: "not valid JSON" });
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const [first] = fieldErrors(parsed.error);
      return send(ws, { type: "error", field: first!.field, message: first!.message });
    }
    await this.handle(ws, state, parsed.data);
  }

  private async handle(ws: WebSocket, state: ClientState, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case "ping":
        return send(ws, { type: "pong" });
      case "unsubscribe":
        for (const name of message.observables) state.observables.delete(name);
        return send(ws, { type: "subscribed", observables: [...state.observables] });
      case "subscribe": {
        const known = new Set(this.store.catalog().map((o) => o.name));
        const unknown = message.observables.find((name) => !known.has(name));
        if (unknown) return send(ws, { type: "error", field: "observables", message: `unknown observable ${unknown}` });
        for (const name of message.observables) state.observables.add(name);
        send(ws, { type: "subscribed", observables: [...state.observables] });
        if (message.since !== undefined && message.since < this.store.lastSeq())
          await this.replay(ws, state, message.observables, message.since);
        return;
      }
    }
  }

  private async replay(ws: WebSocket, state: ClientState, observables: readonly string[], since: number): Promise<void> {
    state.pending = [];
    try {
      const missed = await this.store.readingsSince(observables, since, this.options.maxReplay + 1);
      if (missed.length > this.options.maxReplay) {
        send(ws, { type: "resync", reason: `more than ${this.options.maxReplay} readings to replay` });
        state.lastSeq = Math.max(state.lastSeq, this.store.lastSeq());
      } else {
        if (missed.length > 0) send(ws, { type: "readings", readings: missed, replay: true });
        state.lastSeq = Math.max(state.lastSeq, missed.at(-1)?.seq ?? since);
      }
    } finally {
      const held = state.pending ?? [];
      state.pending = null;
      this.deliver(ws, state, held);
    }
  }

  /** Called after every committed ingest, with readings in seq order. */
  publish(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    for (const [ws, state] of this.clients) {
      if (state.observables.size === 0) continue;
      const wanted = readings.filter((r) => state.observables.has(r.observable));
      if (wanted.length === 0) continue;
      if (state.pending) state.pending.push(...wanted);
      else this.deliver(ws, state, wanted);
    }
  }

  private deliver(ws: WebSocket, state: ClientState, readings: readonly Reading[]): void {
    const fresh = readings.filter((r) => r.seq > state.lastSeq);
    if (fresh.length === 0) return;
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      state.dropped = true;
      return;
    }
    if (state.dropped) {
      // It fell behind and missed frames: tell it to refetch rather than show a silent gap.
      state.dropped = false;
      send(ws, { type: "resync", reason: "this connection fell behind" });
    }
    send(ws, { type: "readings", readings: fresh, replay: false });
    state.lastSeq = fresh.at(-1)!.seq;
  }

  private checkAlive(): void {
    for (const [ws, state] of this.clients) {
      if (!state.alive) {
        ws.terminate();
        this.clients.delete(ws);
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
    this.wss.close();
  }
}

function send(ws: WebSocket, message: ServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}
