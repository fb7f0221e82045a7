// Questioning a chart, as a shifter looking into an HV trip would: point at it and read the
// reading (the one DuckDB in Node finds at that time), drag across it to zoom every chart of the
// dashboard (in the address, undone by Back), and take the readings out as CSV that holds exactly
// what DuckDB in Node reads over the same window.
import type { APIRequestContext } from "@playwright/test";
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";
import { download, downloadCsv, fromTooltip, plotOf } from "./chart-reading.js";
import { E2E_SNAPSHOT_DIR, INGEST_TOKEN, expect, snapshotRuns, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };

/** A dashboard of the newest stopped run, whole: two time series and a histogram. */
async function runDashboard(request: APIRequestContext) {
  const run = (await snapshotRuns(request)).filter((r) => r.stop !== null).at(-1)!;
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: {
      schemaVersion: 3,
      title: `Run ${run.id} questioned`,
      runSelection: { mode: "run", run: run.id },
      window: { kind: "runs" },
      elements: {
        rate: { kind: "timeseries", title: "Rate", series: [{ observable: "trigger.rate", channel: 0 }] },
        temp: { kind: "timeseries", title: "Module 0", series: [{ observable: "camera.temperature", channel: 0 }] },
        spread: { kind: "histogram", title: "HV spread", series: [{ observable: "camera.hv", channel: 0 }] },
        raster: { kind: "raster", title: "HV raster", series: [{ observable: "camera.hv", channel: 0 }] },
      },
      layout: {
        items: [
          { element: "rate", x: 0, y: 0, w: 6, h: 4 },
          { element: "temp", x: 6, y: 0, w: 6, h: 4 },
          { element: "spread", x: 0, y: 4, w: 6, h: 4 },
          { element: "raster", x: 6, y: 4, w: 6, h: 6 },
        ],
      },
    },
  });
  expect(saved.status()).toBe(201);
  return { run, id: ((await saved.json()) as { id: string }).id };
}

test("pointing at a time series shows the reading DuckDB finds at that time, with its unit and run", async ({
  page,
  request,
}) => {
  const { run, id } = await runDashboard(request);
  await page.goto(`/d/${id}`);
  const plot = plotOf(page, "Rate");
  await expect(plot).toBeVisible();
  const box = (await plot.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const tip = page.getByRole("region", { name: "Rate" }).getByRole("tooltip");
  await expect(tip).toContainText(`run ${run.id}`);
  const text = (await tip.textContent())!;
  const t = fromTooltip(text);
  const [reading] = await queryParquet<{ value: number }>(
    "SELECT value FROM read_parquet($files) WHERE observable = 'trigger.rate' AND channel = 0 AND epoch_ms(t) = $t",
    snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [run.id]),
    { t },
  );
  expect(reading, `a reading at ${new Date(t).toISOString()}`).toBeDefined();
  expect(text).toContain(`trigger.rate: ${Math.round(reading!.value * 1000) / 1000} Hz`);
  // The other chart marks the same time (the shared crosshair), without a tooltip of its own.
  await expect(page.getByRole("region", { name: "Module 0" }).locator(".chart-crosshair")).toBeVisible();
  await expect(page.getByRole("region", { name: "Module 0" }).getByRole("tooltip")).toBeHidden();
  // A histogram's bar says its range and count; a raster cell its channel, time and value.
  const spread = page.getByRole("region", { name: "HV spread" });
  const bars = (await spread.locator("svg[aria-label*='channels']").first().boundingBox())!;
  await page.mouse.move(bars.x + bars.width * 0.5, bars.y + bars.height * 0.6);
  await expect(spread.getByRole("tooltip")).toContainText(/^[\d.]+–[\d.]+ V\d+ channels?$/);
  const cells = (await page.getByRole("region", { name: "HV raster" }).locator("canvas.raster-canvas").boundingBox())!;
  await page.mouse.move(cells.x + cells.width * 0.5, cells.y + 2);
  await expect(page.getByRole("region", { name: "HV raster" }).getByRole("tooltip")).toContainText(
    /^channel \d+\d{4}-\d{2}-\d{2} /,
  );
  // The keyboard reaches the same values.
  await page.mouse.move(0, 0);
  await page.getByRole("region", { name: "Rate" }).locator(".chart-host").focus();
  await page.keyboard.press("Home");
  await expect(tip).toContainText(new Date(run.start).getFullYear().toString());
});

