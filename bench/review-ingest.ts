// `npm run bench:review-ingest` (not a test): finding 9 of issue 23 as it was met, on its own. A
// server with the demo simulator; a DAQ posting a 265-channel readout 10 times a second (its
// ingest latency is measured); one reviewer publishing a review back to back in half of the
// windows. Windows of WINDOW_S seconds in the order quiet, publishing, publishing, quiet, ...
// give both phases the same share of early and late minutes (and of the schedule's refreshes).
// The soak (bench/soak.ts) measures the same with 200 browsers and the abusers on top.
// REVIEW_BENCH_MINUTES sets the length (default 6), REVIEW_BENCH_RUNS the review (last:1d).
import { startDemoServer } from "./support/demo-server.js";
import { quantile, reviewWithCurl } from "./support/review-download.js";

const MINUTES = Number(process.env.REVIEW_BENCH_MINUTES ?? 6);
const RUNS = process.env.REVIEW_BENCH_RUNS ?? "last:1d";
const WINDOW_MS = 20_000;
const WARM_UP_MS = 30_000;
const TOKEN = "review-bench-ingest-token-0123456789";
const CHANNELS = 265;

const demo = await startDemoServer("review-bench", TOKEN);
const { server, base } = demo;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const startedAt = Date.now();
const endsAt = startedAt + WARM_UP_MS + MINUTES * 60_000;

type Phase = "warm-up" | "publishing" | "quiet";
function phaseNow(): Phase {
  const window = Math.floor((Date.now() - startedAt - WARM_UP_MS) / WINDOW_MS);
  if (window < 0) return "warm-up";
  return window % 4 === 1 || window % 4 === 2 ? "publishing" : "quiet";
}

async function post(body: unknown): Promise<Response> {
  const res = await fetch(`${base}/api/ingest`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res;
}

const latencies = { publishing: [] as number[], quiet: [] as number[] };
const refused: string[] = [];
/** A review still being read when its window ends counts as publishing. */
let reviewUnderWay = false;
async function daqLoop(): Promise<void> {
  await post({
    runs: [{ id: 910_001, start: Date.now() }],
    observables: [{ name: "bench.temperature", unit: "°C", shape: "scalar", channels: CHANNELS }],
  });
  for (let sequence = 1; Date.now() < endsAt; sequence++) {
    const started = performance.now();
    const values = Array.from({ length: CHANNELS }, (_, i) => 20 + Math.sin(i + sequence / 50));
    const res = await post({
      source: "bench-daq",
      sequence,
      readings: [{ observable: "bench.temperature", run: 910_001, t: Date.now(), values }],
    }).catch(() => undefined);
    const ms = performance.now() - started;
    const phase = reviewUnderWay ? "publishing" : phaseNow();
    if (!res?.ok) refused.push(`${res?.status ?? "failed"}`);
    else if (phase !== "warm-up") latencies[phase].push(ms);
    await sleep(Math.max(0, 100 - ms));
  }
}

/** One review in the warm-up (the first deflates the site), then back to back while publishing. */
const reviews: string[] = [];
async function reviewerLoop(): Promise<void> {
  reviews.push(await reviewWithCurl(base, TOKEN, RUNS));
  while (Date.now() < endsAt) {
    if (phaseNow() !== "publishing") {
      await sleep(200);
      continue;
    }
    reviewUnderWay = true;
    reviews.push(await reviewWithCurl(base, TOKEN, RUNS));
    reviewUnderWay = false;
  }
}

console.log(
  `review-ingest: ${MINUTES} min in ${WINDOW_MS / 1000} s windows, reviews of "${RUNS}", server pid ${server.proc.pid}`,
);
await Promise.all([daqLoop(), reviewerLoop()]);

const phaseSeconds = (MINUTES * 60) / 2;
const row = (name: string, values: number[]) =>
  `| ${name} | ${quantile(values, 0.5).toFixed(1)} ms | ${quantile(values, 0.99).toFixed(1)} ms | ${(values.length / phaseSeconds).toFixed(2)} |`;
const [quietP99, publishingP99] = [quantile(latencies.quiet, 0.99), quantile(latencies.publishing, 0.99)];
const sent = reviews.slice(1);
const whole = sent.filter((r) => r.startsWith("200 "));
const notWhole = [...new Set(sent.filter((r) => !r.startsWith("200 ")).map((r) => r.split(" ")[0]))];
const mb = whole.reduce((sum, r) => sum + Number(r.split(" ")[1]), 0) / 1e6;
console.log("\n| ingest (265 channels, 10 Hz) | p50 | p99 | batches/s |\n|---|---|---|---|");
console.log(row("no review being published", latencies.quiet));
console.log(row("one client publishing back to back", latencies.publishing));
console.log(
  `\np99 publishing / quiet: ${(publishingP99 / quietP99).toFixed(2)}x; ${whole.length} of ${sent.length} reviews whole (${mb.toFixed(0)} MB${notWhole.length ? `; the others answered ${notWhole.join(", ")}` : ""}); ingest refused: ${refused.length === 0 ? "none" : refused.join(", ")}`,
);

await demo.stop();
process.exit(0);
