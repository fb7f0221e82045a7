// Wall screens' tokens on a real server (RUNBOARD_AUTH=local): made by an admin, entered once
// with ?screen= (a cookie, the token out of the address, never a redirect off the site), read
// only what screens show, and refused with a page of their own once revoked.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";

const TOKEN = "screen-test-token-0123456789abcdefgh";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-screens-"));
let server: RunningServer;

const asAdmin = (path: string, method = "GET", body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const asScreen = (path: string, cookie: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    redirect: "manual",
    headers: { Cookie: cookie, Accept: "text/html", ...init.headers },
  });

describe("wall screens' tokens", () => {
  before(async () => {
    const env = {
      PORT: "0",
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_SIMULATOR: "off",
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_AUTH: "local",
    };
    server = await startServer(loadConfig({ ...env, RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots") }), () => undefined);
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("enters once, reads what a screen shows and nothing else, and is refused on its own page once revoked", async () => {
    const bad = await asAdmin("/api/admin/screens", "POST", { name: "no spaces allowed" });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field, "name");
    const made = await asAdmin("/api/admin/screens", "POST", { name: "hall-b" });
    assert.equal(made.status, 201);
    const { token } = (await made.json()) as { token: string };

    const entered = await asScreen(`/d/abc123?kiosk&fit&screen=${token}`, "");
    assert.equal(entered.status, 303);
    assert.equal(entered.headers.get("location"), "/d/abc123?kiosk&fit");
    const cookie = /^(runboard_screen=[^;]+)/.exec(entered.headers.get("set-cookie") ?? "")![1]!;
    assert.match(entered.headers.get("set-cookie")!, /HttpOnly/);
    // A path that would leave the site goes home instead.
    assert.equal((await asScreen(`//elsewhere.example/?screen=${token}`, "")).headers.get("location"), "/");
    assert.equal((await asScreen("/pages/runs?screen=not-a-token", "")).status, 401);

    assert.equal((await asScreen("/api/alarms", cookie)).status, 200);
    assert.equal((await asScreen("/api/session", cookie)).status, 200);
    assert.equal((await asScreen("/api/admin/users", cookie)).status, 403);
    assert.equal((await asScreen("/api/alarms/x:1/ack", cookie, { method: "POST", body: "{}" })).status, 403);

    assert.equal((await asAdmin("/api/admin/screens/hall-b", "DELETE")).status, 200);
    const refused = await asScreen("/pages/runs", cookie);
    assert.equal(refused.status, 401, "a revoked screen is not sent to the sign-in page");
    assert.match(await refused.text(), /This screen may not show runboard/);
    const listed = (await (await asAdmin("/api/admin/screens")).json()) as {
      screens: { name: string; revokedAt: number | null }[];
    };
    assert.equal(listed.screens[0]!.name, "hall-b");
    assert.notEqual(listed.screens[0]!.revokedAt, null);
  });
});
