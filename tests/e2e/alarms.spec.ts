// Alarms as a shift crew meets them in the browser: a new MAJOR shows in the alarm area and the
// tab title of every open page within 2 s, an acknowledgement in one page clears it in the
// others, the annunciator speaks only after "Enable sound", and a page whose alarm news stops
// says "Alarm service lost" instead of a stale green. The alarms come from the simulator's
// camera: a rule on a few of its HV channels, and readings sent out of range through the API.
import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { INGEST_TOKEN, expect, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };
const WATCHED = [1840, 1841, 1842, 1843, 1844, 1845, 1846];

async function writeHeaders(request: APIRequestContext): Promise<Record<string, string>> {
  const { csrf } = (await (await request.get("/api/session")).json()) as { csrf?: string };
  return csrf ? { "X-Runboard-CSRF": csrf } : {};
}

async function setRules(request: APIRequestContext, rules: unknown[]) {
  const saved = await request.put("/api/alarm-rules", {
    headers: await writeHeaders(request),
    data: { schemaVersion: 1, rules },
  });
  expect(saved.status(), await saved.text()).toBe(200);
}

/** One reading of camera.hv on each of `channels` now, in the simulator's running run (returned). */
async function sendHv(request: APIRequestContext, channels: number[], value: number): Promise<number> {
  const { runs } = (await (await request.get("/api/runs")).json()) as { runs: { id: number }[] };
  const run = Math.max(...runs.map((r) => r.id));
  const t = Date.now();
  const readings = channels.map((channel) => ({ observable: "camera.hv", run, channel, t, value }));
  const sent = await request.post("/api/ingest", { headers: auth, data: { readings } });
  expect(sent.status(), await sent.text()).toBe(200);
  return run;
}

const area = (page: Page) => page.locator("#runboard-alarm-area");

/** A page whose alarm area has heard from the server (and so shows what is true now). */
async function openWatching(browser: Browser, path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(path);
  await expect(area(page)).toHaveAttribute("data-state", /^(ok|minor|major)$/, { timeout: 15_000 });
  return page;
}

test.beforeEach(async ({ request }) => {
  await setRules(request, [
    {
      path: "/camera/hv/e2e",
      observable: "camera.hv",
      channels: WATCHED,
      major: { min: 900, max: 1300 },
      guidance: [{ title: "What to do", details: "Look at the HV crate." }],
    },
  ]);
});
// Nothing left for the other tests' pages: no rules, no alarms.
test.afterEach(async ({ request }) => setRules(request, []));

test("a new MAJOR reaches three pages within 2 s, and an ack in one clears it in the others", async ({ browser, request }) => {
  const pages = await Promise.all(["/", "/pages/runs", "/pages/alarms"].map((path) => openWatching(browser, path)));
  for (const page of pages) await expect(area(page)).toContainText("No active alarms");
  const sentAt = Date.now();
  // A short excursion: out of range, then back, before anyone looks.
  await sendHv(request, [1840], 1412);
  await sendHv(request, [1840], 1101);
  await Promise.all(pages.map((page) => expect(area(page)).toContainText("MAJOR camera.hv ch 1840: 1412 V", { timeout: 2000 })));
  expect(Date.now() - sentAt).toBeLessThan(2500);
  for (const page of pages) await expect(page).toHaveTitle(/^\(1\) /, { timeout: 1000 });

  // The alarm page: severity as a mark and a word, the guidance, and the acknowledgement.
  const alarmsPage = pages[2]!;
  const row = alarmsPage.locator("tr[data-alarm='camera.hv:1840']");
  await expect(row.locator(".alarm-severity").first()).toHaveText("⬣ MAJOR");
  await row.getByText("Guidance (1)").click();
  await expect(row).toContainText("Look at the HV crate.");
  await row.getByRole("button", { name: "Ack…" }).click();
  await alarmsPage.getByLabel("Comment").fill("crate reset by the shift");
  await alarmsPage.getByRole("button", { name: "Acknowledge" }).click();

  // The simulator's channel is back in range, so the acknowledgement clears the latch everywhere.
  for (const page of pages) {
    await expect(area(page)).toContainText("No active alarms", { timeout: 3000 });
    await expect(page).not.toHaveTitle(/^\(\d+\) /);
  }
  await expect(alarmsPage.locator(".alarm-history-table")).toContainText("crate reset by the shift", { timeout: 5000 });
  await Promise.all(pages.map((page) => page.context().close()));
});

