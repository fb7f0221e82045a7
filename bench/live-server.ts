// One live server for bench/live.ts, in its own process so its CPU and memory are its own.
// `runboard`: the real path, each batch stored in the embedded store (durable) and then fanned
// out by LiveHub as one binary frame shared by every client. `naive`: what one writes first,
// a plain ws server that JSON-encodes the readings for each client.
// Prints `{"port"}`, then takes lines on stdin: `run <hz> <seconds>` publishes a 2000-channel
// camera readout at that rate and answers with its CPU time, peak RSS and batches sent.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { WebSocketServer } from "ws";
import { EmbeddedStore } from "../loaders/store/embedded-store.js";
import { LiveHub } from "../server/live/live-hub.js";
import type { Reading } from "../src/core/catalog.js";

const method = process.argv[2] as "runboard" | "naive";
const CHANNELS = Number(process.argv[3] ?? 2000);
const now = () => performance.timeOrigin + performance.now();

const server = createServer();
let publish: (t: number) => Promise<void>;
/** Per batch, ms: storing it, then handing it to every client's socket (runboard only). */
const phases = { store: [] as number[], fanOut: [] as number[] };
const median = (xs: number[]) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
let cleanup = () => undefined as void;

if (method === "runboard") {
  const dir = mkdtempSync(join(tmpdir(), "runboard-bench-live-"));
  const store = await EmbeddedStore.open(dir);
  await store.ingest({
    runs: [{ id: 1, start: Date.now(), meta: {} }],
    observables: [{ name: "camera.hv", unit: "V", shape: "scalar", channels: CHANNELS, dims: [], description: "" }],
    readings: [],
  });
  const hub = new LiveHub(store, {
    maxReplay: 200_000,
    maxBufferedBytes: 16 * 1024 * 1024,
    heartbeatMs: 30_000,
    isAllowedRequest: () => true,
  });
  hub.attach(server);
  const values = Array.from({ length: CHANNELS }, (_, c) => 1000 + c);
  publish = async (t) => {
    const result = await store.ingest({
      runs: [],
      observables: [],
      readings: [{ observable: "camera.hv", run: 1, t, values }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors).slice(0, 500));
    const stored = now();
    hub.publish(result.readings);
    phases.store.push(stored - t);
    phases.fanOut.push(now() - stored);
  };
  cleanup = () => {
    hub.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  };
} else {
  const wss = new WebSocketServer({ server, path: "/ws" });
  let seq = 0;
  publish = async (t) => {
    const readings: Reading[] = Array.from({ length: CHANNELS }, (_, channel) => ({
      seq: ++seq,
      run: 1,
      observable: "camera.hv",
      channel,
      t,
      value: 1000 + channel,
    }));
    for (const ws of wss.clients) ws.send(JSON.stringify({ type: "readings", t, readings }));
  };
  cleanup = () => wss.close();
}

await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);

let peakRss = process.memoryUsage().rss;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50).unref();

for await (const line of createInterface({ input: process.stdin })) {
  const [command, hz, seconds] = line.trim().split(/\s+/);
  if (command === "exit") break;
  if (command !== "run") continue;
  const period = 1000 / Number(hz);
  const count = Math.max(1, Math.round(Number(hz) * Number(seconds)));
  const cpu = process.cpuUsage();
  peakRss = process.memoryUsage().rss;
  const start = now();
  let sent = 0;
  phases.store.length = phases.fanOut.length = 0;
  // Each batch at its scheduled time; a batch that is due while the previous one is still being
  // stored waits for it (that shows up as latency, as it would for a user).
  for (let tick = 0; tick < count; tick++) {
    const due = start + tick * period;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await publish(now());
    sent++;
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ sent, cpuSeconds: (used.user + used.system) / 1e6, wallSeconds: (now() - start) / 1000, peakRssMb: Math.round(peakRss / 1e6), storeMs: median(phases.store), fanOutMs: median(phases.fanOut) })}\n`,
  );
}
cleanup();
server.close();
process.exit(0);
