// The replay window answers a reconnecting client with exactly what it missed, or says plainly
// that it cannot (too old, or from before the server started), never a partial answer.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Reading } from "../../src/core/catalog.js";
import { decodeFrame, encodeFrames, frameReadings } from "../../src/core/live-frame.js";
import { ReplayWindow } from "../../src/core/replay-window.js";

const MINUTE = 60_000;

/** A feed of two topics, one frame per topic per tick (2 readings each), seqs interleaved. */
function feed(window: ReplayWindow, clock: { now: number }, ticks: number, firstSeq = 1) {
  const sent: Reading[] = [];
  let seq = firstSeq;
  for (let tick = 0; tick < ticks; tick++) {
    for (const topic of ["camera.hv", "trigger.rate"]) {
      const readings = [0, 1].map((channel) => ({ seq: seq++, run: 1, observable: topic, channel, t: clock.now, value: tick }));
      const [bytes] = encodeFrames(topic, readings);
      window.add(topic, readings.at(-1)!.seq, bytes!);
      sent.push(...readings);
    }
    clock.now += 1000;
  }
  return sent;
}

const replayed = (frames: Uint8Array[], since: number) =>
  frames.flatMap((b) => frameReadings(decodeFrame(b))).filter((r) => r.seq > since);

describe("replay window", () => {
  it("gives a reconnecting client exactly the readings of its topic it has not seen", () => {
    const clock = { now: 0 };
    const window = new ReplayWindow({ maxAgeMs: 60 * MINUTE, maxBytes: 1 << 30 }, 0, () => clock.now);
    const sent = feed(window, clock, 100);
    for (const since of [0, 1, 2, 57, 58, 399, 400]) {
      const answer = window.since("camera.hv", since);
      assert.ok(answer.ok);
      assert.deepEqual(
        replayed(answer.frames, since),
        sent.filter((r) => r.observable === "camera.hv" && r.seq > since),
        `since ${since}`,
      );
    }
  });

  it("says so when what was missed is older than the window, by age or by size", () => {
    const clock = { now: 0 };
    const byAge = new ReplayWindow({ maxAgeMs: 60 * MINUTE, maxBytes: 1 << 30 }, 0, () => clock.now);
    feed(byAge, clock, 10);
    clock.now += 61 * MINUTE;
    const sent = feed(byAge, clock, 10, 1000);
    const tooOld = byAge.since("camera.hv", 5);
    assert.deepEqual([tooOld.ok, !tooOld.ok && /left the replay window/.test(tooOld.reason)], [false, true]);
    // From the first reading still held on, the answer is whole again.
    const resumed = byAge.since("camera.hv", 40);
    assert.ok(resumed.ok);
    assert.deepEqual(
      replayed(resumed.frames, 40),
      sent.filter((r) => r.observable === "camera.hv"),
    );

    const bySize = new ReplayWindow({ maxAgeMs: 60 * MINUTE, maxBytes: 20_000 }, 0, () => clock.now);
    const many = feed(bySize, clock, 3000);
    assert.ok(bySize.bytes <= 20_000, `${bySize.bytes} bytes held`);
    assert.equal(bySize.since("trigger.rate", 3).ok, false);
    const recent = many.at(-40)!.seq;
    const answer = bySize.since("trigger.rate", recent);
    assert.ok(answer.ok);
    assert.deepEqual(
      replayed(answer.frames, recent),
      many.filter((r) => r.observable === "trigger.rate" && r.seq > recent),
    );
  });

  it("cannot vouch for readings from before the server started", () => {
    const clock = { now: 0 };
    const window = new ReplayWindow({ maxAgeMs: 60 * MINUTE, maxBytes: 1 << 30 }, 500, () => clock.now);
    feed(window, clock, 5, 501);
    const before = window.since("camera.hv", 499);
    assert.deepEqual([before.ok, !before.ok && /before this server started/.test(before.reason)], [false, true]);
    assert.ok(window.since("camera.hv", 500).ok);
    // A topic with nothing since the start: nothing to replay, and nothing missing.
    assert.deepEqual(window.since("pmt.waveform", 500), { ok: true, frames: [] });
  });
});
