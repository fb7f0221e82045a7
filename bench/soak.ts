// `npm run bench:soak` (not a test): a long night in the control room, compressed. The server
// runs as its own process with the built-in simulator, and this process plays everyone else:
//   - a DAQ posting a 265-channel readout 10 times a second (its ingest latency is measured);
//   - 200 browsers at once, each staying 5 to 60 s, then leaving for a new one: subscribed to
//     the camera, some from their snapshot's seq (a replay), some frozen (not reading);
//   - replaying clients asking for everything since seq 0 every 5 s;
//   - a second DAQ posting 20 waveforms of 2048 samples a second into one growing array run;
//   - a reviewer publishing a review of the newest runs back to back in half of the 1-minute
//     windows (see phaseNow), so ingest with and without a review being published is compared
//     in one run;
//   - abusive ones: unfinished 15 MB frames, garbage and oversized messages, publishes without
//     a token, 198 kB binary bodies of empty rows, bad gzip, values out of range, floods of
//     connections beyond the per-address limit, 400 half-open HTTP requests from 127.0.0.2.
// Every 30 s it prints the server's memory (from /proc), ingest p50/p99 of that interval and the
// refusals; at the end, the table for the README. The memory must level off: the second half
// of the run may not grow like the first. SOAK_MINUTES sets the length (default 30).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { WebSocket } from "ws";
import { connect } from "node:net";
import { BINARY_BATCH_CONTENT_TYPE, encodeBinaryBatch } from "../src/core/ingest-binary.js";
import { rawBinaryBody } from "../tests/support/binary-body.js";
import { startDemoServer } from "./support/demo-server.js";
import { quantile, reviewWithCurl } from "./support/review-download.js";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const BROWSERS = Number(process.env.SOAK_BROWSERS ?? 200);
const SAMPLE_MS = 30_000;
const TOKEN = "soak-bench-ingest-token-0123456789";
const CHANNELS = 265;

const demo = await startDemoServer("soak", TOKEN, {
  RUNBOARD_MAX_CONNECTIONS_PER_ADDRESS: "450",
  // The browsers and the websocket floods all come from 127.0.0.1; the HTTP flood from 127.0.0.2.
  RUNBOARD_MAX_HTTP_CONNECTIONS_PER_ADDRESS: "1000",
});
const { server, base, port } = demo;
const wsUrl = `ws://127.0.0.1:${port}/ws`;
const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, "utf8"))![1]) / 1024;

const counts = new Map<string, number>();
const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
let latencies: number[] = [];
const allLatencies: number[] = [];
let stopping = false;
const timers: NodeJS.Timeout[] = [];
const every = (ms: number, work: () => unknown) => timers.push(setInterval(() => void work(), ms));

// --- the DAQ ------------------------------------------------------------------------------------
await post("/api/ingest", {
  runs: [{ id: 900_001, start: Date.now() }],
  observables: [{ name: "soak.temperature", unit: "°C", shape: "scalar", channels: CHANNELS, healthy: { min: 10, max: 30 } }],
});
/** Ingest latencies while a review is being published back to back, and while not. */
const byPhase = { publishing: [] as number[], quiet: [] as number[] };
let publishingPhase = false;
/**
 * After a minute of warm-up (counted in neither), 1-minute windows in the order quiet,
 * publishing, publishing, quiet, ...: the growing run's refresh gets heavier minute by minute,
 * and this order gives both phases the same share of early and late minutes (and one
 * schedule refresh a window).
 */
