// A physicist's own PostgreSQL behind a running server (RUNBOARD_CONFIG): a runs table, a wide
// analysis table (scalars, float8[] waveforms, float8[][] images, NULL and NaN, a column added
// later) and a long slow-control table. The catalog and runs come from it, values rewritten in
// place reach the snapshots after a refresh, and a new column appears without a restart.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import { longTableMapping } from "../support/postgres.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the integration tests through npm test");

const TOKEN = "configured-source-token-0123456789";
const schema = `rb_cfg_${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), "runboard-configured-"));
const snapshotDir = join(dataDir, "snapshots");
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const T0 = Date.parse("2026-11-20T20:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
let server: RunningServer;
const serverLog: string[] = [];

const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
const post = (path: string, body: unknown, token: string | null = TOKEN) =>
  api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

interface ManifestLike {
  liveSeq: number | null;
  runs: { run: number; status: string; files: { kind: string; path: string }[] }[];
}

/** What the snapshot holds for one observable of one run, read back with DuckDB in Node. */
async function snapshotValues(run: number, observable: string, kind: "scalar" | "array" = "scalar") {
  const manifest = (await (await api("/snapshots/manifest.json")).json()) as ManifestLike;
  const file = manifest.runs.find((r) => r.run === run)?.files.find((f) => f.kind === kind);
  if (!file) return [];
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const column = kind === "scalar" ? "value" : "coalesce(to_json(value_1d), to_json(value_2d))::VARCHAR";
    const reader = await conn.runAndReadAll(
      `SELECT ${column} AS v FROM read_parquet('${join(snapshotDir, file.path).replaceAll("'", "''")}')
        WHERE observable = $observable ORDER BY channel, t`,
      { observable },
    );
    return reader.getRowObjectsJS().map((r) => (kind === "scalar" ? r.v : JSON.parse(String(r.v))));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe("a configured PostgreSQL source behind the server", () => {
  before(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await db.query(`
      CREATE TABLE ${schema}.runs (run_number int PRIMARY KEY, started_at timestamptz NOT NULL,
                                   stopped_at timestamptz, state text, operator text);
      CREATE TABLE ${schema}.analysis (run int REFERENCES ${schema}.runs, "HV Mean" float8, trig_rate float8,
                                       waveform float8[], image float8[][]);
      COMMENT ON COLUMN ${schema}.analysis."HV Mean" IS 'Mean high voltage over the run';
      CREATE TABLE ${schema}.slow (run int, name text, channel int, t timestamptz, value float8);
      CREATE INDEX ON ${schema}.slow (run);`);
    for (const run of [1, 2, 3]) {
      const start = T0 + (run - 1) * 3600_000;
      await db.query(`INSERT INTO ${schema}.runs VALUES ($1, $2, $3, $4, 'alice')`, [
        run,
        iso(start),
        run === 3 ? null : iso(start + 3000_000),
        run === 3 ? "running" : "done",
      ]);
      await db.query(`INSERT INTO ${schema}.analysis VALUES ($1, $2, $3, $4, $5)`, [
        run,
        run === 1 ? null : 1000 + run + 0.5,
        run === 2 ? Number.NaN : 600 + run,
        // Run 1's waveform was taken with 6 samples, the others with 8.
        Array.from({ length: run === 1 ? 6 : 8 }, (_, i) => run * 10 + i),
        [
          [run, run + 1],
          [run + 2, run + 3],
        ],
      ]);
      // Two spellings of one quantity: the naming rule would make both mcp_gain.
      await db.query(`INSERT INTO ${schema}.slow VALUES ($1, 'mcp-gain', 0, $2, 1.5), ($1, 'mcp_gain', 0, $2, 2.5)`, [
        run,
        iso(start + 1000),
      ]);
      for (let i = 0; i < 60; i++) {
        for (const channel of [0, 1]) {
          await db.query(`INSERT INTO ${schema}.slow VALUES ($1, 'cam-temp', $2, $3, $4)`, [
            run,
            channel,
            iso(start + i * 60_000),
            20 + channel + i / 100,
          ]);
        }
      }
    }
    const configFile = join(dataDir, "runboard.config.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        source: {
          kind: "postgres",
          url: databaseUrl,
          runs: { schema, table: "runs", id: "run_number", start: "started_at", stop: "stopped_at", status: "state" },
          tables: [
            { layout: "wide", schema, table: "analysis", run: "run", prefix: "ana.", exclude: ["comments"] },
            longTableMapping(schema, "slow"),
          ],
        },
        observables: { "ana.HV_Mean": { unit: "V" }, "ana.hv_mean": { unit: "V" } },
        snapshot: { out: snapshotDir, select: "runs:1-100", lodSeconds: [] },
      }),
    );
    const config = loadConfig({
      PORT: "0",
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_CONFIG: configFile,
      RUNBOARD_REFRESH_SECONDS: "0",
    });
    assert.equal(config.simulator.enabled, false, "the simulator stays off when a source is configured");
    server = await startServer(config, (line) => serverLog.push(line));
  });

  after(async () => {
    await server?.close();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists the database's observables and runs, each observable with its origin, and nothing simulated", async () => {
    const { observables, conflicts, problems } = (await (await api("/api/catalog")).json()) as {
      observables: {
        name: string;
        origin: string;
        shape: string;
        dims: number[];
        channels: number;
        unit: string;
        description: string;
        dimsVary?: boolean;
      }[];
      conflicts: unknown[];
      problems: { field: string; message: string }[];
    };
    assert.deepEqual(conflicts, []);
    // Nothing is merged or invented: the colliding names are left out, naming each other; config
    // entries that name nothing are reported with their field.
    assert.deepEqual(problems, [
      { field: "source.tables[0].exclude[0]", message: `${schema}.analysis has no column comments` },
      {
        field: "source.tables[1].observable",
        message: `${schema}.slow: the names "mcp-gain" and "mcp_gain" both become the observable mcp_gain; both are left out: rename one in the source, or exclude one`,
      },
      {
        field: "observables.ana.hv_mean",
        message: "the config describes ana.hv_mean, but no source has an observable of that name",
      },
    ]);
    const byName = new Map(observables.map((o) => [o.name, o]));
    assert.deepEqual([...byName.keys()].sort(), ["ana.HV_Mean", "ana.image", "ana.trig_rate", "ana.waveform", "cam_temp"]);
    assert.ok(observables.every((o) => o.origin === "source"));
    // The override's unit joins the column's comment, which stays the description.
    assert.deepEqual(
      { unit: byName.get("ana.HV_Mean")!.unit, description: byName.get("ana.HV_Mean")!.description },
      { unit: "V", description: "Mean high voltage over the run" },
    );
    // Its rows differ in shape: the catalog says so, and gives the shape most rows have.
    const waveform = byName.get("ana.waveform")!;
    assert.deepEqual([waveform.shape, waveform.dims, waveform.dimsVary], ["1d", [8], true]);
    assert.match(waveform.description, /shape varies: 8, 6/);
    assert.deepEqual([byName.get("ana.image")!.shape, byName.get("ana.image")!.dims], ["2d", [2, 2]]);
    assert.equal(byName.get("cam_temp")!.channels, 2);

    const { runs } = (await (await api("/api/runs")).json()) as {
      runs: { id: number; status: string; meta: Record<string, unknown> }[];
    };
    assert.deepEqual(
      runs.map((r) => [r.id, r.status, r.meta.operator]),
      [
        [1, "stopped", "alice"],
        [2, "stopped", "alice"],
        [3, "running", "alice"],
      ],
    );
  });

  it("snapshots every run, arrays included; a NULL cell is no reading, a NaN is kept as NULL", async () => {
    const refreshed = await post("/api/snapshots/refresh", {});
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    const manifest = (await (await api("/snapshots/manifest.json")).json()) as ManifestLike;
    assert.deepEqual(
      manifest.runs.map((r) => [r.run, r.status]),
      [
        [1, "stopped"],
        [2, "stopped"],
        [3, "running"],
      ],
    );
    assert.deepEqual(await snapshotValues(2, "ana.HV_Mean"), [1002.5]);
    assert.deepEqual(await snapshotValues(1, "ana.HV_Mean"), []);
    assert.deepEqual(await snapshotValues(2, "ana.trig_rate"), [null]);
    assert.deepEqual(await snapshotValues(3, "ana.waveform", "array"), [[30, 31, 32, 33, 34, 35, 36, 37]]);
    assert.deepEqual(await snapshotValues(3, "ana.image", "array"), [
      [
        [3, 4],
        [5, 6],
      ],
    ]);
    assert.equal((await snapshotValues(1, "cam_temp")).length, 120);
    // The manifest's query names the columns it read, the wide table's observable columns included.
    const { runs } = (await (await api("/snapshots/manifest.json")).json()) as { runs: { run: number; query: string }[] };
    assert.match(runs.find((r) => r.run === 2)!.query, /"HV Mean"::float8, "trig_rate"::float8, "waveform"::float8\[\]/);
    assert.deepEqual(await snapshotValues(1, "mcp_gain"), [], "neither spelling is written under the shared name");
  });

  it("rewrites only the run whose value was updated in place, and the snapshot then holds the new value", async () => {
    await post("/api/snapshots/refresh", {});
    await db.query(`UPDATE ${schema}.analysis SET "HV Mean" = 1234.5 WHERE run = 2`);
    const res = await post("/api/snapshots/refresh", {});
    assert.equal(res.status, 200);
    const outcome = (await res.json()) as { written: number[]; unchanged: number[] };
    assert.deepEqual([outcome.written, outcome.unchanged], [[2], [1, 3]]);
    assert.deepEqual(await snapshotValues(2, "ana.HV_Mean"), [1234.5]);

    // Re-processed arrays for every run: each run is rewritten, same row counts notwithstanding.
    await db.query(`UPDATE ${schema}.analysis SET waveform = array_fill(7::float8, ARRAY[8])`);
    const again = (await (await post("/api/snapshots/refresh", {})).json()) as { written: number[] };
    assert.deepEqual(again.written, [1, 2, 3]);
    assert.deepEqual(await snapshotValues(1, "ana.waveform", "array"), [[7, 7, 7, 7, 7, 7, 7, 7]]);

    const idle = (await (await post("/api/snapshots/refresh", {})).json()) as { written: number[]; unchanged: number[] };
    assert.deepEqual([idle.written, idle.unchanged], [[], [1, 2, 3]]);
  });

  it("shows a column added to the database without a restart, and snapshots its values", async () => {
    await db.query(`ALTER TABLE ${schema}.analysis ADD COLUMN pmt_gain float8`);
    await db.query(`UPDATE ${schema}.analysis SET pmt_gain = 5.5e6 WHERE run = 3`);
    const res = await post("/api/snapshots/refresh", { select: "run:3" });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { written: number[] }).written, [3]);
    const { observables } = (await (await api("/api/catalog")).json()) as { observables: { name: string }[] };
    assert.ok(observables.some((o) => o.name === "ana.pmt_gain"));
    assert.deepEqual(await snapshotValues(3, "ana.pmt_gain"), [5.5e6]);
  });

  it("refuses ingest that declares a name the source owns, naming both roads, and stores nothing", async () => {
    const res = await post("/api/ingest", {
      runs: [{ id: 3, start: T0 + 7200_000 }],
      observables: [{ name: "ana.trig_rate", unit: "Hz", shape: "scalar" }],
      readings: [{ observable: "ana.trig_rate", run: 3, t: T0 + 7300_000, value: 1 }],
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { errors: { field: string; message: string }[] };
    assert.equal(body.errors[0]!.field, "observables[0].name");
    assert.match(body.errors[0]!.message, /configured source \(postgres .*\).*ingest/);
  });

  it("refuses a refresh without a token, or with a selection that is not one, naming the field", async () => {
    // Without a token or a page's CSRF token: not from runboard's own page (RUNBOARD_AUTH=none).
    const blind = await post("/api/snapshots/refresh", {}, null);
    assert.equal(blind.status, 403);
    assert.equal(((await blind.json()) as { errors: { field: string }[] }).errors[0]!.field, "X-Runboard-CSRF");
    const bad = await post("/api/snapshots/refresh", { select: "runs:9-1" });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field, "select");
    const extra = await post("/api/snapshots/refresh", { selct: "run:1" });
    assert.match(JSON.stringify(await extra.json()), /selct/);
    const none = await post("/api/snapshots/refresh", { select: "run:99" });
    assert.equal(none.status, 404);
    // Refreshes run one at a time; beyond a few waiting, more are refused rather than piled up.
    const burst = await Promise.all(Array.from({ length: 8 }, () => post("/api/snapshots/refresh", { force: true })));
    const statuses = burst.map((r) => r.status).sort();
    assert.ok(statuses.includes(200) && statuses.includes(429), statuses.join(","));
    assert.equal(burst.find((r) => r.status === 429)!.headers.get("retry-after"), "5");
  });
});
