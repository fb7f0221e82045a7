// Who may do what, through the API of a real server: RUNBOARD_AUTH=local on both dashboard stores
// (the embedded DuckDB one and PostgreSQL), the first admin made with `runboard users add` as a
// shift leader would, then the permission matrix (role x action x owner); RUNBOARD_AUTH=proxy
// with its trusted addresses; sessions that hold across a restart.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { projectRoot } from "../../loaders/paths.js";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import { emptyDashboard } from "../../src/core/dashboard.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the integration tests through npm test");
const TOKEN = "permissions-test-ingest-token-0123";

/**
 * `runboard users ...` as a person types it, the password on standard input. Not spawnSync: the
 * command may talk to the server running in this very process.
 */
function cli(
  env: Record<string, string>,
  args: string[],
  input = "",
): Promise<{ status: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "bin", "runboard.js"), "users", ...args], {
    env: { ...process.env, RUNBOARD_SIMULATOR: "off", ...env },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, out, err });
    }),
  );
}

interface Client {
  name: string;
  get(path: string): Promise<Response>;
  send(method: string, path: string, body?: unknown, withCsrf?: boolean): Promise<Response>;
}

/** Signs in through POST /api/login and keeps the session cookie and CSRF token, as a browser tab does. */
async function signIn(server: () => RunningServer, name: string, password: string): Promise<Client> {
  const res = await fetch(`${server().url}/api/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, password }),
  });
  assert.equal(res.status, 200, `${name} signs in: ${await res.clone().text()}`);
  const setCookie = res.headers.get("set-cookie")!;
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(";")[0]!;
  const { csrf } = (await res.json()) as { csrf: string };
  return {
    name,
    // The server as it is now: a restart listens on another port.
    get: (path) => fetch(`${server().url}${path}`, { headers: { Cookie: cookie } }),
    send: (method, path, body, withCsrf = true) =>
      fetch(`${server().url}${path}`, {
        method,
        headers: { Cookie: cookie, "Content-Type": "application/json", ...(withCsrf ? { "X-Runboard-CSRF": csrf } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
}

const stores: Record<string, Record<string, string>> = {
  embedded: {},
  postgres: { RUNBOARD_DASHBOARD_STORE: "postgres", DATABASE_URL: databaseUrl },
};

for (const [kind, storeEnv] of Object.entries(stores)) {
  describe(`RUNBOARD_AUTH=local on the ${kind} dashboard store`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `runboard-perm-${kind}-`));
    // PostgreSQL keeps its users between runs: names of this run only.
    const suffix = Math.random().toString(36).slice(2, 8);
    const [ada, eve, ed, vic] = ["ada", "eve", "ed", "vic"].map((n) => `${n}-${suffix}`) as [string, string, string, string];
    const env = { RUNBOARD_DATA_DIR: dataDir, RUNBOARD_INGEST_TOKEN: TOKEN, RUNBOARD_AUTH: "local", ...storeEnv };
    let server: RunningServer;
    const current = () => server;
    const start = async () =>
      (server = await startServer(loadConfig({ PORT: "0", RUNBOARD_SIMULATOR: "off", ...env }), () => undefined));
    after(async () => {
      await server?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("lets no one in before there is an account, and sends a page to the sign-in form", async () => {
      await start();
      assert.equal((await fetch(`${server.url}/api/catalog`)).status, 401);
      assert.equal((await fetch(`${server.url}/snapshots/manifest.json`)).status, 401);
      const page = await fetch(`${server.url}/pages/dashboard`, { headers: { Accept: "text/html" }, redirect: "manual" });
      assert.equal(page.status, 303);
      assert.equal(page.headers.get("location"), "/login?next=%2Fpages%2Fdashboard");
      const form = await fetch(`${server.url}/login`);
      assert.match(await form.text(), /<form method="post" action="\/api\/login">/);
      const wrong = await fetch(`${server.url}/api/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: ada, password: "not yet anything" }),
      });
      assert.equal(wrong.status, 401);
      assert.equal((await fetch(`${server.url}/api/health`)).status, 200, "health stays open for the load balancer");
    });

    it("makes the first admin with runboard users add, the password read from standard input", async () => {
      const short = await cli(env, ["add", ada, "--role", "admin"], "short\n");
      assert.equal(short.status, 2);
      assert.match(short.err, /password: at least 10 characters/);
      const added = await cli(env, ["add", ada, "--role", "admin"], "correct horse battery\n");
      assert.equal(added.status, 0, added.err);
      assert.match(added.out, new RegExp(`added ${ada} \\(admin\\)`));
      const again = await cli(env, ["add", ada, "--role", "viewer"], "another password\n");
      assert.equal(again.status, 1);
      assert.match((await cli(env, ["list"])).out, new RegExp(`${ada}\\s+admin\\s+password`));
      assert.equal((await cli(env, ["add", ada, "--role", "boss"], "whatever123\n")).status, 2);
    });

    it("enforces the permission matrix: role x action x owner", async () => {
      const admin = await signIn(current, ada, "correct horse battery");
      for (const [name, role] of [
        [eve, "editor"],
        [ed, "editor"],
        [vic, "viewer"],
      ]) {
        const made = await admin.send("POST", "/api/admin/users", { name, role, password: `${name} password` });
        assert.equal(made.status, 201, await made.clone().text());
      }
      const owner = await signIn(current, eve, `${eve} password`);
      const editor = await signIn(current, ed, `${ed} password`);
      const viewer = await signIn(current, vic, `${vic} password`);
      const create = async (as: Client, title: string) => {
        const res = await as.send("POST", "/api/dashboards", emptyDashboard(title));
        return { status: res.status, id: ((await res.json()) as { id?: string }).id };
      };
      assert.equal((await create(viewer, "viewer's")).status, 403, "a viewer makes no dashboards");
      assert.equal((await create(editor, "ed's own")).status, 201);
      const open = (await create(owner, "site can view")).id!;
      const shared = (await create(owner, "shared with two")).id!;
      const secret = (await create(owner, "owner only")).id!;
      assert.equal(
        (
          await owner.send("PUT", `/api/dashboards/${shared}/access`, {
            owner: eve,
            site: "none",
            users: { [ed]: "editor", [vic]: "editor" },
          })
        ).status,
        200,
      );
      assert.equal(
        (await owner.send("PUT", `/api/dashboards/${secret}/access`, { owner: eve, site: "none", users: {} })).status,
        200,
      );

      // What each may do, written out by hand: [view, edit, share] as HTTP statuses.
      const expected: Record<string, Record<string, [number, number, number]>> = {
        [open]: { [ada]: [200, 200, 200], [eve]: [200, 200, 200], [ed]: [200, 403, 403], [vic]: [200, 403, 403] },
        [shared]: { [ada]: [200, 200, 200], [eve]: [200, 200, 200], [ed]: [200, 200, 403], [vic]: [200, 403, 403] },
        [secret]: { [ada]: [200, 200, 200], [eve]: [200, 200, 200], [ed]: [404, 404, 404], [vic]: [404, 404, 404] },
      };
      for (const as of [admin, owner, editor, viewer]) {
        for (const [id, byUser] of Object.entries(expected)) {
          const view = (await as.get(`/api/dashboards/${id}`)).status;
          const current = (await (await as.get(`/api/dashboards/${id}`)).json()) as { revision?: number; access?: unknown };
          const edit = (await as.send("PUT", `/api/dashboards/${id}`, emptyDashboard(`edited by ${as.name}`))).status;
          const access = current.access ?? { owner: eve, site: "none", users: {} };
          const share = (await as.send("PUT", `/api/dashboards/${id}/access`, access)).status;
          assert.deepEqual([view, edit, share], byUser[as.name], `${as.name} on ${id}`);
        }
        // The list holds what they may see, each with their right.
        const listed = ((await (await as.get("/api/dashboards")).json()) as { dashboards: { id: string; right: string }[] })
          .dashboards;
        const visible = Object.entries(expected)
          .filter(([, byUser]) => byUser[as.name]![0] === 200)
          .map(([id]) => id);
        assert.deepEqual(
          listed
            .filter((d) => visible.includes(d.id) || Object.keys(expected).includes(d.id))
            .map((d) => d.id)
            .sort(),
          visible.sort(),
          `${as.name}'s list`,
        );
      }
      // Only admins manage users and read the audit log.
      for (const as of [owner, editor, viewer]) {
        assert.equal((await as.get("/api/admin/users")).status, 403, as.name);
        assert.equal((await as.get("/api/admin/audit")).status, 403, as.name);
      }
      const log = (
        (await (await admin.get("/api/admin/audit?limit=200")).json()) as {
          entries: { actor: string; action: string; target: string }[];
        }
      ).entries;
      assert.ok(log.some((e) => e.actor === ada && e.action === "user.add" && e.target === vic));
      assert.ok(log.some((e) => e.actor === eve && e.action === "dashboard.share" && e.target === shared));
      assert.ok(
        log.some((e) => e.actor === "cli" || e.actor === "ingest-token"),
        "the first admin was added from the command line",
      );
    });

    it("wants a page's CSRF token on writes, ends sessions on sign-out and on a new password, and keeps them over a restart", async () => {
      const owner = await signIn(current, eve, `${eve} password`);
      assert.equal((await owner.send("POST", "/api/dashboards", emptyDashboard("no csrf"), false)).status, 403);
      await server.close();
      await start();
      assert.equal((await owner.get("/api/dashboards")).status, 200, "the session outlives a restart");
      assert.equal((await owner.send("POST", "/api/logout")).status, 200);
      assert.equal((await owner.get("/api/dashboards")).status, 401);
      const again = await signIn(current, eve, `${eve} password`);
      assert.equal((await cli(env, ["passwd", eve], "a brand new password\n")).status, 0);
      // Within the few seconds a replica may cache a session, it is gone.
      let status = 200;
      for (let i = 0; i < 100 && status === 200; i++) {
        status = (await again.get("/api/dashboards")).status;
        if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(status, 401);
      await signIn(current, eve, "a brand new password");
    });

    it("lets an admin make, list and revoke write tokens, from the store and from the tokens file", async () => {
      const admin = await signIn(current, ada, "correct horse battery");
      const ingest = (token: string, source: string) =>
        fetch(`${server.url}/api/ingest`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ source, sequence: Date.now(), readings: [] }),
        });
      const made = await admin.send("POST", "/api/admin/tokens", { name: `hall D ${suffix}`, sources: ["daq-hall-d"] });
      assert.equal(made.status, 201, await made.clone().text());
      const { token } = (await made.json()) as { token: string };
      assert.equal((await ingest(token, "daq-hall-d")).status, 200);
      assert.equal((await ingest(token, "daq-hall-e")).status, 403, "its own sources only");
      const listed = ((await (await admin.get("/api/admin/tokens")).json()) as { tokens: { name: string; origin: string }[] })
        .tokens;
      assert.ok(listed.some((t) => t.name === `hall D ${suffix}` && t.origin === "store"));
      assert.ok(!JSON.stringify(listed).includes(token), "the list never shows a token");
      // An editor may not see or make tokens.
      const editor = await signIn(current, ed, `${ed} password`);
      assert.equal((await editor.get("/api/admin/tokens")).status, 403);
      assert.equal((await admin.send("DELETE", `/api/admin/tokens/${encodeURIComponent(`hall D ${suffix}`)}`)).status, 200);
      assert.equal((await ingest(token, "daq-hall-d")).status, 401, "revoked at once on this server");
      assert.equal((await admin.send("DELETE", "/api/admin/tokens/no-such-token")).status, 404);
      const log = ((await (await admin.get("/api/admin/audit")).json()) as { entries: { action: string; target: string }[] })
        .entries;
      assert.ok(log.some((e) => e.action === "token.revoke" && e.target === `hall D ${suffix}`));
    });

    it("slows down guessing: after five wrong passwords, a wait", async () => {
      const guess = () =>
        fetch(`${server.url}/api/login`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name: vic, password: "guess-guess-guess" }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await guess()).status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      const throttled = await guess();
      assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
    });
  });
}

