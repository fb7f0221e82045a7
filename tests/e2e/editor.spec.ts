import type { Page } from "@playwright/test";
import { INGEST_TOKEN, expect, snapshotRuns, test } from "./fixtures.js";

async function addWidget(page: Page, observable: string, kind: "timeseries" | "stat", title: string, channel?: number) {
  await page.getByLabel("Observable").selectOption(observable);
  await page.getByLabel("Chart type").selectOption(kind);
  await page.getByLabel("Widget title").fill(title);
  if (channel !== undefined)
    await page.getByLabel(kind === "stat" ? "Channel" : "Channels", { exact: true }).fill(String(channel));
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(page.getByRole("region", { name: title })).toBeVisible();
}

/** The grid position GridStack gives a widget, from its gs-* attributes. */
async function position(page: Page, title: string) {
  const item = page.locator(".grid-stack-item", { has: page.getByRole("region", { name: title }) });
  const get = async (a: string) => Number(await item.getAttribute(`gs-${a}`));
  return { x: await get("x"), y: await get("y"), w: await get("w"), h: await get("h") };
}

test("the overview notebook draws the server's snapshot with DuckDB-WASM, says when it was taken and which run runs", async ({
  page,
  request,
}) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "trigger.rate over the newest runs" })).toBeVisible();
  // Plot draws one line per run; a drawn line means DuckDB-WASM read the Parquet file.
  await expect(page.locator("svg path[stroke]").first()).toBeVisible();
  await expect(page.getByRole("cell", { name: "trigger.rate" }).first()).toBeVisible();
  await expect(page.getByRole("note")).toContainText(/data taken/);
  // A 1d observable read through the same data module: the newest waveform, drawn.
  await expect(page.locator('svg[aria-label^="pmt.waveform: newest of run"]')).toBeVisible();
  // The newest run is still going (the simulator feeds it): the table says so, not "stopped".
  const newest = (await snapshotRuns(request)).at(-1)!;
  expect(newest.status).toBe("running");
  await expect(page.getByRole("row", { name: new RegExp(`^${newest.id} running`) })).toBeVisible();
});

