// The live hub on a real HTTP server on 127.0.0.1 with real websocket clients: a paused client
// while others keep receiving everything; resume from the replay window, from the store once
// the window has moved on, and a refetch when the gap is too large; bad client messages.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import { LiveHub, type LiveHubOptions } from "../../server/live/live-hub.js";
import type { Reading } from "../../src/core/catalog.js";
import {
  decodeFrame,
  FRAME_FLAG_COALESCED,
  FRAME_FLAG_REPLAY,
  frameReadings,
  type LiveFrame,
} from "../../src/core/live-frame.js";

const CHANNELS = 2000;
const dir = mkdtempSync(join(tmpdir(), "runboard-hub-"));
let store: EmbeddedStore;

interface Received {
  /** Frames as decoded: columns viewing the received bytes, turned into readings when asked. */
  frames: (LiveFrame & { readings: () => Reading[] })[];
  texts: Record<string, unknown>[];
  bytes: number;
}

/** A hub on its own server; `clock.now` drives the replay window's age. */
async function startHub(options: Partial<LiveHubOptions>, clock = { now: 0 }) {
  const hub = new LiveHub(store, {
    maxReplay: 1000,
    maxBufferedBytes: 1 << 20,
    heartbeatMs: 30_000,
    isAllowedRequest: () => true,
    now: () => clock.now,
    ...options,
  });
  const server: Server = createServer();
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const stop = async () => {
    hub.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { hub, port, stop, clock };
}

/** A client that records what it gets; `until(pred)` waits (5 s at most) for `pred` to hold. */
async function client(port: number, subscribe: Record<string, unknown>) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const got: Received = { frames: [], texts: [], bytes: 0 };
  const checks: (() => void)[] = [];
  ws.on("message", (data: Buffer, isBinary) => {
    got.bytes += data.length;
    if (isBinary) {
      const frame = decodeFrame(data);
      got.frames.push({ ...frame, readings: () => frameReadings(frame) });
    } else got.texts.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const check of [...checks]) check();
  });
  const until = (pred: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000);
      const check = () => {
        if (!pred()) return;
        clearTimeout(timer);
        checks.splice(checks.indexOf(check), 1);
        resolve();
      };
      checks.push(check);
    });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  ws.send(JSON.stringify({ type: "subscribe", ...subscribe }));
  await until(() => got.texts.some((m) => m.type === "subscribed" || m.type === "error" || m.type === "busy"), "subscribed");
  return { ws, got, until };
}

const seqs = (got: Received, flag = -1) =>
  got.frames.filter((f) => flag < 0 || f.flags & flag).flatMap((f) => Array.from(f.seqs));

before(async () => {
  store = await EmbeddedStore.open(dir);
  const declared = await store.ingest({
    runs: [{ id: 1, start: Date.UTC(2026, 10, 22), meta: {} }],
    observables: [
      { name: "camera.hv", unit: "V", shape: "scalar", channels: CHANNELS, dims: [], description: "" },
      { name: "probe.temperature", unit: "°C", shape: "scalar", channels: 1, dims: [], description: "" },
    ],
    readings: [],
  });
  assert.ok(declared.ok, JSON.stringify(declared));
});

after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores `count` temperature readings one batch each and publishes them, as the ingest path does. */
async function ingestTemperatures(hub: LiveHub, count: number, first = 0): Promise<Reading[]> {
  const all: Reading[] = [];
  for (let i = 0; i < count; i++) {
    const result = await store.ingest({
      runs: [],
      observables: [],
      readings: [{ observable: "probe.temperature", run: 1, t: Date.UTC(2026, 10, 22) + (first + i) * 1000, value: first + i }],
    });
    assert.ok(result.ok);
    hub.publish(result.readings);
    all.push(...result.readings);
  }
  return all;
}

