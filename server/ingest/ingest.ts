// The one ingest path. HTTP (`POST /api/ingest`), websocket publishing, bluesky documents, the
// source watchers and the built-in simulator all call `ingestBody` with an `Ingestor`, so
// simulated data exercises exactly what a real DAQ's data goes through.
import type { Reading, RunInfo } from "../../src/core/catalog.js";
import { type IngestBatch, ingestBatchSchema } from "../../src/core/ingest.js";
import { type FieldError, fieldErrors } from "../../src/core/validation.js";
import type { EmbeddedStore } from "../store/embedded-store.js";

export type IngestOutcome =
  /** `duplicate`: this (source, sequence) was stored before, so nothing was stored again. */
  { ok: true; stored: number; lastSeq: number; duplicate?: true } | { ok: false; errors: FieldError[] };

export type StoredListener = (readings: Reading[], runs: RunInfo[]) => void;

/**
 * Stores a checked batch durably, then hands what was stored to the live hub. One server alone
 * stores into its embedded store (`localIngestor`); replicas go through the shared log in
 * PostgreSQL first (server/ingest/ingest-log.ts).
 */
export interface Ingestor {
  ingest(batch: IngestBatch): Promise<IngestOutcome>;
  /** Brings the local store up to date with what other replicas stored (replicas only). */
  catchUp?(): Promise<void>;
}

/** Thrown when the store behind an ingestor cannot be reached: nothing was stored, retry later. */
export class StoreUnavailableError extends Error {}

export function localIngestor(store: EmbeddedStore, onStored?: StoredListener): Ingestor {
  return {
    async ingest(batch) {
      const result = await store.ingest(batch);
      if (!result.ok) return result;
      if (onStored && (result.readings.length > 0 || result.runs.length > 0)) onStored(result.readings, result.runs);
      return {
        ok: true,
        stored: result.readings.length,
        lastSeq: store.lastSeq(),
        ...(result.duplicate ? { duplicate: true } : {}),
      };
    },
  };
}

export async function ingestBody(ingestor: Ingestor, body: unknown): Promise<IngestOutcome> {
  const parsed = ingestBatchSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  return ingestor.ingest(parsed.data);
}
