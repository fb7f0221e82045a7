// The server as its own process, with the demo simulator and two hours of backfill, in a data
// directory of its own: what the long benchmarks measure against.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../tests/support/postgres.js";
import { type ServerProcess, startServerProcess } from "../../tests/support/server-process.js";

export interface DemoServer {
  server: ServerProcess;
  base: string;
  port: number;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts it with `token` for writing and `env` on top; waits until it has started. */
export async function startDemoServer(name: string, token: string, env: Record<string, string> = {}): Promise<DemoServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `runboard-${name}-`));
  const port = await freePort();
  const server = await startServerProcess(
    port,
    {
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
      RUNBOARD_INGEST_TOKEN: token,
      RUNBOARD_SIMULATOR: "on",
      RUNBOARD_BACKFILL_HOURS: "2",
      ...env,
    },
    180_000,
  );
  const stop = async () => {
    server.proc.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    server.proc.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { server, port, base: `http://127.0.0.1:${port}`, stop };
}
