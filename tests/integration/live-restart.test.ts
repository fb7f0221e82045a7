// The server process killed (SIGKILL) in the middle of a stream and started again: every
// reading that was acknowledged before the kill is still there, and a client that reconnects
// and resumes, as the page's LiveClient does, gets exactly what it missed, nothing twice.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";
import { decodeFrame, frameReadings } from "../../src/core/live-frame.js";

const TOKEN = "restart-test-token-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-restart-"));
const mainScript = fileURLToPath(new URL("../../server/main.ts", import.meta.url));
let child: ChildProcess | undefined;

after(() => {
  child?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts the server as its own process and waits for it to say it has started. */
async function startProcess(port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", mainScript], {
    env: {
      ...process.env,
      PORT: String(port),
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_SIMULATOR: "off",
      RUNBOARD_INGEST_TOKEN: TOKEN,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (!/started in \d+ ms/.test(output)) return;
      clearTimeout(timer);
      resolve();
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return proc;
}

async function ingest(port: number, body: unknown): Promise<{ stored: number; lastSeq: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/ingest`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { stored: number; lastSeq: number };
}

/** A client that keeps the newest seq it got and resumes from it, as LiveClient does. */
function resumingClient(port: number, observable: string) {
  const seqs: number[] = [];
  let lastSeq = 0;
  let ws: WebSocket | undefined;
  const waiting: { count: number; resolve: () => void }[] = [];
  const connect = () =>
    new Promise<void>((resolve, reject) => {
      ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.on("open", () =>
        ws!.send(
          JSON.stringify({
            type: "subscribe",
            observables: [observable],
            ...(lastSeq > 0 ? { resume: { [observable]: lastSeq } } : {}),
          }),
        ),
      );
      ws.on("message", (data: Buffer, isBinary) => {
        if (!isBinary) {
          if (String(data).includes('"subscribed"')) resolve();
          return;
        }
        // Every reading that arrives is kept, repeats included, so a repeat would show.
        for (const r of frameReadings(decodeFrame(data))) {
          seqs.push(r.seq);
          lastSeq = Math.max(lastSeq, r.seq);
        }
        for (const w of [...waiting]) {
          if (seqs.length < w.count) continue;
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      });
      ws.on("error", reject);
    });
  const received = (count: number) =>
    new Promise<void>((resolve, reject) => {
      if (seqs.length >= count) return resolve();
      const timer = setTimeout(() => reject(new Error(`got ${seqs.length} of ${count}: ${seqs}`)), 10_000);
      waiting.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  const closed = () =>
    new Promise<void>((resolve) => (ws?.readyState === WebSocket.CLOSED ? resolve() : ws?.once("close", () => resolve())));
  return { connect, received, closed, seqs };
}

describe("server killed mid-stream", () => {
  it("loses no acknowledged reading, and a resuming client gets exactly what it missed", async () => {
    const port = await freePort();
    child = await startProcess(port);
    await ingest(port, {
      runs: [{ id: 3, start: Date.now() - 60_000 }],
      observables: [{ name: "cryo.temperature", unit: "K", shape: "scalar" }],
    });
    const reading = (i: number) => ({
      readings: [{ observable: "cryo.temperature", run: 3, t: Date.now(), value: 4 + i / 100 }],
    });

    const client = resumingClient(port, "cryo.temperature");
    await client.connect();
    const acknowledged: number[] = [];
    for (let i = 0; i < 3; i++) acknowledged.push((await ingest(port, reading(i))).lastSeq);
    await client.received(3);

    child.kill("SIGKILL");
    await client.closed();
    child = await startProcess(port);
    // Stored while the client was away.
    for (let i = 3; i < 6; i++) acknowledged.push((await ingest(port, reading(i))).lastSeq);
    await client.connect();
    await client.received(6);
    acknowledged.push((await ingest(port, reading(6))).lastSeq);
    await client.received(7);

    assert.deepEqual(client.seqs, acknowledged, "every acknowledged reading once, in order");
    const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { lastSeq: number };
    assert.equal(health.lastSeq, acknowledged.at(-1));
  });
});
