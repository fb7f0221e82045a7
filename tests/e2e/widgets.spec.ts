// Every widget kind, added through the form on the demo camera, drawn with the values DuckDB in
// Node finds in the same snapshot files. The dashboard shows a stopped run, so nothing live
// moves the values while they are compared; three pixels are set out of range in it first.
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";
import { histogram } from "../../src/core/binning.js";
import { withUnit } from "../../src/components/widget-common.js";
import type { APIRequestContext, Page } from "@playwright/test";
import { E2E_SNAPSHOT_DIR as snapshotDir, INGEST_TOKEN, expect, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };

const query = queryParquet;
const filesOf = (run: number, kind: "scalar" | "array") => snapshotFiles(snapshotDir, kind, [run]);

/** A stopped run with pixels out of range at its end, snapshotted; a dashboard that shows it. */
async function stoppedRunDashboard(request: APIRequestContext) {
  const { runs } = (await (await request.get("/api/runs")).json()) as { runs: { id: number; stop: number | null }[] };
  const run = runs.filter((r) => r.stop !== null).at(-1)!;
  const running = runs.at(-1)!.id;
  const t = run.stop! - 1000;
  const ingest = await request.post("/api/ingest", {
    headers: auth,
    data: {
      readings: [
        // Ten seconds before the run stopped: pixel 25 then fell silent (see "stale" below).
        { observable: "camera.hv", run: run.id, t: run.stop! - 10_000, channel: 25, value: 3 },
        { observable: "camera.hv", run: run.id, t, channel: 40, value: 1400 },
        // Two pixels from 40: its flag mark sits beside 40's, not over it.
        { observable: "camera.hv", run: run.id, t, channel: 42, value: 1450 },
        // A run that started seconds ago may have no waveform yet: the overlay below needs one.
        {
          observable: "pmt.waveform",
          run: running,
          t: Date.now(),
          channel: 0,
          value: Array.from({ length: 64 }, (_, i) => i % 7),
        },
      ],
    },
  });
  expect(ingest.status()).toBe(200);
  const refresh = await request.post("/api/snapshots/refresh", { headers: auth, data: { select: `runs:${run.id}-${running}` } });
  expect(refresh.status()).toBe(200);
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: {
      schemaVersion: 2,
      title: `Run ${run.id} review`,
      runSelection: { mode: "run", run: run.id },
      windowSeconds: 3600,
      elements: {},
      layout: { items: [] },
    },
  });
  expect(saved.status()).toBe(201);
  return { run: run.id, running, id: ((await saved.json()) as { id: string }).id };
}

