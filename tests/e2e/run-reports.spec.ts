// A static build on a physicist's own PostgreSQL (RUNBOARD_CONFIG), with no runboard server:
// the data loaders in src/data/ write one report page per run, and a plain static file server
// serves the built folder. Each report's numbers must be PostgreSQL's own over the same rows.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createExperimentTables, experimentSource } from "../support/postgres.js";
import { serveStatic } from "../support/static-server.js";
import { expect, test } from "./fixtures.js";

const databaseUrl = process.env.DATABASE_URL;
const schema = `rb_reports_${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), "runboard-reports-"));
const outDir = join(dataDir, "site");
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const RUNS = [
  { id: 7, start: NOW - 3 * 3_600_000, stop: NOW - 2 * 3_600_000 },
  { id: 8, start: NOW - 90 * 60_000, stop: null },
];
const iso = (ms: number) => new Date(ms).toISOString();
let db: pg.Pool;
let site: Awaited<ReturnType<typeof serveStatic>>;

test.describe.configure({ mode: "serial" });
test.skip(!databaseUrl, "needs DATABASE_URL (npm test starts a throwaway PostgreSQL)");

/** Per run: a 3-channel temperature and a pressure every 20 s, a spectrum and a 4x4 image every 10 min. */
async function fill(): Promise<void> {
  for (const run of RUNS) {
    await db.query(`INSERT INTO ${schema}.runs VALUES ($1, $2, $3)`, [run.id, iso(run.start), run.stop && iso(run.stop)]);
    const end = run.stop ?? NOW - 60_000;
    const rows: unknown[][] = [];
    for (let t = run.start; t <= end; t += 20_000) {
      for (const channel of [0, 1, 2])
        rows.push([run.id, "hall_temp", channel, iso(t), 20 + channel + Math.sin(t / 7e5) + run.id / 10]);
      rows.push([run.id, "hall_pressure", 0, iso(t), 1013 + Math.cos(t / 3e5) * 2]);
    }
    for (const r of rows) await db.query(`INSERT INTO ${schema}.slow VALUES ($1, $2, $3, $4, $5)`, r);
    for (let t = run.start; t <= end; t += 600_000) {
      const spectrum = Array.from({ length: 16 }, (_, i) => i * run.id + t / 1e12);
      const image = Array.from({ length: 4 }, (_, r) => Array.from({ length: 4 }, (_, c) => r * 4 + c + run.id));
      await db.query(`INSERT INTO ${schema}.shots VALUES ($1, 'spectrum', $2, $3), ($1, 'image', $2, $4)`, [
        run.id,
        iso(t),
        spectrum,
        image,
      ]);
    }
  }
}

/** The build as `npm run build` does it, into its own folder, with the loaders on this config. */
function build(config: string): void {
  const env = { ...process.env, RUNBOARD_CONFIG: config, RUNBOARD_DATA_DIR: dataDir, RUNBOARD_BUILD_OUT: outDir };
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, stdio: "pipe", timeout: 240_000 });
  run("npx", ["tsx", "scripts/seed-framework-cache.ts"]);
  run("node", ["bin/runboard.js", "snapshot", "--quiet"]);
  run("npx", ["observable", "build"]);
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await createExperimentTables(db, schema);
  await fill();
  const config = join(dataDir, "runboard.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      source: experimentSource(databaseUrl!, schema),
      snapshot: { select: "last:1d" },
    }),
  );
  build(config);
  site = await serveStatic(outDir);
});

test.afterAll(async () => {
  await site?.close();
  await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.end();
  rmSync(dataDir, { recursive: true, force: true });
});

/** As the report page shows a number. */
const shown = (v: number) =>
  Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : String(+v.toPrecision(6));

test("every run of the source has a report page whose numbers are PostgreSQL's own, with no server", async ({ page }) => {
  for (const run of RUNS) {
    await page.goto(`${site.url}/runs/${run.id}.html`);
    await expect(page.getByRole("heading", { name: `Run ${run.id}`, level: 1 })).toBeVisible();
    const { rows } = await db.query<{ name: string; channels: number; n: number; min: number; mean: number; max: number }>(
      `SELECT name, count(DISTINCT channel)::int AS channels, count(*)::int AS n, min(value) AS min, avg(value) AS mean, max(value) AS max
         FROM ${schema}.slow WHERE run = $1 GROUP BY name ORDER BY name`,
      [run.id],
    );
    for (const r of rows) {
      const { rows: lasts } = await db.query<{ value: number }>(
        `SELECT value FROM ${schema}.slow WHERE run = $1 AND name = $2 ORDER BY t DESC, channel LIMIT 1`,
        [run.id, r.name],
      );
      const cells = page.getByRole("row", { name: new RegExp(`^${r.name}\\b`) }).getByRole("cell");
      // Inputs.table's first cell is its (unused) row selector's.
      await expect(cells).toHaveText([
        "",
        r.name,
        String(r.channels),
        r.n.toLocaleString("en-US"),
        shown(r.min),
        shown(r.mean),
        shown(r.max),
        shown(lasts[0]!.value),
      ]);
    }
    await expect(page.getByRole("figure", { name: `hall_temp over run ${run.id}` })).toBeVisible();
    await expect(page.getByRole("figure", { name: `the last spectrum of run ${run.id}` })).toBeVisible();
    await expect(page.getByRole("figure", { name: `the last image of run ${run.id}` })).toBeVisible();
    await expect(page.getByLabel("Flags")).toHaveText("No flags on this run.");
    await expect(page.getByLabel("Provenance")).toContainText(`"run" IN (${run.id})`);
  }
});

test("the overview of the static build links every run's report", async ({ page }) => {
  await page.goto(`${site.url}/`);
  const reports = page.getByLabel("Run reports");
  for (const run of RUNS) await expect(reports.getByRole("link", { name: `run ${run.id}` })).toBeVisible();
  await reports.getByRole("link", { name: `run ${RUNS[0]!.id}` }).click();
  await expect(page.getByRole("heading", { name: `Run ${RUNS[0]!.id}`, level: 1 })).toBeVisible();
});

test("the how-to's own loader queries the configured PostgreSQL into Parquet that its notebook reads", async ({ page }) => {
  const { rows } = await db.query<{ run: number; name: string; n: number; mean: number }>(
    `SELECT run, name, count(*)::int AS n, avg(value) AS mean FROM ${schema}.slow GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  await page.goto(`${site.url}/pages/notebooks/your-own-loader.html`);
  const table = page.getByRole("table");
  for (const r of rows) {
    const cells = table.getByRole("row", { name: new RegExp(`^${r.run} ${r.name}\\b`) }).getByRole("cell");
    await expect(cells).toHaveText(["", String(r.run), r.name, r.n.toLocaleString("en-US"), String(+r.mean.toPrecision(6))]);
  }
  await expect(table.getByRole("row")).toHaveCount(rows.length + 1);
});
