// The state of one alarm (an observable's channel under a rule), as Phoebus's alarm server keeps
// it and ISA-18.2 names it. Pure: every step takes the time it happens at, so a fake clock
// drives the tests and the server alike.
//   - Readings are classified against the rule's limits: OK, MINOR, MAJOR; no finite value or a
//     silent channel is INVALID.
//   - The noise filter: a severity counts once it has lasted `delaySeconds`, or once the channel
//     has left OK more than `count` times within `delaySeconds` (0 and 0: at once).
//   - Latch and maximize: the alarm's severity is the highest it reached until someone
//     acknowledges it; an acknowledgement is for the severity it saw, so a later, higher one is
//     unacknowledged again. Acknowledged and back to OK, the alarm clears.
//   - Shelved (until a time, or one-shot: until back to normal) and disabled alarms are kept out
//     of the active list; a disabled one is not evaluated at all.
import type { AlarmLimits, ResolvedRule } from "./alarm-rules.js";

export type Severity = "OK" | "MINOR" | "MAJOR" | "INVALID";

/** Phoebus's order: INVALID (no trustworthy value) outranks MAJOR. */
export const SEVERITY_RANK: Record<Severity, number> = { OK: 0, MINOR: 1, MAJOR: 2, INVALID: 3 };

export interface AlarmState {
  id: string;
  path: string;
  observable: string;
  channel: number;
  /** The latched severity: the highest reached since the last acknowledgement that cleared it. */
  severity: Severity;
  /** What the channel's readings say now (after the noise filter). */
  currentSeverity: Severity;
  /** The reading that set `severity` (the worst), or the latest while OK. */
  value: number | null;
  time: number | null;
  acknowledged: { by: string; at: number; comment: string; severity: Severity } | null;
  /** `until` null: one-shot, ends when the alarm is back to OK. */
  shelved: { by: string; at: number; until: number | null; reason: string } | null;
  disabled: { by: string; at: number; reason: string } | null;
  /** The noise filter's memory: when the channel left OK, and when it left OK recently. */
  filter: {
    since: number | null;
    worst: Severity;
    value: number | null;
    time: number | null;
    departures: number[];
    /** The latest reading's severity and value (what is current once the departure counts). */
    last: Severity;
    lastValue: number | null;
  };
  /** The time of the newest reading, for the silent-channel check. */
  lastReading: number | null;
}

const emptyFilter = (): AlarmState["filter"] => ({
  since: null,
  worst: "OK",
  value: null,
  time: null,
  departures: [],
  last: "OK",
  lastValue: null,
});

/** `camera.hv:25`: no observable name holds a colon, and a colon needs no escaping in a URL path. */
/** An alarm as the API and the websocket show it: its state, its rule's guidance and display links. */
export type AlarmView = Omit<AlarmState, "filter"> & {
  guidance: ResolvedRule["guidance"];
  displays: string[];
  /** The observable's unit, from the catalog ("" when it has none). */
  unit?: string;
};

/** Active alarms by severity, and how many of them nobody acknowledged (the alarm area). */
export interface AlarmCounts {
  MINOR: number;
  MAJOR: number;
  INVALID: number;
  unacknowledged: number;
}

export const alarmId = (observable: string, channel: number) => `${observable}:${channel}`;

export function newAlarm(rule: Pick<ResolvedRule, "path" | "observable">, channel: number, now: number): AlarmState {
  return {
    id: alarmId(rule.observable, channel),
    path: rule.path,
    observable: rule.observable,
    channel,
    severity: "OK",
    currentSeverity: "OK",
    value: null,
    time: null,
    acknowledged: null,
    shelved: null,
    disabled: null,
    filter: emptyFilter(),
    // A channel is silent counted from when it is first watched, not from the epoch.
    lastReading: now,
  };
}

/** The severity of one value against a rule's limits. */
export function classify(value: number, limits: { minor?: AlarmLimits | undefined; major?: AlarmLimits | undefined }): Severity {
  if (!Number.isFinite(value)) return "INVALID";
  if (outside(value, limits.major)) return "MAJOR";
  if (outside(value, limits.minor)) return "MINOR";
  return "OK";
}

