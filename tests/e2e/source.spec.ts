// The editor on a physicist's own PostgreSQL (RUNBOARD_CONFIG), in Chromium: it charts the
// database's readings, keeps the previous run's history on screen when a new run starts, and
// "Re-fetch runs" brings values rewritten in the database to the page.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import pg from "pg";
import { createExperimentTables, experimentSource, freePort } from "../support/postgres.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { downloadCsv, fromTooltip, plotOf } from "./chart-reading.js";
import { expect, test } from "./fixtures.js";

const databaseUrl = process.env.DATABASE_URL;
const schema = `rb_e2e_${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), "runboard-e2e-source-"));
const NOW = Math.floor(Date.now() / 1000) * 1000;
const RUN1_START = NOW - 40 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
let db: pg.Pool;
let server: ServerProcess;

test.describe.configure({ mode: "serial" });
test.skip(!databaseUrl, "needs DATABASE_URL (npm test starts a throwaway PostgreSQL)");

/** Slow-control rows every 30 s: two channels of a temperature. */
async function insertTemperatures(run: number, from: number, to: number) {
  for (let t = from; t <= to; t += 30_000) {
    for (const channel of [0, 1]) {
      await db.query(`INSERT INTO ${schema}.slow VALUES ($1, 'cam-temp', $2, $3, $4)`, [
        run,
        channel,
        iso(t),
        20 + channel + ((t - RUN1_START) / 60_000) * 0.01,
      ]);
    }
  }
}

/**
 * A PMT gain scan (16 channels every 5 min, channel 5's gain fallen to 0.2 at the end), a
 * 32-sample spectrum and an 8 x 8 beam image at the same times.
 */
async function insertScan(run: number, from: number, to: number) {
  for (let t = from; t <= to; t += 5 * 60_000) {
    const last = t + 5 * 60_000 > to;
    for (let channel = 0; channel < 16; channel++) {
      const gain = last && channel === 5 ? 0.2 : 1 + channel / 100 + ((t - from) / 3_600_000) * 0.01;
      await db.query(`INSERT INTO ${schema}.slow VALUES ($1, 'pmt-gain', $2, $3, $4)`, [run, channel, iso(t), gain]);
    }
    const k = (t - from) / 300_000;
    const spectrum = Array.from({ length: 32 }, (_, i) => Math.round(100 * Math.exp(-(((i - 10 - k) / 3) ** 2))) / 10);
    const beam = Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, c) => r * 10 + c + k));
    await db.query(`INSERT INTO ${schema}.shots VALUES ($1, 'spectrum', $2, $3), ($1, 'beam', $2, $4)`, [
      run,
      iso(t),
      spectrum,
      beam,
    ]);
  }
}

test.beforeAll(async () => {
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await createExperimentTables(db, schema);
  await db.query(`INSERT INTO ${schema}.runs VALUES (1, $1, NULL)`, [iso(RUN1_START)]);
  await insertTemperatures(1, RUN1_START, NOW - 5 * 60_000);
  await insertScan(1, RUN1_START, NOW - 5 * 60_000);
  const config = join(dataDir, "runboard.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      source: experimentSource(databaseUrl!, schema),
      observables: {
        cam_temp: { unit: "°C", description: "Camera temperature" },
        pmt_gain: { unit: "", description: "PMT gain", healthy: { min: 0.8, max: 1.2 } },
      },
      snapshot: { select: "last:1d" },
    }),
  );
  server = await startServerProcess(await freePort(), {
    RUNBOARD_CONFIG: config,
    RUNBOARD_DATA_DIR: dataDir,
    RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
    RUNBOARD_REFRESH_SECONDS: "0",
    RUNBOARD_INGEST_TOKEN: "e2e-source-token-0123456789abcdefgh",
  });
});

test.afterAll(async () => {
  server?.proc.kill("SIGTERM");
  await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.end();
  rmSync(dataDir, { recursive: true, force: true });
});

async function addWidget(page: Page, kind: "timeseries" | "stat", title: string, channel: number) {
  await page.getByLabel("Observable").selectOption("cam_temp");
  await page.getByLabel("Chart type").selectOption(kind);
  await page.getByLabel("Widget title").fill(title);
  await page.getByLabel(kind === "stat" ? "Channel" : "Channels", { exact: true }).fill(String(channel));
  await page.getByRole("button", { name: "Add widget" }).click();
}

/** How many points the chart says it drew. */
async function pointsDrawn(page: Page, title: string): Promise<number> {
  const label = await page
    .getByRole("region", { name: title })
    .locator("svg[aria-label*='points drawn']")
    .getAttribute("aria-label");
  return Number(/(\d+) points drawn/.exec(label ?? "")?.[1] ?? 0);
}

test("the editor charts the database's readings; a new run keeps the old one's history; Re-fetch brings rewritten values", async ({
  page,
}) => {
  const base = `http://127.0.0.1:${server.port}`;
  await page.goto(`${base}/pages/dashboard`);
  // The catalog is the database's, not the simulator's.
  await expect(page.getByLabel("Observable").locator("option")).toHaveText([
    /^beam \(2d, from the source\)/,
    /^cam_temp — Camera temperature/,
    /^pmt_gain — PMT gain/,
    /^spectrum \(1d, from the source\)/,
  ]);
  await addWidget(page, "timeseries", "Camera temperature", 0);
  await addWidget(page, "stat", "Channel 1 now", 1);
  // 35 minutes every 30 s: 71 readings of channel 0 in the last hour.
  await expect.poll(() => pointsDrawn(page, "Camera temperature")).toBe(71);
  await expect(page.getByText(/History from the snapshot of postgres .*run 1 is running/)).toBeVisible();
  await expect(page.getByLabel("Channel 1 now value")).toHaveText("21.35");

  // Run 1 stops, run 2 starts and writes three readings; its last value is re-processed in place.
  const run2Start = NOW - 4 * 60_000;
  await db.query(`UPDATE ${schema}.runs SET stopped_at = $1 WHERE run_number = 1`, [iso(NOW - 5 * 60_000)]);
  await db.query(`INSERT INTO ${schema}.runs VALUES (2, $1, NULL)`, [iso(run2Start)]);
  await insertTemperatures(2, run2Start, run2Start + 60_000);
  await db.query(`UPDATE ${schema}.slow SET value = 42.125 WHERE run = 2 AND channel = 1 AND t = $1`, [iso(run2Start + 60_000)]);

  await page.getByLabel("Runs to re-fetch").fill("runs:1-2");
  await page.getByRole("button", { name: "Re-fetch runs" }).click();
  await expect(page.locator(".refetch-progress")).toContainText(/2 run\(s\) rewritten \(1, 2\)/);
  // Following the newest run: run 2 is shown, and run 1's history stays on screen with it.
  await expect(page.getByText(/run 2 is running/)).toBeVisible();
  await expect.poll(() => pointsDrawn(page, "Camera temperature")).toBe(71 + 3);
  await expect(page.getByLabel("Channel 1 now value")).toHaveText("42.125");
});

