// Binary live frames: what the server encodes once is what every browser reads back, in place,
// and anything that is not a well-formed frame is refused with the part that is wrong named.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Reading } from "../../src/core/catalog.js";
import {
  decodeFrame,
  encodeFrames,
  FRAME_FLAG_COALESCED,
  FRAME_FLAG_DENSE,
  FrameError,
  frameReadings,
} from "../../src/core/live-frame.js";

const T0 = Date.UTC(2026, 10, 22, 1);
const reading = (seq: number, channel: number, value: Reading["value"], run = 7): Reading => ({
  seq,
  run,
  observable: "camera.hv",
  channel,
  t: T0 + seq * 100.5,
  value,
});

describe("live frames", () => {
  it("carry a camera's 2000 channels, odd values included, back exactly", () => {
    const readings = Array.from({ length: 2000 }, (_, ch) => reading(1000 + ch, ch - 3, 1000 + Math.sin(ch) * 1e-9));
    readings[5]!.value = Number.NaN;
    readings[6]!.value = Number.POSITIVE_INFINITY;
    readings[7]!.value = -0;
    const [bytes, ...more] = encodeFrames("camera.hv", readings);
    assert.equal(more.length, 0);
    const frame = decodeFrame(bytes!);
    assert.deepEqual([frame.topic, frame.seq, frame.flags, frame.merged], ["camera.hv", 2999, 0, 0]);
    assert.deepEqual(frameReadings(frame), readings);
    // 36 bytes a reading, not ~60 of JSON text
    assert.ok(bytes!.byteLength < 2000 * 36 + 64, `${bytes!.byteLength} bytes`);
  });

  it("shrink a whole camera read out at one time to 8 bytes a reading, and back", () => {
    const t = T0 + 5;
    const readout = Array.from({ length: 2000 }, (_, ch) => ({ ...reading(5000 + ch, ch + 10, ch * 0.25), t }));
    const [bytes] = encodeFrames("camera.hv", readout);
    const frame = decodeFrame(bytes!);
    assert.equal(frame.flags, FRAME_FLAG_DENSE);
    assert.ok(bytes!.byteLength <= 2000 * 8 + 64, `${bytes!.byteLength} bytes`);
    assert.equal(frame.values.buffer, bytes!.buffer);
    assert.deepEqual(frameReadings(frame), readout);
    assert.equal(
      decodeFrame(encodeFrames("camera.hv", readout, FRAME_FLAG_COALESCED, 3)[0]!).flags,
      FRAME_FLAG_COALESCED | FRAME_FLAG_DENSE,
    );
    // One channel missing: the columns are needed again.
    const gappy = readout.filter((r) => r.channel !== 500);
    const sparse = decodeFrame(encodeFrames("camera.hv", gappy)[0]!);
    assert.equal(sparse.flags & FRAME_FLAG_DENSE, 0);
    assert.deepEqual(frameReadings(sparse), gappy);
    assert.throws(
      () => decodeFrame(bytes!.subarray(0, bytes!.length - 8)),
      (e) => e instanceof FrameError && e.field === "frame",
    );
  });

  it("are read in place: the columns view the received bytes", () => {
    const [bytes] = encodeFrames("trigger.rate", [reading(1, 0, 5), reading(2, 0, 6)]);
    const frame = decodeFrame(bytes!);
    assert.equal(frame.values.buffer, bytes!.buffer);
    assert.deepEqual(Array.from(frame.values), [5, 6]);
    // The same bytes at an offset that breaks alignment still decode (copied out).
    const shifted = new Uint8Array(bytes!.byteLength + 3);
    shifted.set(bytes!, 3);
    assert.deepEqual(frameReadings(decodeFrame(shifted.subarray(3))), frameReadings(frame));
  });

  it("keep arrays as blocks, one frame per shape, in order", () => {
    const readings = [
      reading(1, 0, [1, 2, 3]),
      reading(2, 1, [4, 5, 6]),
      reading(3, 0, [
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      reading(4, 0, 9),
      reading(5, 0, [7, 8]),
    ].map((r) => ({ ...r, observable: "pmt.waveform" }));
    const frames = encodeFrames("pmt.waveform", readings, FRAME_FLAG_COALESCED, 12).map(decodeFrame);
    assert.deepEqual(
      frames.map((f) => [f.shape, f.dims, f.seqs.length, f.merged, f.flags]),
      [
        [1, [3, 1], 2, 12, FRAME_FLAG_COALESCED],
        [2, [3, 2], 1, 12, FRAME_FLAG_COALESCED],
        [0, [1, 1], 1, 12, FRAME_FLAG_COALESCED],
        [1, [2, 1], 1, 12, FRAME_FLAG_COALESCED],
      ],
    );
    assert.deepEqual(frames.flatMap(frameReadings), readings);
  });

  it("refuse a 2d reading with rows of different lengths", () => {
    assert.throws(
      () => encodeFrames("camera.hitmap", [reading(1, 0, [[1, 2], [3]])]),
      (e) => e instanceof FrameError && e.field === "value",
    );
  });

  it("refuse malformed bytes, naming what is wrong", () => {
    const [good] = encodeFrames("camera.hv", [reading(1, 0, 1), reading(2, 1, 2)]);
    const broken = (edit: (b: Uint8Array) => Uint8Array) => {
      try {
        decodeFrame(edit(Uint8Array.from(good!)));
      } catch (error) {
        assert.ok(error instanceof FrameError, String(error));
        return error.field;
      }
      return "(accepted)";
    };
    const cases: [string, (b: Uint8Array) => Uint8Array, string][] = [
      ["shorter than a header", (b) => b.subarray(0, 10), "frame"],
      ["cut short", (b) => b.subarray(0, b.length - 8), "frame"],
      ["JSON where a frame belongs", (b) => ((b[0] = 0x7b), b), "magic"],
      ["an unknown flag", (b) => ((b[4] = 0x80), b), "flags"],
      ["an unknown shape", (b) => ((b[5] = 3), b), "shape"],
      ["more readings than bytes", (b) => ((b[8] = 200), b), "frame"],
      ["a topic that is not UTF-8", (b) => ((b[32] = 0xff), b), "topic"],
    ];
    for (const [what, edit, field] of cases) assert.equal(broken(edit), field, what);
  });
});
