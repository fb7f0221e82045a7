// The compact binary form of an ingest batch, for arrays (spectra, waveforms, camera images):
// the numbers travel as raw little-endian float64, not as JSON text, so a DAQ writes a numpy
// array's bytes as they are and the server reads them without parsing digits.
//
//   "RBB1"                 4 bytes, magic
//   header length H        uint32 little-endian
//   header                 H bytes of UTF-8 JSON: an ordinary ingest batch, except that any
//                          reading's `value` or `values` may be {"offset": bytes, "shape": [n]
//                          or [rows, cols]}, pointing into the data
//   padding                zero bytes up to a multiple of 8 from the start
//   data                   float64 little-endian; offsets count from the start of the data
//
// Decoding replaces each reference by the array it points at; the batch then goes through the
// same validation as JSON, so the errors and what is stored are the same.
import { MAX_READINGS_PER_BATCH } from "./ingest.js";
import type { FieldError } from "./validation.js";

export const BINARY_BATCH_MAGIC = "RBB1";
export const BINARY_BATCH_CONTENT_TYPE = "application/vnd.runboard.batch";
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** As for JSON batches (src/core/ingest.ts): a 2d value has at most this many rows. */
const MAX_ROWS = 65_536;

export type DecodedBinaryBatch = { ok: true; batch: unknown } | { ok: false; errors: FieldError[] };

const fail = (field: string, message: string): { ok: false; errors: FieldError[] } => ({
  ok: false,
  errors: [{ field, message }],
});

/** The byte offset of the data: after magic, length and header, rounded up to 8. */
export const binaryDataStart = (headerBytes: number) => Math.ceil((8 + headerBytes) / 8) * 8;

/** The header of a binary batch, read and checked, its references not yet resolved. */
export type BinaryHeader = { ok: true; header: unknown; dataStart: number } | { ok: false; errors: FieldError[] };

/**
 * Reads the magic and the JSON header only, so that who may write what the header names (its
 * `source`) is checked before the data is copied or any array is made.
 */
export function readBinaryHeader(bytes: Uint8Array): BinaryHeader {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== BINARY_BATCH_MAGIC) {
    return fail("(body)", `does not start with ${BINARY_BATCH_MAGIC}; see README, "Arrays in binary"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(4, true);
  if (headerBytes > MAX_HEADER_BYTES) return fail("(header)", `says ${headerBytes} bytes of header; at most ${MAX_HEADER_BYTES}`);
  if (8 + headerBytes > bytes.length) {
    return fail("(header)", `says ${headerBytes} bytes of header, but the body has ${bytes.length - 8} after the length`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerBytes)));
  } catch (error) {
    return fail("(header)", `is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  const readings = (header as { readings?: unknown } | null)?.readings;
  if (Array.isArray(readings) && readings.length > MAX_READINGS_PER_BATCH) {
    return fail("readings", `${readings.length} readings; at most ${MAX_READINGS_PER_BATCH} a batch`);
  }
  return { ok: true, header, dataStart: binaryDataStart(headerBytes) };
}

/** Replaces each reference in a read header by the array it points at. */
export function resolveBinaryBatch(bytes: Uint8Array, read: Extract<BinaryHeader, { ok: true }>): DecodedBinaryBatch {
  const { header, dataStart: start } = read;
  const dataBytes = Math.max(0, bytes.length - start);
  if (dataBytes % 8 !== 0) return fail("(data)", `holds ${dataBytes} bytes, not a whole number of float64s`);
  const readings = (header as { readings?: unknown } | null)?.readings;
  if (!Array.isArray(readings)) return { ok: true, batch: header };
  // Copied once into an aligned buffer; references are then plain views on it.
  const data = new Float64Array(dataBytes / 8);
  new Uint8Array(data.buffer).set(bytes.subarray(start, start + dataBytes));
  const errors: FieldError[] = [];
  // References may not make more numbers than the data holds (overlapping ones could otherwise
  // turn a small body into gigabytes of arrays); with no empty dimension, that also bounds rows.
  const budget = { left: data.length };
  const resolved: unknown[] = [];
  for (const [i, reading] of readings.entries()) {
    if (reading === null || typeof reading !== "object") {
      resolved.push(reading);
      continue;
    }
    const out: Record<string, unknown> = { ...(reading as Record<string, unknown>) };
    for (const key of ["value", "values"]) {
      const ref = out[key];
      if (!isReference(ref)) continue;
      const array = dereference(ref, data, `readings[${i}].${key}`, errors, budget);
      if (array !== undefined) out[key] = array;
    }
    // The first bad reference is enough: the batch is refused, and nothing more is allocated.
    if (errors.length > 0) return { ok: false, errors };
    resolved.push(out);
  }
  return { ok: true, batch: { ...(header as object), readings: resolved } };
}

export function decodeBinaryBatch(bytes: Uint8Array): DecodedBinaryBatch {
  const read = readBinaryHeader(bytes);
  return read.ok ? resolveBinaryBatch(bytes, read) : read;
}

function isReference(value: unknown): value is { offset: unknown; shape: unknown } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "offset" in value;
}

function dereference(
  ref: { offset: unknown; shape: unknown },
  data: Float64Array,
  field: string,
  errors: FieldError[],
  budget: { left: number },
): number[] | number[][] | undefined {
  const { offset, shape } = ref;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
    errors.push({ field: `${field}.offset`, message: "must be a whole, non-negative multiple of 8 (bytes into the data)" });
    return undefined;
  }
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    shape.length > 2 ||
    !shape.every((n) => typeof n === "number" && Number.isInteger(n) && n >= 1)
  ) {
    errors.push({ field: `${field}.shape`, message: "must be [n] or [rows, cols], each at least 1" });
    return undefined;
  }
  if (shape.length === 2 && shape[0]! > MAX_ROWS) {
    errors.push({ field: `${field}.shape`, message: `at most ${MAX_ROWS} rows` });
    return undefined;
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const first = offset / 8;
  if (first + count > data.length) {
    errors.push({
      field: `${field}.offset`,
      message: `${count} float64s from byte ${offset} run past the ${data.length * 8} bytes of data`,
    });
    return undefined;
  }
  if (count > budget.left) {
    errors.push({
      field: `${field}.shape`,
      message: `${count} numbers, more than the data holds (references may not overlap to make more)`,
    });
    return undefined;
  }
  budget.left -= count;
  const values = data.subarray(first, first + count);
  if (shape.length === 1) return Array.from(values);
  const [rows, cols] = shape as [number, number];
  return Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * cols, (r + 1) * cols)));
}

/** Encodes a batch whose array values are given as Float64Arrays (for tests, benchmarks and Node DAQs). */
export function encodeBinaryBatch(
  batch: Record<string, unknown> & { readings: Record<string, unknown>[] },
  arrays: { reading: number; key: "value" | "values"; values: Float64Array; shape: number[] }[],
): Uint8Array {
  const readings = batch.readings.map((r) => ({ ...r }));
  let offset = 0;
  for (const a of arrays) {
    readings[a.reading]![a.key] = { offset, shape: a.shape };
    offset += a.values.length * 8;
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...batch, readings }));
  const start = binaryDataStart(header.length);
  const bytes = new Uint8Array(start + offset);
  bytes.set(new TextEncoder().encode(BINARY_BATCH_MAGIC), 0);
  new DataView(bytes.buffer).setUint32(4, header.length, true);
  bytes.set(header, 8);
  let at = start;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.values.buffer, a.values.byteOffset, a.values.byteLength), at);
    at += a.values.byteLength;
  }
  return bytes;
}
