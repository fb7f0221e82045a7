// The alarm core on a fake clock: latch and maximize, the noise filter (delay and count), typed
// acknowledgement, shelves that end, silent channels, and rules inherited down a group path.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AlarmBook } from "../../src/core/alarm-book.js";
import { parseAlarmRules, resolveRules, type ResolvedRule } from "../../src/core/alarm-rules.js";
import {
  type AlarmState,
  acknowledge,
  applyReading,
  disable,
  isActive,
  newAlarm,
  shelve,
  tick,
} from "../../src/core/alarm-state.js";

const HV: ResolvedRule = {
  path: "/camera/hv",
  observable: "camera.hv",
  channels: "all",
  minor: { min: 950, max: 1250 },
  major: { min: 900, max: 1300 },
  delaySeconds: 0,
  count: 0,
  latch: true,
  silentSeconds: 0,
  guidance: [],
  displays: [],
  enabled: true,
  proposeFlags: true,
  autoReview: false,
};

/** Readings `[t (s), value]` on one alarm; returns it. */
function feed(rule: ResolvedRule, readings: [number, number][], alarm: AlarmState = newAlarm(rule, 25, 0)): AlarmState {
  for (const [t, v] of readings) applyReading(alarm, rule, t * 1000, v);
  return alarm;
}

describe("latch and maximize", () => {
  it("OK -> MINOR -> MAJOR -> MINOR -> OK leaves MAJOR, with its worst reading, until acknowledged", () => {
    const a = feed(HV, [
      [0, 1100],
      [1, 1260],
      [2, 1310],
      [3, 1270],
      [4, 1100],
    ]);
    assert.equal(a.severity, "MAJOR");
    assert.equal(a.currentSeverity, "OK");
    assert.deepEqual([a.value, a.time], [1310, 2000]);
    assert.ok(isActive(a));
    const ack = acknowledge(a, "eve", "HV trip on module 3, reset", 5000);
    assert.equal(typeof ack, "object");
    assert.equal(a.severity, "OK");
    assert.equal(a.acknowledged, null);
    assert.ok(!isActive(a));
  });

  it("a single 50 ms MAJOR sample inside a 10 Hz stream is latched", () => {
    const readings: [number, number][] = Array.from({ length: 100 }, (_, i) => [i / 10, i === 42 ? 3.1 : 1100]);
    const a = feed(HV, readings);
    assert.equal(a.severity, "MAJOR");
    assert.deepEqual([a.value, a.time], [3.1, 4200]);
  });

  it("an acknowledgement is for the severity it saw: a later MAJOR after an acknowledged MINOR is unacknowledged", () => {
    const a = feed(HV, [[0, 1260]]);
    assert.equal(a.severity, "MINOR");
    acknowledge(a, "eve", "", 1000);
    assert.equal(a.acknowledged?.severity, "MINOR");
    feed(HV, [[2, 1320]], a);
    assert.equal(a.severity, "MAJOR");
    assert.equal(a.acknowledged, null);
    assert.equal(acknowledge(a, "eve", "", 3000) instanceof Object, true);
    assert.equal((a as AlarmState).acknowledged?.severity, "MAJOR");
    // Still out of range: acknowledged, not cleared; back to OK it clears.
    assert.equal(a.severity, "MAJOR");
    feed(HV, [[4, 1100]], a);
    assert.equal(a.severity, "OK");
  });

  it("says why an acknowledgement is refused", () => {
    const a = feed(HV, [[0, 1100]]);
    assert.match(String(acknowledge(a, "eve", "", 0)), /nothing to acknowledge/);
    feed(HV, [[1, 1400]], a);
    acknowledge(a, "eve", "", 1000);
    assert.match(String(acknowledge(a, "bob", "", 2000)), /already acknowledged by eve/);
  });

  it("a rule that does not latch follows its readings", () => {
    const a = feed({ ...HV, latch: false }, [
      [0, 1400],
      [1, 1100],
    ]);
    assert.equal(a.severity, "OK");
  });
});

describe("the noise filter", () => {
  const filtered = { ...HV, delaySeconds: 10, count: 4 };
  /** `n` excursions of 1 s, one every 2 s, readings at 2 Hz. */
  const excursions = (n: number): [number, number][] =>
    Array.from({ length: 2 * n * 2 }, (_, i) => [i / 2, Math.floor(i / 2) % 2 === 0 ? 1400 : 1100] as [number, number]);

  it("5 excursions of 1 s within 10 s raise, 4 do not", () => {
    assert.equal(feed(filtered, excursions(4)).severity, "OK");
    assert.equal(feed(filtered, excursions(5)).severity, "MAJOR");
  });

  it("a departure that lasts the delay raises, with the worst it reached; one shorter does not", () => {
    const short = feed(filtered, [
      [0, 1260],
      [9, 1400],
      [9.5, 1100],
    ]);
    assert.equal(short.severity, "OK");
    const long = feed(filtered, [
      [0, 1260],
      [5, 1400],
      [10, 1260],
    ]);
    assert.equal(long.severity, "MAJOR");
    assert.equal(long.currentSeverity, "MINOR");
    assert.deepEqual([long.value, long.time], [1400, 5000]);
  });

  it("raises on the clock when the channel stays out of range with no newer reading", () => {
    const a = feed(filtered, [[0, 1400]]);
    assert.equal(tick(a, filtered, 9_000), undefined);
    assert.equal(a.severity, "OK");
    const change = tick(a, filtered, 10_000);
    assert.equal(change?.to.severity, "MAJOR");
  });
});

