// A physicist's own page: found in the sidebar without editing the config, reading the snapshot
// through the notebook library, and proposing the PMT gain scan's verdicts, confirmed by a click.
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";
import { E2E_SNAPSHOT_DIR, INGEST_TOKEN, expect, test } from "./fixtures.js";

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
  await expect(row).toContainText("camera.hv[27] left 900–1300 V (1 reading)");
  await row.getByRole("button", { name: `Flag run ${run.id} bad` }).click();
  await expect(row).toContainText("done: bad");
  const flags = (await (await request.get(`/api/runs/${run.id}/flags`)).json()) as { verdict: string };
  expect(flags.verdict).toBe("bad");
  // The running run is not judged yet.
  const running = runs.find((r) => r.stop === null)!;
  await expect(page.locator(`.scan-table tr[data-run='${running.id}']`)).toContainText("still running");
});

test("runboard's widgets work as notebook cells: the camera's night, every pixel and the module temperatures", async ({
  page,
}) => {
  await page.goto("/pages/notebooks/camera-night.html");
  const raster = page.getByRole("region", { name: "HV of every pixel" });
  await expect(raster.locator("canvas")).toBeVisible();
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
  const run = Number(await table.locator("tbody tr").first().getAttribute("data-run"));
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
