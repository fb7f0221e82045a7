// Alarms on two replicas, in the browser: two server processes sharing one PostgreSQL (a
// throwaway cluster, RUNBOARD_INGEST_LOG=postgres), a page open on each. An alarm raised by
// readings sent to one replica shows in both pages' alarm areas; acknowledged on the other
// replica's alarm page, it clears in both.
import { rmSync } from "node:fs";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { type ServerProcess, startReplicaProcess } from "../support/server-process.js";
import { expect, test } from "./fixtures.js";

const TOKEN = "e2e-alarm-replica-token-0123456789ab";
let postgres: ThrowawayPostgres;
const dirs: string[] = [];
let a: ServerProcess;
let b: ServerProcess;

const call = (server: ServerProcess, path: string, method: string, body: unknown) =>
  fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

test.beforeAll(async () => {
  postgres = await startThrowawayPostgres();
  [a, b] = await Promise.all([startReplicaProcess(postgres.url, TOKEN, dirs), startReplicaProcess(postgres.url, TOKEN, dirs)]);
  const declared = await call(a, "/api/ingest", "POST", {
    runs: [{ id: 3, start: Date.now() - 60_000 }],
    observables: [{ name: "cryo.t", unit: "K", shape: "scalar", channels: 4 }],
  });
  expect(declared.status).toBe(200);
  const rules = { schemaVersion: 1, rules: [{ path: "/cryo", observable: "cryo.t", major: { max: 6 } }] };
  expect((await call(b, "/api/alarm-rules", "PUT", rules)).status).toBe(200);
});

test.afterAll(() => {
  for (const server of [a, b]) server?.proc.kill("SIGKILL");
  postgres?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("an alarm raised through one replica is on both pages, and an ack on the other clears both", async ({ browser }) => {
  const onA = await (await browser.newContext()).newPage();
  const onB = await (await browser.newContext()).newPage();
  await onA.goto(`http://127.0.0.1:${a.port}/pages/runs`);
  await onB.goto(`http://127.0.0.1:${b.port}/pages/alarms`);
  for (const page of [onA, onB]) await expect(page.locator("#runboard-alarm-area")).toContainText("No active alarms");

  // A warm-up and back, sent to A only: B evaluates the same readings from the shared log.
  const t = Date.now();
  const readings = [
    { observable: "cryo.t", run: 3, channel: 1, t, value: 7.5 },
    { observable: "cryo.t", run: 3, channel: 1, t: t + 100, value: 4.2 },
  ];
  expect((await call(a, "/api/ingest", "POST", { readings })).status).toBe(200);
  for (const page of [onA, onB]) await expect(page.locator("#runboard-alarm-area")).toContainText("MAJOR cryo.t ch 1: 7.5 K");

  const row = onB.locator("tr[data-alarm='cryo.t:1']");
  await row.getByRole("button", { name: "Ack…" }).click();
  await onB.getByLabel("Comment").fill("cold head restarted");
  await onB.getByRole("button", { name: "Acknowledge" }).click();
  for (const page of [onA, onB]) {
    await expect(page.locator("#runboard-alarm-area")).toContainText("No active alarms", { timeout: 5000 });
    await expect(page).not.toHaveTitle(/^\(\d+\) /);
  }
});