/** No closure per reading: this runs for every stored reading of a watched channel. */
function outside(value: number, l: AlarmLimits | undefined): boolean {
  return !!l && ((l.min !== undefined && value < l.min) || (l.max !== undefined && value > l.max));
}

/** What a step changed that a person would see (the alarm page, the annunciator, the history). */
export interface AlarmChange {
  id: string;
  at: number;
  from: { severity: Severity; currentSeverity: Severity; acknowledged: boolean };
  to: { severity: Severity; currentSeverity: Severity; acknowledged: boolean };
  /** The reading that made the change (the latched value for a change of time or of a person). */
  value: number | null;
}

const visible = (s: AlarmState) => ({ severity: s.severity, currentSeverity: s.currentSeverity, acknowledged: !!s.acknowledged });

/** What a step changed; nothing is made when nothing did (this runs for every reading). */
function changeOf(
  severity: Severity,
  currentSeverity: Severity,
  acknowledged: boolean,
  state: AlarmState,
  at: number,
  value = state.value,
): AlarmChange | undefined {
  if (severity === state.severity && currentSeverity === state.currentSeverity && acknowledged === !!state.acknowledged)
    return undefined;
  return { id: state.id, at, from: { severity, currentSeverity, acknowledged }, to: visible(state), value };
}

/** One reading of the alarm's channel at time `t`. */
export function applyReading(state: AlarmState, rule: ResolvedRule, t: number, value: number): AlarmChange | undefined {
  if (state.disabled || !rule.enabled) return undefined;
  const raw = classify(value, rule);
  const f = state.filter;
  // The common case, with nothing made: in range, and nothing pending, latched or acknowledged.
  if (raw === "OK" && state.severity === "OK" && state.currentSeverity === "OK" && f.since === null && !state.acknowledged) {
    state.lastReading = Math.max(state.lastReading ?? t, t);
    f.last = "OK";
    f.lastValue = value;
    state.value = value;
    state.time = t;
    if (state.shelved?.until === null) state.shelved = null;
    return undefined;
  }
  const [severity, currentSeverity, acknowledged] = [state.severity, state.currentSeverity, !!state.acknowledged];
  state.lastReading = Math.max(state.lastReading ?? t, t);
  f.last = raw;
  f.lastValue = value;
  if (raw === "OK") {
    f.since = null;
    f.worst = "OK";
    setCurrent(state, rule, "OK", value, t);
  } else {
    noteDeparture(f, raw, value, t, rule.delaySeconds * 1000);
    const lasted = rule.delaySeconds === 0 || t - f.since! >= rule.delaySeconds * 1000;
    const often = rule.count > 0 && f.departures.length > rule.count;
    // Once a departure counts, each later reading of it acts at once.
    if (lasted || often || state.currentSeverity !== "OK") countDeparture(state, rule, t);
  }
  return changeOf(severity, currentSeverity, acknowledged, state, t, value);
}

/** The noise filter's record of a reading outside OK: when the departure began, its worst. */
function noteDeparture(f: AlarmState["filter"], raw: Severity, value: number, t: number, delayMs: number): void {
  if (f.since === null) {
    f.since = t;
    f.worst = raw;
    [f.value, f.time] = [value, t];
    f.departures.push(t);
  } else if (SEVERITY_RANK[raw] > SEVERITY_RANK[f.worst]) {
    f.worst = raw;
    [f.value, f.time] = [value, t];
  }
  f.departures = f.departures.filter((d) => d > t - delayMs);
}

/** A departure that counts: the worst it reached is latched, the latest reading is current. */
function countDeparture(state: AlarmState, rule: ResolvedRule, now: number): void {
  const f = state.filter;
  if (SEVERITY_RANK[f.worst] > SEVERITY_RANK[f.last]) setCurrent(state, rule, f.worst, f.value!, f.time!);
  setCurrent(state, rule, f.last, f.last === f.worst ? f.value! : f.lastValue!, f.last === f.worst ? f.time! : now);
}

