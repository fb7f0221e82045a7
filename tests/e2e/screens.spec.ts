// Control-room screens: a dashboard in kiosk mode shows its widgets alone, `&fit` puts every
// widget on the screen with no scroll bar at 1920x1080 and at 3840x2160, the screen says when its
// data were last confirmed, and Escape leaves kiosk.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIRequestContext, Page } from "@playwright/test";
import { freePort } from "../support/postgres.js";
import { startServerProcess } from "../support/server-process.js";
import { INGEST_TOKEN, expect, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };

/** The camera template (every widget kind), saved as a dashboard. */
async function savedCameraDashboard(request: APIRequestContext): Promise<string> {
  const { dashboard } = (await (await request.get("/api/templates/camera-every-kind")).json()) as { dashboard: unknown };
  const saved = await request.post("/api/dashboards", { headers: auth, data: dashboard });
  expect(saved.status(), await saved.text()).toBe(201);
  return ((await saved.json()) as { id: string }).id;
}

/** Whether the page scrolls, and every widget's box. */
async function measure(page: Page) {
  return page.evaluate(() => ({
    scrollHeight: document.documentElement.scrollHeight,
    scrollWidth: document.documentElement.scrollWidth,
    height: innerHeight,
    width: innerWidth,
    widgets: [...document.querySelectorAll(".widget")].map((w) => {
      const r = w.getBoundingClientRect();
      return { title: w.getAttribute("aria-label"), top: r.top, bottom: r.bottom, right: r.right, height: r.height };
    }),
  }));
}

for (const [width, height] of [
  [1920, 1080],
  [3840, 2160],
] as const) {
  test(`kiosk&fit at ${width}x${height}: every widget on the screen, no scroll bar, nothing but the widgets`, async ({
    browser,
    request,
  }) => {
    const id = await savedCameraDashboard(request);
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`/d/${id}?kiosk&fit`);
    const widgets = page.locator(".widget");
    await expect(widgets).toHaveCount(9);
    await expect(page.locator(".widget[data-kind='timeseries'] [aria-label*='points drawn']").first()).toBeVisible();
    // No sidebar, alarm area, editor, time controls or explanation: the widgets and one line.
    for (const hidden of [
      "#observablehq-sidebar",
      "#observablehq-header",
      ".time-bar",
      ".editor-intro",
      ".dashboard-nav",
      ".widget .settings",
    ])
      for (const element of await page.locator(hidden).all()) await expect(element, hidden).toBeHidden();
    await expect(page.locator(".kiosk-bar")).toContainText("Camera shift view");
    await expect(page.locator(".kiosk-updated")).toHaveText(/^updated \d\d:\d\d:\d\d$/);
    await expect
      .poll(async () => {
        const m = await measure(page);
        return (
          m.scrollHeight <= m.height &&
          m.scrollWidth <= m.width &&
          m.widgets.every((w) => w.bottom <= m.height && w.right <= m.width)
        );
      })
      .toBe(true);
    const m = await measure(page);
    // Filled, not shrunk into a corner: the lowest widget ends near the screen's bottom.
    expect(Math.max(...m.widgets.map((w) => w.bottom))).toBeGreaterThan(m.height * 0.9);
    for (const w of m.widgets) expect(w.height, `${w.title} is readable`).toBeGreaterThanOrEqual(110);
    // The address keeps kiosk through the page's own updates; Escape leaves it.
    await expect(page).toHaveURL(/[?&]kiosk/);
    await page.keyboard.press("Escape");
    await expect(page).not.toHaveURL(/kiosk/);
    await expect(page.locator(".time-bar")).toBeVisible();
    await page.close();
  });
}

test("the alarm page in kiosk shows the alarms alone, with nothing to click", async ({ page }) => {
  await page.goto("/pages/alarms?kiosk");
  await expect(page.locator(".alarm-summary")).toContainText("active");
  await expect(page.locator(".alarm-intro")).toBeHidden();
  await expect(page.locator("#observablehq-sidebar")).toBeHidden();
  await expect(page.locator(".alarm-rules")).toHaveCount(0);
  await expect(page.locator(".alarm-actions")).toHaveCount(0);
});