describe("shelves, disabling and silence", () => {
  it("a timed shelf keeps the alarm out of the active list until it ends", () => {
    const a = feed(HV, [[0, 1400]]);
    shelve(a, "eve", "module 3 under repair", 3_600_000, 1000);
    assert.ok(!isActive(a));
    tick(a, HV, 3_599_999);
    assert.ok(a.shelved);
    tick(a, HV, 3_600_000);
    assert.equal(a.shelved, null);
    assert.ok(isActive(a));
  });

  it("a one-shot shelf ends when the alarm is back to normal", () => {
    const a = feed(HV, [[0, 1400]]);
    shelve(a, "eve", "known", null, 1000);
    feed(HV, [[1, 1400]], a);
    assert.ok(a.shelved);
    feed(HV, [[2, 1100]], a);
    assert.equal(a.shelved, null);
  });

  it("a disabled alarm is not evaluated", () => {
    const a = feed(HV, [[0, 1400]]);
    disable(a, "eve", "channel dead, masked", 1000);
    feed(HV, [[2, 1400]], a);
    assert.equal(a.severity, "OK");
    assert.ok(!isActive(a));
  });

  it("a channel silent for silentSeconds is INVALID, latched after it speaks again", () => {
    const rule = { ...HV, silentSeconds: 60 };
    const a = feed(rule, [[0, 1100]]);
    assert.equal(tick(a, rule, 59_000), undefined);
    assert.equal(tick(a, rule, 60_000)?.to.severity, "INVALID");
    feed(rule, [[61, 1100]], a);
    assert.equal(a.currentSeverity, "OK");
    assert.equal(a.severity, "INVALID");
  });
});

describe("alarm rules", () => {
  const healthy = (o: string) => (o === "camera.hv" ? { min: 900, max: 1300 } : undefined);

  it("inherit every field they leave out from the group above them; guidance adds up", () => {
    const parsed = parseAlarmRules({
      schemaVersion: 1,
      rules: [
        { path: "/camera", delaySeconds: 5, guidance: [{ title: "Camera", details: "call the camera expert" }] },
        { path: "/camera/hv", observable: "camera.hv", minor: { min: 950, max: 1250 }, major: { min: 900, max: 1300 } },
        { path: "/camera/hv/module-3", channels: [21, 22, 23], latch: false, guidance: [{ title: "Module 3", details: "" }] },
      ],
    });
    assert.ok(parsed.ok);
    const rules = resolveRules(parsed.value, healthy);
    // The /camera group watches nothing itself (no observable).
    assert.deepEqual(
      rules.map((r) => r.path),
      ["/camera/hv", "/camera/hv/module-3"],
    );
    const module3 = rules[1]!;
    assert.deepEqual(module3.channels, [21, 22, 23]);
    assert.equal(module3.delaySeconds, 5);
    assert.equal(module3.latch, false);
    assert.deepEqual(module3.minor, { min: 950, max: 1250 });
    assert.deepEqual(
      module3.guidance.map((g) => g.title),
      ["Camera", "Module 3"],
    );
  });

  it("take the catalog's healthy range as the MAJOR limit where no limits are given", () => {
    const parsed = parseAlarmRules({ schemaVersion: 1, rules: [{ path: "/hv", observable: "camera.hv" }] });
    assert.ok(parsed.ok);
    const [rule] = resolveRules(parsed.value, healthy);
    assert.deepEqual([rule!.minor, rule!.major], [undefined, { min: 900, max: 1300 }]);
  });

  it("accept the documented first shape and name the field at fault", () => {
    const documented = {
      schemaVersion: 1,
      rules: [
        {
          path: "/camera/hv",
          observable: "camera.hv",
          channels: [25, 26],
          minor: { min: 950, max: 1250 },
          major: { min: 900, max: 1300 },
          delaySeconds: 0,
          count: 0,
          latch: true,
          silentSeconds: 60,
          guidance: [{ title: "What to do", details: "..." }],
          displays: ["/d/abc123?window=1h"],
        },
      ],
    };
    assert.ok(parseAlarmRules(documented).ok);
    const bad = parseAlarmRules({
      schemaVersion: 1,
      rules: [
        { path: "camera", observable: "camera.hv" },
        { path: "/a", major: { min: 5, max: 1 }, displays: ["https://elsewhere.example/x"] },
        { path: "/a" },
      ],
    });
    assert.ok(!bad.ok);
    const fields = bad.errors.map((e) => e.field);
    for (const f of ["rules[0].path", "rules[1].major", "rules[1].displays[0]", "rules[2].path"])
      assert.ok(fields.includes(f), f);
    const newer = parseAlarmRules({ schemaVersion: 2, rules: [] });
    assert.ok(!newer.ok && newer.errors[0]!.field === "schemaVersion");
  });
});

