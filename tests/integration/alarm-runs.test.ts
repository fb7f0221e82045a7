// Alarms and runs: a MAJOR alarm during a run is offered as that run's flag span
// (GET /api/alarms/spans, what the flags panel proposes), and where a rule group asks for it a
// run that passed with no alarm is marked reviewed when the next run begins, and one with an
// alarm is not.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";

const TOKEN = "alarm-runs-token-0123456789abcdefgh";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-alarm-runs-"));
let server: RunningServer;
const call = (path: string, method = "GET", body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const ingest = async (body: unknown) => assert.equal((await call("/api/ingest", "POST", body)).status, 200);
type Flag = { verdict: string; author: string; note: string; withdrawn: unknown };
const flagsOf = async (run: number) => ((await (await call(`/api/runs/${run}/flags`)).json()) as { flags: Flag[] }).flags;

describe("alarms and runs", () => {
  const t0 = Date.now() - 600_000;
  before(async () => {
    const env = { PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN };
    server = await startServer(loadConfig({ ...env, RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots") }), () => undefined);
    await ingest({ runs: [{ id: 40, start: t0 }], observables: [{ name: "probe.hv", unit: "V", shape: "scalar", channels: 4 }] });
    const rules = {
      schemaVersion: 1,
      rules: [{ path: "/probe", observable: "probe.hv", major: { min: 900, max: 1300 }, autoReview: true }],
    };
    assert.equal((await call("/api/alarm-rules", "PUT", rules)).status, 200);
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("offers a MAJOR span as the run's flag span, and reviews only the run that passed with no alarm", async () => {
    const spike = Date.now() - 1000;
    await ingest({
      readings: [
        { observable: "probe.hv", run: 40, channel: 2, t: spike, value: 1402 },
        { observable: "probe.hv", run: 40, channel: 2, t: spike + 100, value: 1100 },
      ],
    });
    let spans: { id: string; from: number; to: number; unit: string; limits: { max: number }; worst: number }[] = [];
    for (const end = Date.now() + 5000; spans.length === 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
      spans = ((await (await call(`/api/alarms/spans?from=${t0}`)).json()) as { spans: typeof spans }).spans;
    assert.equal(spans.length, 1);
    assert.deepEqual(
      [spans[0]!.id, spans[0]!.from, spans[0]!.to, spans[0]!.unit, spans[0]!.limits.max, spans[0]!.worst],
      ["probe.hv:2", spike, spike + 100, "V", 1300, 1402],
    );

    // Run 41 begins: run 40 had an alarm, so it stays unreviewed. Run 42 begins: run 41 had none.
    await ingest({
      runs: [
        { id: 40, start: t0, stop: Date.now() },
        { id: 41, start: Date.now() },
      ],
    });
    await ingest({ readings: [{ observable: "probe.hv", run: 41, channel: 2, t: Date.now(), value: 1100 }] });
    await new Promise((r) => setTimeout(r, 50));
    await ingest({
      runs: [
        { id: 41, start: Date.now() - 50, stop: Date.now() },
        { id: 42, start: Date.now() + 1 },
      ],
    });
    let flags: Flag[] = [];
    for (const end = Date.now() + 15_000; flags.length === 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 200)))
      flags = await flagsOf(41);
    assert.equal(flags.length, 1, "run 41 was marked reviewed");
    assert.deepEqual([flags[0]!.verdict, flags[0]!.author], ["reviewed", "runboard"]);
    assert.match(flags[0]!.note, /marked reviewed when run 42 began/);
    assert.deepEqual(await flagsOf(40), [], "run 40 had a MAJOR alarm: not reviewed");
  });
});
