// Websocket clients for bench/live.ts: `count` connections in this process, each subscribed to
// the camera. Each message's latency is its receipt time minus the reading time the server
// stamped at ingest. Clients do the least a page must (read the frame header, or find the time
// at the start of the JSON) so that on two cores the server, not the clients, is measured.
// Prints `ready` once all are subscribed. On stdin: `count` prints the messages received since
// the last `report`; `report` prints those latencies and counts and starts afresh.
import { createInterface } from "node:readline";
import { WebSocket } from "ws";
import { frameHeader } from "../src/core/live-frame.js";

const [, , port, countArg, method, channelsArg] = process.argv as [string, string, string, string, "runboard" | "naive", string];
const count = Number(countArg);
const channels = Number(channelsArg);
const now = () => performance.timeOrigin + performance.now();

let latencies: number[] = [];
let values = 0;
let messages = 0;

function onFrame(data: Buffer): void {
  const { count, firstT } = frameHeader(data);
  latencies.push(now() - firstT);
  values += count;
  messages++;
}

function onJson(text: string): void {
  // {"type":"readings","t":<t>,"readings":[...]}: the time is near the start.
  const match = /"t":([0-9.e+]+)/.exec(text.slice(0, 64));
  if (!match) return;
  latencies.push(now() - Number(match[1]));
  values += channels; // every naive message carries the whole camera
  messages++;
}

const sockets: WebSocket[] = [];
let subscribed = 0;
for (let i = 0; i < count; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
  sockets.push(ws);
  ws.on("open", () => {
    ws.send(JSON.stringify({ type: "subscribe", observables: ["camera.hv"] }));
    if (method === "naive") subscribed++;
  });
  ws.on("message", (data: Buffer, isBinary) => {
    if (isBinary) return onFrame(data);
    const text = data.toString();
    if (method === "runboard" && text.includes('"subscribed"')) subscribed++;
    else if (method === "naive") onJson(text);
  });
  ws.on("error", (error) => {
    process.stderr.write(`client ${i}: ${error.message}\n`);
    process.exit(1);
  });
}
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    if (subscribed < count) return;
    clearInterval(check);
    resolve();
  }, 20);
});
process.stdout.write("ready\n");

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "exit") break;
  if (line.trim() === "count") process.stdout.write(`${JSON.stringify({ messages })}\n`);
  if (line.trim() !== "report") continue;
  process.stdout.write(`${JSON.stringify({ latencies, values, messages })}\n`);
  latencies = [];
  values = 0;
  messages = 0;
}
for (const ws of sockets) ws.terminate();
process.exit(0);
