// What the alarm history says about runs: MAJOR spans (flag proposals) and quiet runs (reviewed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type SeverityEvent, majorSpans, quietBetween } from "../../src/core/alarm-spans.js";
import type { Severity } from "../../src/core/alarm-state.js";

const ev = (at: number, channel: number, current: Severity, value: number | null = null, kind = "severity"): SeverityEvent => ({
  at,
  id: `hv:${channel}`,
  observable: "hv",
  channel,
  kind,
  severity: current === "OK" ? "MAJOR" : current,
  currentSeverity: current,
  value,
});

describe("alarm spans and runs", () => {
  it("joins each alarm's MAJOR stretch into a span (an ack keeps it, a rule gone ends it), a spike widened to a second, an open one to the end", () => {
    const events = [
      ev(1000, 1, "MAJOR", 1400),
      ev(1500, 1, "MAJOR", 1500),
      ev(4000, 1, "OK", 1100),
      ev(5000, 2, "MAJOR", 10),
      ev(5000, 2, "OK", 1100),
      ev(9000, 3, "MAJOR", 1350),
      ev(9500, 3, "MAJOR", 1350, "ack"),
      ev(7000, 5, "MAJOR", 1400),
      ev(8000, 5, "OK", null, "removed"),
    ];
    const spans = majorSpans(events, 20_000);
    assert.deepEqual(
      spans.map((s) => [s.id, s.from, s.to, s.count, s.worst]),
      [
        ["hv:1", 1000, 4000, 2, 1500],
        ["hv:2", 5000, 6000, 1, 10],
        ["hv:5", 7000, 8000, 1, 1400],
        ["hv:3", 9000, 20_000, 2, 1350],
      ],
    );
    assert.deepEqual(majorSpans([ev(1, 4, "MINOR")], 10), [], "MINOR makes no span");
  });

  it("calls a run quiet only if no watched alarm left OK in it, nor was out of OK when it began", () => {
    const watched = (id: string) => id !== "hv:9";
    assert.equal(quietBetween([ev(100, 1, "MAJOR"), ev(200, 1, "OK")], 1000, 2000, watched), true, "over before the run");
    assert.equal(quietBetween([ev(100, 1, "MAJOR")], 1000, 2000, watched), false, "still MAJOR when the run began");
    assert.equal(quietBetween([ev(1500, 1, "MINOR")], 1000, 2000, watched), false, "a MINOR during the run");
    assert.equal(quietBetween([ev(1500, 9, "MAJOR")], 1000, 2000, watched), true, "an alarm of a rule that does not review runs");
    assert.equal(quietBetween([ev(2500, 1, "MAJOR")], 1000, 2000, watched), true, "after the run");
  });
});
