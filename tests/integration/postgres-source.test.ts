// The PostgreSQL source against the real server `npm test` starts: every mapping (long, wide,
// runs table), snapshots read back with DuckDB and compared with what PostgreSQL holds, odd
// data, incremental and forced rewrites, and a source that fails or is slow.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { parseConfig, type PostgresSourceConfig } from "../../loaders/config.js";
import { RETIRED_FILES_KEPT_MS, takeSnapshot } from "../../loaders/snapshot/take-snapshot.js";
import { PostgresSource } from "../../loaders/sources/postgres-source.js";
import type { ReadingChunk, Source } from "../../loaders/sources/source.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the integration tests through npm test");

const schema = `rb_src_${process.pid}`;
const T0 = Date.parse("2026-03-10T20:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const scratch = mkdtempSync(join(tmpdir(), "runboard-pg-src-"));

/** The readings (long, with arrays) and calib (wide) tables, unless other tables are given. */
function sourceConfig(extra: Partial<PostgresSourceConfig> = {}, tables?: unknown[]): PostgresSourceConfig {
  const config = parseConfig({
    source: {
      kind: "postgres",
      url: databaseUrl,
      runs: { schema, table: "runs", id: "run_number", start: "started_at", stop: "stopped_at", status: "state" },
      tables: tables ?? [
        {
          layout: "long",
          schema,
          table: "readings",
          run: "run",
          observable: "name",
          channel: "channel",
          time: "t",
          value: "value",
          arrayValue: "samples",
        },
        { layout: "wide", schema, table: "calib", run: "run", prefix: "calib." },
      ],
    },
  }).source;
  return { ...(config as PostgresSourceConfig), ...extra };
}

async function parquetRows(file: string, sql = "SELECT * FROM data ORDER BY observable, channel, t") {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE VIEW data AS SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

before(async () => {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await db.query(`SET search_path TO ${schema}`);
  await db.query(`
    CREATE TABLE ${schema}.runs (run_number int PRIMARY KEY, started_at timestamptz NOT NULL, stopped_at timestamptz, state text, operator text);
    CREATE TABLE ${schema}.readings (run int, name text, channel int, t timestamptz, value float8, samples float8[]);
    CREATE TABLE ${schema}.calib (run int, gain_mean float8, "HV Mean" real, pedestal float8[], hitmap float8[][]);
    COMMENT ON COLUMN ${schema}.calib.gain_mean IS 'Mean PMT gain from the calibration scan';
  `);
  await db.query(
    `INSERT INTO ${schema}.runs VALUES
       (1, $1, $2, 'done', 'ana'), (2, $2, $3, 'aborted', 'ben'), (3, $3, NULL, NULL, 'ana'), (4, $4, $5, 'done', 'ana')`,
    [iso(T0), iso(T0 + 600_000), iso(T0 + 1_200_000), iso(T0 + 3_600_000), iso(T0 + 3_700_000)],
  );
  // Run 1: a per-channel HV (4 channels, one reading every 10 s for 10 minutes) and a waveform.
  await db.query(
    `INSERT INTO ${schema}.readings
       SELECT 1, 'camera.hv', ch, $1::timestamptz + s * interval '10 seconds', 1000 + ch + s / 100.0, NULL
         FROM generate_series(0, 3) ch, generate_series(0, 59) s`,
    [iso(T0)],
  );
  await db.query(
    `INSERT INTO ${schema}.readings VALUES
       (1, 'pmt.waveform', 0, $1, NULL, ARRAY[1, 2, 3, 4]::float8[]),
       (1, 'pmt.waveform', 0, $2, NULL, ARRAY[5, NULL, 7, 8]::float8[]),
       -- run 2: odd data
       (2, 'Trigger Rate', 0, $3, 10, NULL),
       (2, 'Trigger Rate', 0, $4, NULL, NULL),
       (2, 'Trigger Rate', 0, $5, 'NaN', NULL),
       (2, 'Trigger Rate', 0, $6, 'Infinity', NULL),
       (2, 'Trigger Rate', 0, $7, 20, NULL),
       (2, 'Trigger Rate', 0, $7, 21, NULL),
       (2, 'pmt.waveform', 0, $3, NULL, ARRAY[1, 2]::float8[]),
       (2, 'Trigger Rate', 0, NULL, 99, NULL),
       -- run 3 never stopped
       (3, 'camera.hv', 0, $8, 1000, NULL)`,
    [
      iso(T0 + 1000),
      iso(T0 + 2000),
      iso(T0 + 600_000),
      iso(T0 + 601_000),
      iso(T0 + 602_000),
      iso(T0 + 603_000),
      iso(T0 + 604_000),
      iso(T0 + 1_200_000),
    ],
  );
  await db.query(
    `INSERT INTO ${schema}.calib VALUES
       (1, 1.5, 900.5, ARRAY[10, 11, 12], ARRAY[[1, 2], [3, 4]]),
       (2, 1.6, NULL, ARRAY[20, 21, 22], ARRAY[[5, 6], [7, 8]])`,
  );
});

after(async () => {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.end();
  rmSync(scratch, { recursive: true, force: true });
});

describe("PostgreSQL source", () => {
  it("lists the catalog from long and wide tables, with names made into dotted identifiers", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    try {
      const catalog = await source.catalog();
      const byName = new Map(catalog.map((o) => [o.name, o]));
      assert.deepEqual(
        catalog.map((o) => o.name),
        ["calib.HV_Mean", "calib.gain_mean", "calib.hitmap", "calib.pedestal", "camera.hv", "pmt.waveform", "Trigger_Rate"].sort(
          (a, b) => a.localeCompare(b),
        ),
      );
      assert.equal(byName.get("camera.hv")?.channels, 4);
      assert.deepEqual([byName.get("pmt.waveform")?.shape, byName.get("pmt.waveform")?.dims], ["1d", [4]]);
      assert.deepEqual([byName.get("calib.hitmap")?.shape, byName.get("calib.hitmap")?.dims], ["2d", [2, 2]]);
      assert.equal(byName.get("calib.gain_mean")?.description, "Mean PMT gain from the calibration scan");
    } finally {
      await source.close();
    }
  });

  it("leaves out two names that collide even on a first snapshot that learns the catalog while reading", async () => {
    await db.query(`CREATE TABLE ${schema}.gains (run int, name text, t timestamptz, v float8)`);
    await db.query(
      `INSERT INTO ${schema}.gains SELECT 1, n, $1::timestamptz + s * interval '1 second', s
         FROM unnest(ARRAY['mcp-gain', 'mcp_gain', 'pmt gain']) n, generate_series(1, 5) s`,
      [iso(T0)],
    );
    const config = sourceConfig({}, [
      { layout: "long", schema, table: "gains", run: "run", observable: "name", time: "t", value: "v" },
    ]);
    const source = await PostgresSource.connect(config);
    const out = mkdtempSync(join(scratch, "clash-"));
    const lines: string[] = [];
    try {
      // Every run is new: the source tallies its catalog while the rows stream (no scan first).
      assert.ok(source.startTally());
      const result = await takeSnapshot(source, {
        out,
        selection: { kind: "run", run: 1 },
        lodSeconds: [],
        log: (l) => lines.push(l),
      });
      assert.deepEqual([result.written, result.failed], [[1], []]);
      const rows = await parquetRows(join(out, result.manifest.runs.find((r) => r.run === 1)!.files[0]!.path));
      assert.deepEqual([...new Set(rows.map((r) => r.observable))], ["pmt_gain"], "neither spelling is written");
      assert.match(
        result.manifest.errors.map((e) => e.message).join("\n"),
        /the names "mcp-gain" and "mcp_gain" both become the observable mcp_gain; both are left out/,
      );
      assert.ok(lines.some((l) => /read again once the catalog is known/.test(l)));
    } finally {
      await source.close();
    }
  });

  it("refuses a mapping whose observable column holds values, with a hint, instead of an absurd catalog", async () => {
    await db.query(`CREATE TABLE ${schema}.misread AS SELECT 1 AS run, 'hv' AS name, s::text AS reading, now() AS t, s::float8 AS v
                      FROM generate_series(1, 10001) s`);
    const source = await PostgresSource.connect(
      sourceConfig({}, [{ layout: "long", schema, table: "misread", run: "run", observable: "reading", time: "t", value: "v" }]),
    );
    try {
      await assert.rejects(
        source.catalog(),
        /source\.tables\[0\]\.observable: column reading .* holds 10,001 different names.*is it the value or time column\?/,
      );
    } finally {
      await source.close();
    }
  });

  it("reads runs from the runs table: status, open runs, metadata", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    try {
      const runs = await source.runs();
      assert.deepEqual(
        runs.map((r) => [r.id, r.status, r.stop === null]),
        [
          [1, "stopped", false],
          [2, "aborted", false],
          [3, "running", true],
          [4, "stopped", false],
        ],
      );
      assert.equal(runs[0]!.start, T0);
      assert.equal(runs[0]!.meta.operator, "ana");
    } finally {
      await source.close();
    }
  });

  it("a new wide-table column shows up in the catalog of the same source, without a restart", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    try {
      assert.ok(!(await source.catalog()).some((o) => o.name === "calib.dark_rate"));
      await db.query(`ALTER TABLE ${schema}.calib ADD COLUMN dark_rate float8`);
      await db.query(`UPDATE ${schema}.calib SET dark_rate = 3.25 WHERE run = 2`);
      assert.ok((await source.catalog()).some((o) => o.name === "calib.dark_rate"));
      const values: number[] = [];
      for await (const chunk of source.readings({ runs: [2], observables: ["calib.dark_rate"] })) {
        if (chunk.kind === "scalar") values.push(...chunk.value.subarray(0, chunk.length));
      }
      assert.deepEqual(values, [3.25]);
    } finally {
      await source.close();
    }
  });

  it("streams a run in bounded chunks and reports what changed since a cursor", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    try {
      let scalars = 0;
      for await (const chunk of source.readings({ runs: [1] })) if (chunk.kind === "scalar") scalars += chunk.length;
      assert.equal(scalars, 4 * 60 + 2); // camera.hv + the two calib scalars of run 1
      const first = await source.changesSince(null);
      assert.deepEqual(first.runs, [1, 2, 3]);
      const none = await source.changesSince(first.cursor);
      assert.deepEqual(none.runs, []);
      await db.query(`INSERT INTO ${schema}.readings VALUES (3, 'camera.hv', 0, $1, 1001, NULL)`, [iso(T0 + 1_300_000)]);
      assert.deepEqual((await source.changesSince(none.cursor)).runs, [3]);
    } finally {
      await source.close();
    }
  });

  it("names the config field when the mapping does not match the database", async () => {
    const config = sourceConfig();
    config.tables = [
      { ...(config.tables[0] as Extract<PostgresSourceConfig["tables"][number], { layout: "long" }>), time: "taken_at" },
    ];
    await assert.rejects(PostgresSource.connect(config), /source\.tables\[0\]\.time: .*has no column taken_at/);
  });

  it("says clearly when the server is down, and when it is too slow", async () => {
    await assert.rejects(
      PostgresSource.connect({ ...sourceConfig(), url: "postgres://nobody@127.0.0.1:1/none" }),
      /connection refused/,
    );
    await db.query(`CREATE VIEW ${schema}.slow AS SELECT run, name, channel, t, value FROM ${schema}.readings, pg_sleep(3)`);
    const source = await PostgresSource.connect({
      ...sourceConfig(),
      statementTimeoutSeconds: 0.5,
      tables: [
        { layout: "long", schema, table: "slow", run: "run", observable: "name", channel: "channel", time: "t", value: "value" },
      ],
    });
    try {
      await assert.rejects(source.catalog(), /cancelled after statementTimeoutSeconds/);
    } finally {
      await source.close();
    }
  });
});

