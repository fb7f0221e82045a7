// bluesky's document stream as ingest batches, so a RunEngine callback can publish straight to
// runboard (`POST /api/ingest/bluesky`): `start` opens a run (its own: the `scan_id` is the run
// id while no other start document has it; beamlines reuse scan ids after a restart, and then
// the run gets an id of its own, keeping `scan_id` as a label, as the MongoDB mapping does),
// `descriptor` declares its data keys as observables (as the MongoDB bluesky mapping names
// them), `event` and `event_page` become readings, `stop` closes the run with its exit status.
//
// What a later document needs of an earlier one (a descriptor's run and keys) is kept in the
// run's metadata in the store, so a server restart in the middle of a run loses nothing. An
// event batch carries the source `bluesky:<descriptor uid>` and its first `seq_num`, so a
// callback that sends an event again (a retry) has it stored once.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { IngestBatch } from "../../src/core/ingest.js";
import type { FieldError } from "../../src/core/validation.js";
import { DERIVED_RUN_BASE, dataKeyShape, keyPlans, whyKeySkipped } from "../../loaders/sources/mongo-queries.js";

export const BLUESKY_SOURCE = "bluesky";

/** What the translator needs of the store: the runs (with metadata) and the catalog. */
export interface BlueskyState {
  runs(): RunInfo[];
  catalog(): ObservableInfo[];
}

/** A descriptor as kept in its run's metadata (`meta.bluesky_descriptors[uid]`). */
interface KeptDescriptor {
  stream: string;
  /** Data key -> observable name, for the keys runboard keeps. */
  keys: Record<string, string>;
}

type Doc = Record<string, unknown>;
/** A data key, or some of its values, left out, and why: said in the answer and the log. */
export interface SkippedKey {
  key: string;
  reason: string;
  /** How many values (events), for values left out; absent for a key left out whole. */
  count?: number;
}
export type Translated = { ok: true; batch: IngestBatch; skipped?: SkippedKey[] } | { ok: false; errors: FieldError[] };

export interface BlueskyOptions {
  /** Prepended to data keys' observable names, so two beamlines' `det` stay apart (e.g. `bl2.`). */
  prefix?: string;
}

const fail = (field: string, message: string): Translated => ({ ok: false, errors: [{ field, message }] });
const isDoc = (v: unknown): v is Doc => v !== null && typeof v === "object" && !Array.isArray(v);
/** bluesky times are epoch seconds. */
const ms = (seconds: unknown) => (typeof seconds === "number" && Number.isFinite(seconds) ? seconds * 1000 : undefined);

export function translateBluesky(name: unknown, doc: unknown, state: BlueskyState, options: BlueskyOptions = {}): Translated {
  if (!isDoc(doc)) return fail("doc", "must be a bluesky document (an object)");
  switch (name) {
    case "start":
      return start(doc, state);
    case "descriptor":
      return descriptor(doc, state, options.prefix ?? "");
    case "event":
      return events(doc.descriptor, [doc], state);
    case "event_page":
      return eventPage(doc, state);
    case "stop":
      return stop(doc, state);
    case "resource":
    case "datum":
    case "datum_page":
    case "resource_page":
      // Externally stored data (detector images on disk): not live values; nothing to store.
      return { ok: true, batch: { runs: [], observables: [], readings: [] } };
    default:
      return fail("name", "must be start, descriptor, event, event_page or stop");
  }
}

function runOfStart(uid: unknown, state: BlueskyState): RunInfo | undefined {
  return typeof uid === "string" ? state.runs().find((r) => r.meta.uid === uid) : undefined;
}

function start(doc: Doc, state: BlueskyState): Translated {
  if (typeof doc.uid !== "string") return fail("doc.uid", "a start document needs its uid");
  const scanId = doc.scan_id;
  if (typeof scanId !== "number" || !Number.isSafeInteger(scanId) || scanId < 0) {
    return fail("doc.scan_id", "must be a whole number >= 0 (it becomes the run id)");
  }
  const time = ms(doc.time);
  if (time === undefined) return fail("doc.time", "must be epoch seconds");
  const id = runIdFor(doc.uid, scanId, state.runs());
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (k !== "time") meta[k] = v;
  return { ok: true, batch: { runs: [{ id, start: time, meta }], observables: [], readings: [] } };
}

/**
 * The run of a start document: the one it opened already (a resend), else its scan_id while no
 * run has that id and it is below DERIVED_RUN_BASE, else DERIVED_RUN_BASE + its place among the
 * bluesky runs: the same ids the MongoDB mapping gives the same documents (blueskyRunIds).
 */
function runIdFor(uid: string, scanId: number, runs: readonly RunInfo[]): number {
  const mine = runs.find((r) => r.meta.uid === uid);
  if (mine) return mine.id;
  const taken = new Set(runs.map((r) => r.id));
  if (scanId < DERIVED_RUN_BASE && !taken.has(scanId)) return scanId;
  let id = DERIVED_RUN_BASE + runs.filter((r) => typeof r.meta.uid === "string").length + 1;
  while (taken.has(id)) id++;
  return id;
}

