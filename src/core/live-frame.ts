// Binary live frames: the readings of one observable (a topic) from one publish, encoded once
// on the server and sent as the same bytes to every subscriber. Values travel as typed arrays,
// which the browser reads in place (a Float64Array view, no parsing): JSON.stringify of a
// 2000-value frame costs ~130 µs, this ~2 µs (DESIGN.md).
//
// Layout, little-endian, every column 8-byte aligned:
//   0  u32  magic "RBF1"
//   4  u8   flags (REPLAY, COALESCED)
//   5  u8   shape: 0 scalar, 1 one-dimensional, 2 two-dimensional
//   6  u16  topic length in UTF-8 bytes
//   8  u32  readings n
//   12 u32  merged: updates merged into this frame (coalesced frames), else 0
//   16 u32  dim1 (1d length, 2d rows), 20 u32 dim2 (2d columns)
//   24 f64  seq: the newest reading's seq, the topic's position after this frame
//   32 topic (UTF-8), padded to 8
//   then f64 seq[n], f64 t[n] (epoch ms), f64 value[n * dim1 * dim2], i32 channel[n], i32 run[n],
//   padded to 8; or, flagged DENSE (all readings at one time, of one run, with consecutive seqs
//   and channels: a whole camera read out at once), f64 t, i32 run, i32 first channel, then the
//   values alone: 8 bytes a scalar reading instead of 36.
// Every reading in a frame has the same shape; `encodeFrames` splits a topic's readings by shape.
import type { Reading } from "./catalog.js";

export const FRAME_MAGIC = 0x31464252; // "RBF1" read as a little-endian u32
export const FRAME_FLAG_REPLAY = 1;
export const FRAME_FLAG_COALESCED = 2;
export const FRAME_FLAG_DENSE = 4;
const KNOWN_FLAGS = FRAME_FLAG_REPLAY | FRAME_FLAG_COALESCED | FRAME_FLAG_DENSE;
const HEADER_BYTES = 32;
/** Larger frames are refused when decoding (a publish is split long before this). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export type FrameShape = 0 | 1 | 2;

/** A decoded frame: columns that view the frame's own bytes. */
export interface LiveFrame {
  topic: string;
  flags: number;
  shape: FrameShape;
  merged: number;
  /** The newest reading's seq. */
  seq: number;
  dims: [number, number];
  seqs: Float64Array;
  t: Float64Array;
  channel: Int32Array;
  run: Int32Array;
  /** Flat values: reading i's are `values[i * size, (i + 1) * size)`, size = dim1 * dim2. */
  values: Float64Array;
}

export class FrameError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const pad8 = (n: number) => (n + 7) & ~7;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function shapeOf(value: Reading["value"]): { shape: FrameShape; dims: [number, number] } {
  if (typeof value === "number") return { shape: 0, dims: [1, 1] };
  if (value.length > 0 && Array.isArray(value[0])) {
    const rows = value as number[][];
    return { shape: 2, dims: [rows.length, rows[0]!.length] };
  }
  return { shape: 1, dims: [value.length, 1] };
}

/** Whether a value can travel as a typed block: not a 2d value with rows of different lengths. */
function isBlock(value: Reading["value"]): boolean {
  if (typeof value === "number" || value.length === 0 || !Array.isArray(value[0])) return true;
  const columns = (value[0] as number[]).length;
  return (value as unknown[]).every((row) => Array.isArray(row) && row.length === columns);
}

/** Whether a value has exactly the frame's shape. */
function fits(value: Reading["value"], shape: FrameShape, dims: [number, number]): boolean {
  const own = shapeOf(value);
  return own.shape === shape && own.dims[0] === dims[0] && own.dims[1] === dims[1] && isBlock(value);
}

/**
 * The frames for one topic's readings (in seq order), one per run of equal shape: usually one.
 * A 2d value with rows of different lengths cannot be a typed block and is refused.
 */
