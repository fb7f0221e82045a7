// Where runboard keeps things on disk. Shared by the server, the CLI and the Framework loaders.
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `RUNBOARD_DATA_DIR`, relative to the project root, default `./var`. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.RUNBOARD_DATA_DIR?.trim() || "var";
  return isAbsolute(dir) ? dir : join(projectRoot, dir);
}
