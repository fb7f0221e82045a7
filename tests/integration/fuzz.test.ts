// The running server against thousands of generated inputs per edge (fast-check): ingest JSON,
// binary ingest, bluesky documents, dashboards, flags on runs and websocket messages. Each is answered with a
// 2xx or a 4xx naming a field (never a 5xx), and afterwards the server still answers and its
// memory (read from /proc) has not run away.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { WebSocket } from "ws";
import { BINARY_BATCH_CONTENT_TYPE } from "../../src/core/ingest-binary.js";
import { rawBinaryBody } from "../support/binary-body.js";
import { freePort } from "../support/postgres.js";
import { ingestOk, type ServerProcess, startServerProcess } from "../support/server-process.js";

const TOKEN = "fuzz-test-ingest-token-0123456789";
const RUNS = 1500;
const dataDir = mkdtempSync(join(tmpdir(), "runboard-fuzz-server-"));
const NOW = Date.now();
let server: ServerProcess;
let startRss = 0;

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, "utf8"))![1]) / 1024;

before(async () => {
  server = await startServerProcess(await freePort(), {
    RUNBOARD_DATA_DIR: dataDir,
    RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
    RUNBOARD_INGEST_TOKEN: TOKEN,
    RUNBOARD_REFRESH_SECONDS: "0",
  });
  await ingestOk(server.port, TOKEN, {
    runs: [{ id: 1, start: NOW - 60_000 }],
    observables: [
      { name: "fuzz.rate", shape: "scalar", channels: 4 },
      { name: "fuzz.trace", shape: "1d", dims: [8] },
      { name: "fuzz.image", shape: "2d", dims: [2, 3] },
    ],
  });
  startRss = rssMb();
});

after(() => {
  server?.proc.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const jsonish = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(1e20, -1, 2 ** 31, 2 ** 53, 0.5, "", null, NOW, NOW + 1e12) },
);

function mutated(template: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(
    Object.entries(template).map(([key, value]) => [key, fc.oneof(fc.constant(value), jsonish, fc.constant(undefined))]),
  );
  return fc.record(fields).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

/** Answers seen per edge: the generators must reach both the accepting and the refusing paths. */
const seen = new Map<string, { accepted: number; refused: number }>();

/** Sends one request and checks its answer: 2xx, or 4xx with errors naming fields. */
async function answered(path: string, body: Uint8Array | string, contentType: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": contentType },
    body: body as BodyInit,
  });
  const text = await res.text();
  assert.ok(res.status < 500, `${res.status} for ${String(body).slice(0, 300)}: ${text.slice(0, 300)}`);
  const tally = seen.get(`${path} ${contentType}`) ?? { accepted: 0, refused: 0 };
  if (res.ok) tally.accepted++;
  else tally.refused++;
  seen.set(`${path} ${contentType}`, tally);
  if (res.status >= 400 && res.status !== 404) {
    const answer = JSON.parse(text) as { errors: { field: string }[] };
    assert.ok(answer.errors.length > 0 && answer.errors.every((e) => e.field.length > 0), text);
  }
}

