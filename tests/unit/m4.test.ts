import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lowerBound, m4 } from "../../src/core/m4.js";

function series(n: number, f: (i: number) => number) {
  return { x: Float64Array.from({ length: n }, (_, i) => i), y: Float64Array.from({ length: n }, (_, i) => f(i)) };
}

describe("m4", () => {
  it("keeps at most four points per bucket, including each bucket's extremes", () => {
    const s = series(100_000, (i) => Math.sin(i / 500) + (i % 997 === 0 ? 5 : 0));
    const out = m4(s, 200, 0, 99_999);
    assert.ok(out.x.length <= 800 && out.x.length >= 200, `got ${out.x.length} points`);
    // Every spike survives decimation.
    const spikes = out.y.filter((v) => v > 4).length;
    assert.equal(spikes, Math.floor(99_999 / 997) + 1);
    assert.equal(Math.max(...out.y), Math.max(...s.y));
    assert.equal(Math.min(...out.y), Math.min(...s.y));
    for (let i = 1; i < out.x.length; i++) assert.ok(out.x[i]! > out.x[i - 1]!, "x stays strictly increasing");
  });

  it("returns a short series unchanged", () => {
    const s = series(3, (i) => i * 2);
    assert.deepEqual(Array.from(m4(s, 100, 0, 2).y), [0, 2, 4]);
  });

  it("drops points outside the window and NaN values", () => {
    const s = series(10, (i) => (i === 5 ? NaN : i));
    const out = m4(s, 10, 3, 7);
    assert.deepEqual(Array.from(out.x), [3, 4, 6, 7]);
  });

  it("finds insertion points by binary search", () => {
    const x = Float64Array.from([1, 3, 3, 5]);
    assert.deepEqual(
      [0, 1, 3, 4, 6].map((t) => lowerBound(x, t)),
      [0, 0, 1, 3, 4],
    );
  });
});
