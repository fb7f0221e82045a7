// Two server processes sharing one PostgreSQL (RUNBOARD_INGEST_LOG=postgres), each with its own
// data directory, as they would run behind a reverse proxy: a reading ingested on one reaches
// browsers on the other with the same seq, a browser that reconnects to the other replica
// resumes exactly, and PostgreSQL restarted under load loses no acknowledged batch.
// Uses its own throwaway cluster, since it restarts it.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { type ServerProcess, ingestOk, startReplicaProcess, resumingClient } from "../support/server-process.js";

const TOKEN = "replica-test-token-0123456789abcdef";
const OBSERVABLE = "cryo.temperature";
let postgres: ThrowawayPostgres;
const servers: ServerProcess[] = [];
const dirs: string[] = [];
let a: ServerProcess;
let b: ServerProcess;

async function startReplica(): Promise<ServerProcess> {
  const server = await startReplicaProcess(postgres.url, TOKEN, dirs);
  servers.push(server);
  return server;
}

const reading = (value: number) => ({ observable: OBSERVABLE, run: 5, t: Date.now(), value });

before(async () => {
  postgres = await startThrowawayPostgres();
  [a, b] = await Promise.all([startReplica(), startReplica()]);
  await ingestOk(a.port, TOKEN, {
    runs: [{ id: 5, start: Date.now() - 60_000 }],
    observables: [{ name: OBSERVABLE, unit: "K", shape: "scalar" }],
  });
});

