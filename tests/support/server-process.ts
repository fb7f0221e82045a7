// The server as its own process (as `npm run serve` starts it), and a websocket client that
// resumes like the page's LiveClient: for tests that kill servers or run several of them.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";
import { decodeFrame, frameReadings } from "../../src/core/live-frame.js";

const mainScript = fileURLToPath(new URL("../../server/main.ts", import.meta.url));

export interface ServerProcess {
  proc: ChildProcess;
  port: number;
  /** Everything the process printed so far. */
  output(): string;
}

/**
 * A replica: a server process with a data directory of its own, sharing `postgresUrl` as its
 * ingest log (RUNBOARD_INGEST_LOG=postgres). The directory is pushed on `dirs` for removal.
 */
export async function startReplicaProcess(postgresUrl: string, token: string, dirs: string[]): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "runboard-replica-"));
  dirs.push(dataDir);
  const { freePort } = await import("./postgres.js");
  return startServerProcess(await freePort(), {
    RUNBOARD_DATA_DIR: dataDir,
    RUNBOARD_INGEST_TOKEN: token,
    RUNBOARD_INGEST_LOG: "postgres",
    DATABASE_URL: postgresUrl,
  });
}

/** Starts `server/main.ts` on `port` with these variables and waits until it says it started. */
export async function startServerProcess(
  port: number,
  env: Record<string, string>,
  startTimeoutMs = 30_000,
): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", mainScript], {
    env: { ...process.env, RUNBOARD_SIMULATOR: "off", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (data: Buffer) => (output += data.toString());
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  await new Promise<void>((resolve, reject) => {
    // A server that does not start in time is stopped, not left running without its caller.
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not start in ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const check = () => {
      if (!/started in \d+ ms/.test(output)) return;
      clearTimeout(timer);
      proc.off("exit", exited);
      resolve();
    };
    const exited = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    };
    proc.stdout!.on("data", check);
    proc.stderr!.on("data", check);
    proc.once("exit", exited);
  });
  return { proc, port, output: () => output };
}

/** A server process's resident memory in MB, from /proc. */
export function rssMb(proc: ServerProcess): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.proc.pid}/status`, "utf8"))![1]) / 1024;
}

/** POSTs one ingest batch and asserts it was acknowledged. */
export async function ingestOk(port: number, token: string, body: unknown): Promise<{ stored: number; lastSeq: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/ingest`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { stored: number; lastSeq: number };
}

/**
 * A client of one observable that keeps the newest seq it got and, on `connect`, resumes from
 * it: to whichever server it is given, as a page behind a reverse proxy may land on another
 * replica. Every reading that arrives is kept, repeats included, so a repeat would show.
 */
export function resumingClient(observable: string) {
  const seqs: number[] = [];
  const values: number[] = [];
  let lastSeq = 0;
  let ws: WebSocket | undefined;
  const waiting: { count: number; resolve: () => void }[] = [];
  const connect = (port: number) =>
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
          const text = String(data);
          if (text.includes('"subscribed"')) resolve();
          // A refused subscribe fails the test at once rather than leaving it waiting.
          if (text.includes('"type":"error"')) reject(new Error(`subscribe refused: ${text}`));
          return;
        }
        for (const r of frameReadings(decodeFrame(data))) {
          seqs.push(r.seq);
          values.push(r.value as number);
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
  const received = (count: number, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (seqs.length >= count) return resolve();
      const timer = setTimeout(() => reject(new Error(`got ${seqs.length} of ${count}: ${seqs}`)), timeoutMs);
      waiting.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  const closed = () =>
    new Promise<void>((resolve) => (ws?.readyState === WebSocket.CLOSED ? resolve() : ws?.once("close", () => resolve())));
  const close = () => {
    const done = closed();
    ws?.close();
    return done;
  };
  return { connect, received, closed, close, seqs, values };
}