describe("the alarm book", () => {
  const catalog = (o: string) =>
    o === "camera.hv" ? { channels: 1855, groups: { name: "module", size: 7 }, healthy: { min: 900, max: 1300 } } : undefined;
  const rules = (extra: object[] = []) => {
    const parsed = parseAlarmRules({
      schemaVersion: 1,
      rules: [{ path: "/camera/hv", observable: "camera.hv", silentSeconds: 0 }, ...extra],
    });
    assert.ok(parsed.ok);
    return parsed.value;
  };

  it("gives each channel to the most specific rule that names it, a channel group included", () => {
    const book = new AlarmBook(
      catalog,
      rules([{ path: "/camera/hv/module-3", channels: { group: 3 }, major: { min: 1000, max: 1200 } }]),
    );
    assert.equal(book.ruleFor("camera.hv", 20)!.path, "/camera/hv");
    assert.equal(book.ruleFor("camera.hv", 21)!.path, "/camera/hv/module-3");
    assert.equal(book.ruleFor("camera.hv", 27)!.path, "/camera/hv/module-3");
    assert.equal(book.ruleFor("camera.hv", 28)!.path, "/camera/hv");
    assert.equal(book.ruleFor("camera.temperature", 0), undefined);
    // 1250 V is healthy for the camera, MAJOR for module 3's tighter limits.
    assert.equal(book.reading("camera.hv", 20, 0, 1250), undefined);
    assert.equal(book.reading("camera.hv", 25, 0, 1250)?.to.severity, "MAJOR");
    assert.deepEqual(book.counts(), { MINOR: 0, MAJOR: 1, INVALID: 0, unacknowledged: 1 });
    assert.deepEqual(
      book.list().map((a) => a.id),
      ["camera.hv:25"],
    );
  });

  it("watches a silent-channel rule's channels before their first reading", () => {
    const book = new AlarmBook(catalog, rules([{ path: "/camera/hv/pixel-5", channels: [5], silentSeconds: 30 }]));
    book.setRules(rules([{ path: "/camera/hv/pixel-5", channels: [5], silentSeconds: 30 }]), 1000);
    const changes = book.tick(31_000);
    assert.deepEqual(
      changes.map((c) => [c.id, c.to.severity]),
      [["camera.hv:5", "INVALID"]],
    );
  });

  it("keeps a latched alarm across an edit of the rules, and drops one no longer watched", () => {
    const book = new AlarmBook(catalog, rules());
    book.reading("camera.hv", 25, 0, 3.1);
    book.setRules(
      rules([{ path: "/camera/hv/module-3", channels: { group: 3 }, guidance: [{ title: "Reset", details: "" }] }]),
      1000,
    );
    assert.equal(book.get("camera.hv:25")?.severity, "MAJOR");
    assert.equal(book.get("camera.hv:25")?.path, "/camera/hv/module-3");
    const none = parseAlarmRules({ schemaVersion: 1, rules: [] });
    assert.ok(none.ok);
    book.setRules(none.value, 2000);
    assert.equal(book.get("camera.hv:25"), undefined);
  });

  it("gives back the states it was given (a restart, another replica)", () => {
    const book = new AlarmBook(catalog, rules());
    book.reading("camera.hv", 25, 0, 3.1);
    const copy = new AlarmBook(catalog, rules());
    copy.restore(JSON.parse(JSON.stringify(book.states())));
    assert.deepEqual(copy.get("camera.hv:25")?.severity, "MAJOR");
    assert.deepEqual(copy.counts(), book.counts());
  });

  it("does not count a restart's downtime as a silent channel", () => {
    const silent = (book: AlarmBook) => {
      const parsed = parseAlarmRules({
        schemaVersion: 1,
        rules: [{ path: "/hv", observable: "camera.hv", channels: [3], silentSeconds: 60 }],
      });
      assert.ok(parsed.ok);
      book.setRules(parsed.value, 0);
      return book;
    };
    const before = silent(new AlarmBook(catalog));
    before.reading("camera.hv", 3, 1000, 1100);
    // Down for 20 minutes, started again: the channel has a minute from now to be heard.
    const after = silent(new AlarmBook(catalog));
    after.restore(JSON.parse(JSON.stringify(before.states())), 1_201_000);
    assert.deepEqual(after.tick(1_230_000), []);
    assert.equal(after.tick(1_262_000)[0]?.to.currentSeverity, "INVALID");
  });
});