test("a drag across a chart zooms every chart and the address; Back undoes it; Reset returns", async ({ page, request }) => {
  const { id, run } = await runDashboard(request);
  await page.goto(`/d/${id}`);
  const plot = plotOf(page, "Rate");
  await expect(plot).toBeVisible();
  const ticksOf = (title: string) =>
    page.getByRole("region", { name: title }).locator("g[aria-label='x-axis tick label'] text").allTextContents();
  const before = await ticksOf("Module 0");
  const box = (await plot.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.up();
  await expect(page).toHaveURL(/[?&]window=[^&]+\/[^&]+/);
  await expect(page.getByLabel("Window")).toHaveValue("absolute");
  await expect(page.getByRole("button", { name: "Reset zoom" })).toBeVisible();
  await expect.poll(() => ticksOf("Module 0")).not.toEqual(before);
  await page.goBack();
  await expect(page).not.toHaveURL(/window=/);
  await expect.poll(() => ticksOf("Module 0")).toEqual(before);
  await page.goForward();
  await expect(page).toHaveURL(/window=/);
  await page.getByRole("button", { name: "Reset zoom" }).click();
  await expect(page).not.toHaveURL(/window=/);
  await expect(page.getByRole("button", { name: "Reset zoom" })).toBeHidden();

  // A drag across the raster's canvas zooms the same way; the span is the one dragged over.
  const raster = page.getByRole("region", { name: "HV raster" });
  const times = raster.locator(".raster-times span");
  const edgesBefore = await times.allTextContents();
  const cells = (await raster.locator("canvas.raster-canvas").boundingBox())!;
  await page.mouse.move(cells.x + cells.width * 0.25, cells.y + cells.height / 2);
  await page.mouse.down();
  await page.mouse.move(cells.x + cells.width * 0.75, cells.y + cells.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(page).toHaveURL(/[?&]window=[^&]+\/[^&]+/);
  const [from, to] = decodeURIComponent(/[?&]window=([^&]+)/.exec(page.url())![1]!)
    .split("/")
    .map((t) => Date.parse(t));
  // Half of the run's span, from a quarter in.
  expect(Math.abs((to! - from!) / (run.stop! - run.start) - 0.5)).toBeLessThan(0.05);
  await expect.poll(() => times.allTextContents()).not.toEqual(edgesBefore);
});

test("Shift+drag pans and Ctrl+wheel zooms about the pointer, on a time series and on a raster; the address follows", async ({
  page,
  request,
}) => {
  const { id, run } = await runDashboard(request);
  await page.goto(`/d/${id}`);
  const span = run.stop! - run.start;
  const shown = () =>
    decodeURIComponent(/[?&]window=([^&]+)/.exec(page.url())?.[1] ?? "")
      .split("/")
      .map((t) => Date.parse(t)) as [number, number];
  const raster = page.getByRole("region", { name: "HV raster" });
  const canvas = raster.locator("canvas.raster-canvas");
  await expect(canvas).toHaveAttribute("aria-label", /channels/);
  const transform = () => canvas.evaluate((c) => getComputedStyle(c).transform);

  // Shift+drag a quarter of the raster's width to the right: the view goes a quarter of the
  // span back in time, and the raster drawn moves with the pointer before the new span is read.
  const cells = (await canvas.boundingBox())!;
  const middle = cells.y + cells.height / 2;
  await page.keyboard.down("Shift");
  await page.mouse.move(cells.x + cells.width * 0.5, middle);
  await page.mouse.down();
  await page.mouse.move(cells.x + cells.width * 0.75, middle, { steps: 5 });
  await expect.poll(transform).not.toBe("none");
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await expect(page).toHaveURL(/[?&]window=/);
  const [panFrom, panTo] = shown();
  expect(Math.abs((panTo - panFrom) / span - 1)).toBeLessThan(0.02);
  expect(Math.abs((run.start - panFrom) / span - 0.25)).toBeLessThan(0.05);
  // Read for the new span, the raster is painted for it, in place.
  await expect.poll(transform).toBe("none");

  // Ctrl+wheel over the raster's middle zooms in about the time under the pointer.
  await page.mouse.move(cells.x + cells.width * 0.5, middle);
  await page.keyboard.down("Control");
  await page.mouse.wheel(0, -100);
  await page.keyboard.up("Control");
  await expect.poll(() => shown()[1] - shown()[0]).toBeLessThan((panTo - panFrom) * 0.5);
  const [zoomFrom, zoomTo] = shown();
  expect(Math.abs((zoomTo - zoomFrom) / (panTo - panFrom) - Math.exp(-1))).toBeLessThan(0.05);
  expect(Math.abs((zoomFrom + zoomTo) / 2 - (panFrom + panTo) / 2) / span).toBeLessThan(0.02);
  await expect.poll(transform).toBe("none");

  // The same gestures on a time series: Shift+drag to the left shows later times, of the same length.
  const plot = plotOf(page, "Rate");
  const box = (await plot.boundingBox())!;
  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await expect.poll(() => shown()[0]).toBeGreaterThan(zoomFrom);
  const [laterFrom, laterTo] = shown();
  expect(Math.abs((laterTo - laterFrom) / (zoomTo - zoomFrom) - 1)).toBeLessThan(0.02);
  await page.keyboard.down("Control");
  await page.mouse.wheel(0, 100);
  await page.keyboard.up("Control");
  await expect.poll(() => shown()[1] - shown()[0]).toBeGreaterThan((laterTo - laterFrom) * 2);
  // Back undoes the gestures one by one.
  await page.goBack();
  await expect.poll(() => shown()).toEqual([laterFrom, laterTo]);
});

test("Download CSV of a time series, a raster and a histogram, and Parquet, hold what DuckDB in Node reads over the same window", async ({
  page,
  request,
}) => {
  const { run, id } = await runDashboard(request);
  await page.goto(`/d/${id}`);
  await expect(plotOf(page, "Rate")).toBeVisible();
  const files = snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [run.id]);

  const rate = await downloadCsv(page, "Rate");
  expect(rate.header).toBe("run,observable,channel,time,t_ms,value");
  expect(rate.provenance.join("\n")).toContain(`# runs: ${run.id}`);
  expect(rate.provenance.join("\n")).toMatch(/# observable: trigger\.rate \(Hz\), channels 0/);
  const expected = await queryParquet<{ t: number; value: number }>(
    `SELECT epoch_ms(t)::DOUBLE AS t, value FROM read_parquet($files)
      WHERE observable = 'trigger.rate' AND channel = 0 AND t BETWEEN make_timestamp($from::BIGINT * 1000) AND make_timestamp($to::BIGINT * 1000)
      ORDER BY t`,
    files,
    { from: run.start, to: run.stop! },
  );
  expect(rate.rows.length).toBe(expected.length);
  expect(rate.rows.map((r) => [Number(r[4]), Number(r[5])])).toEqual(expected.map((e) => [e.t, e.value]));

  // The same readings as Parquet, with where they came from beside them.
  const parquet = await download(page, "Rate", "Parquet");
  const fromParquet = await queryParquet<{ t: number; value: number; source: string }>(
    "SELECT epoch_ms(time)::DOUBLE AS t, value, source FROM read_parquet($files) ORDER BY time",
    [parquet],
  );
  expect(fromParquet.map((r) => [r.t, r.value])).toEqual(expected.map((e) => [e.t, e.value]));
  expect(fromParquet[0]!.source).toBe(rate.provenance.find((l) => l.startsWith("# source: "))!.slice("# source: ".length));

  // The raster's: every reading of every channel in the window.
  const raster = await downloadCsv(page, "HV raster");
  const [{ n }] = (await queryParquet<{ n: bigint }>(
    `SELECT count(*) AS n FROM read_parquet($files)
      WHERE observable = 'camera.hv' AND t BETWEEN make_timestamp($from::BIGINT * 1000) AND make_timestamp($to::BIGINT * 1000)`,
    files,
    { from: run.start, to: run.stop! },
  )) as [{ n: bigint }];
  expect(raster.rows.length).toBe(Number(n));

  const spread = await downloadCsv(page, "HV spread");
  const latest = await queryParquet<{ channel: number; value: number }>(
    `SELECT channel, arg_max(value, t) AS value FROM read_parquet($files)
      WHERE observable = 'camera.hv' AND value IS NOT NULL GROUP BY channel ORDER BY channel`,
    files,
  );
  expect(spread.rows.map((r) => [Number(r[2]), Number(r[5])])).toEqual(latest.map((l) => [l.channel, l.value]));
});
