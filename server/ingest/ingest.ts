// The one ingest path. HTTP (`POST /api/ingest`), websocket publishing, bluesky documents, the
// source watchers and the built-in simulator all call `ingestBody` with an `Ingestor`, so
// simulated data exercises exactly what a real DAQ's data goes through.
import type { Reading, RunInfo } from "../../src/core/catalog.js";
import { DEFAULT_TIME_BOUNDS, type IngestBatch, ingestBatchSchema, type TimeBounds, timeErrors } from "../../src/core/ingest.js";
import { type FieldError, fieldErrors } from "../../src/core/validation.js";
import type { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import type { WriteAccess } from "../../src/core/ownership.js";

export type { WriteAccess };

export type IngestOutcome =
  /** `duplicate`: this (source, sequence) was stored before, so nothing was stored again. */
  | { ok: true; stored: number; lastSeq: number; duplicate?: true }
  /** `forbidden`: the batch writes runs or observables another source owns (a 403, not a 400). */
  | { ok: false; errors: FieldError[]; forbidden?: true };

/** What a batch written by the server itself (simulator, watchers) or the ingest token may do. */
export const unrestricted = (batch: Pick<IngestBatch, "source">): WriteAccess => ({
  owner: batch.source ?? null,
  restricted: false,
});

export type StoredListener = (readings: Reading[], runs: RunInfo[]) => void;

/**
 * Stores a checked batch durably, then hands what was stored to the live hub. One server alone
 * stores into its embedded store (`localIngestor`); replicas go through the shared log in
 * PostgreSQL first (server/ingest/ingest-log.ts).
 */
export interface Ingestor {
  ingest(batch: IngestBatch, access?: WriteAccess): Promise<IngestOutcome>;
  /** Brings the local store up to date with what other replicas stored (replicas only). */
  catchUp?(): Promise<void>;
}

/** Thrown when the store behind an ingestor cannot be reached: nothing was stored, retry later. */
export class StoreUnavailableError extends Error {}

export function localIngestor(store: EmbeddedStore, onStored?: StoredListener): Ingestor {
  return {
    async ingest(batch, access) {
      const result = await store.ingest(batch, undefined, access);
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

/**
 * Refuses batches with a time outside `bounds` (RUNBOARD_TIME_EARLIEST, RUNBOARD_TIME_AHEAD_HOURS)
 * before they reach `ingestor`: the server wraps its one ingestor in this, so every road is held
 * to the same bounds.
 */
export function withTimeBounds(ingestor: Ingestor, bounds: TimeBounds = DEFAULT_TIME_BOUNDS, now = Date.now): Ingestor {
  return {
    ingest(batch, access) {
      const outOfRange = timeErrors(batch, bounds, now());
      if (outOfRange.length > 0) return Promise.resolve({ ok: false, errors: outOfRange });
      return ingestor.ingest(batch, access);
    },
    ...(ingestor.catchUp ? { catchUp: () => ingestor.catchUp!() } : {}),
  };
}

/** Validates a batch as sent and ingests it as `access` allows (by default as its own source). */
export async function ingestBody(ingestor: Ingestor, body: unknown, access?: WriteAccess): Promise<IngestOutcome> {
  const parsed = ingestBatchSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  return ingestor.ingest(parsed.data, access ?? unrestricted(parsed.data));
}