describe("live hub", () => {
  it("keeps feeding every other client while one stops reading, then sends that one the latest values and a merged count", async () => {
    const { hub, port, stop } = await startHub({ maxBufferedBytes: 256 * 1024 });
    try {
      const fast = await client(port, { observables: ["camera.hv"] });
      const other = await client(port, { observables: ["camera.hv"] });
      const slow = await client(port, { observables: ["camera.hv"] });
      // The slow browser: its socket is not read (ws keeps it at `_socket`), so the server's
      // send buffer for it fills.
      const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
      slowSocket.pause();
      const FRAMES = 1500; // 24 MB of 2000-channel frames: well past what the kernel buffers absorb
      let seq = store.lastSeq();
      let last: Reading[] = [];
      for (let tick = 0; tick < FRAMES; tick++) {
        last = Array.from({ length: CHANNELS }, (_, channel) => ({
          seq: ++seq,
          run: 1,
          observable: "camera.hv",
          channel,
          t: Date.UTC(2026, 10, 22) + tick * 100,
          value: tick + channel / 1e4,
        }));
        hub.publish(last);
        // The next frame once the reading clients have this one: were the hub held up by the
        // slow client, this would time out.
        for (const c of [fast, other]) await c.until(() => c.got.frames.length === tick + 1, `frame ${tick} at a reading client`);
      }
      for (const c of [fast, other]) {
        // Every reading, in order, none twice: the seqs run without a gap.
        const all = seqs(c.got);
        assert.equal(all.length, FRAMES * CHANNELS);
        assert.ok(
          all.every((s, i) => s === seq - FRAMES * CHANNELS + 1 + i),
          "consecutive seqs",
        );
        assert.ok(
          c.got.frames.every((f) => (f.flags & FRAME_FLAG_COALESCED) === 0),
          "nothing coalesced for a client that keeps up",
        );
      }

      slowSocket.resume();
      await slow.until(() => slow.got.frames.some((f) => f.flags & FRAME_FLAG_COALESCED), "a coalesced frame");
      const coalesced = slow.got.frames.find((f) => f.flags & FRAME_FLAG_COALESCED)!;
      assert.ok(coalesced.merged > 0, `merged ${coalesced.merged}`);
      assert.deepEqual(coalesced.readings(), last, "the latest value of every channel");
      // What it was sent is bounded by the send buffer, not by how long it was away.
      assert.ok(slow.got.frames.length < FRAMES, `${slow.got.frames.length} frames`);
      for (const c of [fast, other, slow]) c.ws.close();
    } finally {
      await stop();
    }
  });

  it("resumes a reconnecting client with exactly what it missed: from memory, then from the store once the window moved on", async () => {
    const { hub, port, stop, clock } = await startHub({ replay: { maxAgeMs: 60 * 60_000, maxBytes: 1 << 30 } });
    try {
      const sent = await ingestTemperatures(hub, 6);
      const since = sent[1]!.seq;
      const fromMemory = await client(port, { observables: ["probe.temperature"], since });
      await fromMemory.until(() => seqs(fromMemory.got).includes(sent[5]!.seq), "the replay");
      assert.deepEqual(
        seqs(fromMemory.got, FRAME_FLAG_REPLAY),
        sent.slice(2).map((r) => r.seq),
      );

      // An hour later those frames have left the window; the store still has them.
      clock.now += 61 * 60_000;
      const more = await ingestTemperatures(hub, 2, 6);
      const fromStore = await client(port, { observables: ["probe.temperature"], since });
      await fromStore.until(() => seqs(fromStore.got).includes(more[1]!.seq), "the replay");
      // Read back from the store: the same readings, values and times included.
      assert.deepEqual(
        fromStore.got.frames.filter((f) => f.flags & FRAME_FLAG_REPLAY).flatMap((f) => f.readings()),
        [...sent.slice(2), ...more],
      );

      // Per observable, a later seq it got live before the disconnect wins over `since`.
      const resumed = await client(port, {
        observables: ["probe.temperature"],
        since,
        resume: { "probe.temperature": more[0]!.seq },
      });
      await resumed.until(() => seqs(resumed.got).length > 0, "the replay");
      assert.deepEqual(seqs(resumed.got), [more[1]!.seq]);
      for (const c of [fromMemory, fromStore, resumed]) c.ws.close();
    } finally {
      await stop();
    }
  });

  it("reads at most two replays from the store at once, each held to its client's pace, and tells a third to come back", async () => {
    const clock = { now: 0 };
    const { hub, port, stop } = await startHub(
      { maxReplay: 1_000_000, maxBufferedBytes: 64 * 1024, replay: { maxAgeMs: 1000, maxBytes: 1 << 30 } },
      clock,
    );
    try {
      const declared = await store.ingest({
        runs: [],
        observables: [{ name: "probe.trace", unit: "mV", shape: "1d", channels: 1, dims: [4096], description: "" }],
        readings: [],
      });
      assert.ok(declared.ok);
      const before = store.lastSeq();
      // 20 MB of traces: more than the kernel buffers a paused socket, so its replay must wait.
      for (let batch = 0; batch < 10; batch++) {
        const stored = await store.ingest({
          runs: [],
          observables: [],
          readings: Array.from({ length: 60 }, (_, i) => ({
            observable: "probe.trace",
            run: 1,
            t: Date.UTC(2026, 10, 22) + batch * 60 + i,
            value: new Array(4096).fill(batch),
          })),
        });
        assert.ok(stored.ok);
        hub.publish(stored.readings);
      }
      clock.now += 5000; // out of the window: replays come from the store
      const subscribe = JSON.stringify({ type: "subscribe", observables: ["probe.trace"], since: before });
      const stalled = await Promise.all(
        [0, 1].map(async () => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
          await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
          // A browser tab frozen in the background: it asks for a replay and reads nothing.
          (ws as unknown as { _socket: Socket })._socket.pause();
          ws.send(subscribe);
          return ws;
        }),
      );
      const third = await client(port, { observables: ["probe.trace"], since: before });
      await third.until(() => third.got.texts.some((m) => m.type === "busy"), "busy");
      const busy = third.got.texts.find((m) => m.type === "busy")!;
      assert.ok(Number(busy.retryAfterMs) >= 1000, JSON.stringify(busy));
      assert.ok(!third.got.texts.some((m) => m.type === "subscribed"), "nothing subscribed");

      // The frozen tabs close: their replays stop, and the third's subscribe goes through.
      for (const ws of stalled) ws.terminate();
      // Asked again as the page does when told busy, until the server has room (5 s at most).
      for (let attempt = 0; !third.got.texts.some((m) => m.type === "subscribed"); attempt++) {
        assert.ok(attempt < 50, "still busy 5 s after the others closed");
        await new Promise((resolve) => setTimeout(resolve, 100));
        const answers = third.got.texts.length;
        third.ws.send(subscribe);
        await third.until(() => third.got.texts.length > answers, "an answer");
      }
      await third.until(() => seqs(third.got, FRAME_FLAG_REPLAY).length === 600, "the whole replay");
      assert.equal(seqs(third.got, FRAME_FLAG_REPLAY).at(-1), store.lastSeq());
      third.ws.close();
    } finally {
      await stop();
    }
  });

  it("tells a client to refetch when its gap is too large to replay, and refuses bad messages without disturbing others", async () => {
    const { hub, port, stop, clock } = await startHub({ maxReplay: 3, replay: { maxAgeMs: 1000, maxBytes: 1 << 30 } });
    try {
      const watcher = await client(port, { observables: ["probe.temperature"] });
      const before = store.lastSeq();
      await ingestTemperatures(hub, 5, 100);
      clock.now += 5000;
      const far = await client(port, { observables: ["probe.temperature"], since: before });
      await far.until(() => far.got.texts.some((m) => m.type === "resync"), "resync");
      assert.match(String(far.got.texts.find((m) => m.type === "resync")!.reason), /more than 3 readings/);
      assert.deepEqual(seqs(far.got), []);

      far.ws.send(Buffer.from([1, 2, 3]));
      await far.until(() => far.got.texts.some((m) => m.type === "error"), "an error");
      assert.deepEqual(
        far.got.texts.find((m) => m.type === "error"),
        {
          type: "error",
          field: "(message)",
          message: "send JSON text frames",
        },
      );
      const bad = await client(port, { observables: ["probe.temperature"], resume: { "probe.temperature": -1 } });
      assert.equal(bad.got.texts.find((m) => m.type === "error")!.field, "resume.probe.temperature");
      // An oversized message closes only that connection.
      const closed = new Promise<number>((resolve) => bad.ws.once("close", (code) => resolve(code)));
      bad.ws.send("x".repeat(64 * 1024));
      assert.equal(await closed, 1009);

      const next = await ingestTemperatures(hub, 1, 200);
      await watcher.until(() => seqs(watcher.got).includes(next[0]!.seq), "the next reading");
      for (const c of [watcher, far]) c.ws.close();
    } finally {
      await stop();
    }
  });

  it("sends a subscription only its channels and its run, following the newest run when asked", async () => {
    const { hub, port, stop } = await startHub({});
    try {
      const pixels = await client(port, { observables: ["camera.hv"], channels: { "camera.hv": [1999, 5, 5] } });
      const newest = await client(port, { observables: ["camera.hv"], run: "newest" });
      const runOne = await client(port, { observables: ["camera.hv"], run: 1 });
      const wrong = await client(port, { observables: ["camera.hv"], channels: { "probe.temperature": [0] } });
      assert.equal(wrong.got.texts.find((m) => m.type === "error")!.field, "channels.probe.temperature");

      let seq = store.lastSeq();
      const readout = (run: number) =>
        Array.from({ length: CHANNELS }, (_, channel) => ({
          seq: ++seq,
          run,
          observable: "camera.hv",
          channel,
          t: Date.UTC(2026, 10, 22, 1),
          value: run * 10_000 + channel,
        }));
      hub.publish(readout(1));
      // A new run starts: "newest" follows it, run 1's subscriber does not.
      const started = await store.ingest({
        runs: [{ id: 2, start: Date.UTC(2026, 10, 22, 2), meta: {} }],
        observables: [],
        readings: [],
      });
      assert.ok(started.ok);
      hub.publish(readout(2));
      // Then one more of each: what a filter let through by mistake would come before these.
      hub.publish(readout(1));
      hub.publish(readout(2));

      await pixels.until(() => pixels.got.frames.length === 4, "four frames of two pixels");
      assert.deepEqual(
        pixels.got.frames.map((f) => f.readings().map((r) => [r.run, r.channel])),
        [1, 2, 1, 2].map((run) => [
          [run, 5],
          [run, 1999],
        ]),
      );
      await newest.until(() => newest.got.frames.length === 3, "the readouts of the newest run");
      assert.deepEqual(
        newest.got.frames.map((f) => [...new Set(f.run)]),
        [[1], [2], [2]],
      );
      await runOne.until(() => runOne.got.frames.length === 2, "run 1's readouts");
      assert.deepEqual(
        runOne.got.frames.map((f) => [...new Set(f.run)]),
        [[1], [1]],
      );
      for (const c of [pixels, newest, runOne, wrong]) c.ws.close();
    } finally {
      await stop();
    }
  });
  it("limits subscriptions per connection and connections per address, saying so", async () => {
    const names = Array.from({ length: 101 }, (_, i) => `limit.o${String(i).padStart(3, "0")}`);
    const declared = await store.ingest({
      runs: [],
      observables: names.map((name) => ({ name, unit: "", shape: "scalar", channels: 1, dims: [], description: "" })),
      readings: [],
    });
    assert.ok(declared.ok);
    const { port, stop } = await startHub({ maxConnectionsPerAddress: 2 });
    try {
      const first = await client(port, { observables: names.slice(0, 60) });
      first.ws.send(JSON.stringify({ type: "subscribe", observables: names.slice(50) }));
      await first.until(() => first.got.texts.some((m) => m.type === "error"), "an error");
      assert.deepEqual(
        first.got.texts.find((m) => m.type === "error"),
        {
          type: "error",
          field: "observables",
          message: "at most 100 observables per connection (this would make 101); unsubscribe some first",
        },
      );
      // The refused subscribe changed nothing; after an unsubscribe the same one fits.
      first.ws.send(JSON.stringify({ type: "unsubscribe", observables: [names[0]] }));
      first.ws.send(JSON.stringify({ type: "subscribe", observables: names.slice(50) }));
      await first.until(() => first.got.texts.filter((m) => m.type === "subscribed").length === 2, "subscribed again");
      assert.equal((first.got.texts.at(-1)!.observables as string[]).length, 100);

      const second = await client(port, { observables: [names[0]] });
      const third = await client(port, { observables: [names[0]] });
      const closed = new Promise<number>((resolve) => third.ws.once("close", (code) => resolve(code)));
      assert.equal(await closed, 1008);
      assert.deepEqual(third.got.texts[0], {
        type: "error",
        field: "(connection)",
        message: "at most 2 live connections from one address; close some tabs",
      });
      // A closed connection frees its place.
      const secondClosed = new Promise((resolve) => second.ws.once("close", resolve));
      second.ws.close();
      await secondClosed;
      // (The server counts it closed a moment after the client does: try again until it has.)
      let fourth = await client(port, { observables: [names[0]] });
      for (const deadline = Date.now() + 5000; fourth.got.texts.at(-1)!.type === "error" && Date.now() < deadline;) {
        fourth = await client(port, { observables: [names[0]] });
      }
      assert.equal(fourth.got.texts.at(-1)!.type, "subscribed");
      for (const c of [first, fourth]) c.ws.close();
    } finally {
      await stop();
    }
  });
  it("closes a connection that stops answering pings, and keeps one that answers", { timeout: 10_000 }, async () => {
    const { port, stop } = await startHub({ heartbeatMs: 100 });
    try {
      const answering = await client(port, { observables: ["probe.temperature"] });
      // A peer that is gone without closing (a laptop lid shut) never answers a ping.
      const silent = new WebSocket(`ws://127.0.0.1:${port}/ws`, { autoPong: false });
      const closed = new Promise<void>((resolve) => silent.once("close", () => resolve()));
      await closed; // (the test's timeout fails it if the hub never closes it)
      assert.equal(answering.ws.readyState, WebSocket.OPEN, "the answering client is still connected");
      answering.ws.close();
    } finally {
      await stop();
    }
  });
});