const reading = (observable: string, value: unknown) => mutated({ observable, run: 1, t: NOW, channel: 0, value });
const batches = fc.record({
  source: fc.oneof(fc.constant("fuzz-daq"), jsonish),
  sequence: fc.oneof(fc.nat(), jsonish),
  runs: fc.array(mutated({ id: 1, start: NOW - 60_000, stop: null, meta: { shifter: "ada" } }), { maxLength: 2 }),
  observables: fc.array(mutated({ name: "fuzz.rate", shape: "scalar", channels: 4 }), { maxLength: 2 }),
  readings: fc.array(
    fc.oneof(
      reading("fuzz.rate", 1.5),
      reading("fuzz.trace", [1, 2, 3, 4, 5, 6, 7, 8]),
      reading("fuzz.image", [
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ),
    { maxLength: 6 },
  ),
});

/** A dashboard the server takes as it is: the base the generators vary. */
const WELL_FORMED = {
  schemaVersion: 2,
  title: "Fuzz shift",
  elements: { a: { kind: "stat", title: "Rate", series: [{ observable: "fuzz.rate", channel: 0 }] } },
  layout: { items: [{ element: "a", x: 0, y: 0, w: 3, h: 3 }] },
};

const wellFormedBatch = fc.record({
  readings: fc.array(
    fc.record({
      observable: fc.constant("fuzz.rate"),
      run: fc.constant(1),
      t: fc.integer({ min: NOW - 60_000, max: NOW }),
      channel: fc.integer({ min: 0, max: 3 }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }),
    { minLength: 1, maxLength: 5 },
  ),
});

describe("fuzzing the running server", () => {
  it("POST /api/ingest with JSON", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // Well-formed batches, channel and value varied, so the accepting path is always reached.
          { weight: 1, arbitrary: wellFormedBatch },
          { weight: 3, arbitrary: batches },
          { weight: 1, arbitrary: jsonish },
        ),
        (body) => answered("/api/ingest", JSON.stringify(body) ?? "null", "application/json"),
      ),
      { numRuns: RUNS },
    );
  });

  it("POST /api/ingest with binary batches", async () => {
    const reference = fc.record({
      offset: fc.oneof(fc.nat(256), jsonish),
      shape: fc.oneof(fc.array(fc.integer({ min: -1, max: 70_000 }), { maxLength: 3 }), jsonish),
    });
    const body = fc
      .tuple(
        fc.oneof(
          // A well-formed trace: eight float64s from the start of the data.
          fc.constant([{ observable: "fuzz.trace", run: 1, t: NOW, value: { offset: 0, shape: [8] } }]),
          fc.array(
            fc.record({
              observable: fc.constantFrom("fuzz.trace", "fuzz.image"),
              run: fc.constant(1),
              t: fc.constant(NOW),
              value: reference,
            }),
            { maxLength: 20 },
          ),
        ),
        fc.oneof(
          fc.constant(64),
          fc.nat(32).map((n) => n * 8),
          fc.nat(256),
        ),
        fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }),
      )
      .map(([readings, dataBytes, lie]) => {
        const headerBytes = new TextEncoder().encode(JSON.stringify({ readings })).length;
        return rawBinaryBody({ readings }, { dataBytes, declaredHeaderBytes: Math.max(0, headerBytes + lie) });
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, fc.uint8Array({ maxLength: 128 })), (bytes) =>
        answered("/api/ingest", bytes, BINARY_BATCH_CONTENT_TYPE),
      ),
      { numRuns: RUNS },
    );
  });

  it("POST /api/ingest/bluesky", async () => {
    const doc = fc.oneof(
      mutated({ uid: "run-a", time: NOW / 1000, scan_id: 3, plan_name: "count" }),
      mutated({
        uid: "desc-a",
        run_start: "run-a",
        time: NOW / 1000,
        data_keys: { det: { dtype: "number", shape: [], source: "x" } },
      }),
      mutated({
        uid: "ev-1",
        descriptor: "desc-a",
        time: NOW / 1000,
        seq_num: 1,
        data: { det: 1.5 },
        timestamps: { det: NOW / 1000 },
      }),
      mutated({ uid: "stop-a", run_start: "run-a", time: NOW / 1000, exit_status: "success" }),
      jsonish,
    );
    const name = fc.oneof(fc.constantFrom("start", "descriptor", "event", "event_page", "stop", "resource", "datum"), jsonish);
    const body = fc.oneof(
      fc.record({ name, doc }),
      fc.tuple(name, doc),
      fc.array(fc.tuple(fc.constantFrom("start", "descriptor", "event", "stop"), doc), { maxLength: 4 }),
      jsonish,
    );
    await fc.assert(
      fc.asyncProperty(body, (b) => answered("/api/ingest/bluesky", JSON.stringify(b) ?? "null", "application/json")),
      { numRuns: RUNS },
    );
  });

  it("POST /api/dashboards", async () => {
    const widget = mutated({ kind: "stat", title: "t", series: [{ observable: "fuzz.rate", channel: 0 }] });
    const dashboard = fc.record({
      schemaVersion: fc.oneof(fc.constantFrom(1, 2), jsonish),
      title: fc.oneof(fc.string({ maxLength: 30 }), jsonish),
      elements: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), widget, { maxKeys: 3 }), jsonish),
      layout: fc.oneof(
        fc.record({ items: fc.array(mutated({ element: "a", x: 0, y: 0, w: 6, h: 4 }), { maxLength: 3 }) }),
        jsonish,
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(WELL_FORMED), mutated(WELL_FORMED), dashboard, jsonish), (doc) =>
        answered("/api/dashboards", JSON.stringify(doc) ?? "null", "application/json"),
      ),
      { numRuns: RUNS },
    );
  });

  it("POST /api/runs/:id/flags and the address's choice on POST /api/dashboards", async () => {
    const flag = { verdict: "bad", note: "fuzzed", from: NOW - 30_000, to: NOW - 20_000 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(flag), mutated(flag), jsonish), (body) =>
        answered("/api/runs/1/flags", JSON.stringify(body) ?? "null", "application/json"),
      ),
      { numRuns: RUNS / 3 },
    );
    const timed = mutated({
      ...WELL_FORMED,
      schemaVersion: 3,
      runSelection: { mode: "range", from: 1, to: 3 },
      window: { kind: "absolute", from: NOW - 3_600_000, to: NOW },
      refreshSeconds: 30,
    });
    await fc.assert(
      fc.asyncProperty(timed, (doc) => answered("/api/dashboards", JSON.stringify(doc), "application/json")),
      { numRuns: RUNS / 3 },
    );
  });

  it("websocket messages, from browsers and publishers", async () => {
    const open = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      return ws;
    };
    const message = fc.oneof(
      mutated({ type: "subscribe", observables: ["fuzz.rate"], since: 0, channels: { "fuzz.rate": [0, 1] }, run: "newest" }),
      mutated({ type: "unsubscribe", observables: ["fuzz.rate"] }),
      mutated({ type: "auth", token: TOKEN }),
      mutated({ type: "publish", id: 1, batch: { readings: [] } }),
      fc.record({ type: fc.constant("publish"), id: fc.nat(), batch: batches }),
      jsonish,
    );
    const frame = fc.oneof(
      { weight: 6, arbitrary: message.map((m) => ({ text: JSON.stringify(m) ?? "null" })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ text })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })) },
    );
    let ws = await open();
    let answers = 0;
    ws.on("message", () => answers++);
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        if (ws.readyState !== WebSocket.OPEN) {
          ws = await open();
          ws.on("message", () => answers++);
        }
        ws.send("text" in f ? f.text : Buffer.from(f.bytes));
      }),
      { numRuns: RUNS },
    );
    // Every message was answered or the connection was closed for it; the next one still works.
    const fresh = await open();
    const reply = new Promise<string>((resolve) => fresh.on("message", (data, isBinary) => !isBinary && resolve(String(data))));
    fresh.send(JSON.stringify({ type: "ping" }));
    assert.match(await reply, /"hello"|"pong"/);
    assert.ok(answers > 0);
    for (const s of [ws, fresh]) s.close();
  });

  it("reached both what is accepted and what is refused on every edge", () => {
    assert.equal(seen.size, 5, [...seen.keys()].join(", "));
    for (const [edge, tally] of seen) assert.ok(tally.accepted > 10 && tally.refused > 10, `${edge}: ${JSON.stringify(tally)}`);
  });

  it("is alive afterwards, and its memory has not run away", async () => {
    const health = await fetch(`http://127.0.0.1:${server.port}/api/health`);
    assert.equal(health.status, 200);
    const grown = rssMb() - startRss;
    assert.ok(grown < 300, `rss grew ${Math.round(grown)} MB over the fuzzing`);
    assert.doesNotMatch(server.output(), /internal error|Reached heap limit|Error:.*\n\s+at /);
  });
});
