// Alarm changes sent out of the building: a local webhook receiver and the machine's Mosquitto
// (127.0.0.1:1883) get each change as JSON; a receiver that fails is retried until it takes it;
// and a receiver that never answers holds up neither the ingest path nor the other receivers.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectAsync, type MqttClient } from "mqtt";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";

const TOKEN = "contact-test-token-0123456789abcdefgh";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-contacts-"));
const TOPIC = `runboard-test/${randomBytes(4).toString("hex")}`;
let server: RunningServer;
let subscriber: MqttClient;
const receivers: Server[] = [];

interface Notice {
  id: string;
  kind: string;
  severity: string;
  currentSeverity: string;
  value: number | null;
  unit: string;
}

/** A local HTTP receiver; `answer` decides the fate of its n-th request (undefined: never answer). */
async function receiver(answer: (count: number) => number | undefined) {
  const got: Notice[] = [];
  const held: ServerResponse[] = [];
  let requests = 0;
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const status = answer(requests++);
      if (status === undefined) return void held.push(res);
      if (status < 300) got.push(JSON.parse(body) as Notice);
      res.writeHead(status).end();
    });
  });
  receivers.push(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/alarms`, got, held };
}

const call = (path: string, method = "GET", body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function until(check: () => boolean, what: string, ms = 8000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("alarm contact points", () => {
  before(async () => {
    const env = { PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN };
    server = await startServer(loadConfig({ ...env, RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots") }), () => undefined);
    subscriber = await connectAsync("mqtt://127.0.0.1:1883", { clientId: `runboard-test-${randomBytes(4).toString("hex")}` });
    await subscriber.subscribeAsync(`${TOPIC}/#`, { qos: 1 });
    const declared = await call("/api/ingest", "POST", {
      runs: [{ id: 3, start: Date.now() - 60_000 }],
      observables: [{ name: "probe.hv", unit: "V", shape: "scalar", channels: 8 }],
    });
    assert.equal(declared.status, 200);
  });
  after(async () => {
    await subscriber?.endAsync(true);
    await server.close();
    for (const r of receivers) {
      r.closeAllConnections();
      r.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("tells a webhook and an MQTT topic, retries a failing receiver, and waits for no receiver that hangs", async () => {
    const good = await receiver(() => 200);
    const flaky = await receiver((n) => (n < 2 ? 503 : 200)); // down twice, then up
    const stuck = await receiver(() => undefined);
    const mqttGot: { topic: string; notice: Notice }[] = [];
    subscriber.on("message", (topic, payload) => mqttGot.push({ topic, notice: JSON.parse(payload.toString()) as Notice }));
    const rules = {
      schemaVersion: 1,
      rules: [{ path: "/probe/hv", observable: "probe.hv", channels: "all", major: { min: 900, max: 1300 } }],
      contactPoints: [
        { name: "stuck", kind: "webhook", url: stuck.url },
        { name: "shift-receiver", kind: "webhook", url: good.url, paths: ["/probe"] },
        { name: "flaky", kind: "webhook", url: flaky.url, minSeverity: "MAJOR" },
        { name: "lab-mqtt", kind: "mqtt", url: "mqtt://127.0.0.1:1883", topic: `${TOPIC}/{observable}/{channel}`, qos: 1 },
      ],
    };
    const bad = await call("/api/alarm-rules", "PUT", {
      ...rules,
      contactPoints: [{ name: "x", kind: "webhook", url: "ftp://nope" }],
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /contactPoints\[0\]\.url/);
    assert.equal((await call("/api/alarm-rules", "PUT", rules)).status, 200);

    // Eight channels out of range, one batch each: every batch is stored while `stuck` holds its first request.
    for (let channel = 0; channel < 8; channel++) {
      const sent = await call("/api/ingest", "POST", {
        readings: [{ observable: "probe.hv", run: 3, channel, t: Date.now(), value: 1500 }],
      });
      assert.equal(sent.status, 200);
    }
    await until(() => good.got.length >= 8, "the good receiver has all eight");
    assert.deepEqual(
      good.got.map((n) => n.id).sort(),
      [0, 1, 2, 3, 4, 5, 6, 7].map((c) => `probe.hv:${c}`),
    );
    assert.deepEqual(good.got[0], { ...good.got[0], kind: "severity", severity: "MAJOR", value: 1500, unit: "V" });
    assert.ok(stuck.held.length >= 1 && stuck.got.length === 0, "the stuck receiver still holds its first notice");
    await until(() => mqttGot.length >= 8, "eight MQTT messages");
    assert.ok(mqttGot.some((m) => m.topic === `${TOPIC}/probe.hv/5` && m.notice.severity === "MAJOR"));
    await until(() => flaky.got.length >= 8, "the flaky receiver, retried, has all eight", 15_000);

    const health = (await (await fetch(`${server.url}/api/health`)).json()) as {
      alarmContacts: { name: string; delivered: number }[];
    };
    assert.deepEqual(
      health.alarmContacts.map((c) => [c.name, c.delivered >= 8]),
      [
        ["stuck", false],
        ["shift-receiver", true],
        ["flaky", true],
        ["lab-mqtt", true],
      ],
    );
  });
});