const PHASE_MS = 60_000;
function phaseNow(): "warm-up" | "publishing" | "quiet" {
  const window = Math.floor((Date.now() - startedAt - PHASE_MS) / PHASE_MS);
  if (window < 0) return "warm-up";
  return window % 4 === 1 || window % 4 === 2 ? "publishing" : "quiet";
}
let sequence = 0;
async function daqLoop(): Promise<void> {
  while (!stopping) {
    const started = performance.now();
    const res = await post("/api/ingest", {
      source: "soak-daq",
      sequence: ++sequence,
      readings: [
        {
          observable: "soak.temperature",
          run: 900_001,
          t: Date.now(),
          values: Array.from({ length: CHANNELS }, (_, i) => 20 + Math.sin(i + sequence / 50)),
        },
      ],
    }).catch(() => undefined);
    const ms = performance.now() - started;
    if (res?.ok) {
      latencies.push(ms);
      allLatencies.push(ms);
      const phase = publishingPhase ? "publishing" : phaseNow();
      if (phase !== "warm-up") byPhase[phase].push(ms);
    } else count(`daq ${res?.status ?? "failed"}`);
    await sleep(Math.max(0, 100 - ms));
  }
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}, raw?: Uint8Array | string) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...headers },
    body: (raw ?? JSON.stringify(body)) as BodyInit,
  });
  await res.arrayBuffer();
  if (res.status >= 500 && res.status !== 503 && res.status !== 507) count(`5xx ${path}`);
  return res;
}

// --- the waveform DAQ and the reviewer -------------------------------------------------------------
await post("/api/ingest", {
  runs: [{ id: 900_002, start: Date.now() }],
  observables: [{ name: "soak.waveform", shape: "1d", dims: [2048] }],
});
let waveforms = 0;
async function waveformLoop(): Promise<void> {
  while (!stopping) {
    const started = performance.now();
    const readings = Array.from({ length: 20 }, (_, i) => ({
      observable: "soak.waveform",
      run: 900_002,
      t: Date.now() - 19 + i,
    }));
    const arrays = readings.map((_, i) => ({
      reading: i,
      key: "value" as const,
      values: Float64Array.from({ length: 2048 }, (_, k) => Math.sin((waveforms + i + k) / 30) + Math.random() * 0.01),
      shape: [2048],
    }));
    const body = encodeBinaryBatch({ readings }, arrays);
    const res = await post("/api/ingest", undefined, { "Content-Type": BINARY_BATCH_CONTENT_TYPE }, body).catch(() => undefined);
    if (res?.ok) waveforms += 20;
    else count(`waveform daq ${res?.status ?? "failed"}`);
    await sleep(Math.max(0, 1000 - (performance.now() - started)));
  }
}

/** Publishes a review of the newest runs back to back during the publishing windows. */
async function reviewerLoop(): Promise<void> {
  while (!stopping) {
    publishingPhase = phaseNow() === "publishing";
    if (!publishingPhase) {
      await sleep(1000);
      continue;
    }
    const code = (await reviewWithCurl(base, TOKEN, "last:10m")).split(" ")[0]!;
    count(`review ${code}`);
    if (/^5/.test(code) && code !== "503") count("5xx /api/reviews");
  }
}

// --- browsers -----------------------------------------------------------------------------------
let open = 0;
function browser(): void {
  if (stopping) return;
  open++;
  const ws = new WebSocket(wsUrl);
  const frozen = Math.random() < 0.1;
  const stay = 5_000 + Math.random() * 55_000;
  ws.on("open", () => {
    const since = Math.random() < 0.3 ? Math.max(0, lastSeq - Math.floor(Math.random() * 5000)) : undefined;
    ws.send(
      JSON.stringify({
        type: "subscribe",
        observables: ["camera.hv", "trigger.rate", "soak.temperature"],
        ...(since !== undefined ? { since } : {}),
      }),
    );
    // A frozen background tab: it reads nothing; the server must not hold its backlog.
    if (frozen) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  });
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse(String(data)) as { type: string; field?: string };
    if (message.type === "busy" || message.type === "resync") count(`browser ${message.type}`);
    if (message.type === "error") count(`browser error ${message.field}`);
  });
  ws.on("error", () => count("browser socket error"));
  const leave = setTimeout(() => ws.terminate(), stay);
  ws.on("close", () => {
    clearTimeout(leave);
    open--;
    setTimeout(browser, Math.random() * 1000); // the next one comes
  });
}

