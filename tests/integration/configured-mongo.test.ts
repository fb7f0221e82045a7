// A MongoDB slow-control database behind the running server. No MongoDB server can run on these
// machines, so the source runs on THE FAKE (tests/support/mingo-db.ts, mingo evaluating the
// queries the source sends); the server, its snapshot keeper, the API and the snapshot files
// are real. The same source cases run against a real server when MONGODB_URL is set
// (mongo-real.test.ts).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { MongoSource } from "../../loaders/sources/mongo-source.js";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import { MingoFakeDatabase } from "../support/mingo-db.js";
import { T0, hvValue, mongoConfig, slowControlDocs } from "../support/mongo-cases.js";

const TOKEN = "configured-mongo-token-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-mongo-"));
const snapshotDir = join(dataDir, "snapshots");
const fake = new MingoFakeDatabase(slowControlDocs());
let server: RunningServer;

const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
const refresh = async (body: unknown) => {
  const res = await api("/api/snapshots/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { written: number[]; unchanged: number[] };
};

async function hvOfRun(run: number, channel: number): Promise<number[]> {
  const manifest = (await (await api("/snapshots/manifest.json")).json()) as {
    runs: { run: number; files: { kind: string; path: string }[] }[];
  };
  const file = manifest.runs.find((r) => r.run === run)!.files.find((f) => f.kind === "scalar")!;
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT value FROM read_parquet('${join(snapshotDir, file.path).replaceAll("'", "''")}')
        WHERE observable = 'hv' AND channel = $channel ORDER BY t`,
      { channel },
    );
    return reader.getRowObjectsJS().map((r) => Number(r.value));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe("a configured MongoDB source behind the server (on the fake)", () => {
  before(async () => {
    const sourceConfig = {
      kind: "mongodb",
      url: "mongodb://runboard:secret@db.example:27017",
      database: "sc",
      mapping: { layout: "properties", collections: ["hv", "humidity"] },
      runs: { collection: "runs", id: "run", start: "start", stop: "stop", status: "status" },
    };
    const configFile = join(dataDir, "runboard.config.json");
    writeFileSync(configFile, JSON.stringify({ source: sourceConfig, snapshot: { select: "runs:1-10", lodSeconds: [] } }));
    const config = loadConfig({
      PORT: "0",
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_CONFIG: configFile,
      RUNBOARD_REFRESH_SECONDS: "0",
      RUNBOARD_SNAPSHOT_DIR: snapshotDir,
    });
    assert.equal(config.simulator.enabled, false);
    const source = new MongoSource(fake, mongoConfig(sourceConfig));
    server = await startServer(config, () => undefined, { source });
  });

  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists the collections as observables and the run records as runs", async () => {
    const catalog = (await (await api("/api/catalog")).json()) as {
      observables: { name: string; channels: number; origin: string }[];
    };
    assert.deepEqual(
      catalog.observables.map((o) => [o.name, o.channels, o.origin]),
      [
        ["humidity", 1, "source"],
        ["hv", 1855, "source"],
      ],
    );
    const { runs } = (await (await api("/api/runs")).json()) as { runs: { id: number; status: string }[] };
    assert.deepEqual(
      runs.map((r) => [r.id, r.status]),
      [
        [1, "stopped"],
        [2, "aborted"],
        [3, "running"],
      ],
    );
  });

  it("snapshots the runs, and a value rewritten in place reaches the snapshot after a refresh", async () => {
    const first = await refresh({});
    assert.deepEqual(first.written.length + first.unchanged.length, 3);
    assert.equal((await hvOfRun(1, 3))[2], hvValue(2, 3));
    // Re-processing rewrites minute 2 of the camera in place.
    const minute2 = new Date(T0 + 2 * 60_000);
    fake.update("hv", "time", minute2, { values: Array.from({ length: 1855 }, () => 4242) });
    const after = await refresh({});
    assert.deepEqual(after.written, [1]);
    assert.equal((await hvOfRun(1, 3))[2], 4242);
    assert.deepEqual((await refresh({})).written, [], "nothing changed since");
  });
});