test("a newcomer builds, saves, reloads and shares a dashboard that follows live data", async ({ page, browser, request }) => {
  await page.goto("/pages/dashboard");
  await expect(page.getByLabel("Live connection")).toBeAttached();

  await addWidget(page, "trigger.rate", "timeseries", "Trigger rate");
  await addWidget(page, "camera.humidity", "stat", "Humidity now");
  // The time series draws the snapshot's history once DuckDB-WASM has read it.
  await expect(page.getByRole("region", { name: "Trigger rate" }).locator("svg[aria-label*='points drawn']")).toBeVisible();
  await expect(page.getByLabel("Live connection")).toContainText("live");

  // A new widget goes to the free space beside the others, not below them.
  expect(await position(page, "Humidity now")).toMatchObject({ x: 6, y: 0 });
  // Move the stat below the time series by dragging its title bar.
  const statHeader = page.getByRole("region", { name: "Humidity now" }).locator(".widget-handle");
  const chart = await page.getByRole("region", { name: "Trigger rate" }).boundingBox();
  const stat = await page.getByRole("region", { name: "Humidity now" }).boundingBox();
  const header = await statHeader.boundingBox();
  // Carry the stat down below the chart first, then left: a straight diagonal would cross the
  // chart, and what the grid does on the way (pushing, packing) would decide where it lands.
  const grab = { x: header!.x + 20, y: header!.y + header!.height / 2 };
  const below = chart!.y + chart!.height + 40;
  await page.mouse.move(grab.x, grab.y);
  await page.mouse.down();
  await page.mouse.move(grab.x, below, { steps: 8 });
  await page.mouse.move(grab.x + (chart!.x - stat!.x) - chart!.width / 6 / 3, below, { steps: 8 });
  await page.mouse.up();
  await expect.poll(() => position(page, "Humidity now")).toMatchObject({ x: 0, y: 4 });

  // Make it taller from its lower-right corner.
  const before = await position(page, "Humidity now");
  const handle = page
    .locator(".grid-stack-item", { has: page.getByRole("region", { name: "Humidity now" }) })
    .locator(".ui-resizable-se");
  // GridStack shows the handle while the pointer is over the widget.
  await page.getByRole("region", { name: "Humidity now" }).hover();
  await handle.hover();
  const box = await handle.boundingBox();
  await page.mouse.down();
  await page.mouse.move(box!.x + box!.width / 2, box!.y + 160, { steps: 10 });
  await page.mouse.up();
  await expect.poll(async () => (await position(page, "Humidity now")).h).toBeGreaterThan(before.h);
  const layout = { trigger: await position(page, "Trigger rate"), stat: await position(page, "Humidity now") };

  await page.getByLabel("Dashboard title").fill("Shift view");
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("status").first()).toContainText("Saved revision 1");
  // Still editing after the save; the link to share opens the dashboard in view mode.
  await expect(page).toHaveURL(/\/d\/[A-Za-z0-9_-]+\?edit$/);
  const sharedUrl = page.url().replace("?edit", "");

  // Reload: the same layout comes back.
  await page.reload();
  await expect(page.getByRole("region", { name: "Humidity now" })).toBeVisible();
  expect(await position(page, "Trigger rate")).toEqual(layout.trigger);
  expect(await position(page, "Humidity now")).toEqual(layout.stat);
  await expect(page.getByLabel("Dashboard title")).toHaveValue("Shift view");

  // A colleague opens the link in a fresh browser context.
  const colleague = await browser.newContext();
  const other = await colleague.newPage();
  await other.goto(sharedUrl);
  await expect(other.getByRole("region", { name: "Humidity now" })).toBeVisible();
  await expect(other.getByRole("heading", { name: "Shift view" })).toBeVisible();
  await expect(other.getByRole("button", { name: "Add widget" })).toHaveCount(0);
  await expect(other.getByRole("link", { name: "Edit" })).toBeVisible();
  expect(await position(other, "Humidity now")).toEqual(layout.stat);

  // A new reading ingested by a DAQ shows up live in the colleague's single-number widget.
  const runs = (await (await request.get("/api/runs")).json()) as { runs: { id: number; start: number }[] };
  const newest = runs.runs.reduce((a, b) => (b.start > a.start ? b : a));
  const ingest = await request.post("/api/ingest", {
    headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
    data: { readings: [{ observable: "camera.humidity", run: newest.id, t: Date.now() + 30_000, value: 77.25 }] },
  });
  expect(ingest.status()).toBe(200);
  const value = other.getByLabel("Humidity now value");
  await expect(value).toHaveText("77.25");
  // The live line says how far behind the feed is.
  await expect(other.getByLabel("Live connection")).toContainText(/live \([0-9.]+ s behind\)/);
  // 77.25 % is above the healthy 0-60 %: the widget says so.
  await expect(other.getByRole("region", { name: "Humidity now" })).toContainText("outside healthy range");
  await colleague.close();

  // Removing a widget and saving makes a new revision without it.
  await page.getByRole("button", { name: "Remove Trigger rate" }).click();
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("status").first()).toContainText("Saved revision 2");
  await page.reload();
  await expect(page.getByRole("region", { name: "Humidity now" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Trigger rate" })).toHaveCount(0);
});

test("a saved dashboard that fails validation is not saved, and the page says why", async ({ page }) => {
  await page.goto("/pages/dashboard");
  await page.getByLabel("Dashboard title").fill("   ");
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("status").first()).toContainText("title");
  await expect(page).toHaveURL(/\/pages\/dashboard$/);
});

test("a channel chosen for a camera observable does not block adding a single-channel one next", async ({ page }) => {
  await page.goto("/pages/dashboard");
  await addWidget(page, "camera.hv", "timeseries", "HV pixel 25", 25);
  await addWidget(page, "camera.humidity", "stat", "Humidity next");
  await expect(page.getByRole("region", { name: "Humidity next" })).toBeVisible();
});
