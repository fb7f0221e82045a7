// The one ingest path. HTTP (`POST /api/ingest`) and the built-in simulator both call
// `ingestBody`, so simulated data exercises exactly what a real DAQ's data goes through.
import type { Reading, RunInfo } from "../src/core/catalog.js";
import { ingestBatchSchema } from "../src/core/ingest.js";
import { type FieldError, fieldErrors } from "../src/core/validation.js";
import type { EmbeddedStore } from "./embedded-store.js";

export type IngestOutcome =
  /** `duplicate`: this (source, sequence) was stored before, so nothing was stored again. */
  { ok: true; stored: number; lastSeq: number; duplicate?: true } | { ok: false; errors: FieldError[] };

export type StoredListener = (readings: Reading[], runs: RunInfo[]) => void;

export async function ingestBody(store: EmbeddedStore, body: unknown, onStored?: StoredListener): Promise<IngestOutcome> {
  const parsed = ingestBatchSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const result = await store.ingest(parsed.data);
  if (!result.ok) return result;
  if (onStored && (result.readings.length > 0 || result.runs.length > 0)) onStored(result.readings, result.runs);
  return { ok: true, stored: result.readings.length, lastSeq: store.lastSeq(), ...(result.duplicate ? { duplicate: true } : {}) };
}