async function addKind(page: Page, observable: string, kind: string, title: string, fields: Record<string, string> = {}) {
  await page.getByLabel("Observable").selectOption(observable);
  await page.getByLabel("Chart type").selectOption(kind);
  await page.getByLabel("Widget title").fill(title);
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(page.getByRole("region", { name: title })).toBeVisible();
}

test("every widget kind draws the database's scalars, per-channel gains, spectra and images", async ({ page }) => {
  const base = `http://127.0.0.1:${server.port}`;
  await page.goto(`${base}/pages/dashboard`);
  const caption = (title: string) => page.getByRole("region", { name: title }).locator(".widget-caption");
  const { rows: latest } = await db.query<{ channel: number; value: number }>(
    `SELECT DISTINCT ON (channel) channel, value FROM ${schema}.slow WHERE name = 'pmt-gain' ORDER BY channel, t DESC`,
  );
  const outOfRange = latest.filter((r) => r.value < 0.8 || r.value > 1.2).length;
  expect(outOfRange).toBe(1);

  await addKind(page, "pmt_gain", "raster", "Gain raster", { "Highlight channel": "5" });
  await expect(caption("Gain raster")).toContainText(`pmt_gain, 16 channels, ${outOfRange} out of range; channel 5 0.2`);
  await addKind(page, "pmt_gain", "histogram", "Gain spread");
  await expect(caption("Gain spread")).toContainText(`16 channels, ${outOfRange} out of range (1 below, 0 above)`);
  await addKind(page, "pmt_gain", "table", "Gains 4-6", { Channels: "4-6" });
  // One observable's channels: the rows are its channels.
  const cell = page
    .getByRole("region", { name: "Gains 4-6" })
    .getByRole("row", { name: /^ch 5\b/ })
    .locator(".value-cell");
  await expect(cell).toHaveText("0.2");
  await expect(cell).toHaveAttribute("data-health", "below");
  await addKind(page, "pmt_gain", "stat", "Gain 5", { Channel: "5" });
  await expect(page.getByLabel("Gain 5 value")).toHaveText("0.2");
  await addKind(page, "cam_temp", "timeseries", "Both temperatures", { Channels: "0, 1" });
  await expect(page.getByRole("region", { name: "Both temperatures" }).getByText("cam_temp[1]").first()).toBeVisible();

  // Channel 1 against channel 0: every reading pairs with the one of the same time.
  const { rows: pairs } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${schema}.slow WHERE name = 'cam-temp' AND channel = 1 AND t > now() - interval '1 hour'`,
  );
  await page.getByLabel("Observable").selectOption("cam_temp");
  await page.getByLabel("Chart type").selectOption("xy");
  await page.getByRole("combobox", { name: "Against (x axis)", exact: true }).selectOption("cam_temp");
  await page.getByLabel("Widget title").fill("Channel 1 against 0");
  await page.getByLabel("Channels", { exact: true }).fill("1");
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(caption("Channel 1 against 0")).toContainText(`${pairs[0]!.n} points of cam_temp[1] against cam_temp[0]`);

  const { rows: spectra } = await db.query<{ samples: number[] }>(
    `SELECT samples FROM ${schema}.shots WHERE name = 'spectrum' ORDER BY t DESC LIMIT 1`,
  );
  const spectrum = spectra[0]!.samples;
  const peak = spectrum.indexOf(Math.max(...spectrum));
  await addKind(page, "spectrum", "profile", "Spectrum");
  await expect(caption("Spectrum")).toContainText(`peak ${spectrum[peak]} at sample ${peak}`);

  const { rows: images } = await db.query<{ samples: number[][] }>(
    `SELECT samples FROM ${schema}.shots WHERE name = 'beam' ORDER BY t DESC LIMIT 1`,
  );
  await addKind(page, "beam", "image", "Beam");
  const image = page.getByRole("region", { name: "Beam" }).locator("canvas.image-canvas");
  await expect(image).toHaveAttribute("aria-label", /beam 8×8/);
  // The widget may still be settling into its grid cell: measure and hover again until it holds.
  await expect(async () => {
    const box = (await image.boundingBox())!;
    await image.hover({ position: { x: ((4 + 0.5) * box.width) / 8, y: ((3 + 0.5) * box.height) / 8 } });
    await expect(page.getByRole("region", { name: "Beam" }).locator(".image-readout")).toHaveText(
      `row 3, column 4: ${images[0]!.samples[3]![4]}`,
      { timeout: 1000 },
    );
  }).toPass();
});

test("on the database's readings, pointing shows the row PostgreSQL holds, and Download CSV holds the run's rows", async ({
  page,
}) => {
  const base = `http://127.0.0.1:${server.port}`;
  const saved = await page.request.post(`${base}/api/dashboards`, {
    headers: { Authorization: "Bearer e2e-source-token-0123456789abcdefgh" },
    data: {
      schemaVersion: 4,
      title: "Run 1 questioned",
      runSelection: { mode: "run", run: 1 },
      window: { kind: "runs" },
      elements: { temp: { kind: "timeseries", title: "Module 0 temperature", series: [{ observable: "cam_temp", channel: 0 }] } },
      layout: { items: [{ element: "temp", x: 0, y: 0, w: 8, h: 5 }], rows: [], tabs: [] },
    },
  });
  expect(saved.status(), await saved.text()).toBe(201);
  await page.goto(`${base}/d/${((await saved.json()) as { id: string }).id}`);
  const plot = plotOf(page, "Module 0 temperature");
  await expect(plot).toBeVisible();
  const box = (await plot.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const tip = page.getByRole("region", { name: "Module 0 temperature" }).getByRole("tooltip");
  await expect(tip).toContainText("run 1");
  const text = (await tip.textContent())!;
  const row = await db.query<{ value: number }>(
    `SELECT value FROM ${schema}.slow WHERE name = 'cam-temp' AND run = 1 AND channel = 0 AND t = $1`,
    [iso(fromTooltip(text))],
  );
  expect(row.rows, `a row at ${iso(fromTooltip(text))}`).toHaveLength(1);
  expect(text).toContain(`cam_temp[0]: ${Math.round(row.rows[0]!.value * 1000) / 1000} °C`);

  // Every row of run 1's channel 0, as PostgreSQL holds them.
  const csv = await downloadCsv(page, "Module 0 temperature");
  expect(csv.provenance.join("\n")).toMatch(/# observable: cam_temp \(°C\), channels 0/);
  const rows = await db.query<{ t: Date; value: number }>(
    `SELECT t, value FROM ${schema}.slow WHERE name = 'cam-temp' AND run = 1 AND channel = 0 ORDER BY t`,
  );
  expect(csv.rows.map((r) => [Number(r[4]), Number(r[5])])).toEqual(rows.rows.map((r) => [r.t.getTime(), r.value]));
});
