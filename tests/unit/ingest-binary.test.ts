// The binary form of an ingest batch: what it decodes to, and malformed bodies refused naming the part.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BINARY_BATCH_MAGIC, binaryDataStart, decodeBinaryBatch, encodeBinaryBatch } from "../../src/core/ingest-binary.js";

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
    const header = new TextEncoder().encode("{not json");
    const notJson = new Uint8Array(binaryDataStart(header.length));
    notJson.set(new TextEncoder().encode(BINARY_BATCH_MAGIC));
    new DataView(notJson.buffer).setUint32(4, header.length, true);
    notJson.set(header, 8);
    assert.equal(field(notJson), "(header)");
    assert.equal(field(good.subarray(0, good.length - 3)), "(data)");
    assert.equal(field(good.subarray(0, good.length - 8)), "readings[0].value.offset");
    const badShape = encodeBinaryBatch(batch, [{ reading: 0, key: "value", values: new Float64Array(2), shape: [1, 1, 2] }]);
    assert.equal(field(badShape), "readings[0].value.shape");
    // Many empty rows, or references reusing the same numbers, cannot blow a small body up.
    const emptyRows = encodeBinaryBatch(batch, [{ reading: 0, key: "value", values: new Float64Array(0), shape: [1e9, 0] }]);
    assert.equal(field(emptyRows), "readings[0].value.shape");
    const reused = JSON.stringify({
      readings: Array.from({ length: 3 }, () => ({ observable: "x", run: 1, t: 1, value: { offset: 0, shape: [2] } })),
    });
    const reusedHeader = new TextEncoder().encode(reused);
    const body = new Uint8Array(binaryDataStart(reusedHeader.length) + 32);
    body.set(new TextEncoder().encode(BINARY_BATCH_MAGIC));
    new DataView(body.buffer).setUint32(4, reusedHeader.length, true);
    body.set(reusedHeader, 8);
    assert.equal(field(body), "readings[2].value.shape");
  });
});
