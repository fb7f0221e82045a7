// A throwaway PostgreSQL cluster for the integration tests: initdb + pg_ctl in a temp dir,
// on its own port, stopped afterwards. Not used when DATABASE_URL points at an existing server.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function findPgBin(tool: string): string {
  const onPath = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
  if (onPath) return onPath;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, "bin", tool))) return join(root, v, "bin", tool);
  throw new Error(`${tool} not found; run scripts/ensure-system-deps.sh (installs Debian's postgresql)`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ThrowawayPostgres {
  url: string;
  /**
   * Stops the server abruptly (as a crash would) and starts it again on the same port and data;
   * asynchronous, so the caller's own traffic keeps going meanwhile.
   */
  restart(): Promise<void>;
  stop(): void;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const initdb = findPgBin("initdb");
  const pgCtl = findPgBin("pg_ctl");
  const dir = mkdtempSync(join(tmpdir(), "runboard-pg-"));
  const dataDir = join(dir, "data");
  const port = await freePort();
  // PostgreSQL refuses to run as root; run it as the postgres user when we are root.
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" })
      : execFileSync(cmd, args, { stdio: "pipe" });
  if (asRoot) chmodSync(dir, 0o777);
  run(initdb, ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const startArgs = () => [
    "-D",
    dataDir,
    "-l",
    join(dir, "postgres.log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    "-w",
    "start",
  ];
  run(pgCtl, startArgs());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      const runAsync = (cmd: string, args: string[]) =>
        promisify(execFile)(asRoot ? "runuser" : cmd, asRoot ? ["-u", "postgres", "--", cmd, ...args] : args);
      await runAsync(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      await runAsync(pgCtl, startArgs());
    },
    stop() {
      try {
        run(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A long table's mapping for a test's config file, its columns named as the tests name them. */
export function longTableMapping(schema: string, table: string, columns: Record<string, string> = {}) {
  return {
    layout: "long",
    schema,
    table,
    run: "run",
    observable: "name",
    channel: "channel",
    time: "t",
    value: "value",
    ...columns,
  };
}

/**
 * A small experiment's tables as the browser tests make them: runs (run_number, started_at,
 * stopped_at), slow control in a long table (run, name, channel, t, value) and array shots
 * (run, name, t, samples float8[]).
 */
export async function createExperimentTables(db: { query(sql: string): Promise<unknown> }, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  await db.query(`
    CREATE TABLE ${schema}.runs (run_number int PRIMARY KEY, started_at timestamptz NOT NULL, stopped_at timestamptz);
    CREATE TABLE ${schema}.slow (run int, name text, channel int, t timestamptz, value float8);
    CREATE TABLE ${schema}.shots (run int, name text, t timestamptz, samples float8[]);`);
}

/** The config's `source` for the tables createExperimentTables makes. */
export function experimentSource(url: string, schema: string) {
  return {
    kind: "postgres",
    url,
    runs: { schema, table: "runs", id: "run_number", start: "started_at", stop: "stopped_at" },
    tables: [
      longTableMapping(schema, "slow"),
      { layout: "long", schema, table: "shots", run: "run", observable: "name", time: "t", arrayValue: "samples" },
    ],
  };
}
