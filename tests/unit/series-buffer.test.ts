import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SeriesBuffer } from "../../src/components/series-buffer.js";

describe("the page's series buffer", () => {
  it("appends live readings after the snapshot and ignores ones it already holds", () => {
    const buffer = SeriesBuffer.fromColumns([1000, 2000], [1, 2], [10, 11]);
    assert.equal(buffer.append({ seq: 11, t: 2000, value: 2 }), false, "the snapshot's last reading again");
    assert.equal(buffer.append({ seq: 12, t: 3000, value: 3 }), true);
    assert.equal(buffer.append({ seq: 12, t: 3000, value: 3 }), false, "a replayed duplicate");
    assert.deepEqual(Array.from(buffer.columns().y), [1, 2, 3]);
    assert.deepEqual(buffer.latest(), { t: 3000, value: 3 });
  });

  it("keeps time order for a late reading and forgets points older than the window", () => {
    const buffer = SeriesBuffer.fromColumns([1000, 3000], [1, 3], [1, 2]);
    buffer.append({ seq: 3, t: 2000, value: 2 });
    assert.deepEqual(Array.from(buffer.columns().x), [1000, 2000, 3000]);
    buffer.trimBefore(2000);
    assert.deepEqual(Array.from(buffer.columns().x), [2000, 3000]);
  });

  it("ignores a live reading at a time it already holds: a watched row that is also in the snapshot", () => {
    // Snapshot rows of a database carry no seq (0); the watcher's copy arrives with one.
    const buffer = SeriesBuffer.fromColumns([1000, 2000, 3000], [1, 2, 3], [0, 0, 0]);
    assert.equal(buffer.append({ seq: 5, t: 3000, value: 3 }), false, "the newest row again");
    assert.equal(buffer.append({ seq: 6, t: 2000, value: 2 }), false, "an older row again");
    assert.equal(buffer.append({ seq: 7, t: 4000, value: 4 }), true);
    assert.deepEqual(Array.from(buffer.columns().x), [1000, 2000, 3000, 4000]);
  });
});

describe("the series buffer's storage", () => {
  it("grows past its first capacity and reuses trimmed room, keeping order", () => {
    const buffer = new SeriesBuffer();
    for (let i = 1; i <= 100; i++) assert.ok(buffer.append({ seq: i, t: i * 10, value: i }));
    buffer.trimBefore(500);
    assert.equal(buffer.length, 51);
    for (let i = 101; i <= 300; i++) buffer.append({ seq: i, t: i * 10, value: i });
    const { x, y } = buffer.columns();
    assert.equal(x.length, 251);
    assert.equal(x[0], 500);
    assert.equal(y.at(-1), 300);
    assert.ok(x.every((t, i) => i === 0 || t > x[i - 1]!));
    // A late reading lands in order inside the kept part.
    assert.ok(buffer.append({ seq: 301, t: 505, value: -1 }));
    assert.deepEqual(Array.from(buffer.columns().x.slice(0, 3)), [500, 505, 510]);
  });
});

describe("the series buffer's decimation", () => {
  it("draws a long buffer with its block index exactly as plain M4 would, after appends and trims", async () => {
    const { m4 } = await import("../../src/core/m4.js");
    const n = 200_000;
    const t = Float64Array.from({ length: n }, (_, i) => i * 10);
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 1000) + (i % 997 === 0 ? 5 : 0));
    const buffer = SeriesBuffer.fromColumns(t, v, []);
    const check = (from: number, to: number) => {
      const fast = buffer.m4(500, from, to);
      const plain = m4(buffer.columns(), 500, from, to);
      assert.deepEqual(Array.from(fast.x), Array.from(plain.x));
      assert.deepEqual(Array.from(fast.y), Array.from(plain.y));
    };
    check(0, n * 10);
    for (let i = 0; i < 1000; i++) buffer.append({ seq: i + 1, t: n * 10 + i * 10, value: i % 50 === 0 ? -9 : 0.5 });
    buffer.trimBefore(123_456);
    check(0, (n + 1000) * 10);
    check(1_000_000, 1_200_000);
  });
});
