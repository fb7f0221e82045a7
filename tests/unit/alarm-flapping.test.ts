// A flapping alarm's changes are recorded up to a limit a minute; the next recorded one says how many were not.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FlapLimit } from "../../src/core/alarm-flapping.js";

describe("flapping alarms", () => {
  it("records 30 changes a minute per alarm, counts the rest, and says so with the next recorded one", () => {
    const limit = new FlapLimit(30);
    // Ten changes a second for a minute: 600 changes.
    const kept = Array.from({ length: 600 }, (_, i) => limit.admit("hv:25", i * 100)).filter((v) => v.record).length;
    assert.equal(kept, 30);
    assert.deepEqual(limit.admit("hv:26", 1000), { record: true, notRecorded: 0 }, "another alarm has its own count");
    assert.deepEqual(limit.admit("hv:25", 60_000), { record: true, notRecorded: 570 });
    assert.deepEqual(limit.admit("hv:25", 60_100), { record: true, notRecorded: 0 });
  });
});