describe("RUNBOARD_AUTH=proxy", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runboard-proxy-"));
  let server: RunningServer | undefined;
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const as = (user: string | undefined, init: RequestInit = {}) => ({
    ...init,
    headers: { ...(user ? { "X-Forwarded-User": user } : {}), "Content-Type": "application/json", ...(init.headers ?? {}) },
  });

  it("takes the user the proxy names, from the proxy's address only", async () => {
    const base = {
      PORT: "0",
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_SIMULATOR: "off",
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_AUTH: "proxy",
    };
    server = await startServer(loadConfig({ ...base, RUNBOARD_ADMINS: "boss" }), () => undefined);
    const session = async (user: string | undefined) => {
      const res = await fetch(`${server!.url}/api/session`, as(user));
      return { status: res.status, body: (await res.json()) as { user?: string; role?: string; csrf?: string } };
    };
    assert.equal((await session(undefined)).status, 401);
    assert.deepEqual([(await session("boss")).body.user, (await session("boss")).body.role], ["boss", "admin"]);
    assert.equal((await session("shifter")).body.role, "viewer", "RUNBOARD_PROXY_DEFAULT_ROLE");
    assert.equal((await session("bad name/../x")).status, 403);
    // The boss makes the shifter an editor; the shifter may then make a dashboard.
    const boss = (await session("boss")).body.csrf!;
    const promote = await fetch(
      `${server.url}/api/admin/users`,
      as("boss", {
        method: "POST",
        headers: { "X-Runboard-CSRF": boss },
        body: JSON.stringify({ name: "shifter", role: "editor" }),
      }),
    );
    assert.equal(promote.status, 201, await promote.clone().text());
    let role = "viewer";
    for (let i = 0; i < 100 && role !== "editor"; i++) {
      role = (await session("shifter")).body.role!;
      if (role !== "editor") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(role, "editor");
    const csrf = (await session("shifter")).body.csrf!;
    const made = await fetch(
      `${server.url}/api/dashboards`,
      as("shifter", {
        method: "POST",
        headers: { "X-Runboard-CSRF": csrf },
        body: JSON.stringify(emptyDashboard("night shift")),
      }),
    );
    assert.equal(made.status, 201);
    // Another user's CSRF token is not theirs.
    const forged = await fetch(
      `${server.url}/api/dashboards`,
      as("shifter", { method: "POST", headers: { "X-Runboard-CSRF": boss }, body: JSON.stringify(emptyDashboard("x")) }),
    );
    assert.equal(forged.status, 403);
    await server.close();

    // A proxy elsewhere: this test's requests come from 127.0.0.1, which is not it.
    server = await startServer(loadConfig({ ...base, RUNBOARD_PROXY_ADDRESSES: "10.9.9.9" }), () => undefined);
    const direct = await fetch(`${server.url}/api/session`, as("boss"));
    assert.equal(direct.status, 403);
    assert.match(((await direct.json()) as { error: string }).error, /only through its proxy/);
  });
});