test("a playlist plays with no click, each step in kiosk, and moves on to the next dashboard", async ({ page, request }) => {
  const make = async (title: string) => {
    const doc = { schemaVersion: 3, title, elements: {}, layout: { items: [], rows: [], tabs: [] } };
    const made = await request.post("/api/dashboards", { headers: auth, data: doc });
    expect(made.status()).toBe(201);
    return ((await made.json()) as { id: string }).id;
  };
  const first = await make("Playlist first");
  const second = await make("Playlist second");
  const body = { title: "Wall", interval: 5, items: [{ dashboard: first }, { dashboard: second, window: "6h" }] };
  const made = await request.post("/api/playlists", { headers: auth, data: body });
  expect(made.status(), await made.text()).toBe(201);
  const { id } = (await made.json()) as { id: string };

  /** Which dashboard and step the screen shows, with kiosk and fit kept (in any order). */
  const at = () => {
    const url = new URL(page.url());
    const q = url.searchParams;
    return [url.pathname, q.get("step"), q.has("kiosk") && q.has("fit"), q.get("playlist"), q.get("window")];
  };
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(`/play/${id}?kiosk&fit`);
  await expect.poll(at).toEqual([`/d/${first}`, "0", true, id, null]);
  await expect(page.locator(".kiosk-bar")).toContainText("Playlist first");
  await expect(page.locator(".playlist-badge")).toContainText("Wall · 1/2 · next in");
  await expect(page.locator("#observablehq-sidebar")).toBeHidden();
  // Five seconds a step: the second dashboard, with its own window, still in kiosk.
  await expect.poll(at, { timeout: 15_000 }).toEqual([`/d/${second}`, "1", true, id, "6h"]);
  await expect(page.locator(".kiosk-bar")).toContainText("Playlist second");
  await expect(page.locator(".playlist-badge")).toContainText("2/2");
  await expect(page.locator("#observablehq-sidebar")).toBeHidden();
  // And round again.
  await expect.poll(at, { timeout: 15_000 }).toEqual([`/d/${first}`, "0", true, id, null]);
});

test("a kiosk screen is live again within 10 s of its server's restart, with no click", async ({ browser }) => {
  // A server of its own, killed and started again on the same port and data directory.
  const dataDir = mkdtempSync(join(tmpdir(), "runboard-e2e-restart-"));
  const port = await freePort();
  const env = {
    RUNBOARD_DATA_DIR: dataDir,
    RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
    RUNBOARD_INGEST_TOKEN: INGEST_TOKEN,
    RUNBOARD_SIMULATOR: "on",
    RUNBOARD_BACKFILL_HOURS: "0.2",
  };
  let server = await startServerProcess(port, env);
  try {
    const base = `http://127.0.0.1:${port}`;
    const doc = {
      schemaVersion: 3,
      title: "Trigger wall",
      elements: { r: { kind: "stat", title: "Trigger rate", series: [{ observable: "trigger.rate", channel: 0 }] } },
      layout: { items: [{ element: "r", x: 0, y: 0, w: 4, h: 3 }] },
    };
    const made = await fetch(`${base}/api/dashboards`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify(doc),
    });
    const { id } = (await made.json()) as { id: string };
    const page = await browser.newPage();
    await page.goto(`${base}/d/${id}?kiosk`);
    const live = page.locator(".kiosk-bar .live-status");
    await expect(live).toHaveAttribute("data-state", "live");
    server.proc.kill("SIGKILL");
    await expect(live).not.toHaveAttribute("data-state", "live");
    server = await startServerProcess(port, env);
    const back = Date.now();
    await expect(live).toHaveAttribute("data-state", "live", { timeout: 10_000 });
    // New readings drawn: the trigger rate's time is after the restart.
    await expect
      .poll(
        async () =>
          Date.parse(`${new Date().toDateString()} ${(await page.locator(".kiosk-updated").textContent())?.slice(8, 16)}`),
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(back - 1000);
    expect(Date.now() - back).toBeLessThan(10_000);
  } finally {
    server.proc.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