export function encodeFrames(topic: string, readings: readonly Reading[], flags = 0, merged = 0): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let from = 0; from < readings.length;) {
    const { shape, dims } = shapeOf(readings[from]!.value);
    if (!isBlock(readings[from]!.value)) {
      throw new FrameError("value", `a 2d reading of ${topic} has rows of different lengths`);
    }
    let to = from + 1;
    while (to < readings.length && fits(readings[to]!.value, shape, dims)) to++;
    frames.push(encodeFrame(topic, readings.slice(from, to), shape, dims, flags, merged));
    from = to;
  }
  return frames;
}

function encodeFrame(
  topic: string,
  readings: readonly Reading[],
  shape: FrameShape,
  dims: [number, number],
  flags: number,
  merged: number,
): Uint8Array {
  const name = encoder.encode(topic);
  const n = readings.length;
  const size = dims[0] * dims[1];
  const dense = isDense(readings);
  const at = layout(name.length, n, size, dense);
  const bytes = new Uint8Array(at.end);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint8(4, flags | (dense ? FRAME_FLAG_DENSE : 0));
  view.setUint8(5, shape);
  view.setUint16(6, name.length, true);
  view.setUint32(8, n, true);
  view.setUint32(12, merged, true);
  view.setUint32(16, shape === 0 ? 0 : dims[0], true);
  view.setUint32(20, shape === 2 ? dims[1] : 0, true);
  view.setFloat64(24, n > 0 ? readings[n - 1]!.seq : 0, true);
  bytes.set(name, HEADER_BYTES);
  if (dense) {
    view.setFloat64(at.dense, readings[0]!.t, true);
    view.setInt32(at.dense + 8, readings[0]!.run, true);
    view.setInt32(at.dense + 12, readings[0]!.channel, true);
  }
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    if (!dense) {
      view.setFloat64(at.seq + 8 * i, r.seq, true);
      view.setFloat64(at.t + 8 * i, r.t, true);
      view.setInt32(at.channel + 4 * i, r.channel, true);
      view.setInt32(at.run + 4 * i, r.run, true);
    }
    const v = at.values + 8 * i * size;
    if (shape === 0) view.setFloat64(v, r.value as number, true);
    else if (shape === 1) (r.value as number[]).forEach((x, k) => view.setFloat64(v + 8 * k, x, true));
    else (r.value as number[][]).forEach((row, j) => row.forEach((x, k) => view.setFloat64(v + 8 * (j * dims[1] + k), x, true)));
  }
  return bytes;
}

/** One time, one run, consecutive seqs and channels: the columns collapse to a few numbers. */
function isDense(readings: readonly Reading[]): boolean {
  if (readings.length < 2) return false;
  const [first] = readings;
  return readings.every(
    (r, i) => r.t === first!.t && r.run === first!.run && r.seq === first!.seq + i && r.channel === first!.channel + i,
  );
}

/** Where each part of a frame starts, and its total length. */
function layout(nameLength: number, n: number, size: number, dense: boolean) {
  const body = HEADER_BYTES + pad8(nameLength);
  if (dense) return { dense: body, seq: -1, t: -1, channel: -1, run: -1, values: body + 16, end: pad8(body + 16 + 8 * n * size) };
  const t = body + 8 * n;
  const values = t + 8 * n;
  const channel = values + 8 * n * size;
  const run = channel + 4 * n;
  return { dense: -1, seq: body, t, channel, run, values, end: pad8(run + 4 * n) };
}

/**
 * What a frame's header says, without decoding its columns: enough for the fan-out (which
 * frame holds which seqs) and for a client that only counts and times frames.
 */
export function frameHeader(bytes: Uint8Array): { flags: number; count: number; seq: number; firstSeq: number; firstT: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint8(4);
  const count = view.getUint32(8, true);
  const seq = view.getFloat64(24, true);
  const body = HEADER_BYTES + pad8(view.getUint16(6, true));
  if (flags & FRAME_FLAG_DENSE) return { flags, count, seq, firstSeq: seq - count + 1, firstT: view.getFloat64(body, true) };
  return { flags, count, seq, firstSeq: view.getFloat64(body, true), firstT: view.getFloat64(body + 8 * count, true) };
}

/** The same frame with other flags (e.g. marked as replayed): a copy, the original stays shared. */
export function withFlags(bytes: Uint8Array, flags: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[4] = flags;
  return copy;
}