async function add(
  page: Page,
  observable: string,
  kind: string,
  title: string,
  fill: Record<string, string> = {},
  choose: Record<string, string> = {},
) {
  await page.getByLabel("Observable").selectOption(observable);
  await page.getByLabel("Chart type").selectOption(kind);
  await page.getByLabel("Widget title").fill(title);
  for (const [label, value] of Object.entries(choose))
    await page.getByRole("combobox", { name: label, exact: true }).selectOption(value);
  for (const [label, value] of Object.entries(fill)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(page.getByRole("region", { name: title })).toBeVisible();
}

const caption = (page: Page, title: string) => page.getByRole("region", { name: title }).locator(".widget-caption");

test("every widget kind draws the demo camera's values as DuckDB finds them in the snapshot", async ({ page, request }) => {
  test.setTimeout(120_000);
  const { run, running, id } = await stoppedRunDashboard(request);
  const scalars = filesOf(run, "scalar");
  const arrays = filesOf(run, "array");
  await page.goto(`/d/${id}?edit`);

  // The form offers the kinds that fit a shape and says in words why the others do not.
  await page.getByLabel("Observable").selectOption("pmt.waveform");
  await expect(page.getByLabel("Chart type")).toHaveValue("profile");
  await expect(page.getByText(/Raster \(every channel against time\): pmt\.waveform is a 1D array/)).toBeVisible();
  await page.getByLabel("Observable").selectOption("trigger.rate");
  await expect(
    page.getByText(/Histogram across channels: trigger\.rate is one scalar; a histogram needs a per-channel observable/),
  ).toBeVisible();

  const latest = await query<{ channel: number; value: number }>(
    `SELECT channel, arg_max(value, t) AS value FROM read_parquet($files) WHERE observable = 'camera.hv' GROUP BY channel`,
    scalars,
  );
  const outOfRange = latest.filter((r) => r.value < 900 || r.value > 1300).length;
  expect(outOfRange).toBeGreaterThanOrEqual(2);

  await add(page, "camera.hv", "raster", "HV raster", { "Highlight channel": "25" });
  await expect(caption(page, "HV raster")).toContainText(`camera.hv, 1855 channels, ${outOfRange} out of range; channel 25 3 V`);
  // The flagged pixels are marked beside the raster; choosing one highlights it and draws its line.
  await page.getByRole("button", { name: "Highlight channel 42: 1450 V" }).click();
  await expect(caption(page, "HV raster")).toContainText("channel 42 1450 V");
  await page.getByRole("button", { name: "Highlight channel 40: 1400 V" }).click();
  await expect(caption(page, "HV raster")).toContainText("channel 40 1400 V");
  await expect(
    page
      .getByRole("region", { name: "HV raster" })
      .locator('svg[aria-label="channel 40 of camera.hv, with the rest of module 5"]'),
  ).toBeVisible();

  // The raster's colours are read off a colour bar with units, health colours named.
  await expect(
    page
      .getByRole("region", { name: "HV raster" })
      .getByRole("img", { name: /^Colour scale: \S+ V to \S+ V; above the healthy range red/ }),
  ).toBeVisible();

  await add(page, "camera.hv", "histogram", "HV spread");
  await expect(caption(page, "HV spread")).toContainText(`1855 channels, ${outOfRange} out of range`);
  // The pixel at 3 V sits in an edge bin, labelled, and does not stretch the axis to 0 V.
  const spread = page.getByRole("region", { name: "HV spread" });
  await expect(caption(page, "HV spread")).toContainText("beyond the axis, in the edge bins");
  // The simulator trips a pixel now and then too: the edge bin holds what the latest values put there.
  const binned = histogram(
    Float64Array.from(latest, (r) => r.value),
    40,
    { min: 900, max: 1300 },
  );
  expect(binned.under.count).toBeGreaterThanOrEqual(1);
  await expect(
    spread.locator("svg text", { hasText: `${binned.under.count} below (${withUnit(binned.under.furthest, "V")})` }),
  ).toBeVisible();
  const ticks = (await spread.locator("g[aria-label='x-axis tick label'] text").allTextContents()).map((t) =>
    Number(t.replace(/[^\d.]/g, "")),
  );
  expect(Math.min(...ticks), `x axis ticks ${ticks.join(", ")}`).toBeGreaterThan(500);
  await expect(spread.locator("g[aria-label='y-axis label']")).toHaveText(/channels \(√ scale\)/);

  await add(page, "camera.hv", "stat", "Pixel 25 HV", { Channel: "25" });
  await expect(page.getByLabel("Pixel 25 HV value")).toHaveText("3");
  await expect(page.getByRole("region", { name: "Pixel 25 HV" })).toContainText("outside healthy range 900–1300");

  await add(page, "camera.hv", "table", "Pixels 24-26", { Channels: "24-26" });
  // Channels of one observable: it heads the first column, and each row is a channel.
  const pixels = page.getByRole("region", { name: "Pixels 24-26" });
  await expect(pixels.getByRole("columnheader").first()).toHaveText("camera.hv");
  const cell = pixels.getByRole("row", { name: /^ch 25\b/ }).locator(".value-cell");
  await expect(cell).toHaveText("3 V");
  await expect(cell).toHaveAttribute("data-health", "below");
  await expect(caption(page, "Pixels 24-26")).toContainText("3 values, 1 out of range (camera.hv[25])");

  await add(page, "camera.temperature", "timeseries", "Two modules", { Channels: "0, 12" });
  const modules = page.getByRole("region", { name: "Two modules" });
  await expect(modules.locator("[aria-label*='points drawn']")).toBeVisible();
  await expect(modules.getByText("camera.temperature[12]").first()).toBeVisible();

  const [waveform] = await query<{ value: number[] }>(
    `SELECT value_1d AS value FROM read_parquet($files) WHERE observable = 'pmt.waveform' ORDER BY t DESC LIMIT 1`,
    arrays,
  );
  const peak = waveform!.value.reduce((best, v, i, all) => (v > all[best]! ? i : best), 0);
  await add(page, "pmt.waveform", "profile", "Waveform");
  await expect(caption(page, "Waveform")).toContainText(`peak ${waveform!.value[peak]} mV at sample ${peak}`);
  // Or the last waveform of chosen runs overlaid: this run's and the one running now.
  await page.getByRole("button", { name: "Settings of Waveform" }).click();
  await page.getByRole("dialog", { name: "Settings of Waveform" }).getByLabel("Overlay runs").fill(`${run}, ${running}`);
  await page.getByRole("dialog", { name: "Settings of Waveform" }).getByRole("button", { name: "Apply" }).click();
  await expect(caption(page, "Waveform")).toHaveText(`pmt.waveform of runs ${running}, ${run}`);
  await expect(page.getByRole("region", { name: "Waveform" }).getByText(`run ${running}`).first()).toBeVisible();

  const [hitmap] = await query<{ value: number[][] }>(
    `SELECT value_2d AS value FROM read_parquet($files) WHERE observable = 'camera.hitmap' ORDER BY t DESC LIMIT 1`,
    arrays,
  );
  await add(page, "camera.hitmap", "image", "Hits");
  const image = page.getByRole("region", { name: "Hits" }).locator("canvas.image-canvas");
  await expect(image).toHaveAttribute("aria-label", /camera\.hitmap 24×24/);
  await expect(
    page.getByRole("region", { name: "Hits" }).getByRole("img", { name: /^Colour scale: \d+ counts to \d+ counts$/ }),
  ).toBeVisible();
  const box = (await image.boundingBox())!;
  await image.hover({ position: { x: ((12 + 0.5) * box.width) / 24, y: ((11 + 0.5) * box.height) / 24 } });
  await expect(page.getByRole("region", { name: "Hits" }).locator(".image-readout")).toHaveText(
    `row 11, column 12: ${hitmap!.value[11]![12]} counts`,
  );

  const [current] = await query<{ value: number }>(
    `SELECT arg_max(value, t) AS value FROM read_parquet($files) WHERE observable = 'camera.anode_current' AND channel = 0`,
    scalars,
  );
  await add(
    page,
    "camera.anode_current",
    "xy",
    "Current vs temperature",
    { Channels: "0" },
    { "Against (x axis)": "camera.temperature" },
  );
  await expect(caption(page, "Current vs temperature")).toContainText(
    new RegExp(`\\d+ points of camera\\.anode_current\\[0\\] against camera\\.temperature\\[0\\]; newest ${current!.value} at`),
  );

  // Thresholds edited in the settings panel: 0-10 V makes pixel 25's 3 V healthy; saved, it stays.
  await page.getByRole("button", { name: "Settings of Pixel 25 HV" }).click();
  const settings = page.getByRole("dialog", { name: "Settings of Pixel 25 HV" });
  await settings.getByLabel("Lowest healthy").fill("0");
  await settings.getByLabel("Highest healthy").fill("10");
  // Pixel 25 was silent for the run's last 10 s: with 5 s as the limit the number says it is stale
  // (a stopped run's value is stale only if it fell silent before the run ended).
  await settings.getByLabel("Stale after (s)").fill("5");
  await settings.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("region", { name: "Pixel 25 HV" })).not.toContainText("outside healthy range");
  await expect(page.getByRole("region", { name: "Pixel 25 HV" })).toContainText(/stale: nothing new for \d+ (s|min)/, {
    timeout: 20_000,
  });
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("status").first()).toContainText("Saved revision 2");
  const saved = (await (await request.get(`/api/dashboards/${id}`)).json()) as {
    dashboard: { elements: Record<string, { title: string; thresholds?: unknown }> };
  };
  expect(Object.values(saved.dashboard.elements).find((w) => w.title === "Pixel 25 HV")?.thresholds).toEqual({ min: 0, max: 10 });
  await page.reload();
  await expect(page.getByLabel("Pixel 25 HV value")).toHaveText("3");
  await expect(page.getByRole("region", { name: "Pixel 25 HV" })).not.toContainText("outside healthy range");
  await expect(caption(page, "HV raster")).toContainText("channel 40 1400 V");
});

