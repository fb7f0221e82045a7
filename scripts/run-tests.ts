// `npm test`: every check, in order, stopping at the first failure.
//   system packages -> lock file -> type check -> lint -> format -> unit -> integration (real PostgreSQL)
//   -> site build -> browser tests (Playwright in Debian's Chromium)
// A throwaway PostgreSQL cluster is started unless DATABASE_URL is set.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../loaders/paths.js";
import { freePort, startThrowawayPostgres } from "../tests/support/postgres.js";

const results: { step: string; ok: boolean; seconds: number }[] = [];

function step(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  console.log(`\n=== ${name}: ${command} ${args.join(" ")}`);
  const started = Date.now();
  const run = spawnSync(command, args, { cwd: projectRoot, stdio: "inherit", env: { ...process.env, ...env } });
  const ok = run.status === 0;
  results.push({ step: name, ok, seconds: (Date.now() - started) / 1000 });
  if (!ok) finish(1);
}

/** Run before exiting, also when a step fails part way (finish() exits from inside a try). */
const cleanups: (() => void)[] = [];

function finish(code: number): never {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  console.log("\n=== summary");
  for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.step} (${r.seconds.toFixed(1)} s)`);
  const passed = results.filter((r) => r.ok).length;
  console.log(`steps: ${passed} passed, ${results.length - passed} failed`);
  process.exit(code);
}

const testFiles = (dir: string) =>
  readdirSync(join(projectRoot, "tests", dir))
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => join("tests", dir, f));

const bin = (name: string) => join(projectRoot, "node_modules", ".bin", name);

step("system packages", "bash", ["scripts/ensure-system-deps.sh"]);
step("lock file (what npm ci installs)", bin("tsx"), ["scripts/check-lockfile.ts"]);
step("type check", bin("tsc"), ["-p", "."]);
step("lint", bin("eslint"), ["--max-warnings=0", "."]);
step("format", bin("prettier"), ["--check", "--log-level=warn", "."]);
step("unit tests", bin("tsx"), ["--test", ...testFiles("unit")]);

let postgres: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  postgres = await startThrowawayPostgres();
  databaseUrl = postgres.url;
  console.log(`\nstarted a throwaway PostgreSQL at ${databaseUrl}`);
}
const stopPostgres = () => postgres?.stop();
cleanups.push(stopPostgres);
step("integration tests (PostgreSQL)", bin("tsx"), ["--test", ...testFiles("integration")], { DATABASE_URL: databaseUrl });

// The site is built from a fresh store so the snapshot the build ships is the simulator's.
const scratch = mkdtempSync(join(tmpdir(), "runboard-test-"));
cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
step("site build", "npm", ["run", "build"], { RUNBOARD_DATA_DIR: join(scratch, "build-store") });
// The browser tests also open the editor on a PostgreSQL source (tests/e2e/source.spec.ts).
step("browser tests (Chromium)", bin("playwright"), ["test"], {
  E2E_PORT: String(await freePort()),
  E2E_DATA_DIR: join(scratch, "e2e-store"),
  DATABASE_URL: databaseUrl,
});
finish(0);
