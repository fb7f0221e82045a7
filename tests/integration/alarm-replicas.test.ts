// Alarms on two replicas sharing one PostgreSQL (RUNBOARD_INGEST_LOG=postgres): an alarm raised
// by readings sent to one is on both, acknowledged through the other it clears on both, its rise
// is in the history once, and rules saved through one are evaluated by the other at once.
// Uses its own throwaway cluster, as the replica tests do.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { type ServerProcess, ingestOk, startReplicaProcess } from "../support/server-process.js";

const TOKEN = "alarm-replica-token-0123456789abcdef";
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

const call = (server: ServerProcess, path: string, method = "GET", body?: unknown) =>
  fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
interface Listed {
  alarms: { id: string; severity: string; currentSeverity: string; acknowledged: { by: string } | null }[];
}
const alarmsOn = async (server: ServerProcess) => ((await (await call(server, "/api/alarms")).json()) as Listed).alarms;

/** Polls until `check` holds for what `server` lists (at most `ms`). */
async function until(server: ServerProcess, check: (alarms: Listed["alarms"]) => boolean, ms = 5000): Promise<Listed["alarms"]> {
  const end = Date.now() + ms;
  for (;;) {
    const alarms = await alarmsOn(server);
    if (check(alarms)) return alarms;
    if (Date.now() > end) assert.fail(`not within ${ms} ms on ${server.port}: ${JSON.stringify(alarms)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const rule = (channels: number[]) => ({ path: "/hv", observable: "probe.hv", channels, major: { min: 900, max: 1300 } });
const reading = (channel: number, value: number) => ({ observable: "probe.hv", run: 8, channel, t: Date.now(), value });

before(async () => {
  postgres = await startThrowawayPostgres();
  [a, b] = await Promise.all([startReplica(), startReplica()]);
  await ingestOk(a.port, TOKEN, {
    runs: [{ id: 8, start: Date.now() - 60_000 }],
    observables: [{ name: "probe.hv", unit: "V", shape: "scalar", channels: 4 }],
  });
});

after(() => {
  for (const server of servers) {
    if (server.proc.exitCode !== null) console.error(`replica on ${server.port} exited:\n${server.output()}`);
    server.proc.kill("SIGKILL");
  }
  postgres?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("alarms on two replicas", () => {
  it("raises on both from readings sent to one, and an ack through the other clears both", async () => {
    const saved = await call(a, "/api/alarm-rules", "PUT", { schemaVersion: 1, rules: [rule([1])] });
    assert.equal(saved.status, 200, await saved.text());
    await until(b, () => true); // B has started and answers
    await ingestOk(a.port, TOKEN, { readings: [reading(1, 1450)] });
    await ingestOk(a.port, TOKEN, { readings: [reading(1, 1100)] });
    const major = (alarms: Listed["alarms"]) => alarms.some((x) => x.id === "probe.hv:1" && x.severity === "MAJOR");
    await Promise.all([until(a, major), until(b, major)]);

    const acked = await call(b, "/api/alarms/probe.hv:1/ack", "POST", { comment: "seen on B" });
    assert.equal(acked.status, 200, await acked.text());
    // Back in range and acknowledged: cleared on both.
    await Promise.all([until(a, (x) => x.length === 0), until(b, (x) => x.length === 0)]);
    // The history is written a moment after the change: read until the acknowledgement is in.
    type Event = { kind: string; severity: string; currentSeverity: string; text: string };
    let events: Event[] = [];
    for (const end = Date.now() + 5000; !events.some((e) => e.kind === "ack") && Date.now() < end;) {
      events = ((await (await call(a, "/api/alarms/history")).json()) as { events: Event[] }).events;
      if (!events.some((e) => e.kind === "ack")) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Both replicas saw the rise and the return; each is in the history once.
    const rises = events.filter((e) => e.kind === "severity" && e.currentSeverity === "MAJOR");
    const returns = events.filter((e) => e.kind === "severity" && e.currentSeverity === "OK");
    assert.deepEqual([rises.length, returns.length], [1, 1], JSON.stringify(events));
    assert.equal(events.filter((e) => e.kind === "ack").length, 1);
    assert.equal(events.find((e) => e.kind === "ack")!.text, "seen on B");
  });

  it("evaluates rules saved through the other replica at once", async () => {
    const saved = await call(b, "/api/alarm-rules", "PUT", { schemaVersion: 1, rules: [rule([1, 2])] });
    assert.equal(saved.status, 200, await saved.text());
    // The NOTIFY reaches A within a moment: A evaluates revision 2, and a reading on channel 2 raises there.
    for (const end = Date.now() + 3000; ;) {
      const { rulesRevision } = (await (await call(a, "/api/alarms")).json()) as { rulesRevision: number };
      if (rulesRevision === 2) break;
      assert.ok(Date.now() < end, `A still evaluates rules revision ${rulesRevision}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await ingestOk(a.port, TOKEN, { readings: [reading(2, 10)] });
    const onA = await until(a, (x) => x.some((y) => y.id === "probe.hv:2"));
    assert.equal(onA.find((y) => y.id === "probe.hv:2")!.severity, "MAJOR");
    const shelved = await call(a, "/api/alarms/probe.hv:2/shelve", "POST", { for: "1h", reason: "HV expert on it" });
    assert.equal(shelved.status, 200);
    await until(b, (x) => x.some((y) => y.id === "probe.hv:2" && (y as { shelved?: unknown }).shelved));
  });
});
