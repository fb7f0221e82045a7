// Snapshots: the embedded store's readings as Parquet that DuckDB-WASM reads in the browser.
// The Framework loaders (src/data/) and the server's /api/snapshot share these functions.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunInfo } from "../src/core/catalog.js";
import { latestRun } from "../src/core/time-window.js";
import type { EmbeddedStore } from "./embedded-store.js";
import { type Ingestor, ingestBody, localIngestor } from "./ingest.js";
import { simulate } from "./simulator.js";

export const DEFAULT_SEED = 20261121;
const BACKFILL_CHUNK_MS = 5 * 60 * 1000;

/**
 * Gives a brand-new store some history: `hours` of the simulated experiment up to `now`, fed
 * through the normal ingest path. Does nothing when the store already holds readings.
 */
export async function seedIfEmpty(
  store: EmbeddedStore,
  options: { seed?: number; hours?: number; now?: number } = {},
  ingestor: Ingestor = localIngestor(store),
): Promise<number> {
  if (store.lastSeq() > 0) return 0;
  const { seed = DEFAULT_SEED, hours = 2, now = Date.now() } = options;
  let stored = 0;
  for (let t = now - hours * 3600_000; t < now; t += BACKFILL_CHUNK_MS) {
    const outcome = await ingestBody(ingestor, simulate(seed, t, Math.min(t + BACKFILL_CHUNK_MS, now), now));
    if (!outcome.ok) throw new Error(`simulator produced a batch the store rejected: ${JSON.stringify(outcome.errors)}`);
    stored += outcome.stored;
  }
  return stored;
}

/** The span of the newest run's last `hours`, ending at its stop (or `now` while it runs). */
export function recentSpan(runs: readonly RunInfo[], hours: number, now = Date.now()): { from: number; to: number } {
  const newest = latestRun(runs);
  const to = newest ? (newest.stop ?? now) : now;
  return { from: to - hours * 3600_000, to };
}

/** Writes a Parquet snapshot into a temporary file and returns its bytes. */
export async function scalarSnapshotBytes(
  store: EmbeddedStore,
  query: { observables: readonly string[]; from: number; to: number; runs?: readonly number[] },
): Promise<{ bytes: Buffer; rows: number; maxSeq: number }> {
  const dir = mkdtempSync(join(tmpdir(), "runboard-snapshot-"));
  try {
    const file = join(dir, "snapshot.parquet");
    const { rows, maxSeq } = await store.writeScalarParquet(file, query);
    return { bytes: readFileSync(file), rows, maxSeq };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
