import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OneAtATime } from "../../server/one-at-a-time.js";

describe("one review at a time", () => {
  it("gives the turn at once when no one holds it, and again after its release", async () => {
    const line = new OneAtATime();
    const first = await line.turn(0);
    assert.ok(first);
    assert.equal(await line.turn(0), undefined, "held: a caller who cannot wait is refused");
    first();
    assert.ok(await line.turn(0));
  });

  it("gives the turn to a caller who waits, once the holder releases it within the wait", async () => {
    const line = new OneAtATime();
    const first = (await line.turn(0))!;
    const waiting = line.turn(5_000);
    setImmediate(first);
    const second = await waiting;
    assert.ok(second, "the waiting caller got the turn");
    assert.equal(await line.turn(0), undefined, "and holds it");
  });

  it("lets only one of two waiting callers in when the turn comes free", async () => {
    const line = new OneAtATime();
    const first = (await line.turn(0))!;
    const a = line.turn(100);
    const b = line.turn(100);
    setImmediate(first);
    const got = await Promise.all([a, b]);
    assert.equal(got.filter(Boolean).length, 1, "one got the turn; the other waited it out and was refused");
  });

  it("refuses a caller whose wait runs out while the turn is held", async () => {
    const line = new OneAtATime();
    await line.turn(0);
    const asked = Date.now();
    assert.equal(await line.turn(50), undefined);
    assert.ok(Date.now() - asked >= 45, "it waited for its whole wait first");
  });
});
