// A slow client's backlog folds into the newest value per channel plus a count of what was
// merged away; it never grows with time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Coalescer } from "../../src/core/coalescer.js";

describe("coalescer", () => {
  it("keeps the newest value per channel and counts the updates merged away", () => {
    const c = new Coalescer();
    let seq = 0;
    // 10 s of 10 Hz frames for a 2000-channel camera and a 1-channel rate.
    for (let tick = 0; tick < 100; tick++) {
      c.add(
        Array.from({ length: 2000 }, (_, ch) => ({
          seq: ++seq,
          run: 3,
          observable: "camera.hv",
          channel: ch,
          t: tick,
          value: tick,
        })),
      );
      c.add([{ seq: ++seq, run: 3, observable: "trigger.rate", channel: 0, t: tick, value: 100 + tick }]);
    }
    assert.equal(c.pending, true);
    const [hv, rate] = c.take();
    assert.deepEqual([hv!.topic, hv!.readings.length, hv!.merged], ["camera.hv", 2000, 99 * 2000]);
    assert.ok(hv!.readings.every((r) => r.value === 99 && r.t === 99));
    assert.deepEqual(
      hv!.readings.map((r) => r.seq),
      [...hv!.readings.map((r) => r.seq)].sort((a, b) => a - b),
    );
    assert.deepEqual([rate!.readings.map((r) => r.value), rate!.merged], [[199], 99]);
    assert.equal(c.pending, false);
    assert.deepEqual(c.take(), []);
  });
});