function descriptor(doc: Doc, state: BlueskyState, prefix: string): Translated {
  if (typeof doc.uid !== "string") return fail("doc.uid", "a descriptor needs its uid");
  const run = runOfStart(doc.run_start, state);
  if (!run) return fail("doc.run_start", "no start document with this uid was sent; send it first");
  if (!isDoc(doc.data_keys)) return fail("doc.data_keys", "must be an object");
  const known = new Map(state.catalog().map((o) => [o.name, o]));
  const observables: ObservableInfo[] = [];
  const keys: Record<string, string> = {};
  const skipped: SkippedKey[] = [];
  for (const [key, spec] of Object.entries(doc.data_keys)) {
    const reason = whyKeySkipped(spec);
    if (reason) skipped.push({ key, reason });
  }
  for (const plan of keyPlans(doc.data_keys, prefix)) {
    const shape = dataKeyShape(doc.data_keys[plan.key])!;
    const info: ObservableInfo = {
      name: plan.name,
      unit: shape.unit,
      shape: shape.shape,
      channels: 1,
      dims: shape.dims,
      description: shape.description,
    };
    const before = known.get(plan.name);
    if (before && (before.shape !== info.shape || String(before.dims) !== String(info.dims))) {
      return fail(`doc.data_keys.${plan.key}`, `${plan.name} is already a ${before.shape} of dims [${before.dims}]`);
    }
    if (!before) observables.push(info);
    keys[plan.key] = plan.name;
  }
  const kept = (run.meta.bluesky_descriptors ?? {}) as Record<string, KeptDescriptor>;
  const stream = typeof doc.name === "string" ? doc.name : "primary";
  return {
    ok: true,
    batch: {
      runs: [
        { id: run.id, start: run.start, stop: run.stop, meta: { bluesky_descriptors: { ...kept, [doc.uid]: { stream, keys } } } },
      ],
      observables,
      readings: [],
    },
    ...(skipped.length > 0 ? { skipped } : {}),
  };
}

/** Why an event's value is not a reading: null (not read), NaN or infinite, or not a number. */
function whyValueSkipped(value: unknown): string | undefined {
  if (value === null) return "null";
  if (typeof value === "number") return Number.isFinite(value) ? undefined : String(value);
  if (!Array.isArray(value)) return `not a number (${typeof value})`;
  const flat = value.flat();
  if (flat.some((v) => typeof v !== "number")) return "an array with other than numbers";
  return flat.every((v) => Number.isFinite(v)) ? undefined : "an array with NaN or infinite elements";
}

function keptDescriptor(uid: unknown, state: BlueskyState): { run: RunInfo; kept: KeptDescriptor } | undefined {
  if (typeof uid !== "string") return undefined;
  for (const run of state.runs()) {
    const kept = (run.meta.bluesky_descriptors as Record<string, KeptDescriptor> | undefined)?.[uid];
    if (kept) return { run, kept };
  }
  return undefined;
}

/** Events of one descriptor: one reading per kept data key per event. */
function events(descriptorUid: unknown, docs: Doc[], state: BlueskyState): Translated {
  const found = keptDescriptor(descriptorUid, state);
  if (!found) return fail("doc.descriptor", "no descriptor with this uid was sent; send it first");
  const readings: IngestBatch["readings"] = [];
  const skipped = new Map<string, SkippedKey>();
  for (const [i, event] of docs.entries()) {
    const at = docs.length > 1 ? `[${i}]` : "";
    const time = ms(event.time);
    if (time === undefined) return fail(`doc.time${at}`, "must be epoch seconds");
    if (!isDoc(event.data)) return fail(`doc.data${at}`, "must be an object of data key -> value");
    const timestamps = isDoc(event.timestamps) ? event.timestamps : {};
    for (const [key, observable] of Object.entries(found.kept.keys)) {
      if (!Object.hasOwn(event.data, key)) continue;
      const value = event.data[key];
      const reason = whyValueSkipped(value);
      if (reason) {
        const seen = skipped.get(`${key}\u0000${reason}`) ?? { key, reason, count: 0 };
        seen.count!++;
        skipped.set(`${key}\u0000${reason}`, seen);
        continue;
      }
      readings.push({ observable, run: found.run.id, t: ms(timestamps[key]) ?? time, value: value as number });
    }
  }
  const first = docs[0]?.seq_num;
  const sequence = typeof first === "number" && Number.isSafeInteger(first) && first >= 0 ? first : undefined;
  return {
    ok: true,
    batch: {
      ...(sequence !== undefined ? { source: `${BLUESKY_SOURCE}:${String(descriptorUid)}`, sequence } : {}),
      runs: [],
      observables: [],
      readings,
    },
    ...(skipped.size > 0 ? { skipped: [...skipped.values()] } : {}),
  };
}

/** An event page (columns of events) as the events it holds. */
function eventPage(doc: Doc, state: BlueskyState): Translated {
  const times = doc.time;
  if (!Array.isArray(times)) return fail("doc.time", "an event page has a list of times");
  if (!isDoc(doc.data)) return fail("doc.data", "must be an object of data key -> list of values");
  const column = (of: unknown, key: string) => (isDoc(of) && Array.isArray(of[key]) ? (of[key] as unknown[]) : []);
  const seqNums = Array.isArray(doc.seq_num) ? doc.seq_num : [];
  const docs = times.map((time, i) => {
    const data: Doc = {};
    const timestamps: Doc = {};
    for (const key of Object.keys(doc.data as Doc)) {
      data[key] = column(doc.data, key)[i] ?? null;
      timestamps[key] = column(doc.timestamps, key)[i];
    }
    return { time, data, timestamps, seq_num: seqNums[i] };
  });
  return events(doc.descriptor, docs, state);
}

function stop(doc: Doc, state: BlueskyState): Translated {
  const run = runOfStart(doc.run_start, state);
  if (!run) return fail("doc.run_start", "no start document with this uid was sent; send it first");
  const time = ms(doc.time);
  if (time === undefined) return fail("doc.time", "must be epoch seconds");
  const meta: Record<string, unknown> = { exit_status: doc.exit_status, stop_uid: doc.uid };
  if (typeof doc.reason === "string" && doc.reason !== "") meta.reason = doc.reason;
  return { ok: true, batch: { runs: [{ id: run.id, start: run.start, stop: time, meta }], observables: [], readings: [] } };
}
