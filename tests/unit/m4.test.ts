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

describe("M4 with a block index", () => {
  it("gives exactly the points plain M4 gives, for any view, NaNs and ties included", async () => {
    const { emptyM4Index, extendM4Index, m4, m4Indexed } = await import("../../src/core/m4.js");
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    const n = 20_000;
    const x = Float64Array.from({ length: n }, (_, i) => i * 3 + (i % 7 === 0 ? 1 : 0));
    const y = Float64Array.from({ length: n }, () => (random() < 0.02 ? Number.NaN : Math.round(random() * 50)));
    for (let i = 5000; i < 5600; i++) y[i] = Number.NaN; // whole blocks without a number
    const index = extendM4Index(emptyM4Index(64), y, n);
    assert.equal(index.blocks, Math.floor(n / 64));
    for (let trial = 0; trial < 200; trial++) {
      const a = random() * x[n - 1]!;
      const b = a + random() * (x[n - 1]! - a) + 1;
      const buckets = 1 + Math.floor(random() * 900);
      const lo = Math.floor(random() * 100);
      const plain = m4({ x: x.subarray(lo), y: y.subarray(lo) }, buckets, a, b);
      const fast = m4Indexed({ x, y }, index, lo, n, buckets, a, b);
      assert.deepEqual(Array.from(fast.x), Array.from(plain.x), `view ${a}-${b} in ${buckets}`);
      assert.deepEqual(Array.from(fast.y), Array.from(plain.y));
    }
  });
});
