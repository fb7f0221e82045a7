// Dashboards a team lives with, in the browser: run and time controls checked against what
// DuckDB in Node finds in the same snapshot files, a link that carries an unsaved dashboard into
// a fresh browser, restoring an old revision, and flagging a run (proposed by a widget, then
// confirmed) with its band on the time axis.
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";
import { describeRunIds } from "../../src/core/time-window.js";
import type { APIRequestContext, Page } from "@playwright/test";
import { E2E_SNAPSHOT_DIR as snapshotDir, INGEST_TOKEN, expect, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };
const DAY = 86_400_000;

interface Run {
  id: number;
  start: number;
  stop: number | null;
}

async function newestReading(observable: string, runs: number[] | null, window: { from: number; to: number }) {
  const [row] = await queryParquet<{ value: number }>(
    `SELECT value FROM read_parquet($files) WHERE observable = $observable AND channel = 0
        AND epoch_ms(t) BETWEEN $from AND $to ORDER BY t DESC LIMIT 1`,
    snapshotFiles(snapshotDir, "scalar", runs),
    { observable, from: window.from, to: window.to },
  );
  return Number(row!.value);
}

/** As the stat widget writes a value. */
const shown = (v: number) => String(Math.round(v * 1000) / 1000);

async function stoppedRuns(request: APIRequestContext): Promise<Run[]> {
  const { runs } = (await (await request.get("/api/runs")).json()) as { runs: Run[] };
  return runs.filter((r) => r.stop !== null).sort((a, b) => a.id - b.id);
}

async function saveDashboard(request: APIRequestContext, doc: Record<string, unknown>): Promise<string> {
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: { schemaVersion: 3, layout: { items: [] }, elements: {}, ...doc },
  });
  expect(saved.status()).toBe(201);
  return ((await saved.json()) as { id: string }).id;
}

const stat = (title: string, observable: string) => ({ kind: "stat", title, series: [{ observable, channel: 0 }] });

async function timeBar(page: Page) {
  return {
    runs: page.getByRole("combobox", { name: "Runs", exact: true }),
    window: page.getByRole("combobox", { name: "Window", exact: true }),
    refresh: page.getByRole("combobox", { name: "Refresh", exact: true }),
    shown: page.locator(".time-shown"),
  };
}

test("a range of runs and an observing night picked in the UI show what DuckDB in Node finds", async ({ page, request }) => {
  const stopped = await stoppedRuns(request);
  expect(stopped.length).toBeGreaterThan(0);
  const [first, last] = [stopped[0]!, stopped.at(-1)!];
  // A reading only this test writes, at the end of the last stopped run, then a fresh snapshot.
  const ingest = await request.post("/api/ingest", {
    headers: auth,
    data: { readings: [{ observable: "camera.humidity", run: last.id, t: last.stop! - 1, value: 42.125 }] },
  });
  expect(ingest.status()).toBe(200);
  expect(
    (await request.post("/api/snapshots/refresh", { headers: auth, data: { select: `runs:${first.id}-${last.id}` } })).status(),
  ).toBe(200);
  const id = await saveDashboard(request, {
    title: "Humidity review",
    elements: { h: stat("Humidity", "camera.humidity") },
    layout: { items: [{ element: "h", x: 0, y: 0, w: 4, h: 3 }] },
  });

  await page.goto(`/d/${id}`);
  const bar = await timeBar(page);
  await bar.runs.selectOption("range");
  await page.getByLabel("First run").fill(String(first.id));
  await page.getByLabel("First run").dispatchEvent("change");
  await page.getByLabel("Last run").fill(String(last.id));
  await page.getByLabel("Last run").dispatchEvent("change");
  await bar.window.selectOption("runs");
  // Every stopped run lies in the range (the demo's scans, 41–43, and the camera's runs after them).
  await expect(bar.shown).toContainText(`Showing ${describeRunIds(stopped.map((r) => r.id))}`);
  // The address says what is on screen, so a link shows the same.
  await expect(page).toHaveURL(new RegExp(`/d/${id}\\?run=${first.id}-${last.id}&window=runs$`));
  const inRange = await newestReading(
    "camera.humidity",
    stopped.map((r) => r.id),
    { from: first.start, to: last.stop! },
  );
  expect(inRange).toBe(42.125);
  await expect(page.getByLabel("Humidity value")).toHaveText(shown(inRange));

  // The night after tonight has no data yet: the page falls back to tonight and says so.
  const now = Date.now();
  const noon = Math.floor(now / DAY) * DAY + DAY / 2;
  const tonight = now >= noon ? noon : noon - DAY;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  await bar.refresh.selectOption("-1");
  await bar.window.selectOption("night");
  await page.getByLabel(/Night starting on/).fill(day(tonight + DAY));
  await page.getByLabel(/Night starting on/).dispatchEvent("change");
  await expect(bar.shown).toContainText(`no data in the night of ${day(tonight + DAY)}; showing the night of ${day(tonight)}`);
  await expect(page.getByLabel("Live connection")).toContainText("frozen");
  const inNight = await newestReading("camera.humidity", null, { from: tonight, to: tonight + DAY });
  await expect(page.getByLabel("Humidity value")).toHaveText(shown(inNight));
  // The picker for runs does not apply to a night: it shows the runs in it.
  await expect(bar.runs).toBeDisabled();
});

