// Flag bands on a time axis: a flag overlapping the window is drawn; one that only touches it
// (a whole-run flag on the run before, ending where this run starts) is not an empty band.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flagMarks } from "../../src/components/flag-marks.js";

const flag = (from: number, to: number) => ({ from, to, verdict: "bad" as const, run: 1, note: "HV trip" });

describe("flag bands on a time axis", () => {
  it("draws a flag that overlaps the window, and none that only touches its edge", () => {
    assert.equal(flagMarks([flag(500, 1500)], 1000, 2000).length, 1);
    assert.equal(flagMarks([flag(0, 1000)], 1000, 2000).length, 0, "ends where the window starts");
    assert.equal(flagMarks([flag(2000, 3000)], 1000, 2000).length, 0, "starts where the window ends");
    assert.equal(flagMarks([flag(1200, 1200)], 1000, 2000).length, 1, "an instant inside the window");
  });
});
