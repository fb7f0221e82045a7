// RUNBOARD_AUTH=local in the browser: a second server of its own (the suite's server runs
// RUNBOARD_AUTH=none), accounts made with `runboard users add` as an operator would, then
// signing in, a dashboard shared by its owner with a viewer who may only look, and the admin's page.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "@playwright/test";
import { freePort } from "../support/postgres.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { expect, test } from "./fixtures.js";

const TOKEN = "e2e-auth-ingest-token-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-e2e-auth-"));
const env = { RUNBOARD_DATA_DIR: dataDir, RUNBOARD_INGEST_TOKEN: TOKEN, RUNBOARD_AUTH: "local" };
let server: ServerProcess;
const base = () => `http://127.0.0.1:${server.port}`;

/** `runboard users add`, the password on standard input. */
function addUser(name: string, role: string, password: string): Promise<number | null> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/runboard.js", "users", "add", name, "--role", role], {
    env: { ...process.env, RUNBOARD_SIMULATOR: "off", ...env },
    stdio: ["pipe", "ignore", "inherit"],
  });
  child.stdin.end(`${password}\n`);
  return new Promise((resolve) => child.once("close", resolve));
}

test.beforeAll(async () => {
  server = await startServerProcess(await freePort(), {
    ...env,
    RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
    RUNBOARD_SIMULATOR: "on",
    RUNBOARD_BACKFILL_HOURS: "1",
  });
  for (const [name, role] of [
    ["ada", "admin"],
    ["eve", "editor"],
    ["vic", "viewer"],
  ] as const) {
    expect(await addUser(name, role, `${name} has a long password`)).toBe(0);
  }
});

test.afterAll(() => {
  server?.proc.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh browser signed in as `name` through the sign-in form, on `path`. */
async function signedIn(browser: Browser, name: string, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base()}${path}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Password").fill(`${name} has a long password`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[/]/g, "\\/")}$`));
  return page;
}

test("signing in, sharing a dashboard with a viewer who may only look, signing out, and the admin page", async ({ browser }) => {
  // A wrong password is said so, on the same form.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(`${base()}/pages/dashboard`);
  await stranger.getByLabel("Name").fill("eve");
  await stranger.getByLabel("Password").fill("not the password");
  await stranger.getByRole("button", { name: "Sign in" }).click();
  await expect(stranger.getByRole("alert")).toHaveText("Wrong name or password.");

  // The owner makes a dashboard and shares it with the viewer.
  const owner = await signedIn(browser, "eve", "/pages/dashboard");
  await expect(owner.getByLabel("Signed in as")).toContainText("eve · editor");
  await owner.getByLabel("Observable").selectOption("trigger.rate");
  await owner.getByLabel("Chart type").selectOption("stat");
  await owner.getByLabel("Widget title").fill("Trigger rate now");
  await owner.getByRole("button", { name: "Add widget" }).click();
  await owner.getByLabel("Dashboard title").fill("Eve's shift");
  await owner.getByRole("button", { name: "Save dashboard" }).click();
  await expect(owner.getByRole("status").first()).toHaveText("Saved revision 1");
  const link = owner.url();
  expect(link).toMatch(/\/d\/[A-Za-z0-9_-]+\?edit$/);
  await owner.reload();
  await owner.getByText(/^Sharing:/).click();
  await owner.getByLabel("Everyone signed in").selectOption("none");
  await owner.getByLabel("Share with").fill("vic");
  await owner.getByRole("button", { name: "Add", exact: true }).click();
  await owner.getByRole("button", { name: "Save sharing" }).click();
  await expect(owner.getByText("Sharing saved")).toBeVisible();

  // The viewer sees it, with its value, and nothing to change it with.
  const viewer = await signedIn(browser, "vic", new URL(link).pathname);
  await expect(viewer.getByRole("region", { name: "Trigger rate now" })).toBeVisible();
  await expect(viewer.getByText(/You may view this dashboard \(you are a viewer\)/)).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Save dashboard" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Add widget" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /^Settings of/ })).toHaveCount(0);
  await expect(viewer.getByRole("heading", { name: "Eve's shift" })).toBeVisible();
  await expect(viewer.getByRole("link", { name: "Edit" })).toHaveCount(0);
  await viewer.getByRole("button", { name: "Sign out" }).click();
  await expect(viewer).toHaveURL(/\/login$/);
  expect((await viewer.request.get(`${base()}/api/dashboards`)).status()).toBe(401);

  // The admin sees the users, makes the viewer an editor, and reads the share in the audit log.
  const admin = await signedIn(browser, "ada", "/pages/admin");
  const users = admin.getByRole("table", { name: "Users" });
  await expect(users.getByRole("row")).toHaveCount(4);
  await admin.getByLabel("Role of vic").selectOption("editor");
  await expect(admin.getByRole("status")).toHaveText("Changed vic to editor");
  const audit = admin.getByRole("table", { name: "Audit log" });
  await expect(audit.getByRole("row", { name: /eve dashboard\.share/ })).toBeVisible();
  await expect(audit.getByRole("row", { name: /ada user\.change vic/ })).toBeVisible();
  // What went wrong is said in words (it read "Could not eve: …"); an empty form says what is missing.
  const addUser = admin.getByRole("button", { name: "Add user" });
  await admin.getByLabel("Name", { exact: true }).fill("   ");
  await addUser.click();
  await expect(admin.getByRole("status")).toHaveText("The new user's name is empty: fill it in first.");
  await admin.getByLabel("Name", { exact: true }).fill("eve");
  await admin.getByLabel("Password (10+ characters)").fill("long enough password");
  await addUser.click();
  await expect(admin.getByRole("status")).toHaveText(/^Could not add user eve: .+/);
  await admin.getByRole("button", { name: "Make token" }).click();
  await expect(admin.getByRole("status")).toHaveText("The token's name is empty: fill it in first.");
});

