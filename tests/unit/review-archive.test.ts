// A review's .tar.gz, joined from parts made at different times (loaders/gzip-parts.ts,
// loaders/tar.ts): what gunzip and tar read out of it, its announced length, and a file that
// changed between the plan and the read.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { crc32, gunzipSync } from "node:zlib";
import { crc32Combine } from "../../loaders/gzip-parts.js";
import { tarFiles } from "../support/tar-files.js";
import { type ArchiveEntry, PartCache, byFolderOrder, planTarGz, tarGzBytes } from "../../loaders/tar.js";

const dir = mkdtempSync(join(tmpdir(), "runboard-archive-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function bytesOf(gen: AsyncGenerator<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of gen) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function fileEntry(path: string, data: Buffer, extra: Partial<ArchiveEntry> = {}, dated?: Date): ArchiveEntry {
  const file = join(dir, path.replaceAll("/", "_"));
  writeFileSync(file, data);
  if (dated) utimesSync(file, dated, dated);
  return { path, file, bytes: data.length, mtimeMs: statSync(file).mtimeMs, ...extra } as ArchiveEntry;
}

describe("crc32Combine", () => {
  it("gives the CRC of two pieces joined, from their own CRCs", () => {
    for (const [a, b] of [
      [0, 7],
      [7, 0],
      [1, 1],
      [1000, 70_000],
      [3, 1 << 20],
    ] as const) {
      const [x, y] = [randomBytes(a), randomBytes(b)];
      assert.equal(crc32Combine(crc32(x), crc32(y), b), crc32(Buffer.concat([x, y])), `${a} + ${b} bytes`);
    }
  });
});

describe("the review archive", () => {
  const site = fileEntry("_observablehq/duckdb.wasm", Buffer.from("wasm ".repeat(40_000)));
  // Parquet is stored, not deflated: larger than one stored block, and not a multiple of one.
  const parquet = randomBytes(200_000);
  const data = fileEntry("snapshots/runs/7/scalars.parquet", parquet, {
    sha256: createHash("sha256").update(parquet).digest("hex"),
    compressed: true,
  });
  const entries: ArchiveEntry[] = [
    { path: "review.json", text: '{"title":"night shift"}\n' },
    data,
    site,
    { path: "index.html", text: "<h1>Review</h1>" },
  ];

  it("is one gzip that unpacks to every file, in folder order, exactly as long as announced", async () => {
    const plan = planTarGz(entries, "review-2026-12-07-7-7", new PartCache());
    const archive = await bytesOf(tarGzBytes(plan));
    assert.equal(archive.length, plan.bytes);
    const files = tarFiles(gunzipSync(archive));
    assert.deepEqual(
      [...files.keys()],
      ["_observablehq/duckdb.wasm", "index.html", "review.json", "snapshots/runs/7/scalars.parquet"].map(
        (p) => `review-2026-12-07-7-7/${p}`,
      ),
    );
    assert.ok(files.get("review-2026-12-07-7-7/snapshots/runs/7/scalars.parquet")!.equals(parquet));
    assert.equal(files.get("review-2026-12-07-7-7/review.json")!.toString(), '{"title":"night shift"}\n');
    // The site's repetitive file was deflated, the random Parquet was not inflated by much.
    assert.ok(archive.length < parquet.length + 20_000, `${archive.length} bytes`);
  });

  it("gives the same bytes from a kept deflated part as from a fresh one", async () => {
    const cache = new PartCache();
    const first = await bytesOf(tarGzBytes(planTarGz(entries, "r", cache)));
    const again = await bytesOf(tarGzBytes(planTarGz(entries, "r", cache)));
    const fresh = await bytesOf(tarGzBytes(planTarGz(entries, "r", new PartCache())));
    assert.ok(first.equals(again) && first.equals(fresh));
  });

  it("checks a data file's hash once, and again when the file is another", async () => {
    const content = randomBytes(5000);
    const sha256 = createHash("sha256").update(content).digest("hex");
    const entry = fileEntry("snapshots/runs/9/scalars.parquet", content, { sha256, compressed: true });
    const cache = new PartCache();
    await bytesOf(tarGzBytes(planTarGz([entry], "r", cache)));
    assert.equal(cache.verified.size, 1);
    // Rewritten in place with other bytes of the same length: a new date, so checked again, and refused.
    const later = new Date(Date.now() + 60_000);
    const changed = fileEntry("snapshots/runs/9/scalars.parquet", randomBytes(5000), { sha256, compressed: true }, later);
    await assert.rejects(bytesOf(tarGzBytes(planTarGz([changed], "r", cache))), /changed while it was archived/);
  });

  it("breaks off when a data file no longer matches its hash", async () => {
    const changed = fileEntry("snapshots/runs/8/scalars.parquet", randomBytes(1000), {
      sha256: "0".repeat(64),
      compressed: true,
    });
    const plan = planTarGz([changed], "r", new PartCache());
    await assert.rejects(bytesOf(tarGzBytes(plan)), /snapshots\/runs\/8\/scalars\.parquet changed while it was archived/);
  });
});

describe("byFolderOrder", () => {
  it("sorts as a sorted walk of the folders would", () => {
    assert.deepEqual(["a-b/x", "a/y", "a/b/z", "b"].sort(byFolderOrder), ["a/b/z", "a/y", "a-b/x", "b"]);
  });
});
