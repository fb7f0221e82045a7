// A running server says where it listens in its data directory, so `runboard snapshot` run
// beside it can ask it to refresh instead of tripping over the store's lock.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RunningServerRecord {
  pid: number;
  url: string;
  snapshotDir: string;
}

const FILE = "server.json";

export function recordRunningServer(dataDir: string, record: RunningServerRecord): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify(record), { mode: 0o600 });
}

export function forgetRunningServer(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

/** The server running on this data directory, if one is (a record left by a dead one is ignored). */
export function findRunningServer(dataDir: string): RunningServerRecord | undefined {
  let record: RunningServerRecord;
  try {
    record = JSON.parse(readFileSync(join(dataDir, FILE), "utf8")) as RunningServerRecord;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(record.pid) || typeof record.url !== "string") return undefined;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
  }
  return record;
}

/** The token a command asks the running server with: RUNBOARD_INGEST_TOKEN, else the data directory's. */
export function ingestTokenFor(dataDir: string): string | undefined {
  const given = process.env.RUNBOARD_INGEST_TOKEN?.trim();
  if (given) return given;
  try {
    return readFileSync(join(dataDir, "ingest-token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