test("shelving moves an alarm out of the active list, for the time chosen", async ({ page, request }) => {
  await page.goto("/pages/alarms");
  await sendHv(request, [1841], 1450);
  const row = page.locator("tr[data-alarm='camera.hv:1841']");
  await expect(page.locator(".alarm-section-unacknowledged")).toContainText("camera.hv ch 1841");
  await row.getByRole("button", { name: "Shelve…" }).click();
  await page.getByLabel("6 hours").check();
  await page.getByRole("button", { name: "Shelve", exact: true }).click();
  // A reason is required: the form is not sent without one.
  await expect(page.locator("dialog")).toBeVisible();
  await page.getByLabel("Reason").fill("HV expert working on module 7");
  await page.getByRole("button", { name: "Shelve", exact: true }).click();
  await expect(page.locator(".alarm-section-shelved")).toContainText("camera.hv ch 1841");
  await expect(page.locator(".alarm-section-shelved")).toContainText("HV expert working on module 7");
  await expect(page.locator(".alarm-section-unacknowledged")).toBeHidden();
  await expect(area(page)).toContainText("No active alarms");
});

/** Records what the page would say and play, without a sound card. */
async function spyOnSound(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __spoken: string[]; __tones: number };
    w.__spoken = [];
    w.__tones = 0;
    speechSynthesis.speak = (u: SpeechSynthesisUtterance) => void w.__spoken.push(u.text);
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (this: AudioContext) {
      w.__tones++;
      return create.call(this);
    };
  });
}
const heard = (page: Page) => page.evaluate(() => (window as unknown as { __spoken: string[]; __tones: number }).__spoken);
const tones = (page: Page) => page.evaluate(() => (window as unknown as { __tones: number }).__tones);

test("the annunciator speaks new alarms only after Enable sound, and sums up a burst", async ({ page, request }) => {
  await spyOnSound(page);
  await page.goto("/pages/runs");
  await expect(area(page)).toContainText("No active alarms", { timeout: 15_000 });
  await sendHv(request, [1842], 1400);
  await expect(area(page)).toContainText("MAJOR camera.hv ch 1842");
  expect(await heard(page)).toEqual([]);
  expect(await tones(page)).toBe(0);

  await page.getByRole("button", { name: "Enable sound" }).click();
  await expect(page.getByRole("button", { name: "Sound on ✓" })).toBeVisible();
  await sendHv(request, [1843], 1333.3);
  await expect.poll(() => heard(page)).toEqual(["Major alarm: camera H V channel 1843, 1333 volts"]);
  expect(await tones(page)).toBeGreaterThan(0);

  // Five at once: the first three by name, the rest summed up.
  await sendHv(request, [1840, 1841, 1844, 1845, 1846], 150);
  await expect.poll(() => heard(page).then((lines) => lines.length)).toBe(5);
  const burst = (await heard(page)).slice(1);
  expect(burst.slice(0, 3)).toEqual([1840, 1841, 1844].map((ch) => `Major alarm: camera H V channel ${ch}, 150 volts`));
  expect(burst[3]).toBe("There are 2 more alarms");
});

test("a page whose alarm news stops says the alarm service is lost, then recovers", async ({ page }) => {
  // The evaluator's heartbeat is cut between server and page: the websocket stays open, the
  // alarm news stops (as it would if the server's evaluator stopped), everything else passes.
  let cut = false;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (cut && typeof message === "string" && message.startsWith('{"type":"alarms"')) return;
      ws.send(message);
    });
  });
  await page.goto("/pages/runs");
  await expect(area(page)).toContainText("No active alarms", { timeout: 15_000 });
  cut = true;
  const cutAt = Date.now();
  await expect(area(page)).toContainText("Alarm service lost", { timeout: 5000 });
  expect(Date.now() - cutAt).toBeGreaterThanOrEqual(2000);
  await expect(area(page)).not.toContainText("No active alarms");
  await expect(area(page)).toHaveAttribute("data-state", "lost");
  cut = false;
  await expect(area(page)).toContainText("No active alarms", { timeout: 5000 });
  await expect(area(page)).toHaveAttribute("data-state", "ok");
});

