// Finding 1 of the second round of hostile probes (issue 23): runs with more than about 16 MB of
// arrays never got a snapshot (the staging database ran out of its 96 MB), and a review of them
// answered 200 without the run. Here the real server, as its own process, takes the three array
// runs that failed (1000 waveforms of 2048 samples, 200 camera images of 128x128, 8000 waveforms
// of 2048) and must snapshot each whole and put each in a review; its memory is read from /proc.
import { tarFiles } from "../support/tar-files.js";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { BINARY_BATCH_CONTENT_TYPE, encodeBinaryBatch } from "../../src/core/ingest-binary.js";
import { freePort } from "../support/postgres.js";
import { ingestOk, rssMb, type ServerProcess, startServerProcess } from "../support/server-process.js";

const TOKEN = "big-runs-test-ingest-token-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-big-runs-"));
const snapshotDir = join(dataDir, "snapshots");
let server: ServerProcess;
const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
const NOW = Date.now();

const serverRssMb = () => rssMb(server);

/** Sends `count` array readings of `shape` to run `run`, in binary batches of at most ~24 MB. */
async function sendArrays(run: number, observable: string, count: number, shape: number[]): Promise<void> {
  const size = shape.reduce((a, b) => a * b, 1);
  const perBatch = Math.max(1, Math.floor(3_000_000 / size));
  for (let from = 0; from < count; from += perBatch) {
    const n = Math.min(perBatch, count - from);
    const readings = Array.from({ length: n }, (_, i) => ({ observable, run, t: NOW - 3_600_000 + (from + i) * 100 }));
    const arrays = readings.map((_, i) => ({
      reading: i,
      key: "value" as const,
      // Reading k holds k, k+1, ...: what is read back says which reading it was.
      values: Float64Array.from({ length: size }, (_, j) => from + i + j),
      shape,
    }));
    const res = await fetch(url("/api/ingest"), {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": BINARY_BATCH_CONTENT_TYPE },
      body: encodeBinaryBatch({ readings }, arrays) as BodyInit,
    });
    assert.equal(res.status, 200, await res.clone().text());
  }
}

before(async () => {
  server = await startServerProcess(await freePort(), {
    RUNBOARD_DATA_DIR: dataDir,
    RUNBOARD_SNAPSHOT_DIR: snapshotDir,
    RUNBOARD_INGEST_TOKEN: TOKEN,
    RUNBOARD_REFRESH_SECONDS: "0",
  });
  await ingestOk(server.port, TOKEN, {
    runs: [101, 102, 103].map((id) => ({ id, start: NOW - 3_600_000, stop: NOW - 60_000 })),
    observables: [
      { name: "big.waveform", shape: "1d", dims: [2048] },
      { name: "big.image", shape: "2d", dims: [128, 128] },
    ],
  });
  await sendArrays(101, "big.waveform", 1000, [2048]);
  await sendArrays(102, "big.image", 200, [128, 128]);
  await sendArrays(103, "big.waveform", 8000, [2048]);
});

after(() => {
  server?.proc.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("runs of any size are snapshotted, or named", () => {
  it("snapshots 16 MB, 26 MB and 8000x2048 array runs whole, in bounded memory", async () => {
    const before = serverRssMb();
    const res = await fetch(url("/api/snapshots/refresh"), {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ select: "runs:101-103" }),
    });
    const outcome = (await res.json()) as { written: number[]; failed: unknown[] };
    assert.equal(res.status, 200, JSON.stringify(outcome));
    assert.deepEqual(outcome.failed, []);
    assert.deepEqual(outcome.written, [101, 102, 103]);
    const grew = serverRssMb() - before;
    assert.ok(grew < 600, `the refresh took the server up by ${Math.round(grew)} MB`);

    const manifest = JSON.parse(readFileSync(join(snapshotDir, "manifest.json"), "utf8")) as {
      runs: { run: number; rows: { array: number }; files: { kind: string; path: string }[] }[];
    };
    const rowsOf = (run: number) => manifest.runs.find((r) => r.run === run)!.rows.array;
    assert.deepEqual([rowsOf(101), rowsOf(102), rowsOf(103)], [1000, 200, 8000]);
    // What the files hold, read back by DuckDB: every reading, every value where it was.
    const files = manifest.runs
      .find((r) => r.run === 103)!
      .files.filter((f) => f.kind === "array")
      .map((f) => `'${join(snapshotDir, f.path)}'`);
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const read = await db.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT t)::INTEGER AS times, sum(len(value_1d))::BIGINT AS values,
              bool_and(value_1d[2048] - value_1d[1] = 2047) AS intact
         FROM read_parquet([${files.join(", ")}])`,
    );
    assert.deepEqual(read.getRowObjectsJS()[0], { n: 8000, times: 8000, values: 8000n * 2048n, intact: true });
    db.closeSync();
  });

  it("puts every one of them in a review", async () => {
    const res = await fetch(url("/api/reviews"), {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ runs: "runs:101-103" }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const tar = gunzipSync(Buffer.from(await res.arrayBuffer()));
    const review = reviewJson(tar);
    assert.deepEqual(
      review.runs.map((r) => [r.run, r.rows.array]),
      [
        [101, 1000],
        [102, 200],
        [103, 8000],
      ],
    );
    assert.equal(review.skipped, undefined);
  });
});

/** review.json out of a tar archive. */
function reviewJson(tar: Buffer): { runs: { run: number; rows: { array: number } }[]; skipped?: unknown } {
  const found = [...tarFiles(tar)].find(([name]) => name.endsWith("/review.json") || name === "review.json");
  if (!found) throw new Error("no review.json in the archive");
  return JSON.parse(found[1].toString("utf8"));
}
