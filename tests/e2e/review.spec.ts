// A published review on a plain static file server (node:http serving files, not runboard), under
// a sub-path: the front page, a dashboard and a chosen notebook drawn from the review's own files
// with the values DuckDB in Node reads from them, only the chosen pages, and not one request
// outside the review's folder (so none to /api or /ws).
import { queryParquet, snapshotFiles } from "../support/parquet-files.js";
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { E2E_DATA_DIR, INGEST_TOKEN, expect, test } from "./fixtures.js";

const SUB_PATH = "/reviews/2026-12/";
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/** The simplest static server: a file for a path under SUB_PATH, index.html for a folder, else 404. */
function staticServer(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (!path.startsWith(SUB_PATH)) return void res.writeHead(404).end();
    let file = normalize(join(root, path.slice(SUB_PATH.length)));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}${SUB_PATH}` }),
    ),
  );
}

test("a published review opens from a plain static server under a sub-path, with the data of its own files", async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  const { runs } = (await (await request.get("/api/runs")).json()) as { runs: { id: number; stop: number | null }[] };
  // Every run, the one the simulator is still feeding included: it is published as it was.
  const ids = runs.map((r) => r.id).sort((a, b) => a - b);
  const [first, last] = [ids[0]!, ids.at(-1)!];
  expect(runs.find((r) => r.id === last)?.stop).toBeNull();
  const saved = await request.post("/api/dashboards", {
    headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
    data: {
      schemaVersion: 3,
      title: "Humidity for the review",
      // The newest run's last six hours: in a review, up to when its data was taken, however much
      // later it is opened (a run still going then has no stop to end the window).
      runSelection: { mode: "latest" },
      window: { kind: "relative", seconds: 6 * 3600 },
      elements: {
        h: { kind: "stat", title: "Humidity", series: [{ observable: "camera.humidity", channel: 0 }] },
        r: { kind: "timeseries", title: "Trigger rate", series: [{ observable: "trigger.rate", channel: 0 }] },
      },
      layout: {
        items: [
          { element: "h", x: 0, y: 0, w: 4, h: 3 },
          { element: "r", x: 4, y: 0, w: 8, h: 4 },
        ],
      },
    },
  });
  expect(saved.status()).toBe(201);
  // A flag on the whole of the oldest run: its band must be in the review too (its flags.json holds it).
  const { csrf } = (await (await request.get("/api/session")).json()) as { csrf?: string };
  const note = `review: HV trip, ${Date.now()}`;
  const flagged = await request.post(`/api/runs/${first}/flags`, {
    headers: csrf ? { "X-Runboard-CSRF": csrf } : {},
    data: { verdict: "bad", note },
  });
  expect(flagged.status()).toBe(201);
  const id = ((await saved.json()) as { id: string }).id;

  const out = mkdtempSync(join(tmpdir(), "runboard-review-"));
  const published = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "bin/runboard.js",
      "publish",
      "--runs",
      `runs:${first}-${last}`,
      "--out",
      out,
      "--dashboard",
      id,
      "--page",
      "src/pages/notebooks/beamline-scan.md",
      "--title",
      "December review",
    ],
    {
      env: { ...process.env, RUNBOARD_DATA_DIR: E2E_DATA_DIR, RUNBOARD_INGEST_TOKEN: INGEST_TOKEN },
      encoding: "utf8",
      timeout: 90_000,
    },
  );
  expect(published.status, published.stderr).toBe(0);
  const { server, url } = await staticServer(out);
  try {
    const outside: string[] = [];
    page.on("request", (r) => {
      const u = new URL(r.url());
      if ((u.protocol === "http:" || u.protocol === "ws:") && !u.pathname.startsWith(SUB_PATH)) outside.push(r.url());
    });
    // A reviewer opens it a week after it was published.
    await page.clock.setFixedTime(Date.now() + 7 * 86_400_000);
    await page.goto(url);
    await expect(page.locator(".stamp")).toContainText(/Published \d{4}-\d{2}-\d{2} from .*; runs? .*; not live/);
    await page.getByRole("link", { name: "Humidity for the review" }).click();
    await expect(page.getByText("A published review: the data as it was when it was published")).toBeVisible();

    // The newest humidity of the chosen runs, as DuckDB in Node reads it from the review's files.
    const reviewed = join(out, "snapshots");
    const [{ value: newest }] = (await queryParquet<{ value: number }>(
      "SELECT value FROM read_parquet($files) WHERE observable = 'camera.humidity' AND channel = 0 ORDER BY t DESC LIMIT 1",
      snapshotFiles(reviewed, "scalar"),
    )) as [{ value: number }];
    await expect(page.getByLabel("Humidity value")).toHaveText(String(Math.round(Number(newest) * 1000) / 1000));
    await expect(page.getByLabel("Live connection")).not.toContainText("live");
    await expect(page.getByRole("region", { name: "Trigger rate" }).locator("g.flag-bands rect", { hasText: note })).toHaveCount(
      1,
    );
    // The Runs page of the review, reached by the sidebar's own link, lists only its runs.
    await page.getByRole("link", { name: "Runs", exact: true }).first().click();
    await expect(page).toHaveURL(`${url}pages/runs.html`);
    const runsInReview = (JSON.parse(readFileSync(join(reviewed, "manifest.json"), "utf8")) as { runs: unknown[] }).runs.length;
    await expect(page.locator(".runs-table tbody tr")).toHaveCount(runsInReview);
    // Frozen: the running run ends where the review's data was taken, not a week later when read.
    const shownTo = /to (\S+Z)/.exec((await page.locator(".snapshot-summary").textContent()) ?? "")?.[1];
    expect(Date.parse(shownTo ?? ""), `the window's end: ${shownTo}`).toBeLessThanOrEqual(Date.now());

    // The overview, reached from the front page, draws the review's own snapshot.
    await page.goto(url);
    await page.getByRole("link", { name: "Overview", exact: true }).click();
    await expect(page).toHaveURL(`${url}overview.html`);
    await expect(page.getByRole("note")).toContainText(`(${runsInReview} run(s))`);
    await expect(page.getByRole("heading", { name: "trigger.rate over the newest runs" })).toBeVisible();
    await expect(page.locator("svg path[stroke]").first()).toBeVisible();

    // The chosen notebook draws from the review's files; the pages not chosen are not there at all.
    await page.goto(url);
    await page.getByRole("link", { name: "Beamline scan" }).click();
    await expect(page).toHaveURL(`${url}pages/notebooks/beamline-scan.html`);
    const [{ n: fineScanPoints }] = (await queryParquet<{ n: bigint }>(
      "SELECT count(*) AS n FROM read_parquet($files) WHERE observable = 'beamline.det'",
      snapshotFiles(reviewed, "scalar", [42]),
    )) as [{ n: bigint }];
    await expect(page.getByLabel("Scan facts").locator("[data-facts=points]")).toHaveText(String(fineScanPoints));
    const sidebar = page.locator("#observablehq-sidebar");
    await expect(sidebar.getByRole("link", { name: "Runs", exact: true })).toBeVisible();
    for (const left of ["Admin", "Dashboards", "Dashboard editor", "Gain scan check", "Run to run"])
      await expect(sidebar.getByRole("link", { name: left, exact: true })).toHaveCount(0);
    for (const file of ["pages/admin.html", "pages/dashboards.html", "pages/notebooks/gain-scan.html"])
      expect(existsSync(join(out, file)), file).toBe(false);
    expect(outside, "requests outside the review's folder").toEqual([]);
  } finally {
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
});
