// The server process killed (SIGKILL) in the middle of a stream and started again: every
// reading that was acknowledged before the kill is still there, and a client that reconnects
// and resumes, as the page's LiveClient does, gets exactly what it missed, nothing twice.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../support/postgres.js";
import { type ServerProcess, ingestOk, resumingClient, startServerProcess } from "../support/server-process.js";

const TOKEN = "restart-test-token-0123456789abcdef";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-restart-"));
let server: ServerProcess | undefined;

after(() => {
  server?.proc.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (port: number) => startServerProcess(port, { RUNBOARD_DATA_DIR: dataDir, RUNBOARD_INGEST_TOKEN: TOKEN });

describe("server killed mid-stream", () => {
  it("loses no acknowledged reading, and a resuming client gets exactly what it missed", async () => {
    const port = await freePort();
    server = await start(port);
    await ingestOk(port, TOKEN, {
      runs: [{ id: 3, start: Date.now() - 60_000 }],
      observables: [{ name: "cryo.temperature", unit: "K", shape: "scalar" }],
    });
    const reading = (i: number) => ({
      readings: [{ observable: "cryo.temperature", run: 3, t: Date.now(), value: 4 + i / 100 }],
    });

    const client = resumingClient("cryo.temperature");
    await client.connect(port);
    const acknowledged: number[] = [];
    for (let i = 0; i < 3; i++) acknowledged.push((await ingestOk(port, TOKEN, reading(i))).lastSeq);
    await client.received(3);

    server.proc.kill("SIGKILL");
    await client.closed();
    server = await start(port);
    // Stored while the client was away.
    for (let i = 3; i < 6; i++) acknowledged.push((await ingestOk(port, TOKEN, reading(i))).lastSeq);
    await client.connect(port);
    await client.received(6);
    acknowledged.push((await ingestOk(port, TOKEN, reading(6))).lastSeq);
    await client.received(7);

    assert.deepEqual(client.seqs, acknowledged, "every acknowledged reading once, in order");
    const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { lastSeq: number };
    assert.equal(health.lastSeq, acknowledged.at(-1));
  });
});
