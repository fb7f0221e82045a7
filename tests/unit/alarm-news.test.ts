// What a page makes of the alarm news: the list it holds, the worst alarm the alarm area names,
// the lines the annunciator speaks and the tab title's count.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type PageAlarm,
  alarmValueText,
  announcement,
  applyNews,
  byUrgency,
  reminderLine,
  spokenLine,
  titleWithCount,
  worstAlarm,
} from "../../src/core/alarm-news.js";
import type { Severity } from "../../src/core/alarm-state.js";

function alarm(channel: number, severity: Severity, extra: Partial<PageAlarm> = {}): PageAlarm {
  return {
    id: `camera.hv:${channel}`,
    path: "/camera/hv",
    observable: "camera.hv",
    channel,
    severity,
    currentSeverity: severity,
    value: 1400,
    time: 1000 + channel,
    acknowledged: null,
    shelved: null,
    disabled: null,
    lastReading: 0,
    guidance: [],
    displays: [],
    unit: "V",
    ...extra,
  };
}
const counts = { MINOR: 0, MAJOR: 0, INVALID: 0, unacknowledged: 0 };

describe("alarm news in the page", () => {
  it("keeps what is listed, drops what cleared, and names what rose unacknowledged", () => {
    const held = new Map<string, PageAlarm>();
    const first = applyNews(held, { full: true, changed: [alarm(1, "MINOR"), alarm(2, "MAJOR")], counts, at: 0 });
    assert.deepEqual(
      first.map((a) => a.channel),
      [1, 2],
    );
    // Channel 1 rises to MAJOR, channel 2 is acknowledged (no rise), channel 3 is OK again.
    const acked = alarm(2, "MAJOR", { acknowledged: { by: "ana", at: 5, comment: "", severity: "MAJOR" } });
    const rose = applyNews(held, { full: false, changed: [alarm(1, "MAJOR"), acked, alarm(3, "OK")], counts, at: 1 });
    assert.deepEqual(
      rose.map((a) => a.channel),
      [1],
    );
    assert.deepEqual([...held.keys()].sort(), ["camera.hv:1", "camera.hv:2"]);
    // Cleared after the acknowledgement: gone from the page.
    applyNews(held, { full: false, changed: [alarm(2, "OK")], counts, at: 2 });
    assert.deepEqual([...held.keys()], ["camera.hv:1"]);
    // A shelved OK alarm stays listed (in its own section); a full list replaces everything.
    const shelved = alarm(4, "OK", { shelved: { by: "ana", at: 1, until: null, reason: "work" } });
    const again = applyNews(held, { full: true, changed: [shelved, alarm(1, "MAJOR")], counts, at: 3 });
    assert.deepEqual([...held.keys()].sort(), ["camera.hv:1", "camera.hv:4"]);
    assert.deepEqual(again, [], "a full list after a reconnect announces nothing already known");
  });

  it("names the worst: unacknowledged before acknowledged, then by severity and time", () => {
    const ackedInvalid = alarm(1, "INVALID", { acknowledged: { by: "b", at: 1, comment: "", severity: "INVALID" } });
    const list = [alarm(2, "MINOR"), ackedInvalid, alarm(3, "MAJOR"), alarm(4, "MAJOR")];
    assert.equal(worstAlarm(list)?.channel, 4, "the newest unacknowledged MAJOR");
    assert.equal(worstAlarm([ackedInvalid, alarm(5, "OK")])?.channel, 1);
    assert.equal(worstAlarm([alarm(6, "MAJOR", { shelved: { by: "b", at: 1, until: 9, reason: "x" } })]), undefined);
    assert.deepEqual(
      list.sort(byUrgency).map((a) => a.channel),
      [1, 4, 3, 2],
    );
  });

  it("words the spoken lines, and sums up a burst of more than three", () => {
    assert.equal(spokenLine(alarm(25, "MAJOR", { value: 3.14159 })), "Major alarm: camera H V channel 25, 3.14 volts");
    assert.equal(spokenLine(alarm(7, "INVALID", { value: null })), "Invalid alarm: camera H V channel 7, no valid reading");
    assert.equal(
      spokenLine(alarm(7, "MINOR", { observable: "lab.cryo.t4k", unit: "K", value: 4.2 })),
      "Minor alarm: lab cryo t4k channel 7, 4.2 kelvin",
    );
    const burst = announcement([1, 2, 3, 4, 5, 6].map((ch) => alarm(ch, ch === 2 ? "MINOR" : "MAJOR")));
    assert.equal(burst.length, 4);
    assert.deepEqual(
      burst.slice(0, 3),
      [6, 5, 4].map((ch) => `Major alarm: camera H V channel ${ch}, 1400 volts`),
    );
    assert.equal(burst[3], "There are 3 more alarms");
    assert.equal(announcement([1, 2, 3, 4].map((ch) => alarm(ch, "MAJOR")))[3], "There is 1 more alarm");
    assert.equal(reminderLine(1), "Reminder: 1 alarm is not acknowledged");
  });

  it("puts the count of unacknowledged alarms in front of the title, once", () => {
    assert.equal(titleWithCount("Runs | runboard", 3), "(3) Runs | runboard");
    assert.equal(titleWithCount("(3) Runs | runboard", 4), "(4) Runs | runboard");
    assert.equal(titleWithCount("(4) Runs | runboard", 0), "Runs | runboard");
    assert.equal(alarmValueText(alarm(1, "MAJOR", { value: 1403.24 })), "1403 V");
    assert.equal(alarmValueText(alarm(1, "INVALID", { value: null })), "no valid reading");
  });
});
