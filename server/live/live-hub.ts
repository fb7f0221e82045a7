// The /ws websocket hub: browsers subscribe to observables and get every new reading once, as
// binary frames (src/core/live-frame.ts) encoded once per observable and sent as the same bytes
// to every subscriber. Control messages (hello, subscribed, errors, resync) are JSON text.
//
// Resume: a subscription may carry `since` (the newest seq the client holds, e.g. from its
// Parquet snapshot) and, per observable, `resume` seqs it got live before a disconnect. The
// hub answers from its replay window (recent frames, bounded by age and bytes), else from the
// store; a client whose gap is too large for either is told to refetch (`resync`).
//
// Slow clients: a client with more than `maxBufferedBytes` unsent gets no more frames; what
// was meant for it is folded into the newest value per channel (src/core/coalescer.ts) and sent
// as coalesced frames, with the count of merged updates, once its connection drains. It never
// holds back the others, and its backlog does not grow with time.
import type { IncomingMessage, Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";
import type { Reading } from "../../src/core/catalog.js";
import { Coalescer } from "../../src/core/coalescer.js";
import {
  decodeFrame,
  encodeFrames,
  FRAME_FLAG_COALESCED,
  FRAME_FLAG_REPLAY,
  frameHeader,
  frameReadings,
  withFlags,
} from "../../src/core/live-frame.js";
import {
  type ClientMessage,
  MAX_CLIENT_MESSAGE_BYTES,
  MAX_SUBSCRIPTIONS,
  MAX_PUBLISH_BYTES,
  type ServerMessage,
  clientMessageSchema,
} from "../../src/core/live-protocol.js";
import { DEFAULT_REPLAY_LIMITS, type ReplayLimits, ReplayWindow } from "../../src/core/replay-window.js";
import { latestRun } from "../../src/core/time-window.js";
import { fieldErrors } from "../../src/core/validation.js";
import type { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import type { IngestOutcome } from "../ingest/ingest.js";
import { sourceRefusal, type WriteScope } from "../tokens.js";
import { BodyPermits } from "../limits/body-permits.js";
import { SocketGuard, type Violation } from "./socket-guard.js";

export interface LiveHubOptions {
  /** Replays from the store longer than this tell the client to refetch its snapshot instead. */
  maxReplay: number;
  /** The in-memory replay window. */
  replay?: ReplayLimits;
  /** How long one replay may take, whatever its client does (default MAX_REPLAY_MS). */
  maxReplayMs?: number;
  /** A client that reads nothing for this long is closed (default STUCK_MS; checked each heartbeat). */
  stuckMs?: number;
  /** A client with more unsent bytes than this gets coalesced frames until it drains. */
  maxBufferedBytes: number;
  heartbeatMs: number;
  isAllowedRequest: (req: IncomingMessage) => boolean;
  /**
   * Open websockets allowed from one remote address (0: no limit). Behind a reverse proxy every
   * browser has the proxy's address, so raise it there (RUNBOARD_MAX_CONNECTIONS_PER_ADDRESS).
   */
  maxConnectionsPerAddress?: number;
  now?: () => number;
  /**
   * Whether a name is an observable one may subscribe to: the whole catalog pages see (the
   * configured source's too, whose live rows come only while a watcher runs). Default: the store's.
   */
  knows?: (name: string) => boolean;
  /** Brings the store up to date with what other replicas stored (replicas only). */
  catchUp?: () => Promise<void>;
  /** Whether the browser behind an upgrade request is signed in (may follow the feed); default: everyone. */
  viewer?: (req: IncomingMessage) => Promise<boolean>;
  /** Publishing over the websocket: what a token may write, and the ingest path POST /api/ingest uses. */
  publishing?: {
    scopeOf(token: string): WriteScope;
    ingest(batch: unknown, scope: Exclude<WriteScope, undefined>): Promise<IngestOutcome>;
  };
  /** Permits for messages over 1 MB, shared with the HTTP routes' big bodies. */
  bodyPermits?: BodyPermits;
  /**
   * How often every socket's right to stay is checked again (a revoked token, a signed-out or
   * removed user): within this plus the token and session caches' 4 s it is closed.
   */
  revalidateMs?: number;
}

type HubStore = Pick<EmbeddedStore, "catalog" | "runs" | "lastSeq" | "readingsSince" | "countSince">;

/** A subscription to one observable: some channels (sorted, with a key for them) or all. */
interface Subscription {
  channels: ReadonlySet<number> | null;
  key: string;
}

interface ClientState {
  /** Signed in (RUNBOARD_AUTH): may subscribe. Otherwise only a publisher's token lets it. */
  viewer: boolean;
  observables: Map<string, Subscription>;
  /** Only readings of this run, or of the newest run; all runs when null. */
  run: number | "newest" | null;
  /** Live readings held back while a replay is sent. */
  pending: Reading[] | null;
  /** More live readings arrived during the replay than are held: the client must refetch. */
  heldTooMuch: boolean;
  /** Set while the client is too slow: what it misses, folded per channel. */
  behind: Coalescer | null;
  alive: boolean;
  /** Since when it has held more unsent than its cap without draining (null: it drains). */
  stuckSince: number | null;
  /** What this connection may publish, once it has sent a write token. */
  scope: WriteScope;
  /** The token that gave `scope`, checked again on every publish and every revalidation. */
  token?: string;
  /** Wrong tokens this socket sent. */
  wrongTokens: number;
  /** The upgrade request: who signed in, checked again on every revalidation. */
  req: IncomingMessage;
  /** The message being handled; the next one waits for it. */
  handling: Promise<void>;
  /** Follows the alarm news; `alarmsBehind`: news was skipped while it was backed up (send all next). */
  alarms: boolean;
  alarmsBehind: boolean;
}

/** Whether each new connection's browser was signed in, from the upgrade to the connection event. */
const viewers = new WeakMap<WebSocket, boolean>();

/** A page with more than this unsent skips the second's alarm news (and gets all of it later). */
const MAX_ALARM_BACKLOG = 4 * 1024 * 1024;
/** How often a backed-up client is checked for having drained. */
const DRAIN_CHECK_MS = 50;
/** Replays read from the store at once (each on the store's reader connection, in pages). */
const MAX_STORE_REPLAYS = 2;
/**
 * A replay taking longer is cut off with a resync: the snapshot is the faster way then. It
 * holds however the client behaves (one that never reads and pongs to stay alive included).
 */
export const MAX_REPLAY_MS = 60_000;
const DEFAULT_REVALIDATE_MS = 1_000;
/** A client that reads nothing of what it was sent for this long is closed. */
export const STUCK_MS = 120_000;
/** Live readings held for one client while its replay is sent. */
const MAX_HELD_DURING_REPLAY = 500_000;
/** Numbers (float64) in one page read from the store: about 2 MB, whatever the shape. */
const REPLAY_PAGE_NUMBERS = 250_000;
const REPLAY_PAGE_READINGS = 20_000;

/** Readings a page holds for an observable: many scalars, few images. */
function replayPageSize(info: { dims: number[] } | undefined): number {
  const numbers = (info?.dims ?? []).reduce((a, b) => a * b, 1);
  return Math.max(1, Math.min(REPLAY_PAGE_READINGS, Math.floor(REPLAY_PAGE_NUMBERS / numbers)));
}

export class LiveHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<WebSocket, ClientState>();
  private readonly connectionsFrom = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private drainCheck: NodeJS.Timeout | undefined;
  private readonly window: ReplayWindow;
  /** Replays being read from the store now, across all clients. */
  private storeReplays = 0;
  private readonly guard: SocketGuard;
  private readonly revalidation: NodeJS.Timeout;
  private revalidating = false;
  private alarmSource: (() => Omit<Extract<ServerMessage, { type: "alarms" }>, "type" | "full">) | undefined;

  constructor(
    private readonly store: HubStore,
    private readonly options: LiveHubOptions,
  ) {
    this.window = new ReplayWindow(options.replay ?? DEFAULT_REPLAY_LIMITS, store.lastSeq(), options.now);
    // Every connection starts held to MAX_CLIENT_MESSAGE_BYTES, checked by ws on each frame's
    // header before its payload is buffered; a publisher's limit is raised once it authorizes.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
    this.wss.on("connection", (ws, req: IncomingMessage) => this.onConnection(ws, req));
    this.heartbeat = setInterval(() => this.checkAlive(), options.heartbeatMs);
    this.heartbeat.unref();
    this.guard = new SocketGuard(options.bodyPermits ?? new BodyPermits());
    this.revalidation = setInterval(() => void this.revalidate(), options.revalidateMs ?? DEFAULT_REVALIDATE_MS);
    this.revalidation.unref();
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
      // Whether it may follow the feed is known before the upgrade: a signed-in page, or anyone
      // (a DAQ) that then authorizes with a write token.
      const viewer = this.options.viewer?.(req) ?? Promise.resolve(true);
      viewer.then(
        (isViewer) =>
          this.wss.handleUpgrade(req, socket, head, (ws) => {
            viewers.set(ws, isViewer);
            this.wss.emit("connection", ws, req);
          }),
        () => socket.destroy(),
      );
    });
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? "?";
    const open = this.connectionsFrom.get(address) ?? 0;
    const limit = this.options.maxConnectionsPerAddress ?? 0;
    if (limit > 0 && open >= limit) {
      ws.on("error", () => undefined); // whatever it sends before the close is of no interest
      // Said in a message the page can show, then closed as a policy violation.
      send(ws, {
        type: "error",
        field: "(connection)",
        message: `at most ${limit} live connections from one address; close some tabs`,
      });
      ws.close(1008, "too many connections");
      return;
    }
    this.connectionsFrom.set(address, open + 1);
    ws.once("close", () => {
      const left = (this.connectionsFrom.get(address) ?? 1) - 1;
      if (left > 0) this.connectionsFrom.set(address, left);
      else this.connectionsFrom.delete(address);
    });
    const state: ClientState = {
      viewer: viewers.get(ws) ?? true,
      observables: new Map(),
      run: null,
      pending: null,
      heldTooMuch: false,
      behind: null,
      alive: true,
      stuckSince: null,
      scope: undefined,
      wrongTokens: 0,
      req,
      handling: Promise.resolve(),
      alarms: false,
      alarmsBehind: false,
    };
    this.clients.set(ws, state);
    const guarded = this.guard.attach(ws, (violation) => closeFor(ws, violation));
    ws.on("pong", () => (state.alive = true));
    ws.on("message", (data: Buffer, isBinary) => {
      const bytes = data.length;
      if (!guarded.received(bytes)) return;
      // One message at a time per client: a second subscribe must not start while the first
      // still waits on its replay from the store (it would take over the held live readings).
      state.handling = state.handling
        .then(() => this.onMessage(ws, state, data.toString(), isBinary))
        // A failure inside (the store, say) is this message's, not the next one's or the server's.
        .catch((error: unknown) =>
          send(ws, { type: "error", field: "(server)", message: error instanceof Error ? error.message : String(error) }),
        )
        .finally(() => guarded.handled(bytes));
    });
    ws.on("close", () => {
      guarded.close();
      this.clients.delete(ws);
    });
    ws.on("error", () => this.clients.delete(ws));
    send(ws, { type: "hello", seq: this.store.lastSeq() });
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
      case "alarms": {
        if (!state.viewer) return send(ws, { type: "error", field: "(session)", message: "sign in to follow the alarms" });
        if (!this.alarmSource) return send(ws, { type: "error", field: "type", message: "this server evaluates no alarms" });
        state.alarms = true;
        return send(ws, { type: "alarms", full: true, ...this.alarmSource() });
      }
      case "auth": {
        if (!this.options.publishing)
          return send(ws, { type: "error", field: "type", message: "this server takes no publishing" });
        const scope = this.options.publishing.scopeOf(message.token);
        if (!scope) return this.wrongToken(ws, state);
        state.scope = scope;
        state.token = message.token;
        setMaxPayload(ws, MAX_PUBLISH_BYTES);
        return send(ws, { type: "authorized", sources: scope.all ? "all" : [...scope.sources] });
      }
      case "publish":
        return this.publishBatch(ws, state, message);
      case "unsubscribe":
        for (const name of message.observables) state.observables.delete(name);
        return send(ws, { type: "subscribed", observables: [...state.observables.keys()] });
      case "subscribe": {
        if (!state.viewer && !state.scope) {
          return send(ws, { type: "error", field: "(session)", message: "sign in to follow the live feed" });
        }
        const known = this.options.knows ?? ((name: string) => this.store.catalog().some((o) => o.name === name));
        const names = [...message.observables, ...Object.keys(message.resume ?? {})];
        let unknown = names.find((name) => !known(name));
        // Declared a moment ago on another replica: take in what the others stored, then look again.
        if (unknown && this.options.catchUp) {
          await this.options.catchUp().catch(() => undefined);
          unknown = names.find((name) => !known(name));
        }
        if (unknown) return send(ws, { type: "error", field: "observables", message: `unknown observable ${unknown}` });
        // Reading a replay from the store is the one costly thing a reader asks; only a few run
        // at once, and the rest are told when to come back, before anything is subscribed.
        const replays = message.since !== undefined || message.resume !== undefined;
        const fromStoreSlot =
          replays &&
          this.needsStore(message.observables, (topic) => message.resume?.[topic] ?? message.since ?? this.store.lastSeq());
        if (fromStoreSlot && this.storeReplays >= MAX_STORE_REPLAYS) {
          const retryAfterMs = Math.round(1000 + Math.random() * 2000);
          return send(ws, { type: "busy", retryAfterMs, reason: `${MAX_STORE_REPLAYS} replays are being read; subscribe again` });
        }
        const total = new Set([...state.observables.keys(), ...message.observables]).size;
        if (total > MAX_SUBSCRIPTIONS) {
          return send(ws, {
            type: "error",
            field: "observables",
            message: `at most ${MAX_SUBSCRIPTIONS} observables per connection (this would make ${total}); unsubscribe some first`,
          });
        }
        for (const name of message.observables) {
          const channels = message.channels?.[name];
          const sorted = channels ? [...new Set(channels)].sort((a, b) => a - b) : null;
          state.observables.set(name, { channels: sorted && new Set(sorted), key: sorted ? sorted.join(",") : "*" });
        }
        if (message.run !== undefined) state.run = message.run;
        if (fromStoreSlot) this.storeReplays++;
        send(ws, { type: "subscribed", observables: [...state.observables.keys()] });
        if (message.since === undefined && !message.resume) return;
        const since = (topic: string) => message.resume?.[topic] ?? message.since ?? this.store.lastSeq();
        return this.replay(ws, state, message.observables, since, fromStoreSlot);
      }
    }
  }

  /** Whether replaying these topics needs the store (the window does not hold all they missed). */
  private needsStore(topics: readonly string[], since: (topic: string) => number): boolean {
    return topics.some((topic) => since(topic) < this.store.lastSeq() && !this.window.since(topic, since(topic)).ok);
  }

  /**
   * Sends each topic's readings newer than `since(topic)`: from the window when it still holds
   * them all, else from the store, page by page. Live readings meanwhile are held and sent
   * after. A replay keeps to the client's cap (it waits for the connection to drain between
   * frames and pages), stops when the socket closes, and is cut off (resync) when it takes too
   * long or too much is held for it.
   */
  private async replay(
    ws: WebSocket,
    state: ClientState,
    topics: readonly string[],
    since: (topic: string) => number,
    holdsSlot: boolean,
  ) {
    let fromStoreSlot = holdsSlot;
    const limitMs = this.options.maxReplayMs ?? MAX_REPLAY_MS;
    const deadline = Date.now() + limitMs;
    const tooLong = () => send(ws, { type: "resync", reason: `the replay took more than ${limitMs / 1000} s` });
    state.pending = [];
    state.heldTooMuch = false;
    try {
      const fromStore: string[] = [];
      for (const topic of topics) {
        const after = since(topic);
        if (after >= this.store.lastSeq()) continue;
        const answer = this.window.since(topic, after);
        if (!answer.ok) {
          fromStore.push(topic);
          continue;
        }
        // Frame by frame, as they were sent: a frame wholly newer than the client's seq goes
        // again as it is (marked replayed) unless the subscription filters it.
        const whole = state.run === null && state.observables.get(topic)?.channels === null;
        for (const bytes of answer.frames) {
          if (!(await this.drained(ws, deadline))) return tooLong();
          const head = frameHeader(bytes);
          if (whole && head.firstSeq > after) ws.send(withFlags(bytes, head.flags | FRAME_FLAG_REPLAY));
          else {
            const missed = frameReadings(decodeFrame(bytes)).filter((r) => r.seq > after);
            sendFrames(ws, topic, this.wanted(state, topic, missed), FRAME_FLAG_REPLAY);
          }
        }
        const through = answer.frames.length > 0 ? frameHeader(answer.frames.at(-1)!).seq : after;
        state.pending = state.pending.filter((r) => r.observable !== topic || r.seq > through);
      }
      // The window may have moved on while its frames were sent: then the store is needed after all.
      if (fromStore.length > 0 && !fromStoreSlot) {
        if (this.storeReplays >= MAX_STORE_REPLAYS) {
          send(ws, { type: "resync", reason: "the replay window moved on during the replay, and the store is busy" });
          return;
        }
        this.storeReplays++;
        fromStoreSlot = true;
      }
      for (const topic of fromStore) {
        let after = since(topic);
        if ((await this.store.countSince([topic], after, this.options.maxReplay + 1)) > this.options.maxReplay) {
          send(ws, { type: "resync", reason: `more than ${this.options.maxReplay} readings of ${topic} to replay` });
          continue;
        }
        const page = replayPageSize(this.store.catalog().find((o) => o.name === topic));
        for (;;) {
          if (!(await this.drained(ws, deadline))) return tooLong();
          const missed = await this.store.readingsSince([topic], after, page);
          if (missed.length === 0) break;
          sendFrames(ws, topic, this.wanted(state, topic, missed), FRAME_FLAG_REPLAY);
          after = missed.at(-1)!.seq;
          if (missed.length < page) break;
        }
        // Live readings held meanwhile may also be in what the store returned.
        state.pending = state.pending.filter((r) => r.observable !== topic || r.seq > after);
      }
    } finally {
      if (fromStoreSlot) this.storeReplays--;
      const held = state.pending ?? [];
      state.pending = null;
      if (state.heldTooMuch) send(ws, { type: "resync", reason: "too many live readings arrived during the replay" });
      else for (const [topic, readings] of byTopic(held)) this.deliver(ws, state, readings, encodeFrames(topic, readings));
    }
  }

  /** A batch published over the socket: the token checked again, then the one ingest path. */
  private async publishBatch(ws: WebSocket, state: ClientState, message: Extract<ClientMessage, { type: "publish" }>) {
    const { id } = message;
    if (!this.options.publishing || !state.scope) {
      return send(ws, {
        type: "error",
        id,
        field: "token",
        message: 'send {"type": "auth", "token"} with a write token first',
      });
    }
    // As HTTP does on every request: a token revoked since the auth publishes nothing more.
    state.scope = state.token === undefined ? undefined : this.options.publishing.scopeOf(state.token);
    if (!state.scope) return closeFor(ws, { code: 1008, reason: "this socket's write token was revoked" }, id);
    const refusal = sourceRefusal(state.scope, (message.batch as { source?: unknown } | null)?.source);
    if (refusal) return send(ws, { type: "error", id, field: `batch.${refusal.field}`, message: refusal.message });
    let outcome: IngestOutcome;
    try {
      outcome = await this.options.publishing.ingest(message.batch, state.scope);
    } catch (error) {
      // The store is down (PostgreSQL restarting, say): this batch was not stored; resending
      // it later with the same source and sequence stores it once.
      const reason = error instanceof Error ? error.message : String(error);
      return send(ws, { type: "error", id, field: "(store)", message: `${reason}; nothing was stored, send it again` });
    }
    if (!outcome.ok) {
      const [first] = outcome.errors;
      const more =
        outcome.errors.length > 1 ? ` (and ${outcome.errors.length - 1} more); nothing was stored` : "; nothing was stored";
      return send(ws, { type: "error", id, field: `batch.${first!.field}`, message: `${first!.message}${more}` });
    }
    return send(ws, {
      type: "ack",
      id,
      stored: outcome.stored,
      lastSeq: outcome.lastSeq,
      ...(outcome.duplicate ? { duplicate: true as const } : {}),
    });
  }

  /** A wrong write token: answered later the more an address sends, the socket closed after a few. */
  private async wrongToken(ws: WebSocket, state: ClientState): Promise<void> {
    state.wrongTokens++;
    const { delayMs, close } = this.guard.wrongToken(state.req.socket.remoteAddress ?? "?", state.wrongTokens);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (close) return closeFor(ws, { code: 1008, reason: `${state.wrongTokens} wrong write tokens` });
    send(ws, { type: "error", field: "token", message: "not a write token" });
  }

  /**
   * Waits while the client has more unsent than its cap; false once its socket is closed, or
   * (with a deadline) once the deadline has passed: a client that never reads does not hold a
   * replay, or its slot, beyond MAX_REPLAY_MS.
   */
  private async drained(ws: WebSocket, deadline = Infinity): Promise<boolean> {
    while (ws.readyState === ws.OPEN && ws.bufferedAmount > this.options.maxBufferedBytes) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_CHECK_MS));
    }
    return ws.readyState === ws.OPEN && Date.now() < deadline;
  }

  /** The readings of `topic` a client's subscription (channels, run) takes; `newest` when already known. */
  private wanted(state: ClientState, topic: string, readings: Reading[], newest?: number | null): Reading[] {
    const channels = state.observables.get(topic)?.channels ?? null;
    const run = state.run === "newest" ? (newest === undefined ? this.newestRun() : newest) : state.run;
    if (!channels && run === null) return readings;
    return readings.filter((r) => (run === null || r.run === run) && (!channels || channels.has(r.channel)));
  }

  /** What "newest" follows. */
  private newestRun(): number | null {
    return latestRun(this.store.runs())?.id ?? null;
  }

  /** Called after every committed ingest, with readings in seq order. */
  publish(readings: readonly Reading[]): void {
    let newest: number | null | undefined;
    for (const [topic, group] of byTopic(readings)) {
      const frames = encodeFrames(topic, group);
      for (const bytes of frames) this.window.add(topic, frameHeader(bytes).seq, bytes);
      // Clients with the same channels and run share one encoding too.
      const views = new Map<string, { readings: Reading[]; frames: Uint8Array[] }>();
      for (const [ws, state] of this.clients) {
        const subscription = state.observables.get(topic);
        if (!subscription) continue;
        if (subscription.channels === null && state.run === null) {
          this.deliver(ws, state, group, frames);
          continue;
        }
        if (state.run === "newest" && newest === undefined) newest = this.newestRun();
        const key = `${state.run === "newest" ? newest : state.run}|${subscription.key}`;
        let view = views.get(key);
        if (!view) {
          const picked = this.wanted(state, topic, group, newest);
          views.set(key, (view = { readings: picked, frames: encodeFrames(topic, picked) }));
        }
        if (view.readings.length > 0) this.deliver(ws, state, view.readings, view.frames);
      }
    }
  }

  private deliver(ws: WebSocket, state: ClientState, readings: Reading[], frames: Uint8Array[]): void {
    if (ws.readyState !== ws.OPEN) return;
    if (state.pending) {
      if (state.heldTooMuch || state.pending.length + readings.length > MAX_HELD_DURING_REPLAY) {
        state.heldTooMuch = true;
        state.pending = [];
      } else for (const r of readings) state.pending.push(r);
      return;
    }
    if (!state.behind && ws.bufferedAmount > this.options.maxBufferedBytes) {
      state.behind = new Coalescer();
      this.drainCheck ??= setInterval(() => this.flushDrained(), DRAIN_CHECK_MS);
    }
    if (state.behind) {
      state.behind.add(readings);
      return;
    }
    for (const bytes of frames) ws.send(bytes);
  }

  /** Clients that were behind and have drained get their coalesced frames, then live ones again. */
  private flushDrained(): void {
    let waiting = 0;
    for (const [ws, state] of this.clients) {
      if (!state.behind) continue;
      if (ws.bufferedAmount > this.options.maxBufferedBytes / 4) {
        waiting++;
        continue;
      }
      const behind = state.behind;
      state.behind = null;
      for (const { topic, readings, merged } of behind.take()) sendFrames(ws, topic, readings, FRAME_FLAG_COALESCED, merged);
    }
    if (waiting === 0) {
      clearInterval(this.drainCheck);
      this.drainCheck = undefined;
    }
  }

  /**
   * Closes the sockets that may no longer be open: one whose write token was revoked, one of a
   * browser whose user signed out or was removed (unless a valid token keeps it). Sockets of one
   * browser share a session, so each cookie is looked up once a round.
   */
  private async revalidate(): Promise<void> {
    if (this.revalidating) return;
    this.revalidating = true;
    try {
      const sessions = new Map<string, Promise<boolean>>();
      for (const [ws, state] of [...this.clients]) {
        if (state.token !== undefined && !this.options.publishing?.scopeOf(state.token)) {
          state.scope = undefined;
          state.token = undefined;
          if (!state.viewer) {
            closeFor(ws, { code: 1008, reason: "this socket's write token was revoked" });
            continue;
          }
        }
        if (!state.viewer || !this.options.viewer) continue;
        const key = state.req.headers.cookie ?? "";
        let still = sessions.get(key);
        if (!still) sessions.set(key, (still = this.options.viewer(state.req).catch(() => true)));
        if (await still) continue;
        state.viewer = false;
        if (!state.scope) closeFor(ws, { code: 1008, reason: "signed out, or the account was removed: sign in again" });
      }
    } finally {
      this.revalidating = false;
    }
  }

  /**
   * Every heartbeat: a client that did not answer the last ping, or that has not read what it
   * was sent for STUCK_MS (pongs of its own do not count: it must read), is let go.
   */
  private checkAlive(): void {
    const now = Date.now();
    for (const [ws, state] of this.clients) {
      const stuck = ws.bufferedAmount > this.options.maxBufferedBytes;
      state.stuckSince = stuck ? (state.stuckSince ?? now) : null;
      if (!state.alive || (state.stuckSince !== null && now - state.stuckSince >= (this.options.stuckMs ?? STUCK_MS))) {
        ws.terminate();
        this.clients.delete(ws);
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }

  /** Where a page's first alarm news comes from: every alarm an operator has to see now. */
  followAlarms(current: () => Omit<Extract<ServerMessage, { type: "alarms" }>, "type" | "full">): void {
    this.alarmSource = current;
  }

  /**
   * The alarm news of the last second to every page that follows it. A page backed up past
   * MAX_ALARM_BACKLOG skips it, and gets every alarm once it has drained.
   */
  publishAlarms(news: Omit<Extract<ServerMessage, { type: "alarms" }>, "type" | "full">): void {
    for (const [ws, state] of this.clients) {
      if (!state.alarms || ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > MAX_ALARM_BACKLOG) {
        state.alarmsBehind = true;
        continue;
      }
      const full = state.alarmsBehind && this.alarmSource;
      state.alarmsBehind = false;
      send(ws, full ? { type: "alarms", full: true, ...this.alarmSource!() } : { type: "alarms", full: false, ...news });
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.revalidation);
    clearInterval(this.drainCheck);
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
    this.wss.close();
  }
}

/** Readings grouped by observable, each group in the order given. */
function byTopic(readings: readonly Reading[]): Map<string, Reading[]> {
  const groups = new Map<string, Reading[]>();
  for (const r of readings) {
    const group = groups.get(r.observable);
    if (group) group.push(r);
    else groups.set(r.observable, [r]);
  }
  return groups;
}

function sendFrames(ws: WebSocket, topic: string, readings: Reading[], flags: number, merged = 0): void {
  if (readings.length === 0 || ws.readyState !== ws.OPEN) return;
  for (const bytes of encodeFrames(topic, readings, flags, merged)) ws.send(bytes);
}

/**
 * Sets how big a message this connection may send. ws keeps the limit on the connection's
 * receiver (set from the server's maxPayload); raising it there is the only per-connection way.
 */
function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (typeof receiver?._maxPayload !== "number") throw new Error("this version of ws keeps no per-connection maxPayload");
  receiver._maxPayload = bytes;
}

/** Says why in a message the page can show, then closes the socket. */
function closeFor(ws: WebSocket, violation: Violation, id?: number): void {
  send(ws, { type: "error", ...(id === undefined ? {} : { id }), field: "(connection)", message: violation.reason });
  ws.close(violation.code, violation.reason.slice(0, 120));
}

function send(ws: WebSocket, message: ServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}
