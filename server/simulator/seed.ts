// A fresh embedded store's first history: the built-in simulator's last hours, and before them
// the demo beamline's scans, fed through the normal ingest path (the server at start, and
// `runboard snapshot --seed-empty-store` for a build).
import type { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import { type Ingestor, ingestBody, localIngestor } from "../ingest/ingest.js";
import { BLUESKY_SOURCE, translateBluesky } from "../ingest/bluesky-ingest.js";
import { describeErrors } from "../../src/core/validation.js";
import { BEAMLINE_PREFIX, demoScanDocuments } from "./beamline.js";
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
  const from = now - hours * 3600_000;
  let stored = await seedScans(store, ingestor, seed, from);
  for (let t = from; t < now; t += BACKFILL_CHUNK_MS) {
    const outcome = await ingestBody(ingestor, simulate(seed, t, Math.min(t + BACKFILL_CHUNK_MS, now), now));
    if (!outcome.ok) throw new Error(`simulator produced a batch the store rejected: ${JSON.stringify(outcome.errors)}`);
    stored += outcome.stored;
  }
  return stored;
}

/** The beamline's scans, each document translated as `POST /api/ingest/bluesky` does it. */
async function seedScans(store: EmbeddedStore, ingestor: Ingestor, seed: number, before: number): Promise<number> {
  let stored = 0;
  for (const [name, doc] of demoScanDocuments(seed, before)) {
    const translated = translateBluesky(name, doc, store, { prefix: BEAMLINE_PREFIX });
    const outcome = translated.ok
      ? await ingestBody(ingestor, translated.batch, { owner: BLUESKY_SOURCE, restricted: false })
      : translated;
    if (!outcome.ok) throw new Error(`the demo beamline's ${name} document was rejected: ${describeErrors(outcome.errors)}`);
    stored += outcome.stored;
  }
  return stored;
}
