// What a DAQ (or the built-in simulator) sends to runboard: one batch of run changes,
// observable declarations and readings. The HTTP endpoint and the simulator share this schema
// and the same handler (server/ingest/ingest.ts).
import { z } from "./z.js";
import { type ObservableInfo, observableName, observableSchema } from "./catalog.js";
import type { FieldError } from "./validation.js";

export const MAX_READINGS_PER_BATCH = 200_000;
/** Run ids and channels are stored as 32-bit integers (the store's and the snapshots' columns). */
export const MAX_RUN_ID = 2_147_483_647;
/** A run's metadata: nesting and size bounds, after merging with what is stored (a 400 beyond). */
export const MAX_META_DEPTH = 16;
export const MAX_META_BYTES = 64 * 1024;

/** Epoch milliseconds, or an ISO-8601 string. */
const timeSchema = z.union([
  z.number().finite().min(0),
  z
    .string()
    .datetime({ offset: true })
    .transform((s) => Date.parse(s)),
]);

const finiteArray = z.array(z.number().finite()).max(1_000_000);

const readingSchema = z
  .object({
    observable: observableName,
    run: z.number().int().min(0).max(MAX_RUN_ID),
    t: timeSchema,
    /** For per-channel observables: the channel. Omit it and send `values` for all channels at once. */
    channel: z.number().int().min(0).optional(),
    value: z
      .union([z.number().finite(), finiteArray, z.array(finiteArray).max(65_536)], {
        error: "must be a finite number, an array of numbers (1d) or an array of rows (2d)",
      })
      .optional(),
    /** One scalar per channel, channel i = values[i]; the compact form for cameras with many pixels. */
    values: finiteArray.optional(),
  })
  .strict()
  .refine((r) => (r.value === undefined) !== (r.values === undefined), {
    message: "give exactly one of value or values",
  });
export type IngestReading = z.infer<typeof readingSchema>;

const metaSchema = z
  .record(z.string(), z.unknown())
  .default({})
  .superRefine((meta, ctx) => {
    const problem = metaProblem(meta);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const runEventSchema = z
  .object({
    id: z.number().int().min(0).max(MAX_RUN_ID),
    start: timeSchema,
    stop: timeSchema.nullable().optional(),
    meta: metaSchema,
  })
  .strict()
  .refine((r) => r.stop === null || r.stop === undefined || r.stop >= r.start, {
    path: ["stop"],
    message: "is before the run's start",
  });
export type RunEvent = z.infer<typeof runEventSchema>;

/** Why run metadata is refused (too deep or too big), or undefined. Iterative: depth is the input's. */
export function metaProblem(meta: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: meta, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth > MAX_META_DEPTH) return `nested more than ${MAX_META_DEPTH} levels deep`;
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  const bytes = new TextEncoder().encode(JSON.stringify(meta)).length;
  return bytes > MAX_META_BYTES ? `${bytes} bytes as JSON, more than ${MAX_META_BYTES}` : undefined;
}

/** A sender's name, as batches carry it and source tokens list it. */
export const sourceName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "letters, digits and _ . : - only, at most 64");