/** Typed arrays can view the frame in place only on a little-endian machine (all usual ones). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Reads a frame; malformed input gets a FrameError naming the part that is wrong. */
export function decodeFrame(input: ArrayBuffer | Uint8Array): LiveFrame {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength > MAX_FRAME_BYTES) throw new FrameError("frame", `larger than ${MAX_FRAME_BYTES} bytes`);
  if (bytes.byteLength < HEADER_BYTES) throw new FrameError("frame", `${bytes.byteLength} bytes, shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== FRAME_MAGIC) throw new FrameError("magic", "not a runboard live frame");
  const flags = view.getUint8(4);
  if (flags & ~KNOWN_FLAGS) throw new FrameError("flags", `unknown flags ${flags}`);
  const shape = view.getUint8(5);
  if (shape > 2) throw new FrameError("shape", `unknown shape ${shape}`);
  const nameLength = view.getUint16(6, true);
  const n = view.getUint32(8, true);
  const merged = view.getUint32(12, true);
  const dims: [number, number] = [shape === 0 ? 1 : view.getUint32(16, true), shape === 2 ? view.getUint32(20, true) : 1];
  const size = dims[0] * dims[1];
  const dense = (flags & FRAME_FLAG_DENSE) !== 0;
  const at = layout(nameLength, n, size, dense);
  const expected = at.end;
  if (expected !== bytes.byteLength) {
    throw new FrameError("frame", `${bytes.byteLength} bytes, but its header describes ${expected}`);
  }
  let topic: string;
  try {
    topic = decoder.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + nameLength));
  } catch {
    throw new FrameError("topic", "not valid UTF-8");
  }
  const column = <T extends Float64Array | Int32Array>(
    make: new (b: ArrayBuffer, o: number, l: number) => T,
    at: number,
    count: number,
    width: number,
  ) => {
    if (LITTLE_ENDIAN && (bytes.byteOffset + at) % width === 0)
      return new make(bytes.buffer as ArrayBuffer, bytes.byteOffset + at, count);
    // A frame at an odd offset (or a big-endian machine): copy it out value by value.
    const out = new make(new ArrayBuffer(count * width), 0, count);
    for (let i = 0; i < count; i++) out[i] = width === 8 ? view.getFloat64(at + 8 * i, true) : view.getInt32(at + 4 * i, true);
    return out;
  };
  const seq = view.getFloat64(24, true);
  const head = {
    topic,
    flags,
    shape: shape as FrameShape,
    merged,
    seq,
    dims,
    values: column(Float64Array, at.values, n * size, 8),
  };
  if (dense) {
    // The collapsed columns, expanded: a few thousand numbers, filled without parsing.
    const channel0 = view.getInt32(at.dense + 12, true);
    return {
      ...head,
      seqs: Float64Array.from({ length: n }, (_, i) => seq - n + 1 + i),
      t: new Float64Array(n).fill(view.getFloat64(at.dense, true)),
      channel: Int32Array.from({ length: n }, (_, i) => channel0 + i),
      run: new Int32Array(n).fill(view.getInt32(at.dense + 8, true)),
    };
  }
  return {
    ...head,
    seqs: column(Float64Array, at.seq, n, 8),
    t: column(Float64Array, at.t, n, 8),
    channel: column(Int32Array, at.channel, n, 4),
    run: column(Int32Array, at.run, n, 4),
  };
}

/** A frame's readings as Reading objects (for tests and for pages that want them). */
export function frameReadings(frame: LiveFrame): Reading[] {
  const size = frame.dims[0] * frame.dims[1];
  const out: Reading[] = [];
  for (let i = 0; i < frame.seqs.length; i++) {
    const flat = frame.values.subarray(i * size, (i + 1) * size);
    const value =
      frame.shape === 0
        ? flat[0]!
        : frame.shape === 1
          ? Array.from(flat)
          : Array.from({ length: frame.dims[0] }, (_, j) =>
              Array.from(flat.subarray(j * frame.dims[1], (j + 1) * frame.dims[1])),
            );
    out.push({
      seq: frame.seqs[i]!,
      run: frame.run[i]!,
      observable: frame.topic,
      channel: frame.channel[i]!,
      t: frame.t[i]!,
      value,
    });
  }
  return out;
}
