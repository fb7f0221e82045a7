// A physicist's own page: found in the sidebar without editing the config, reading the snapshot
// through the notebook library: the PMT gain scan's verdicts confirmed by a click, widgets and the
// run and time controls as cells, run-to-run comparison, and the beamline's bluesky scans.
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";
import { DEMO_SCANS, type ScanPlan } from "../../server/simulator/beamline.js";
import { E2E_SNAPSHOT_DIR, INGEST_TOKEN, expect, snapshotRuns, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };

test("a notebook under src/pages/ is in the sidebar and proposes the gain scan's verdict run by run", async ({
  page,
  request,
}) => {
  const { runs } = (await (await request.get("/api/runs")).json()) as { runs: { id: number; stop: number | null }[] };
  const run = runs.filter((r) => r.stop !== null).at(-1)!;
  // Pixel 27 (module 3) far outside its healthy HV range near the end of the run.
  const ingest = await request.post("/api/ingest", {
    headers: auth,
    data: { readings: [{ observable: "camera.hv", run: run.id, t: run.stop! - 5000, channel: 27, value: 2500 }] },
  });
  expect(ingest.status()).toBe(200);
  expect(
    (await request.post("/api/snapshots/refresh", { headers: auth, data: { select: `runs:${run.id}-${run.id}` } })).status(),
  ).toBe(200);

  await page.goto("/");
  await page.getByRole("link", { name: "Gain scan check" }).click();
  await expect(page).toHaveURL(/\/pages\/notebooks\/gain-scan\.html$/);
  const row = page.locator(`.scan-table tr[data-run='${run.id}']`);
  await expect(row).toContainText("bad: Out of the healthy range:");
  // The simulator trips a pixel now and then, so pixel 27 may have left its range in this run before.
  const [{ n: outside }] = (await queryParquet<{ n: bigint }>(
    "SELECT count(*) AS n FROM read_parquet($files) WHERE observable = 'camera.hv' AND channel = 27 AND (value < 900 OR value > 1300)",
    snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [run.id]),
  )) as [{ n: bigint }];
  expect(Number(outside)).toBeGreaterThanOrEqual(1);
  const readings = Number(outside) === 1 ? "1 reading" : `${outside} readings`;
  await expect(row).toContainText(`camera.hv[27] left 900–1300 V (${readings})`);
  await row.getByRole("button", { name: `Flag run ${run.id} bad` }).click();
  await expect(row).toContainText("done: bad");
  const flags = (await (await request.get(`/api/runs/${run.id}/flags`)).json()) as { verdict: string };
  expect(flags.verdict).toBe("bad");
  // The running run, as the snapshot the page reads has it, is not judged yet. (Only when the
  // simulator started its next run during this test has the snapshot none: it holds that run
  // from its next full refresh.)
  // The simulator trips a pixel now and then: a running run whose module left its range is
  // proposed bad already; one that did not is not judged.
  const running = (await snapshotRuns(request)).find((r) => r.stop === null);
  if (running) {
    const [{ n: trips }] = (await queryParquet<{ n: bigint }>(
      "SELECT count(*) AS n FROM read_parquet($files) WHERE observable = 'camera.hv' AND channel BETWEEN 24 AND 31 AND (value < 900 OR value > 1300)",
      snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [running.id]),
    )) as [{ n: bigint }];
    await expect(page.locator(`.scan-table tr[data-run='${running.id}']`)).toContainText(
      Number(trips) > 0 ? "bad: Out of the healthy range:" : "still running",
    );
  }
});

test("runboard's widgets work as notebook cells: the camera's night, every pixel and the module temperatures", async ({
  page,
}) => {
  await page.goto("/pages/notebooks/camera-night.html");
  const raster = page.getByRole("region", { name: "HV of every pixel" });
  await expect(raster.locator("canvas.raster-canvas")).toBeVisible();
  await expect(raster.locator(".widget-caption")).toContainText("camera.hv, 1855 channels");
  // The highlighted pixel follows the notebook's own input.
  await page.getByRole("spinbutton", { name: "Highlighted pixel" }).fill("40");
  await page.getByRole("spinbutton", { name: "Highlighted pixel" }).dispatchEvent("input");
  await expect(raster.locator(".widget-caption")).toContainText("channel 40");
  const temperatures = page.getByRole("region", { name: "Module temperatures" });
  await expect(temperatures.locator("[aria-label*='points drawn']")).toBeVisible();
});

test("the run-to-run notebook gives each run's scalar mean as DuckDB in Node finds it, and its last 1D and 2D readings", async ({
  page,
}) => {
  await page.goto("/pages/notebooks/run-comparison.html");
  const table = page.getByRole("table", { name: "Scalars per run" });
  await expect(table.locator("tbody tr").first()).toBeVisible();
  // The run with the most readings in the hour: whole inside it, so its last 1D and 2D readings
  // are too (the oldest run may have only its last seconds in the window, before its last image).
  const rows = await table
    .locator("tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) => ({ run: Number(tr.getAttribute("data-run")), n: Number(tr.querySelectorAll("td")[1]?.textContent) })),
    );
  const run = rows.reduce((a, b) => (b.n > a.n ? b : a)).run;
  const [{ mean, n }] = (await queryParquet<{ mean: number; n: bigint }>(
    "SELECT avg(value) AS mean, count(*) AS n FROM read_parquet($files) WHERE observable = 'trigger.rate'",
    snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [run]),
  )) as [{ mean: number; n: bigint }];
  const row = table.locator(`tbody tr[data-run='${run}']`);
  await expect(row.locator("td").nth(1)).toHaveText(String(n));
  await expect(row.locator("td").nth(3)).toHaveText(Number(mean).toPrecision(5));
  await expect(page.locator("[aria-label^='the last pmt.waveform of']")).toBeVisible();
  await expect(page.locator(`[aria-label='camera.hitmap of run ${run}']`)).toBeVisible();
});