let lastSeq = 0;
let memory = { rss: 0, jsHeap: 0, buffers: 0 };
every(2000, async () => {
  const health = (await (await fetch(`${base}/api/health`)).json()) as { lastSeq: number; memory: typeof memory };
  lastSeq = health.lastSeq;
  memory = health.memory;
});

// --- replaying and abusive clients ----------------------------------------------------------------
every(5000, () => {
  const ws = new WebSocket(wsUrl);
  ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe", observables: ["camera.hv", "camera.temperature"], since: 0 })));
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      const type = (JSON.parse(String(data)) as { type: string }).type;
      if (type === "busy" || type === "resync") count(`replay ${type}`);
    }
  });
  ws.on("error", () => undefined);
  setTimeout(() => ws.terminate(), 3000 + Math.random() * 10_000);
});

const abuses: (() => Promise<unknown>)[] = [
  // An unfinished 15 MB frame before any token.
  async () => {
    const ws = new WebSocket(wsUrl);
    ws.on("error", () => undefined);
    ws.on("close", (code) => count(`abuse ws close ${code}`));
    ws.on("open", () => {
      const header = Buffer.alloc(14);
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(15 << 20), 2);
      (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
        Buffer.concat([header, Buffer.alloc(4), Buffer.alloc(64 * 1024)]),
      );
    });
  },
  // Garbage, then a publish without a token.
  async () => {
    const ws = new WebSocket(wsUrl);
    ws.on("error", () => undefined);
    ws.on("open", () => {
      ws.send("{not json");
      ws.send(JSON.stringify({ type: "publish", id: 1, batch: { readings: [] } }));
      ws.send(Buffer.from([1, 2, 3]));
      setTimeout(() => ws.close(), 500);
    });
  },
  // 198 kB of empty rows in binary.
  async () => {
    const body = rawBinaryBody({
      readings: Array.from({ length: 2000 }, () => ({
        observable: "soak.temperature",
        run: 900_001,
        t: Date.now(),
        value: { offset: 0, shape: [65_536, 0] },
      })),
    });
    count(`abuse binary ${(await post("/api/ingest", undefined, { "Content-Type": BINARY_BATCH_CONTENT_TYPE }, body)).status}`);
  },
  async () => count(`abuse gzip ${(await post("/api/ingest", undefined, { "Content-Encoding": "gzip" }, "not gzip")).status}`),
  async () =>
    count(
      `abuse t=1e20 ${(await post("/api/ingest", { readings: [{ observable: "soak.temperature", run: 900_001, t: 1e20, channel: 0, value: 1 }] })).status}`,
    ),
  async () =>
    count(
      `abuse gzip ok ${(await post("/api/ingest", undefined, { "Content-Encoding": "gzip" }, gzipSync(JSON.stringify({ readings: [] })))).status}`,
    ),
  // 400 half-open HTTP requests from another address, left hanging: capped, then cut off.
  async () => {
    const flood = Array.from({ length: 400 }, () => {
      const socket = connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
      socket.on("error", () => undefined);
      socket.on("data", (d: Buffer) => d.toString().startsWith("HTTP/1.1 503") && count("abuse half-open refused (503)"));
      socket.write(`POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 8000\r\n`);
      return socket;
    });
    await sleep(10_000);
    for (const socket of flood) socket.destroy();
  },
  // A burst of connections beyond the per-address limit (450 here), each closed soon after.
  async () => {
    const burst = Array.from({ length: 300 }, () => {
      const ws = new WebSocket(wsUrl);
      ws.on("error", () => undefined);
      ws.on("close", (code) => code === 1008 && count("abuse over the connection limit (1008)"));
      return ws;
    });
    await sleep(2000);
    for (const ws of burst) ws.terminate();
  },
];
every(3000, () => abuses[Math.floor(Math.random() * abuses.length)]!().catch(() => count("abuse failed")));

