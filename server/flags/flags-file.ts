// The runs' flags as files in the snapshot directory, so snapshots and published reviews carry
// the verdicts without a server. Every run with flags has its own `flags/<run>.json` (all of its
// flags, withdrawn ones too); `flags.json` holds the newest MAX_INLINE_FLAGS of them and lists
// every run's file, so it stays small however many flags a long experiment gathers (2,706 flags
// once made a 6.8 MB flags.json that every page downloaded) and the rest is one file away.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { flagsByRun, type RunFlag } from "../../src/core/flags.js";
import type { FlagStore } from "./flag-store.js";

/** Flags kept in flags.json itself, the newest first to go in. */
export const MAX_INLINE_FLAGS = 1000;

export interface FlagsIndex {
  version: 1;
  updatedAt: string;
  /** The newest flags (all of them when `complete`). */
  flags: RunFlag[];
  /** Whether `flags` holds every flag; if not, each run's are in `runs[run].path`. */
  complete: boolean;
  runs: Record<string, { path: string; count: number }>;
}

/** flags.json's contents for these flags. */
export function flagsIndex(all: readonly RunFlag[], now = new Date()): FlagsIndex {
  const newest = [...all].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const inline = newest.slice(0, MAX_INLINE_FLAGS).sort((a, b) => a.run - b.run || (a.createdAt < b.createdAt ? -1 : 1));
  const runs = Object.fromEntries(
    [...flagsByRun(all)].map(([run, list]) => [String(run), { path: `flags/${run}.json`, count: list.length }]),
  );
  return { version: 1, updatedAt: now.toISOString(), flags: inline, complete: inline.length === all.length, runs };
}

async function writeWhole(path: string, body: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(body, null, 1)}\n`);
  await rename(`${path}.tmp`, path);
}

/**
 * Writes flags.json and the runs' files (only `changedRun`'s when given, every run's otherwise),
 * each whole or not at all (write, then rename).
 */
export async function writeFlagsFile(flags: FlagStore, dir: string, changedRun?: number): Promise<void> {
  const all = await flags.all();
  await mkdir(join(dir, "flags"), { recursive: true });
  for (const [run, list] of flagsByRun(all)) {
    if (changedRun !== undefined && run !== changedRun) continue;
    await writeWhole(join(dir, "flags", `${run}.json`), { version: 1, run, flags: list });
  }
  await writeWhole(join(dir, "flags.json"), flagsIndex(all));
}