describe("snapshots of PostgreSQL", () => {
  const out = join(scratch, "snap");

  it("writes one Parquet file per run whose values are those in PostgreSQL", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    try {
      const result = await takeSnapshot(source, {
        out,
        selection: { kind: "runs", from: 1, to: 4 },
        lodSeconds: [60],
        now: T0 + 4_000_000,
      });
      assert.deepEqual(result.written, [1, 2, 3, 4]);
      const run1 = result.manifest.runs.find((r) => r.run === 1)!;
      const scalars = join(out, run1.files.find((f) => f.kind === "scalar")!.path);
      const hv = await parquetRows(
        scalars,
        "SELECT channel, epoch_ms(t)::DOUBLE AS t, value FROM data WHERE observable = 'camera.hv' ORDER BY channel, t",
      );
      const expected = await db.query(
        `SELECT channel, extract(epoch from t) * 1000 AS t, value FROM ${schema}.readings WHERE run = 1 AND name = 'camera.hv' ORDER BY channel, t`,
      );
      assert.equal(hv.length, 240);
      assert.deepEqual(
        hv.map((r) => [Number(r.channel), Number(r.t), Number(r.value)]),
        expected.rows.map((r) => [Number(r.channel), Number(r.t), Number(r.value)]),
      );
      // Arrays stay LIST columns, NULL elements included; 2d arrays stay lists of rows.
      const arrays = await parquetRows(join(out, run1.files.find((f) => f.kind === "array")!.path));
      assert.deepEqual(
        arrays.map((r) => [r.observable, r.value_1d ?? r.value_2d]),
        [
          [
            "calib.hitmap",
            [
              [1, 2],
              [3, 4],
            ],
          ],
          ["calib.pedestal", [10, 11, 12]],
          ["pmt.waveform", [1, 2, 3, 4]],
          ["pmt.waveform", [5, null, 7, 8]],
        ],
      );
      // A wide table without a time column: readings sit at the run's start.
      const calib = await parquetRows(
        scalars,
        "SELECT observable, epoch_ms(t)::DOUBLE AS t, value FROM data WHERE observable LIKE 'calib.%' ORDER BY observable",
      );
      assert.deepEqual(
        calib.map((r) => [r.observable, Number(r.t), Number(r.value)]),
        [
          ["calib.HV_Mean", T0, 900.5],
          ["calib.gain_mean", T0, 1.5],
        ],
      );
      // The level-of-detail table: 10 one-minute buckets of 6 readings per channel, M4 each.
      assert.deepEqual(run1.lod["camera.hv"], [60]);
      const lod = await parquetRows(
        join(out, run1.files.find((f) => f.kind === "lod")!.path),
        "SELECT n, first_v, last_v, min_v, max_v FROM data WHERE observable = 'camera.hv' AND channel = 2 ORDER BY bucket",
      );
      assert.equal(lod.length, 10);
      assert.deepEqual(lod[0], { n: 6, first_v: 1002, last_v: 1002.05, min_v: 1002, max_v: 1002.05 });
      const manifestOnDisk = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
      assert.equal(manifestOnDisk.runs.length, 4);
      assert.match(run1.query, /COPY \(SELECT .* FROM .*readings/);
      assert.match(run1.files[0]!.sha256, /^[0-9a-f]{64}$/);
    } finally {
      await source.close();
    }
  });

  it("handles odd data as documented: NULL, NaN, Infinity, duplicates, ragged arrays, no time, empty and open runs", async () => {
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const run2 = manifest.runs.find((r: { run: number }) => r.run === 2);
    assert.deepEqual(run2.stats, { nulls: 1, nonFinite: 2, noTime: 1, duplicates: 1, ragged: 1 });
    assert.equal(run2.status, "aborted");
    const rate = await parquetRows(
      join(out, run2.files.find((f: { kind: string }) => f.kind === "scalar").path),
      "SELECT epoch_ms(t)::DOUBLE AS t, value FROM data WHERE observable = 'Trigger_Rate' ORDER BY t",
    );
    assert.deepEqual(
      rate.map((r) => [Number(r.t) - T0, r.value === null ? null : Number(r.value)]),
      [
        [600_000, 10],
        [601_000, null],
        [602_000, null],
        [603_000, null],
        [604_000, 21],
      ],
    );
    const run3 = manifest.runs.find((r: { run: number }) => r.run === 3);
    assert.equal(run3.status, "running");
    assert.equal(run3.stop, null);
    const run4 = manifest.runs.find((r: { run: number }) => r.run === 4);
    assert.deepEqual([run4.rows, run4.files], [{ scalar: 0, array: 0 }, []]);
  });

  it("rewrites only the runs that changed, or those a user forces", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    try {
      const selection = { kind: "runs", from: 1, to: 4 } as const;
      await db.query(`INSERT INTO ${schema}.readings VALUES (3, 'camera.hv', 0, $1, 1002, NULL)`, [iso(T0 + 1_400_000)]);
      const again = await takeSnapshot(source, { out, selection, lodSeconds: [60] });
      assert.deepEqual([again.written, again.unchanged], [[3], [1, 2, 4]]);
      const quiet = await takeSnapshot(source, { out, selection, lodSeconds: [60] });
      assert.deepEqual(quiet.written, []);
      await db.query(`INSERT INTO ${schema}.readings VALUES (1, 'camera.hv', 0, $1, 1234, NULL)`, [iso(T0 + 599_000)]);
      const oldFiles = quiet.manifest.runs.find((r) => r.run === 1)!.files.map((f) => f.path);
      const changed = await takeSnapshot(source, { out, selection, lodSeconds: [60] });
      assert.deepEqual(changed.written, [1]);
      // A page holding the previous manifest may still read the replaced files for a while...
      for (const path of oldFiles) assert.ok(existsSync(join(out, path)), `${path} was replaced but is still readable`);
      const later = Date.now() + RETIRED_FILES_KEPT_MS + 1000;
      await takeSnapshot(source, { out, selection, lodSeconds: [60], now: later });
      // ...then they go.
      for (const path of oldFiles) assert.ok(!existsSync(join(out, path)), `${path} was replaced and removed`);
      const forced = await takeSnapshot(source, { out, selection, force: { kind: "runs", from: 2, to: 3 }, lodSeconds: [60] });
      assert.deepEqual(forced.written, [2, 3]);
    } finally {
      await source.close();
    }
  });

  it("keeps the previous files and manifest entry of a run whose source fails half way", async () => {
    const source = await PostgresSource.connect(sourceConfig());
    const before = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
    const run1Before = before.runs.find((r: { run: number }) => r.run === 1);
    // A wrapper around the real source that breaks after the first chunk of run 1.
    const failing: Source = {
      ...source,
      description: source.description,
      catalog: () => source.catalog(),
      runs: () => source.runs(),
      fingerprints: (runs) => source.fingerprints(runs),
      changesSince: (c) => source.changesSince(c),
      describeQuery: (q) => source.describeQuery(q),
      close: () => source.close(),
      async *readings(query): AsyncIterable<ReadingChunk> {
        for await (const chunk of source.readings(query)) {
          yield chunk;
          throw new Error("connection lost");
        }
      },
    };
    try {
      const result = await takeSnapshot(failing, { out, selection: { kind: "run", run: 1 }, force: true, lodSeconds: [60] });
      // Each failure also carries the run's span (so a selection by time still finds it).
      const said = (list: { run: number | null; message: string }[]) => list.map(({ run, message }) => ({ run, message }));
      assert.deepEqual(said(result.failed), [{ run: 1, message: "connection lost" }]);
      const after = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
      assert.deepEqual(
        after.runs.find((r: { run: number }) => r.run === 1),
        run1Before,
      );
      for (const f of run1Before.files) assert.ok(existsSync(join(out, f.path)));
      assert.deepEqual(said(after.errors), [{ run: 1, message: "connection lost" }]);
    } finally {
      await source.close();
    }
  });
});

