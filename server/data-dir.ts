// The data directory holds the store, the ingest token and the users' sessions: like
// PostgreSQL's, it is the server's alone. It is created 0700 and every file the server writes
// is 0600 (the process umask); one found open to others is tightened, with a log line. A data
// directory the server cannot write (read-only, full) stops the start with a plain message.
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";

export class DataDirError extends Error {}

/** Group and other permission bits: none may be set on the data directory or its files. */
const OPEN_TO_OTHERS = 0o077;

const reasons: Record<string, string> = {
  EROFS: "is on a read-only file system",
  EACCES: "is not writable by this user",
  EPERM: "is not writable by this user",
  ENOSPC: "has no space left on device",
  EDQUOT: "is over its disk quota",
};

/**
 * Creates or checks `dir`, tightens its permissions, and proves it takes a write. Files named in
 * `leave` are not touched: the tokens file is refused when open to others, never quietly fixed.
 */
export function prepareDataDir(dir: string, log: (line: string) => void, leave: readonly string[] = []): void {
  // Everything the server creates from here on is its own (0600 files, 0700 directories).
  process.umask(0o077);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw dataDirError(dir, whyNotMade(dir, error));
  }
  tighten(dir, log, new Set(leave));
  // A write, synced, then removed: a read-only or full disk says so now, not at the first ingest.
  const probe = join(dir, `.write-check-${process.pid}`);
  try {
    const fd = openSync(probe, "w", 0o600);
    try {
      writeSync(fd, Buffer.alloc(4096));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (error) {
    try {
      unlinkSync(probe);
    } catch {
      // never created, or nothing to remove
    }
    throw dataDirError(dir, error);
  }
}

function tighten(dir: string, log: (line: string) => void, leave: ReadonlySet<string>): void {
  const loosened: string[] = [];
  const fix = (path: string, mode: number) => {
    const now = statSync(path).mode & 0o777;
    if ((now & OPEN_TO_OTHERS) === 0) return;
    try {
      chmodSync(path, mode);
      loosened.push(`${path} (was ${now.toString(8)})`);
    } catch (error) {
      throw dataDirError(dir, error);
    }
  };
  fix(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (leave.has(join(dir, entry.name))) continue;
    if (entry.isFile()) fix(join(dir, entry.name), 0o600);
    else if (entry.isDirectory()) fix(join(dir, entry.name), 0o700);
  }
  if (loosened.length > 0) log(`tightened permissions to the server's own: ${loosened.join(", ")}`);
}

/**
 * Node's recursive mkdir says ENOENT when the parent it should create is on a read-only file
 * system (or not writable): the nearest existing ancestor says what is really wrong.
 */
function whyNotMade(dir: string, error: unknown): unknown {
  if ((error as { code?: string }).code !== "ENOENT") return error;
  let ancestor = dirname(dir);
  while (!existsSync(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  try {
    accessSync(ancestor, constants.W_OK);
  } catch (denied) {
    return denied;
  }
  return error;
}

function dataDirError(dir: string, error: unknown): DataDirError {
  const code = (error as { code?: string }).code ?? "";
  const reason = reasons[code] ?? `cannot be used (${(error as Error).message})`;
  return new DataDirError(`the data directory ${dir} ${reason}; RUNBOARD_DATA_DIR names it`);
}
