// The binary form of an ingest batch: what it decodes to, and malformed bodies refused naming the part.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeBinaryBatch, encodeBinaryBatch, readBinaryHeader, resolveBinaryBatch } from "../../src/core/ingest-binary.js";
import { rawBinaryBody } from "../support/binary-body.js";

/** A body with this header text and `dataBytes` zero bytes of data, built by hand (it may be wrong on purpose). */
const bodyWithHeader = (text: string, dataBytes = 0) => rawBinaryBody(text, { dataBytes });

const batch = { source: "daq", sequence: 4, readings: [{ observable: "pmt.waveform", run: 1, t: 5 }] };

describe("binary ingest batches", () => {
  it("decode to the JSON batch they stand for, 1d and 2d, byte for byte", () => {
    const values = new Float64Array([0.1, -0, 5e-324, 1.7976931348623157e308, 2, 3]);
    const twoReadings = { ...batch, readings: [...batch.readings, { observable: "cam", run: 1, t: 5 }] };
    const bytes = encodeBinaryBatch(twoReadings, [
      { reading: 0, key: "value", values: values.subarray(0, 4), shape: [4] },
      { reading: 1, key: "value", values: values.subarray(4), shape: [1, 2] },
    ]);
    const decoded = decodeBinaryBatch(bytes);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.batch, {
      ...twoReadings,
      readings: [
        { ...twoReadings.readings[0], value: [0.1, -0, 5e-324, 1.7976931348623157e308] },
        { ...twoReadings.readings[1], value: [[2, 3]] },
      ],
    });
  });

  it("read data that starts at any alignment in the received buffer", () => {
    const bytes = encodeBinaryBatch(batch, [{ reading: 0, key: "values", values: new Float64Array([7, 8]), shape: [2] }]);
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    const decoded = decodeBinaryBatch(shifted);
    assert.ok(decoded.ok);
    assert.deepEqual((decoded.batch as { readings: { values: number[] }[] }).readings[0]!.values, [7, 8]);
  });

  it("read the header alone first, so who sends it is known before any array is made", () => {
    const bytes = encodeBinaryBatch(batch, [{ reading: 0, key: "value", values: new Float64Array([1, 2]), shape: [2] }]);
    const header = readBinaryHeader(bytes);
    assert.ok(header.ok);
    assert.equal((header.header as { source: string }).source, "daq");
    assert.deepEqual((header.header as { readings: { value: unknown }[] }).readings[0]!.value, { offset: 0, shape: [2] });
    const resolved = resolveBinaryBatch(bytes, header);
    assert.ok(resolved.ok);
    assert.deepEqual((resolved.batch as { readings: { value: number[] }[] }).readings[0]!.value, [1, 2]);
    const refused = readBinaryHeader(bodyWithHeader(JSON.stringify({ readings: new Array(200_001).fill(0) })));
    assert.ok(!refused.ok);
    assert.equal(refused.errors[0]!.field, "readings");
  });

  it("refuse malformed bodies, naming the part that is wrong", () => {
    const good = encodeBinaryBatch(batch, [{ reading: 0, key: "value", values: new Float64Array(4), shape: [2, 2] }]);
    const field = (bytes: Uint8Array) => {
      const decoded = decodeBinaryBatch(bytes);
      assert.ok(!decoded.ok);
      return decoded.errors[0]!.field;
    };
    assert.equal(field(new TextEncoder().encode('{"readings": []}')), "(body)");
    const longHeader = good.slice();
    new DataView(longHeader.buffer).setUint32(4, 1e6, true);
    assert.equal(field(longHeader), "(header)");
    assert.equal(field(bodyWithHeader("{not json")), "(header)");
    assert.equal(field(good.subarray(0, good.length - 3)), "(data)");
    assert.equal(field(good.subarray(0, good.length - 8)), "readings[0].value.offset");
    const badShape = encodeBinaryBatch(batch, [{ reading: 0, key: "value", values: new Float64Array(2), shape: [1, 1, 2] }]);
    assert.equal(field(badShape), "readings[0].value.shape");
    // Many empty rows, or references reusing the same numbers, cannot blow a small body up.
    for (const shape of [[1e9, 0], [65_536, 0], [0, 4], [0]]) {
      const empty = encodeBinaryBatch(batch, [{ reading: 0, key: "value", values: new Float64Array(0), shape }]);
      assert.equal(field(empty), "readings[0].value.shape", String(shape));
    }
    // 65536 rows of zero columns, 1000 times over: the 198 kB body that once took 3 GB.
    const manyEmpty = JSON.stringify({
      readings: Array.from({ length: 1000 }, () => ({ observable: "x", run: 1, t: 1, value: { offset: 0, shape: [65_536, 0] } })),
    });
    const manyBody = bodyWithHeader(manyEmpty);
    const before = process.memoryUsage().heapUsed;
    assert.equal(field(manyBody), "readings[0].value.shape");
    assert.ok(process.memoryUsage().heapUsed - before < 50e6, "refused before allocating");
    const reused = JSON.stringify({
      readings: Array.from({ length: 3 }, () => ({ observable: "x", run: 1, t: 1, value: { offset: 0, shape: [2] } })),
    });
    assert.equal(field(bodyWithHeader(reused, 32)), "readings[2].value.shape");
  });
});
