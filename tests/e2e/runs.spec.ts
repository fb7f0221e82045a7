// The Runs page reads the server's per-run Parquet snapshots with DuckDB-WASM. What it shows is
// checked against the same files read with DuckDB in Node.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, LIST, VARCHAR, listValue } from "@duckdb/node-api";
import type { Page } from "@playwright/test";
import { E2E_SNAPSHOT_DIR as snapshotDir, expect, test } from "./fixtures.js";

interface ManifestRun {
  run: number;
  status: string;
  start: number;
  stop: number | null;
  files: { kind: string; path: string; rows: number }[];
}

async function expected(files: string[], observable: string, channel: number, from: number, to: number) {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::DOUBLE AS n, min(value) AS min, max(value) AS max FROM read_parquet($files)
        WHERE observable = $observable AND channel = $channel AND value IS NOT NULL
          AND t BETWEEN make_timestamp($from::BIGINT * 1000) AND make_timestamp($to::BIGINT * 1000)`,
      { files: listValue(files), observable, channel, from, to },
      { files: LIST(VARCHAR) },
    );
    const row = reader.getRowObjectsJS()[0]!;
    return { n: Number(row.n), min: Number(row.min), max: Number(row.max) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function shown(page: Page) {
  const status = page.getByRole("status").filter({ hasText: "readings" });
  await expect(status).toBeVisible();
  const attr = async (name: string) => Number(await status.locator(`[data-${name}]`).getAttribute(`data-${name}`));
  return { n: await attr("readings"), min: await attr("min"), max: await attr("max") };
}

test("the Runs page draws a chosen run and window from the snapshot, with the right values", async ({ page }) => {
  // The server writes its first snapshot just after it starts.
  await expect.poll(() => existsSync(join(snapshotDir, "manifest.json"))).toBe(true);
  const manifest = JSON.parse(readFileSync(join(snapshotDir, "manifest.json"), "utf8")) as { runs: ManifestRun[] };
  // The fullest finished run (the first may have started before the backfill, the newest may
  // still be running).
  const scalarRows = (r: ManifestRun) => r.files.find((f) => f.kind === "scalar")?.rows ?? 0;
  const run = manifest.runs.filter((r) => r.status === "stopped").sort((a, b) => scalarRows(b) - scalarRows(a))[0]!;
  const file = join(snapshotDir, run.files.find((f) => f.kind === "scalar")!.path);
  // A window may reach into the next run (a reading at a run's stop belongs to the next one).
  const allFiles = manifest.runs.flatMap((r) => r.files.filter((f) => f.kind === "scalar").map((f) => join(snapshotDir, f.path)));
  const observable = "camera.temperature";
  const channel = 7;

  await page.goto(`/pages/runs?select=run:${run.run}&observable=${observable}&channel=${channel}`);
  const whole = await expected([file], observable, channel, run.start, run.stop!);
  expect(whole.n).toBeGreaterThan(10);
  const got = await shown(page);
  expect(got.n).toBe(whole.n);
  expect(got.min).toBeCloseTo(whole.min, 9);
  expect(got.max).toBeCloseTo(whole.max, 9);
  // The chart: Plot labels the svg with our title and its line mark group "line".
  const chart = page.locator(`svg[aria-label="${observable} channel ${channel}"]`);
  await expect(chart).toBeVisible();
  await expect(chart.locator('[aria-label="line"] path')).toHaveCount(1);

  // The second half of the run, typed as an absolute window.
  const from = run.start + (run.stop! - run.start) / 2;
  const window = `window:${new Date(from).toISOString()}/${new Date(run.stop!).toISOString()}`;
  await page.getByLabel("Runs or time").fill(window);
  await page.getByRole("button", { name: "Show" }).click();
  const half = await expected(allFiles, observable, channel, from, run.stop!);
  await expect.poll(async () => (await shown(page)).n).toBe(half.n);
  const gotHalf = await shown(page);
  expect(gotHalf.min).toBeCloseTo(half.min, 9);
  expect(gotHalf.max).toBeCloseTo(half.max, 9);
  // The choice is in the address, so the link reproduces the view.
  expect(new URL(page.url()).searchParams.get("select")).toBe(window);

  // A selection that matches nothing says so instead of drawing an empty chart.
  await page.getByLabel("Runs or time").fill("run:1");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByRole("status").filter({ hasText: "No run in this snapshot matches run:1" })).toBeVisible();
});