test("a MAJOR alarm during a run is proposed as a flag on that run, over the alarm's span", async ({ page, request }) => {
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: {
      schemaVersion: 3,
      title: "Humidity watch",
      elements: { h: { kind: "timeseries", title: "Humidity", series: [{ observable: "camera.humidity", channel: 0 }] } },
      layout: { items: [{ element: "h", x: 0, y: 0, w: 8, h: 4 }] },
    },
  });
  expect(saved.status()).toBe(201);
  const { id } = (await saved.json()) as { id: string };
  const run = await sendHv(request, [1845], 1480);
  await page.goto(`/d/${id}`);
  const summary = page.locator(".run-flags summary");
  await expect(summary).toContainText(/proposed/);
  await summary.click();
  const proposal = page.locator(`.proposal[data-run='${run}']`);
  await expect(proposal).toContainText("camera.hv ch 1845 (MAJOR alarm) left 900–1300 V");
  await expect(proposal.getByRole("button", { name: /^Flag run \d+ bad$/ })).toBeVisible();
});

test("widgets on an observable in alarm are bordered and marked, and an alarm table widget lists its alarms", async ({
  page,
  request,
}) => {
  const series = (channel: number) => [{ observable: "camera.hv", channel }];
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: {
      schemaVersion: 3,
      title: "HV alarms",
      elements: {
        watched: { kind: "timeseries", title: "Pixel 1843", series: series(1843) },
        other: { kind: "timeseries", title: "Pixel 1000", series: series(1000) },
        list: { kind: "alarms", title: "HV alarms", series: series(0) },
      },
      layout: {
        items: [
          { element: "watched", x: 0, y: 0, w: 4, h: 4 },
          { element: "other", x: 4, y: 0, w: 4, h: 4 },
          { element: "list", x: 8, y: 0, w: 4, h: 4 },
        ],
      },
    },
  });
  expect(saved.status(), await saved.text()).toBe(201);
  const { id } = (await saved.json()) as { id: string };
  await page.goto(`/d/${id}`);
  const list = page.getByRole("region", { name: "HV alarms" });
  await expect(list).toContainText("No alarms");
  await sendHv(request, [1843], 1390);
  const watched = page.getByRole("region", { name: "Pixel 1843" });
  await expect(watched).toHaveAttribute("data-alarm", "major");
  await expect(watched.locator(".widget-alarm-mark")).toHaveText("⬣ MAJOR");
  await expect(page.getByRole("region", { name: "Pixel 1000" })).not.toHaveAttribute("data-alarm", /./);
  await expect(list.locator("tr[data-alarm='camera.hv:1843']")).toContainText("1390 V");
  await expect(list.locator(".widget-caption, [id^=caption]").first()).toContainText(
    "1 alarm (1 MAJOR or INVALID), 1 not acknowledged",
  );
});

test("a kiosk browser started with the autoplay flag has the sound on with no click", async ({ baseURL }) => {
  const { chromium } = await import("@playwright/test");
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${baseURL}/pages/alarms?kiosk`);
    await expect(page.locator("#observablehq-header")).toBeHidden();
    // The annunciator's button is in the (hidden) alarm area; its state is what counts.
    await expect(page.locator(".alarm-sound")).toHaveAttribute("aria-pressed", "true");
    const ordinary = await browser.newPage();
    await ordinary.goto(`${baseURL}/pages/alarms`);
    await expect(ordinary.locator(".alarm-sound")).toHaveAttribute("aria-pressed", "false");
  } finally {
    await browser.close();
  }
});