/** Whether the alarm's acknowledgement was for a lower severity than `s`. */
const ackedBelow = (state: AlarmState, s: Severity) =>
  !!state.acknowledged && SEVERITY_RANK[s] > SEVERITY_RANK[state.acknowledged.severity];

function setCurrent(state: AlarmState, rule: ResolvedRule, severity: Severity, value: number, time: number): void {
  state.currentSeverity = severity;
  if (!rule.latch) {
    state.severity = severity;
    [state.value, state.time] = [value, time];
    if (severity === "OK" || ackedBelow(state, severity)) state.acknowledged = null;
  } else if (SEVERITY_RANK[severity] > SEVERITY_RANK[state.severity]) {
    state.severity = severity;
    [state.value, state.time] = [value, time];
    // An acknowledgement is for the severity it saw.
    if (ackedBelow(state, severity)) state.acknowledged = null;
  } else if (severity === "OK" && state.acknowledged) {
    clear(state, value, time);
  } else if (state.severity === "OK") {
    [state.value, state.time] = [value, time];
  }
  if (severity === "OK" && state.shelved && state.shelved.until === null) state.shelved = null;
}

function clear(state: AlarmState, value: number | null, time: number | null): void {
  state.severity = "OK";
  state.acknowledged = null;
  [state.value, state.time] = [value, time];
}

/**
 * Time passing with no reading: a departure that has now lasted `delaySeconds` counts, a
 * channel silent for `silentSeconds` is INVALID, and a timed shelf ends.
 */
export function tick(state: AlarmState, rule: ResolvedRule, now: number): AlarmChange | undefined {
  if (state.disabled || !rule.enabled) return undefined;
  const [severity, currentSeverity, acknowledged] = [state.severity, state.currentSeverity, !!state.acknowledged];
  if (state.shelved?.until != null && now >= state.shelved.until) state.shelved = null;
  const f = state.filter;
  if (f.since !== null && state.currentSeverity === "OK" && now - f.since >= rule.delaySeconds * 1000)
    countDeparture(state, rule, now);
  const silent = rule.silentSeconds > 0 && state.lastReading !== null && now - state.lastReading >= rule.silentSeconds * 1000;
  if (silent && state.currentSeverity !== "INVALID") setCurrent(state, rule, "INVALID", Number.NaN, now);
  return changeOf(severity, currentSeverity, acknowledged, state, now);
}

/** An operator acknowledges what the alarm shows now. Returns what changed, or why not. */
export function acknowledge(state: AlarmState, by: string, comment: string, now: number): AlarmChange | string {
  if (state.severity === "OK") return "nothing to acknowledge: the alarm is OK";
  if (state.acknowledged?.severity === state.severity) return `already acknowledged by ${state.acknowledged.by}`;
  const before = visible(state);
  state.acknowledged = { by, at: now, comment, severity: state.severity };
  // Back to normal already: the acknowledgement clears the latch.
  if (state.currentSeverity === "OK") clear(state, state.value, state.time);
  return { id: state.id, at: now, from: before, to: visible(state), value: state.value };
}

/** Shelved until `until`, or one-shot (null: until the alarm is back to OK). */
export function shelve(state: AlarmState, by: string, reason: string, until: number | null, now: number): void {
  state.shelved = { by, at: now, until, reason };
}

export function unshelve(state: AlarmState): void {
  state.shelved = null;
}

/** Disabled: not evaluated, and back to OK, until enabled. */
export function disable(state: AlarmState, by: string, reason: string, now: number): void {
  state.disabled = { by, at: now, reason };
  state.currentSeverity = "OK";
  clear(state, null, null);
  state.filter = emptyFilter();
}

export function enable(state: AlarmState, now: number): void {
  state.disabled = null;
  state.lastReading = now;
}

/** Whether the alarm belongs in the active list: not OK, not shelved, not disabled. */
export const isActive = (state: AlarmState): boolean => state.severity !== "OK" && !state.shelved && !state.disabled;