describe("first snapshot of a long table of scalars", () => {
  const table = `${schema}.slow_control`;
  const config = () =>
    sourceConfig({}, [
      {
        layout: "long",
        schema,
        table: "slow_control",
        run: "run",
        observable: "name",
        channel: "channel",
        time: "t",
        value: "value",
      },
    ]);

  before(async () => {
    // Times without time zone and with sub-millisecond parts; NULL names, channels and times;
    // negative channels; rows of a run the runs table does not list, and rows with no run.
    await db.query(`CREATE TABLE ${table} (run int, name text, channel int, t timestamp, value float8)`);
    await db.query(
      `INSERT INTO ${table}
         SELECT 1 + g % 3, (ARRAY['Cooling Temp', 'vacuum.pressure'])[1 + g % 2], g % 5 - 1,
                '2026-03-10 20:00:00'::timestamp + g * interval '1.000123 seconds', g * 0.5
           FROM generate_series(0, 2999) g`,
    );
    await db.query(
      `INSERT INTO ${table} VALUES
         (2, NULL, 0, '2026-03-10 19:00:00.000007', 1), (2, 'vacuum.pressure', NULL, '2026-03-10 23:59:59.999999', 2),
         (3, 'vacuum.pressure', 7, NULL, 3), (9, 'only.in.run9', 40, '2026-03-11 01:00:00', 4),
         (NULL, 'no.run', 2, '2026-03-11 02:00:00', 5)`,
    );
  });

  it("reads each row once, yet records the catalog and fingerprints a full scan gives, so the next snapshot rewrites nothing", async () => {
    const source = await PostgresSource.connect(config());
    const out = join(scratch, "tallied");
    const scanned: string[] = [];
    // The real source, except that scanning the tables before reading the runs is noted.
    const watched: Source = {
      description: source.description,
      catalog: () => (scanned.push("catalog"), source.catalog()),
      fingerprints: (runs) => (scanned.push("fingerprints"), source.fingerprints(runs)),
      runs: () => source.runs(),
      readings: (query, tally) => source.readings(query, tally),
      startTally: () => source.startTally(),
      tallied: (tally, runs) => source.tallied(tally, runs),
      changesSince: (c) => source.changesSince(c),
      describeQuery: (q) => source.describeQuery(q),
      close: () => source.close(),
    };
    try {
      const selection = { kind: "runs", from: 1, to: 4 } as const;
      const first = await takeSnapshot(watched, { out, selection, lodSeconds: [60] });
      assert.deepEqual([first.written, scanned], [[1, 2, 3, 4], []]);
      assert.equal(first.manifest.runs.find((r) => r.run === 1)!.rows.scalar, 1000);

      const fingerprints = await source.fingerprints([1, 2, 3, 4]);
      assert.deepEqual(
        first.manifest.runs.map((r) => ({ run: r.run, ...r.fingerprint })),
        fingerprints.map((f) => ({ ...f, version: f.version ?? null })),
      );
      const catalog = JSON.parse(readFileSync(join(out, "catalog.json"), "utf8")).observables;
      assert.deepEqual(catalog, await source.catalog());
      assert.deepEqual(
        catalog.map((o: { name: string; channels: number }) => [o.name, o.channels]),
        [
          ["Cooling_Temp", 4],
          ["no.run", 3],
          ["only.in.run9", 41],
          ["vacuum.pressure", 8],
        ],
      );

      const second = await takeSnapshot(watched, { out, selection, lodSeconds: [60] });
      assert.deepEqual([second.written, second.unchanged], [[], [1, 2, 3, 4]]);
    } finally {
      await source.close();
    }
  });
});
