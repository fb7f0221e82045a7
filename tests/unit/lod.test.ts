import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseLodLevel, type LodBucket, lodPoints, lodSummary } from "../../src/core/lod.js";

const bucket = (start: number, values: number[]): LodBucket => {
  const ts = values.map((_, i) => start + i * 1000);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return {
    n: values.length,
    firstT: ts[0]!,
    firstV: values[0]!,
    lastT: ts.at(-1)!,
    lastV: values.at(-1)!,
    minT: ts[values.indexOf(min)]!,
    minV: min,
    maxT: ts[values.indexOf(max)]!,
    maxV: max,
  };
};

describe("level of detail", () => {
  it("picks the widest level whose buckets fit in a pixel, or none for short windows", () => {
    const levels = [10, 60, 600];
    // A whole night on 1000 pixels: 86.4 s a pixel -> one-minute buckets.
    assert.equal(chooseLodLevel(86_400_000, 1000, levels), 60);
    // A week: 605 s a pixel -> ten-minute buckets.
    assert.equal(chooseLodLevel(7 * 86_400_000, 1000, levels), 600);
    // Twenty minutes: 1.2 s a pixel -> the readings themselves.
    assert.equal(chooseLodLevel(1_200_000, 1000, levels), undefined);
    assert.equal(chooseLodLevel(0, 1000, levels), undefined);
  });

  it("turns buckets into time-ordered points without repeating a point", () => {
    const buckets = [bucket(60_000, [5, 9, 1, 4]), bucket(0, [2, 2, 2])];
    const { t, value } = lodPoints(buckets);
    assert.deepEqual([...t], [0, 2000, 60_000, 61_000, 62_000, 63_000]);
    assert.deepEqual([...value], [2, 2, 5, 9, 1, 4]);
    assert.deepEqual(lodSummary(buckets), { n: 7, min: 1, max: 9 });
  });
});
