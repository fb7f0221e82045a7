// Alarms on a real server (embedded store): rules through the API with field-named errors, a
// single 50 ms excursion in a 10 Hz stream latched, acknowledged and shelved through the API,
// and the states and history still there after a restart.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";

const TOKEN = "alarm-test-token-0123456789abcdefgh";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-alarms-"));
let server: RunningServer;

const start = async () => {
  const env = { PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN };
  server = await startServer(loadConfig({ ...env, RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots") }), () => undefined);
};
const call = (path: string, method = "GET", body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}`, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

interface AlarmView {
  id: string;
  severity: string;
  currentSeverity: string;
  value: number | null;
  time: number | null;
  acknowledged: { by: string; comment: string } | null;
  shelved: { reason: string; until: number | null } | null;
  guidance: { title: string }[];
}
const alarmsNow = async () => (await json(await call("/api/alarms"))) as { alarms: AlarmView[]; counts: Record<string, number> };

const RUN = { id: 31, start: Date.now() - 600_000, stop: null };
const RULES = {
  schemaVersion: 1,
  rules: [
    {
      path: "/probe/hv",
      observable: "probe.hv",
      channels: "all",
      minor: { min: 950, max: 1250 },
      major: { min: 900, max: 1300 },
      delaySeconds: 0,
      count: 0,
      latch: true,
      silentSeconds: 0,
      guidance: [{ title: "What to do", details: "Check the HV crate, then call the expert." }],
      displays: ["/d/abc123?window=1h"],
    },
  ],
};

/** Ten seconds of a 10 Hz stream on channel 2, ending 40 s ago, with one 50 ms sample at `spikeAt` (index). */
function stream(spikeAt: number, spike: number) {
  const t0 = Date.now() - 50_000;
  return Array.from({ length: 100 }, (_, i) => ({
    observable: "probe.hv",
    run: RUN.id,
    channel: 2,
    t: t0 + i * 100,
    value: i === spikeAt ? spike : 1100,
  }));
}

describe("alarms on the server", () => {
  before(async () => {
    await start();
    const declared = await call("/api/ingest", "POST", {
      runs: [RUN],
      observables: [{ name: "probe.hv", unit: "V", shape: "scalar", channels: 4, healthy: { min: 900, max: 1300 } }],
    });
    assert.equal(declared.status, 200, await declared.text());
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses bad rules naming the field, and keeps the documented shape as written", async () => {
    const bad = await call("/api/alarm-rules", "PUT", { schemaVersion: 1, rules: [{ path: "/x", observable: "probe.nothing" }] });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      ((await json(bad)).errors as { field: string }[]).map((e) => e.field),
      ["rules[0].observable"],
    );
    const worse = await call("/api/alarm-rules", "PUT", { schemaVersion: 1, rules: [{ path: "/x", delaySeconds: -1 }] });
    assert.equal(worse.status, 400);
    assert.ok(((await json(worse)).errors as { field: string }[]).some((e) => e.field === "rules[0].delaySeconds"));
    const saved = await call("/api/alarm-rules", "PUT", RULES);
    assert.equal(saved.status, 200, await saved.clone().text());
    assert.equal(saved.headers.get("etag"), '"1"');
    const read = await call("/api/alarm-rules");
    assert.deepEqual(await read.json(), RULES);
    // A save over a newer revision than the one read is refused.
    const stale = await call("/api/alarm-rules", "PUT", RULES, { "If-Match": '"0"' });
    assert.equal(stale.status, 409);
  });

  it("latches a single 50 ms MAJOR sample in a 10 Hz stream, with its value and time", async () => {
    const readings = stream(42, 3.1);
    const stored = await call("/api/ingest", "POST", { readings });
    assert.equal(stored.status, 200, await stored.text());
    const { alarms, counts } = await alarmsNow();
    const alarm = alarms.find((a) => a.id === "probe.hv:2");
    assert.ok(alarm, JSON.stringify(alarms));
    assert.deepEqual([alarm.severity, alarm.currentSeverity, alarm.value, alarm.time], ["MAJOR", "OK", 3.1, readings[42]!.t]);
    assert.equal(alarm.acknowledged, null);
    assert.equal(alarm.guidance[0]!.title, "What to do");
    assert.equal(counts.MAJOR, 1);
  });

  it("an acknowledgement of an alarm back to normal clears it; a shelf keeps the next one off the active count", async () => {
    const refused = await call("/api/alarms/probe.hv:2/shelve", "POST", { reason: "" });
    assert.equal(refused.status, 400);
    const acked = await call("/api/alarms/probe.hv:2/ack", "POST", { comment: "crate reset" });
    assert.equal(acked.status, 200, await acked.clone().text());
    assert.equal(((await json(acked)) as unknown as AlarmView).severity, "OK");
    assert.equal((await alarmsNow()).counts.MAJOR, 0);
    await call("/api/ingest", "POST", { readings: stream(10, 1280).map((r) => ({ ...r, t: r.t + 20_000 })) });
    const shelved = await call("/api/alarms/probe.hv:2/shelve", "POST", { for: "1h", reason: "module 3 under repair" });
    assert.equal(shelved.status, 200, await shelved.clone().text());
    const now = await alarmsNow();
    assert.equal(now.counts.MINOR, 0);
    assert.equal(now.alarms.find((a) => a.id === "probe.hv:2")?.shelved?.reason, "module 3 under repair");
  });

  it("tells a page on /ws every alarm when it asks, then each change within a second or two", async () => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws`);
    const news: { full: boolean; changed: AlarmView[]; counts: Record<string, number> }[] = [];
    const arrived = (pred: (m: (typeof news)[number]) => boolean, ms: number) =>
      new Promise<(typeof news)[number]>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such alarm news in ${ms} ms: ${JSON.stringify(news)}`)), ms);
        const look = () => {
          const found = news.find(pred);
          if (found) return void (clearTimeout(timer), resolve(found));
          ws.once("message", look);
        };
        look();
      });
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { type: string } & (typeof news)[number];
      if (m.type === "alarms") news.push(m);
    });
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ type: "alarms" }));
    const first = await arrived((m) => m.full, 5000);
    assert.ok(first.changed.some((a) => a.id === "probe.hv:2"));
    // Nothing changes: a heartbeat still comes, so a page can tell a quiet service from a lost one.
    await arrived((m) => !m.full && m.changed.length === 0, 3000);
    const sent = Date.now();
    const readings = stream(50, 1400).map((r) => ({ ...r, channel: 1 }));
    assert.equal((await call("/api/ingest", "POST", { readings })).status, 200);
    const raised = await arrived((m) => m.changed.some((a) => a.id === "probe.hv:1" && a.severity === "MAJOR"), 5000);
    assert.ok(Date.now() - sent < 2500, `told after ${Date.now() - sent} ms`);
    assert.equal(raised.counts.MAJOR, 1);
    ws.close();
  });

  it("keeps every alarm's state and history across a restart", async () => {
    await server.close();
    await start();
    const alarm = (await alarmsNow()).alarms.find((a) => a.id === "probe.hv:2");
    assert.equal(alarm?.severity, "MINOR");
    assert.ok(alarm?.shelved && alarm.shelved.until! > Date.now());
    const history = (await json(await call("/api/alarms/history"))) as { events: { id: string; kind: string; text: string }[] };
    const events = history.events.filter((e) => e.id === "probe.hv:2");
    assert.deepEqual(
      events.map((e) => e.kind),
      // By time: both excursions (each up and back down, at the readings' times, 50 and 30 s
      // ago), then the acknowledgement and the shelf, made just now.
      ["severity", "severity", "severity", "severity", "ack", "shelve"],
    );
    assert.equal(events.find((e) => e.kind === "ack")?.text, "crate reset");
  });
});
