// The command line where there is no store yet (a fresh data directory): reading commands say
// so and leave no empty `runboard.duckdb` behind (issue 24: `runboard publish` used to).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { main as cli } from "../../cli/runboard.js";

const dataDir = mkdtempSync(join(tmpdir(), "runboard-no-store-"));
const saved = process.env.RUNBOARD_DATA_DIR;

before(() => {
  process.env.RUNBOARD_DATA_DIR = dataDir;
});
after(() => {
  if (saved === undefined) delete process.env.RUNBOARD_DATA_DIR;
  else process.env.RUNBOARD_DATA_DIR = saved;
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await cli(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { status, out: out.join("\n"), err: err.join("\n") };
}

it("publish and snapshot say there is no store, and create none", async () => {
  const review = join(dataDir, "..", `review-${process.pid}`);
  const published = await run(["publish", "--runs", "latest", "--out", review]);
  assert.equal(published.status, 2, published.err);
  assert.match(published.err, /there is no store in .* yet/);
  const plain = await run(["snapshot"]);
  assert.equal(plain.status, 2, plain.err);
  assert.equal(existsSync(join(dataDir, "runboard.duckdb")), false, `left behind: ${readdirSync(dataDir).join(", ")}`);
  assert.equal(existsSync(review), false);
});

it("users list says there are no users yet, and creates no store", async () => {
  const listed = await run(["users", "list"]);
  assert.equal(listed.status, 0, listed.err);
  assert.match(listed.out, /no users yet/);
  assert.equal(existsSync(join(dataDir, "runboard.duckdb")), false);
});