test("a copied link carries an unsaved dashboard to a fresh browser, where Save makes it one's own", async ({
  page,
  browser,
}) => {
  await page.goto("/pages/dashboard");
  await page.getByLabel("Observable").selectOption("camera.humidity");
  await page.getByLabel("Chart type").selectOption("stat");
  await page.getByLabel("Widget title").fill("Humidity from a link");
  await page.getByRole("button", { name: "Add widget" }).click();
  await page.getByLabel("Dashboard title").fill("Sent before saving");
  const bar = await timeBar(page);
  await bar.window.selectOption("6h");
  await page.getByRole("button", { name: "Copy link" }).click();
  const link = await page.getByLabel("Link to what is on screen").inputValue();
  expect(link).toMatch(/\/pages\/dashboard\?window=6h#dashboard=v1\.[A-Za-z0-9_-]+$/);

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(link);
  await expect(other.getByRole("region", { name: "Humidity from a link" })).toBeVisible();
  await expect(other.getByText("Opened from a link: this dashboard is not saved")).toBeVisible();
  await expect(other.getByLabel("Dashboard title")).toHaveValue("Sent before saving");
  await expect((await timeBar(other)).window).toHaveValue("6h");
  await expect(other.getByRole("status").first()).toHaveText("Unsaved changes");
  await other.getByRole("button", { name: "Save dashboard" }).click();
  await expect(other.getByRole("status").first()).toHaveText("Saved revision 1");
  // The link's document carried the sender's window as its default: saved with it.
  await expect(other).toHaveURL(/\/d\/[A-Za-z0-9_-]+\?edit$/);
  const id = new URL(other.url()).pathname.split("/").at(-1)!;
  const saved = (await (await other.request.get(`/api/dashboards/${id}`)).json()) as { dashboard: { window: unknown } };
  expect(saved.dashboard.window).toEqual({ kind: "relative", seconds: 6 * 3600 });
  await fresh.close();
});

test("an old revision is restored from the history, as a new revision", async ({ page, request }) => {
  const id = await saveDashboard(request, {
    title: "Before the change",
    elements: { h: stat("Humidity", "camera.humidity") },
    layout: { items: [{ element: "h", x: 0, y: 0, w: 4, h: 3 }] },
  });
  const changed = await request.put(`/api/dashboards/${id}?message=${encodeURIComponent("rate instead of humidity")}`, {
    headers: auth,
    data: {
      schemaVersion: 3,
      title: "After the change",
      elements: { r: stat("Rate", "trigger.rate") },
      layout: { items: [{ element: "r", x: 0, y: 0, w: 4, h: 3 }] },
    },
  });
  expect(changed.status()).toBe(200);
  await page.goto(`/d/${id}?edit`);
  await expect(page.getByRole("region", { name: "Rate" })).toBeVisible();
  await page.getByText("History", { exact: true }).click();
  const entry = page.locator(".history-list li[data-revision='2']");
  await expect(entry).toContainText("rate instead of humidity");
  await expect(entry).toContainText('removed "Humidity" (stat)');
  await page.getByRole("button", { name: "Restore revision 1" }).click();
  await expect(page.getByRole("heading", { name: "Before the change" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Humidity" })).toBeVisible();
  const history = (await (await request.get(`/api/dashboards/${id}/history`)).json()) as { revisions: { message: string }[] };
  expect(history.revisions.map((r) => r.message)).toEqual(["", "rate instead of humidity", "restored revision 1"]);
});

test("a widget proposes a flag for a run out of range; confirmed, its band shows on the time axis", async ({ page, request }) => {
  const stopped = await stoppedRuns(request);
  const run = stopped.at(-1)!;
  // Trigger rates far above the healthy 100-2000 Hz in the middle of the run: a bad stretch.
  const middle = Math.round((run.start + run.stop!) / 2);
  const readings = [0, 1, 2].map((i) => ({ observable: "trigger.rate", run: run.id, t: middle + i * 1000, value: 9000 + i }));
  expect((await request.post("/api/ingest", { headers: auth, data: { readings } })).status()).toBe(200);
  expect(
    (await request.post("/api/snapshots/refresh", { headers: auth, data: { select: `runs:${run.id}-${run.id}` } })).status(),
  ).toBe(200);
  const id = await saveDashboard(request, {
    title: "Trigger check",
    runSelection: { mode: "run", run: run.id },
    window: { kind: "runs" },
    elements: { t: { kind: "timeseries", title: "Trigger rate", series: [{ observable: "trigger.rate", channel: 0 }] } },
    layout: { items: [{ element: "t", x: 0, y: 0, w: 8, h: 4 }] },
  });
  await page.goto(`/d/${id}`);
  const chart = page.getByRole("region", { name: "Trigger rate" });
  await expect(chart.locator("svg[aria-label*='points drawn']")).toBeVisible();
  await expect(chart.locator("g.flag-bands")).toHaveCount(0);
  // The panel's summary says a proposal waits; opened, it says what and offers to flag.
  await expect(page.locator(".run-flags summary")).toContainText("1 proposed (1 out of range)");
  await page.locator(".run-flags summary").click();
  const proposal = page.locator(`.proposal[data-run='${run.id}']`);
  await expect(proposal).toContainText("trigger.rate left 100–2000 Hz");
  await proposal.getByRole("button", { name: `Flag run ${run.id} bad` }).click();
  await expect(page.getByRole("status").first()).toHaveText(`Run ${run.id} flagged bad.`);
  await expect(chart.locator("g.flag-bands rect")).toHaveCount(1);
  const flags = (await (await request.get(`/api/runs/${run.id}/flags`)).json()) as {
    verdict: string;
    flags: { from: number; to: number; proposedBy: string }[];
  };
  expect(flags.verdict).toBe("bad");
  // The proposed span covers the stretch out of range (the simulator's own spikes may widen it).
  expect(flags.flags.at(-1)!.from).toBeLessThanOrEqual(middle);
  expect(flags.flags.at(-1)!.to).toBeGreaterThanOrEqual(middle + 2000);

  // Withdrawn, the band goes; the flag stays in the run's history, struck through.
  page.once("dialog", (dialog) => void dialog.accept("those were test pulses"));
  await page.getByRole("button", { name: `Withdraw the bad flag on run ${run.id}` }).click();
  await expect(chart.locator("g.flag-bands")).toHaveCount(0);
  await expect(page.locator(`.run-flag-run[data-run='${run.id}'] li.withdrawn`)).toContainText("those were test pulses");

  // The runs list shows and filters by the verdicts.
  await page.goto("/pages/runs");
  await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "runs not yet reviewed" });
  await expect(page.locator(`.runs-table tr[data-run='${run.id}']`)).toContainText("unreviewed");
  await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "runs flagged bad" });
  await expect(page.locator(`.runs-table tr[data-run='${run.id}']`)).toHaveCount(0);
});