after(() => {
  for (const server of servers) {
    // A replica that died (rather than refused) shows why.
    if (server.proc.exitCode !== null) console.error(`replica on ${server.port} exited:\n${server.output()}`);
    server.proc.kill("SIGKILL");
  }
  postgres?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("replicas sharing one PostgreSQL", () => {
  it("delivers a reading ingested on one replica to browsers on both, with the same seq", async () => {
    const onA = resumingClient(OBSERVABLE);
    const onB = resumingClient(OBSERVABLE);
    await Promise.all([onA.connect(a.port), onB.connect(b.port)]);
    const first = await ingestOk(a.port, TOKEN, { readings: [reading(4.25)] });
    const second = await ingestOk(b.port, TOKEN, { readings: [reading(4.5)] });
    await Promise.all([onA.received(2), onB.received(2)]);
    assert.deepEqual(onB.seqs, [first.lastSeq, second.lastSeq]);
    assert.deepEqual(onB.values, [4.25, 4.5]);
    assert.deepEqual(onA.seqs, onB.seqs, "both replicas number the readings alike");
    const catalogOnB = (await (await fetch(`http://127.0.0.1:${b.port}/api/catalog`)).json()) as {
      observables: { name: string }[];
    };
    assert.deepEqual(
      catalogOnB.observables.map((o) => o.name),
      [OBSERVABLE],
      "declared on A, known on B",
    );
    await Promise.all([onA.close(), onB.close()]);
  });

  it("stores a resent batch once, whichever replica it is sent to", async () => {
    const batch = { source: "daq-hall-b", sequence: 1, readings: [reading(5)] };
    const firstTime = await ingestOk(a.port, TOKEN, batch);
    const again = (await ingestOk(b.port, TOKEN, batch)) as { stored: number; lastSeq: number; duplicate?: boolean };
    assert.equal(firstTime.stored, 1);
    assert.deepEqual({ stored: again.stored, duplicate: again.duplicate }, { stored: 0, duplicate: true });
  });

  it("keeps a page's session on the other replica: the CSRF token of one is good on both", async () => {
    const session = (await (await fetch(`http://127.0.0.1:${a.port}/api/session`)).json()) as { csrf: string };
    const save = (port: number, csrf: string) =>
      fetch(`http://127.0.0.1:${port}/api/snapshots/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Runboard-CSRF": csrf },
        body: JSON.stringify({ select: "latest" }),
      });
    assert.notEqual((await save(b.port, session.csrf)).status, 403, "accepted by the other replica");
    assert.equal((await save(b.port, "forged")).status, 403);
  });

  it("lets a browser that moves to the other replica resume with exactly what it missed", async () => {
    const client = resumingClient(OBSERVABLE);
    await client.connect(b.port);
    const acknowledged = [(await ingestOk(a.port, TOKEN, { readings: [reading(6)] })).lastSeq];
    await client.received(1);
    await client.close();
    for (let i = 0; i < 3; i++) acknowledged.push((await ingestOk(b.port, TOKEN, { readings: [reading(7 + i)] })).lastSeq);
    await client.connect(a.port);
    await client.received(4);
    acknowledged.push((await ingestOk(b.port, TOKEN, { readings: [reading(10)] })).lastSeq);
    await client.received(5);
    assert.deepEqual(client.seqs, acknowledged, "each missed reading once, in order");
    await client.close();
  });

  it("loses no acknowledged batch when PostgreSQL restarts under load", async () => {
    const client = resumingClient(OBSERVABLE);
    await client.connect(b.port);
    const acknowledged = new Map<number, number>(); // seq -> value
    const refusals: string[] = [];
    let sequence = 100;
    // A DAQ publishing through both replicas, resending each batch until it is acknowledged.
    let n = 0;
    const publish = async (batches: number) => {
      for (let i = 0; i < batches; i++, n++) {
        const value = 20 + n / 100;
        const batch = { source: "daq-restart", sequence: ++sequence, readings: [reading(value)] };
        for (let attempt = 0; ; attempt++) {
          const port = (sequence + attempt) % 2 === 0 ? a.port : b.port;
          const res = await fetch(`http://127.0.0.1:${port}/api/ingest`, {
            method: "POST",
            headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify(batch),
          });
          const answer = (await res.json()) as { stored?: number; lastSeq?: number; duplicate?: boolean; error?: string };
          if (res.status === 200) {
            // A duplicate: an earlier attempt was stored although its answer was lost with the
            // connection; the answer gives that attempt's seq.
            acknowledged.set(answer.lastSeq!, value);
            break;
          }
          refusals.push(`${res.status} ${answer.error}`);
          assert.ok(attempt < 200, `batch ${sequence} never stored: ${refusals.at(-1)}`);
          await new Promise((resolve) => setTimeout(resolve, 50)); // a DAQ's retry pause, not a wait for a condition
        }
      }
    };
    // Restart once the stream is flowing; batches keep coming until 10 more are stored after it.
    let restarted = false;
    let afterRestart = 0;
    const publishing = (async () => {
      while (!restarted || afterRestart < 10) {
        await publish(1);
        if (restarted) afterRestart++;
      }
    })();
    for (const deadline = Date.now() + 10_000; acknowledged.size < 10;) {
      assert.ok(Date.now() < deadline, "the stream never got going");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await postgres.restart();
    restarted = true;
    await publishing;
    assert.ok(refusals.length > 0, "the restart happened while batches were being sent");

    await client.received(acknowledged.size, 20_000);
    const got = new Map(client.seqs.map((seq, i) => [seq, client.values[i]!]));
    assert.equal(client.seqs.length, got.size, "no reading twice");
    assert.deepEqual(
      [...got].sort((x, y) => x[0] - y[0]),
      [...acknowledged].sort((x, y) => x[0] - y[0]),
      "every acknowledged reading, nothing else",
    );
    for (const refusal of refusals) assert.match(refusal, /^503 the shared ingest log in PostgreSQL is unavailable/);
    // A catches up too (it may learn of B's last batches a moment later).
    const newest = Math.max(...acknowledged.keys());
    const lastSeqOf = async (server: ServerProcess) =>
      ((await (await fetch(`http://127.0.0.1:${server.port}/api/health`)).json()) as { lastSeq: number }).lastSeq;
    for (const deadline = Date.now() + 10_000; (await lastSeqOf(a)) < newest;) {
      assert.ok(Date.now() < deadline, `replica A stuck at ${await lastSeqOf(a)} of ${newest}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await lastSeqOf(b), newest);
    assert.equal(await lastSeqOf(a), newest);
    await client.close();
  });
});