test("a bad threshold is refused in the settings panel, naming the field, and nothing changes", async ({ page }) => {
  await page.goto("/pages/dashboard");
  await add(page, "trigger.rate", "timeseries", "Rate");
  await page.getByRole("button", { name: "Settings of Rate" }).click();
  const settings = page.getByRole("dialog", { name: "Settings of Rate" });
  await settings.getByRole("combobox", { name: "Y scale" }).selectOption("fixed");
  await settings.getByLabel("Y from").fill("50");
  await settings.getByLabel("Y to").fill("10");
  await settings.getByRole("button", { name: "Apply" }).click();
  await expect(settings.getByRole("alert")).toHaveText("Cannot apply: yScale.max: min must be below max");
  await settings.getByRole("button", { name: "Cancel" }).click();
  await expect(settings).toBeHidden();
});

test("twelve widgets fill the width, move and resize with the keyboard, and the dark theme is kept", async ({ page }) => {
  await page.goto("/pages/dashboard");
  for (let i = 1; i <= 12; i++) await add(page, "trigger.rate", "stat", `Rate ${i}`);
  const boxes = await page.locator(".grid-stack-item").evaluateAll((items) =>
    items.map((item) => ({
      x: Number(item.getAttribute("gs-x")),
      y: Number(item.getAttribute("gs-y")),
      right: item.getBoundingClientRect().right,
    })),
  );
  const viewport = page.viewportSize()!;
  // Four stats a row over the window's width: three rows, the right-hand side used.
  expect(new Set(boxes.map((b) => b.y)).size).toBe(3);
  expect(Math.max(...boxes.map((b) => b.right))).toBeGreaterThan(viewport.width * 0.9);

  const item = page.locator(".grid-stack-item", { has: page.getByRole("region", { name: "Rate 1", exact: true }) });
  const handle = page.getByLabel(/^Move Rate 1 /);
  await handle.focus();
  // Down past the widget below it (the grid packs upwards), then back up to the top.
  await page.keyboard.press("ArrowDown");
  await expect(item).toHaveAttribute("gs-y", "3");
  await page.keyboard.press("ArrowUp");
  await expect(item).toHaveAttribute("gs-y", "0");
  await page.keyboard.press("ArrowRight");
  await expect(item).toHaveAttribute("gs-x", "1");
  await page.keyboard.press("Shift+ArrowRight");
  await expect(item).toHaveAttribute("gs-w", "4");
  await expect(page.getByRole("status").first()).toHaveText("Unsaved changes");

  await page.getByRole("button", { name: "Dark theme" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.getByRole("button", { name: "Light theme" })).toBeVisible();
});

test("channels in modules: a raster marks the highlighted pixel's module, a time series shows a whole one", async ({ page }) => {
  await page.goto("/pages/dashboard");
  // The simulated camera declares its 265 modules of 7 pixels in the catalog.
  await add(page, "camera.hv", "raster", "HV by module", { "Highlight channel": "88" });
  const raster = page.getByRole("region", { name: "HV by module" });
  await expect(raster.getByText("module 12: channels 84–90")).toBeVisible();
  // The band over the module's rows, and its other pixels beside the highlighted one's line.
  await expect(raster.locator(".raster-group")).toBeVisible();
  await expect(raster.locator('svg[aria-label="channel 88 of camera.hv, with the rest of module 12"]')).toBeVisible();
  // On screen first (the pointer moves only within the window; the alarm area takes the top).
  await raster.locator("canvas.raster-canvas").scrollIntoViewIfNeeded();
  const cells = (await raster.locator("canvas.raster-canvas").boundingBox())!;
  // A cell's tooltip names its pixel's module (a row of the canvas may hold several pixels).
  await page.mouse.move(cells.x + cells.width / 2, cells.y + cells.height / 2);
  const tip = raster.getByRole("tooltip");
  await expect(tip).toContainText(/^channel \d+/);
  const pixel = Number(/^channel (\d+)$/.exec((await tip.locator("div").first().textContent())!)![1]);
  const module = Math.floor(pixel / 7);
  await expect(tip).toContainText(`module ${module}: channels ${module * 7}–${module * 7 + 6}`);

  await add(page, "camera.hv", "timeseries", "Module 12 HV", { Channels: "module 12" });
  const caption = page.getByRole("region", { name: "Module 12 HV" }).locator(".widget-caption");
  for (let pixel = 84; pixel <= 90; pixel++) await expect(caption).toContainText(`camera.hv[${pixel}] `);
  await expect(caption).not.toContainText("camera.hv[91]");
  // A module that does not exist is refused in words.
  await page.getByLabel("Observable").selectOption("camera.hv");
  await page.getByLabel("Chart type").selectOption("timeseries");
  await page.getByLabel("Channels", { exact: true }).fill("module 265");
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(page.getByText("Channels: module 265 does not exist (0 to 264)")).toBeVisible();
});