test("a wall screen's token: no sign-in, dashboards and alarms only, and a revoked token says so on the screen", async ({
  browser,
}) => {
  // A dashboard the whole site may view, made by a script with the ingest token.
  const made = await fetch(`${base()}/api/dashboards`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ title: "Lobby wall", schemaVersion: 3, elements: {}, layout: { items: [], rows: [], tabs: [] } }),
  });
  expect(made.status).toBe(201);
  const { id } = (await made.json()) as { id: string };

  // The admin makes a screen; its link is shown once.
  const admin = await signedIn(browser, "ada", "/pages/admin");
  await admin.getByLabel("Screen name").fill("lobby-left");
  await admin.getByRole("button", { name: "Make screen link" }).click();
  const shown = admin.locator(".new-token", { hasText: "screen's browser" });
  await expect(shown).toContainText("?screen=");
  const token = /\?screen=(\S+)$/.exec((await shown.textContent())!)![1]!;

  // The screen's browser opens the dashboard once with the token: no sign-in, and the token is
  // gone from the address (a cookie holds it); a reload stays signed in as the screen.
  const screen = await (await browser.newContext()).newPage();
  await screen.goto(`${base()}/d/${id}?kiosk&screen=${token}`);
  await expect(screen).toHaveURL(new RegExp(`/d/${id}\\?kiosk$`));
  await expect(screen.locator(".kiosk-bar")).toContainText("Lobby wall");
  await screen.reload();
  await expect(screen.locator(".kiosk-bar")).toContainText("Lobby wall");
  await screen.goto(`${base()}/pages/alarms?kiosk`);
  await expect(screen.locator(".alarm-summary")).toContainText("active");
  // Nothing else: not the admin's API, not a write.
  expect((await screen.request.get(`${base()}/api/admin/users`)).status()).toBe(403);
  expect(
    (
      await screen.request.post(`${base()}/api/dashboards`, {
        data: { title: "x", schemaVersion: 3, elements: {}, layout: { items: [], rows: [], tabs: [] } },
      })
    ).status(),
  ).toBe(403);
  const session = (await (await screen.request.get(`${base()}/api/session`)).json()) as { user: string; rights: string[] };
  expect(session).toMatchObject({ user: "screen.lobby-left", rights: ["read"] });

  // Revoked: the screen says so itself, within the 5 s a revocation takes on every replica.
  await admin.reload();
  await admin.getByRole("button", { name: "Revoke screen lobby-left" }).click();
  await expect(admin.getByRole("status")).toHaveText("Revoked screen lobby-left");
  await expect
    .poll(
      async () => {
        await screen.reload();
        return screen.locator("h1").textContent();
      },
      { timeout: 10_000 },
    )
    .toBe("This screen may not show runboard");
  expect(screen.url()).not.toContain("/login");
});

