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