export const ingestBatchSchema = z
  .object({
    /**
     * Who sends the batch (e.g. `daq-hall-b`) and its number in that sender's stream. With both,
     * a batch sent again (a retry after a lost answer) is stored once: the store answers
     * `duplicate: true` and keeps the first.
     */
    source: sourceName.optional(),
    sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    runs: z.array(runEventSchema).max(1000).default([]),
    observables: z.array(observableSchema).max(10_000).default([]),
    readings: z.array(readingSchema).max(MAX_READINGS_PER_BATCH).default([]),
    /**
     * New owners for existing runs and observables (null: no source): an admin's answer to a
     * source that claimed another's names first. Only the ingest token (or an admin, through
     * POST /api/admin/ownership) may send it; it goes the way of every batch, to every replica.
     */
    owners: z
      .object({
        runs: z
          .array(z.object({ id: z.number().int().min(0).max(MAX_RUN_ID), owner: sourceName.nullable() }).strict())
          .max(1000)
          .default([]),
        observables: z
          .array(z.object({ name: observableName, owner: sourceName.nullable() }).strict())
          .max(10_000)
          .default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => (b.source === undefined) === (b.sequence === undefined), {
    path: ["sequence"],
    message: "give source and sequence together (or neither)",
  });
export type IngestBatch = z.infer<typeof ingestBatchSchema>;

/**
 * The times a batch may carry: none before `earliest` (epoch ms) and none more than `aheadMs`
 * past the server's clock. A time outside is a sender's bug (seconds sent as milliseconds, a
 * DAQ's clock off by years) that would otherwise be stored, and stretch every axis, for good.
 */
export interface TimeBounds {
  earliest: number;
  aheadMs: number;
}
export const DEFAULT_TIME_BOUNDS: TimeBounds = { earliest: Date.UTC(2000, 0, 1), aheadMs: 24 * 3_600_000 };
/** At most this many errors are listed for one batch; the rest are counted. */
const MAX_LISTED_ERRORS = 20;

/** Every time in the batch outside `bounds` at `now`, each naming its field. */
export function timeErrors(batch: IngestBatch, bounds: TimeBounds, now: number): FieldError[] {
  const latest = now + bounds.aheadMs;
  const errors: FieldError[] = [];
  let more = 0;
  const check = (field: string, t: number) => {
    if (t >= bounds.earliest && t <= latest) return;
    if (errors.length >= MAX_LISTED_ERRORS) return void more++;
    const hint =
      t < bounds.earliest
        ? `before ${new Date(bounds.earliest).toISOString()}${t < 1e11 ? " (epoch seconds? send milliseconds)" : ""}`
        : `more than ${bounds.aheadMs / 3_600_000} h after the server's clock (${new Date(now).toISOString()})`;
    errors.push({ field, message: `${t} is ${hint}` });
  };
  batch.runs.forEach((r, i) => {
    check(`runs[${i}].start`, r.start);
    if (r.stop !== null && r.stop !== undefined) check(`runs[${i}].stop`, r.stop);
  });
  batch.readings.forEach((r, i) => check(`readings[${i}].t`, r.t));
  if (more > 0) errors.push({ field: "(body)", message: `and ${more} more times out of range` });
  return errors;
}

/** A reading checked against the catalog, one channel per row, not yet numbered. */
export interface NormalizedReading {
  run: number;
  observable: string;
  channel: number;
  t: number;
  value: number | number[] | number[][];
}

export type CheckedBatch =
  | {
      ok: true;
      runs: RunEvent[];
      observables: ObservableInfo[];
      readings: NormalizedReading[];
      owners?: IngestBatch["owners"];
    }
  | { ok: false; errors: FieldError[] };

/**
 * Checks a parsed batch against what the store already knows: every reading must name a declared
 * observable and a known run, and its value must have the observable's shape. Nothing is stored
 * unless all of it passes, so a batch is never half-stored.
 */
export function checkBatch(
  batch: IngestBatch,
  knownObservables: ReadonlyMap<string, ObservableInfo>,
  knownRuns: ReadonlySet<number>,
): CheckedBatch {
  const errors: FieldError[] = [];
  const observables = new Map(knownObservables);
  batch.observables.forEach((o, i) => {
    const existing = knownObservables.get(o.name);
    if (
      existing &&
      (existing.shape !== o.shape || existing.channels !== o.channels || String(existing.dims) !== String(o.dims))
    ) {
      errors.push({
        field: `observables[${i}]`,
        message: `${o.name} is already declared as ${describeShape(existing)}; its shape cannot change`,
      });
    }
    observables.set(o.name, o);
  });
  const runs = new Set(knownRuns);
  for (const r of batch.runs) runs.add(r.id);

  const readings: NormalizedReading[] = [];
  batch.readings.forEach((r, i) => {
    const at = `readings[${i}]`;
    const info = observables.get(r.observable);
    if (!info) {
      errors.push({ field: `${at}.observable`, message: `unknown observable ${r.observable}; declare it in observables` });
      return;
    }
    if (!runs.has(r.run)) {
      errors.push({ field: `${at}.run`, message: `unknown run ${r.run}; declare it in runs` });
      return;
    }
    if (r.values !== undefined) {
      if (info.shape !== "scalar") {
        errors.push({ field: `${at}.values`, message: `values is for per-channel scalars; ${info.name} is ${info.shape}` });
      } else if (r.values.length !== info.channels) {
        errors.push({
          field: `${at}.values`,
          message: `expected ${info.channels} values (one per channel), got ${r.values.length}`,
        });
      } else {
        r.values.forEach((v, channel) => readings.push({ run: r.run, observable: r.observable, channel, t: r.t, value: v }));
      }
      return;
    }
    const channel = r.channel ?? 0;
    if (channel >= info.channels) {
      errors.push({ field: `${at}.channel`, message: `${info.name} has ${info.channels} channel(s); got channel ${channel}` });
      return;
    }
    const problem = shapeProblem(info, r.value!);
    if (problem) {
      errors.push({ field: `${at}.value`, message: problem });
      return;
    }
    readings.push({ run: r.run, observable: r.observable, channel, t: r.t, value: r.value! });
  });
  // Owners are given to what exists (or this batch declares), never to a name nobody has.
  batch.owners?.runs.forEach((o, i) => {
    if (!runs.has(o.id)) errors.push({ field: `owners.runs[${i}].id`, message: `unknown run ${o.id}` });
  });
  batch.owners?.observables.forEach((o, i) => {
    if (!observables.has(o.name))
      errors.push({ field: `owners.observables[${i}].name`, message: `unknown observable ${o.name}` });
  });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    runs: batch.runs,
    observables: batch.observables,
    readings,
    ...(batch.owners ? { owners: batch.owners } : {}),
  };
}

function describeShape(o: ObservableInfo): string {
  return o.shape === "scalar" ? `scalar with ${o.channels} channel(s)` : `${o.shape} [${o.dims.join(" x ")}]`;
}

function shapeProblem(info: ObservableInfo, value: number | number[] | number[][]): string | undefined {
  if (info.shape === "scalar") return typeof value === "number" ? undefined : `${info.name} is a scalar; send a number`;
  if (info.shape === "1d") {
    if (!Array.isArray(value) || value.some((v) => typeof v !== "number")) return `${info.name} is 1d; send an array of numbers`;
    return value.length === info.dims[0] ? undefined : `expected ${info.dims[0]} values, got ${value.length}`;
  }
  if (!Array.isArray(value) || !value.every((row) => Array.isArray(row))) return `${info.name} is 2d; send an array of rows`;
  const [rows, cols] = info.dims;
  if (value.length !== rows) return `expected ${rows} rows, got ${value.length}`;
  const bad = (value as number[][]).findIndex((row) => row.length !== cols);
  return bad < 0 ? undefined : `row ${bad} has ${(value as number[][])[bad]!.length} values, expected ${cols}`;
}
