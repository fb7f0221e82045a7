// Watching a PostgreSQL source: `runboard watch install` adds the trigger, a DAQ writes rows
// straight into its own tables, and a browser subscribed to the live server sees them, with
// rows written while the server was down delivered when it comes back.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { main as cli } from "../../cli/runboard.js";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import { resumingClient } from "../support/server-process.js";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is not set: run the integration tests through npm test");

const schema = `rb_watch_${process.pid}`;
const scratch = mkdtempSync(join(tmpdir(), "runboard-pg-watch-"));
const configFile = join(scratch, "runboard.config.json");
const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
let server: RunningServer | undefined;
const T0 = Date.parse("2026-11-22T10:00:00Z");

const start = () =>
  startServer(
    loadConfig({
      PORT: "0",
      RUNBOARD_DATA_DIR: join(scratch, "data"),
      RUNBOARD_DIST: join(scratch, "no-site"),
      RUNBOARD_SIMULATOR: "off",
      RUNBOARD_WATCH_CONFIG: configFile,
    }),
    () => undefined,
  );
const portOf = (s: RunningServer) => Number(new URL(s.url).port);
const runCli = async (...args: string[]) => {
  const lines: string[] = [];
  const code = await cli(
    args,
    (l) => lines.push(l),
    (l) => lines.push(l),
  );
  return { code, text: lines.join("\n") };
};

before(async () => {
  await db.query(`CREATE SCHEMA ${schema}`);
  await db.query(
    `CREATE TABLE ${schema}.runs (run_number int PRIMARY KEY, started_at timestamptz NOT NULL, stopped_at timestamptz)`,
  );
  // Time without a zone, as many DAQs write it (taken as UTC).
  await db.query(`CREATE TABLE ${schema}.readings (run int, name text, ch int, t timestamp, v float8)`);
  await db.query(`INSERT INTO ${schema}.runs VALUES (1, $1, NULL)`, [new Date(T0)]);
  await db.query(`INSERT INTO ${schema}.readings VALUES (1, 'hv.current', 0, $1, 1.5), (1, 'hv.current', 1, $1, 1.6)`, [
    new Date(T0).toISOString().replace("Z", ""),
  ]);
  writeFileSync(
    configFile,
    JSON.stringify({
      source: {
        kind: "postgres",
        url: databaseUrl,
        runs: { schema, table: "runs", id: "run_number", start: "started_at", stop: "stopped_at" },
        tables: [
          { layout: "long", schema, table: "readings", run: "run", observable: "name", channel: "ch", time: "t", value: "v" },
        ],
      },
    }),
  );
});

after(async () => {
  await server?.close();
  await runCli("watch", "uninstall", "--config", configFile);
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.end();
  rmSync(scratch, { recursive: true, force: true });
});

const queued = async () => Number((await db.query("SELECT count(*) AS n FROM runboard_watch.changes")).rows[0].n);
const insertReadout = (run: number, t: number, values: (number | null)[]) =>
  db.query(
    `INSERT INTO ${schema}.readings SELECT $1, 'hv.current', ch - 1, $2::timestamp, v FROM unnest($3::float8[]) WITH ORDINALITY AS u(v, ch)`,
    [run, new Date(t).toISOString().replace("Z", ""), values],
  );

describe("watching a PostgreSQL source", () => {
  // One browser through all of it: it resumes from its last seq when it reconnects.
  const client = resumingClient("hv.current");

  it("refuses to install for a config whose source is not PostgreSQL, naming the field", async () => {
    const other = join(scratch, "embedded.json");
    writeFileSync(other, JSON.stringify({ source: { kind: "embedded" } }));
    const { code, text } = await runCli("watch", "install", "--config", other);
    assert.equal(code, 2);
    assert.match(text, /source\.kind: .*PostgreSQL/);
  });

  it("delivers rows a DAQ inserts to subscribed browsers, one statement as one batch", async () => {
    const installed = await runCli("watch", "install", "--config", configFile);
    assert.equal(installed.code, 0, installed.text);
    server = await start();
    await client.connect(portOf(server)); // the catalog was declared when watching began

    await insertReadout(1, T0 + 1000, [2.5, 2.6]);
    await client.received(2);
    assert.deepEqual(client.values, [2.5, 2.6]);
    // NULL and NaN stay in the table but are not drawn; the rest of the statement is.
    await insertReadout(1, T0 + 2000, [3.5, null]);
    await db.query(`INSERT INTO ${schema}.readings VALUES (1, 'hv.current', 0, $1, 'NaN')`, [
      new Date(T0 + 2500).toISOString().replace("Z", ""),
    ]);
    await insertReadout(1, T0 + 3000, [4.5, 4.6]);
    await client.received(5);
    assert.deepEqual(client.values, [2.5, 2.6, 3.5, 4.5, 4.6]);
    const health = (await (await fetch(`${server.url}/api/health`)).json()) as { lastSeq: number };
    assert.equal(health.lastSeq, 5, "the watched readings are stored, as ingested ones are (rows from before install are not)");
    assert.equal(await queued(), 0, "the queue is emptied once stored");
  });

  it("picks up a new run from the runs table and keeps rows written while the server was down", async () => {
    await server!.close();
    server = undefined;
    await client.closed();
    await db.query(`INSERT INTO ${schema}.runs VALUES (2, $1, NULL)`, [new Date(T0 + 60_000)]);
    await db.query(`UPDATE ${schema}.runs SET stopped_at = $1 WHERE run_number = 1`, [new Date(T0 + 59_000)]);
    await insertReadout(2, T0 + 61_000, [7.5, 7.6]);
    assert.ok((await queued()) >= 3, "waiting in the queue while nobody watches");

    server = await start();
    await client.connect(portOf(server));
    await client.received(7);
    assert.deepEqual(client.values.slice(5), [7.5, 7.6]);
    const runs = (await (await fetch(`${server.url}/api/runs`)).json()) as { runs: { id: number; stop: number | null }[] };
    assert.deepEqual(
      runs.runs.map((r) => [r.id, r.stop]),
      [
        [1, T0 + 59_000],
        [2, null],
      ],
    );
    for (const deadline = Date.now() + 5000; (await queued()) > 0;) {
      assert.ok(Date.now() < deadline, "queue not emptied");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.close();
  });

  it("delivers rows after the trigger is removed and installed again (its queue numbers start over)", async () => {
    await server!.close();
    server = undefined;
    await client.closed();
    assert.equal((await runCli("watch", "uninstall", "--config", configFile)).code, 0);
    assert.equal((await runCli("watch", "install", "--config", configFile)).code, 0);
    server = await start();
    await client.connect(portOf(server));
    await insertReadout(2, T0 + 62_000, [8.5, 8.6]);
    await client.received(9);
    assert.deepEqual(client.values.slice(7), [8.5, 8.6]);
    await client.close();
  });
});