test("the beamline notebook finds the stripe where the demo beamline put it, from bluesky's events, with every point's spectrum", async ({
  page,
}) => {
  const [fine, , aborted] = DEMO_SCANS as [ScanPlan, ScanPlan, ScanPlan];
  // The demo's scans keep their scan ids as run ids (no other run has them).
  const points = (run: number) =>
    queryParquet<{ t: number; value: number }>(
      "SELECT epoch_ms(t) AS t, value FROM read_parquet($files) WHERE observable = $observable ORDER BY t",
      snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [run]),
      { observable: "beamline.det" },
    );
  const fineDet = await points(42);
  const firstX = await queryParquet<{ value: number }>(
    "SELECT value FROM read_parquet($files) WHERE observable = 'beamline.sample_x' ORDER BY t LIMIT 1",
    snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [42]),
  );

  await page.goto("/");
  await page.getByRole("link", { name: "Beamline scan" }).click();
  await expect(page).toHaveURL(/\/pages\/notebooks\/beamline-scan\.html$/);
  const facts = page.getByLabel("Scan facts");
  await expect(facts.locator("[data-facts=points]")).toHaveText(String(fineDet.length));
  // Detector against motor: the half-height edges put the stripe where the simulator did.
  const center = Number.parseFloat((await facts.locator("[data-facts=center]").textContent())!);
  const width = Number.parseFloat((await facts.locator("[data-facts=width]").textContent())!);
  expect(Math.abs(center - fine.stripeCenter)).toBeLessThan(0.01);
  expect(Math.abs(width - fine.stripeWidth)).toBeLessThan(0.02);
  await expect(page.locator(`[aria-label='det/I0 against sample_x: ${fineDet.length} points']`)).toBeVisible();
  await expect(page.locator(`[aria-label='the spectra of ${fineDet.length} points']`)).toBeVisible();

  // The spectrum of the first point, with that point's readings as DuckDB reads them.
  const slider = page.getByRole("spinbutton", { name: "Spectrum at point" });
  await slider.fill("1");
  await slider.dispatchEvent("input");
  // (Plot puts the subtitle in the figure around the chart.)
  await expect(page.locator("figure", { has: page.locator("[aria-label='spectrum at point 1']") })).toContainText(
    `sample_x = ${Number(firstX[0]!.value).toFixed(3)} mm, det = ${Number(fineDet[0]!.value)}`,
  );

  // The repeat was aborted when the beam was lost: it says so, and marks the points without beam.
  await page.getByLabel("Scan", { exact: true }).selectOption({ label: "scan 43 · fine stripe edges, repeat · abort" });
  await expect(facts).toContainText("abort: beam lost");
  await expect(facts.locator("[data-facts=points]")).toHaveText(String((await points(43)).length));
  expect((await points(43)).length).toBe(aborted.abortAfter! + 1);
  await expect(page.getByText("no beam", { exact: true })).toBeVisible();
});

test("a notebook's run and time controls are the dashboards': one whole run shows that run's last values", async ({
  page,
  request,
}) => {
  const { runs } = (await (await request.get("/api/runs")).json()) as { runs: { id: number; stop: number | null }[] };
  const run = runs.filter((r) => r.id >= 1000 && r.stop !== null).at(-1)!;
  const [last] = await queryParquet<{ value: number }>(
    "SELECT value FROM read_parquet($files) WHERE observable = 'camera.temperature' AND channel = 0 ORDER BY t DESC LIMIT 1",
    snapshotFiles(E2E_SNAPSHOT_DIR, "scalar", [run.id]),
  );
  await page.goto("/pages/notebooks/camera-night.html");
  const controls = page.getByRole("group", { name: "Runs and time" });
  await expect(controls.locator(".time-shown")).toContainText("Showing runs");
  await controls.getByRole("combobox", { name: "Window", exact: true }).selectOption("runs");
  await controls.getByRole("combobox", { name: "Runs", exact: true }).selectOption("run");
  await controls.getByRole("spinbutton", { name: "Run" }).fill(String(run.id));
  await controls.getByRole("spinbutton", { name: "Run" }).dispatchEvent("change");
  await expect(controls.locator(".time-shown")).toContainText(`Showing run ${run.id},`);
  await expect(page.getByRole("region", { name: "Module temperatures" }).locator(".widget-caption")).toContainText(
    `camera.temperature[0] ${Number(last!.value)}`,
  );
});

test("the README's example notebook draws one module's seven pixels against time", async ({ page }) => {
  await page.goto("/pages/notebooks/hv-of-one-module.html");
  const plot = page
    .locator("svg")
    .filter({ has: page.locator("g[aria-label='line']") })
    .first();
  await expect(plot).toBeVisible();
  // Module 3 of the demo camera: pixels 21-27, seven lines, on a time axis (not the reading index).
  await expect(plot.locator("g[aria-label='line'] path")).toHaveCount(7);
  await expect(page.getByText("27", { exact: true }).first()).toBeVisible();
  const ticks = await plot.locator("g[aria-label='x-axis tick label'] text").allTextContents();
  // Times ("14:20", "2 PM", "Dec 07"), not reading numbers ("0", "200").
  expect(ticks.join(" ")).toMatch(/:\d{2}|AM|PM|[A-Z][a-z]{2}/);
});