// --- sampling -------------------------------------------------------------------------------------
const samples: { minute: number; rss: number; p50: number; p99: number; batches: number; browsers: number }[] = [];
const startedAt = Date.now();
const sample = () => {
  const s = {
    minute: (Date.now() - startedAt) / 60_000,
    rss: rssMb(),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    batches: latencies.length,
    browsers: open,
  };
  latencies = [];
  samples.push(s);
  console.log(
    `${s.minute.toFixed(1).padStart(5)} min  rss ${s.rss.toFixed(0).padStart(5)} MB (JS heap ${memory.jsHeap}, buffers ${memory.buffers})  ingest p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms (${s.batches} batches)  browsers ${s.browsers}`,
  );
};

console.log(`soak: ${MINUTES} min, ${BROWSERS} browsers, server pid ${server.proc.pid}, rss at start ${rssMb().toFixed(0)} MB`);
for (let i = 0; i < BROWSERS; i++) setTimeout(browser, Math.random() * 5000);
const daq = daqLoop();
const waveformDaq = waveformLoop();
const reviewer = reviewerLoop();
every(SAMPLE_MS, sample);
await sleep(MINUTES * 60_000);
stopping = true;
for (const t of timers) clearInterval(t);
await Promise.all([daq, waveformDaq, reviewer]);
sample();

// --- the summary ----------------------------------------------------------------------------------
// Memory swings with what frozen tabs hold in their send buffers: compare the peaks of each third.
const third = (k: number) => samples.filter((s) => s.minute > (k * MINUTES) / 3 && s.minute <= ((k + 1) * MINUTES) / 3 + 0.01);
const peak = (part: typeof samples) => Math.max(...part.map((s) => s.rss));
const median = (part: typeof samples) =>
  quantile(
    part.map((s) => s.rss),
    0.5,
  );
const [early, middle, late] = [third(0), third(1), third(2)];
const levelsOff = peak(late) <= peak(middle) * 1.1 + 25;
const fives = [...counts].filter(([k]) => k.startsWith("5xx"));
console.log("\n| measured | value |\n|---|---|");
console.log(
  `| length, browsers at once | ${MINUTES} min, ${BROWSERS} (each 5-60 s, 10% frozen, 30% replaying from their snapshot) |`,
);
console.log(
  `| server memory (rss), peak / median of each third of the run | ${[early, middle, late].map((p) => `${peak(p).toFixed(0)} / ${median(p).toFixed(0)} MB`).join(", ")} |`,
);
console.log(
  `| ingest latency (265-channel batch, 10 Hz), p50 / p99 | ${quantile(allLatencies, 0.5).toFixed(1)} ms / ${quantile(allLatencies, 0.99).toFixed(1)} ms over ${allLatencies.length} batches |`,
);
console.log(
  `| refusals and closes | ${[...counts]
    .filter(([k]) => !k.startsWith("5xx"))
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ")} |`,
);
const [quietP99, publishingP99] = [quantile(byPhase.quiet, 0.99), quantile(byPhase.publishing, 0.99)];
console.log(
  `| ingest p99 while a review is published back to back / while not | ${publishingP99.toFixed(1)} ms / ${quietP99.toFixed(1)} ms (${(publishingP99 / quietP99).toFixed(2)}x; ${byPhase.publishing.length} / ${byPhase.quiet.length} batches) |`,
);
console.log(
  `| waveforms stored (2048 samples each, one growing run) | ${waveforms} (${((waveforms * 2048 * 8) / 1e6).toFixed(0)} MB) |`,
);
console.log(`| 5xx answers | ${fives.length === 0 ? "none" : fives.map(([k, v]) => `${k}: ${v}`).join("; ")} |`);
// Why, in the server's words (its log names the failing request's error).
const told = server
  .output()
  .split("\n")
  .filter((l) => /review|internal error|500/.test(l));
if (fives.length > 0) console.log(`\nthe server said:\n${[...new Set(told)].slice(0, 10).join("\n")}`);
console.log(`| levels off | ${levelsOff ? "yes" : "NO"} (the last third's peak within 10% of the middle third's) |`);

await demo.stop();
process.exit(0);

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