test.describe("RUNBOARD_AUTH=proxy", () => {
  // The reverse proxy's part, played by the browser context: it adds the signed-in user's name
  // to every request, the websocket's included, as nginx with single sign-on would.
  let proxied: ServerProcess;
  const proxyDir = mkdtempSync(join(tmpdir(), "runboard-e2e-proxy-"));
  test.beforeAll(async () => {
    proxied = await startServerProcess(await freePort(), {
      RUNBOARD_DATA_DIR: proxyDir,
      RUNBOARD_SNAPSHOT_DIR: join(proxyDir, "snapshots"),
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_AUTH: "proxy",
      RUNBOARD_ADMINS: "boss",
      RUNBOARD_SIMULATOR: "on",
      RUNBOARD_BACKFILL_HOURS: "1",
    });
  });
  test.afterAll(() => {
    proxied?.proc.kill("SIGKILL");
    rmSync(proxyDir, { recursive: true, force: true });
  });
  const through = async (browser: Browser, user: string) =>
    (await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-User": user } })).newPage();

  test("the proxy's user is signed in, as the role an admin gave them, live feed included", async ({ browser }) => {
    const editorPage = `http://127.0.0.1:${proxied.port}/pages/dashboard`;
    // The first admin, named by RUNBOARD_ADMINS, builds the shift's dashboard (the site may view it).
    const boss = await through(browser, "boss");
    await boss.goto(editorPage);
    await expect(boss.getByLabel("Signed in as")).toContainText("boss · admin");
    await boss.getByLabel("Observable").selectOption("trigger.rate");
    await boss.getByLabel("Chart type").selectOption("stat");
    await boss.getByLabel("Widget title").fill("Trigger rate now");
    await boss.getByRole("button", { name: "Add widget" }).click();
    await boss.getByRole("button", { name: "Save dashboard" }).click();
    await expect(boss).toHaveURL(/\/d\/[A-Za-z0-9_-]+\?edit$/);
    const shared = boss.url();

    // The shifter, a viewer by default, follows it live and can change nothing.
    const shifter = await through(browser, "shifter");
    await shifter.goto(shared);
    await expect(shifter.getByLabel("Signed in as")).toContainText("shifter · viewer");
    await expect(shifter.getByRole("region", { name: "Trigger rate now" })).toBeVisible();
    await expect(shifter.getByLabel("Live connection")).toContainText("live");
    await expect(shifter.getByRole("button", { name: "Save dashboard" })).toHaveCount(0);
    await expect(shifter.getByRole("button", { name: "Sign out" })).toHaveCount(0);
    await shifter.goto(editorPage);
    await expect(shifter.getByText(/You are a viewer: you may view dashboards shared with you/)).toBeVisible();
    await expect(shifter.getByRole("button", { name: "Add widget" })).toHaveCount(0);

    // The boss makes the shifter an editor on the Admin page.
    await boss.getByRole("link", { name: "Admin" }).click();
    await boss.getByLabel("Name", { exact: true }).fill("shifter");
    await boss.getByLabel("Role of the new user").selectOption("editor");
    await boss.getByRole("button", { name: "Add user" }).click();
    await expect(boss.getByRole("status")).toHaveText("Added shifter");
    await expect(
      boss.getByRole("table", { name: "Users" }).getByRole("row", { name: /shifter editor through the proxy/ }),
    ).toBeVisible();

    // The role reaches the shifter's next page (within the few seconds a role is cached).
    await expect(async () => {
      await shifter.reload();
      await expect(shifter.getByRole("button", { name: "Add widget" })).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await expect(shifter.getByLabel("Signed in as")).toContainText("shifter · editor");
  });
});
