// What a page does with the alarm news it is sent (pure, so the tests drive it without a
// browser): keeps the list of alarms an operator must see, in the alarm page's order, picks the
// worst for the alarm area, and words what the annunciator says aloud.
import { type AlarmCounts, type AlarmView, SEVERITY_RANK, type Severity } from "./alarm-state.js";

/** An alarm as a page holds it, as the server sends it. */
export type PageAlarm = AlarmView;

export interface AlarmNewsMessage {
  full: boolean;
  changed: PageAlarm[];
  counts: AlarmCounts;
  at: number;
}

/** Whether an alarm belongs on the page at all: not OK, or shelved or disabled (listed apart). */
export const listed = (a: PageAlarm): boolean => a.severity !== "OK" || !!a.shelved || !!a.disabled;

/** Active: an operator has to act on it (not OK, not shelved, not disabled). */
export const activeAlarm = (a: PageAlarm): boolean => a.severity !== "OK" && !a.shelved && !a.disabled;

/**
 * The news applied to what the page holds: everything at once (`full`), or what changed. An alarm
 * back to OK and acknowledged leaves the list. Returns the alarms that are new or rose in
 * severity and nobody has acknowledged (what the annunciator announces).
 */
export function applyNews(held: Map<string, PageAlarm>, news: AlarmNewsMessage): PageAlarm[] {
  const before = news.full ? new Map(held) : held;
  const rose: PageAlarm[] = [];
  if (news.full) held.clear();
  for (const alarm of news.changed) {
    const previous = before.get(alarm.id);
    if (listed(alarm)) held.set(alarm.id, alarm);
    else held.delete(alarm.id);
    const wasRank = previous && activeAlarm(previous) ? SEVERITY_RANK[previous.severity] : 0;
    if (activeAlarm(alarm) && !alarm.acknowledged && SEVERITY_RANK[alarm.severity] > wasRank) rose.push(alarm);
  }
  return rose;
}

/** The alarm page's order: severity (INVALID, MAJOR, MINOR), then the newest first, then by observable and channel (ch 2 before ch 10). */
export function byUrgency(a: PageAlarm, b: PageAlarm): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    (b.time ?? 0) - (a.time ?? 0) ||
    (a.observable < b.observable ? -1 : a.observable > b.observable ? 1 : a.channel - b.channel)
  );
}

/** The one alarm the alarm area names: the most severe unacknowledged, else the most severe. */
export function worstAlarm(alarms: Iterable<PageAlarm>): PageAlarm | undefined {
  let worst: PageAlarm | undefined;
  const key = (a: PageAlarm) => (a.acknowledged ? 0 : 10) + SEVERITY_RANK[a.severity];
  for (const a of alarms) {
    if (!activeAlarm(a)) continue;
    if (!worst || key(a) > key(worst) || (key(a) === key(worst) && byUrgency(a, worst) < 0)) worst = a;
  }
  return worst;
}

/** How a severity is shown: a shape and a word beside the colour, so it never rests on colour. */
export const SEVERITY_MARK: Record<Severity, string> = { OK: "✓", MINOR: "▲", MAJOR: "⬣", INVALID: "◆" };

/** `camera.hv:25` as a person reads it: "camera.hv ch 25". */
export const alarmName = (a: Pick<PageAlarm, "observable" | "channel">): string => `${a.observable} ch ${a.channel}`;

const SPOKEN_UNITS: Record<string, string> = {
  V: "volts",
  kV: "kilovolts",
  mV: "millivolts",
  A: "amps",
  mA: "milliamps",
  uA: "microamps",
  µA: "microamps",
  K: "kelvin",
  "°C": "degrees Celsius",
  degC: "degrees Celsius",
  Pa: "pascal",
  mbar: "millibar",
  bar: "bar",
  Hz: "hertz",
  kHz: "kilohertz",
  "%": "percent",
  W: "watts",
  s: "seconds",
  ms: "milliseconds",
};

/** An observable's name as speech: dots and underscores are pauses, a vowel-less word is spelled (HV). */
export function spokenName(observable: string): string {
  return observable
    .split(/[._\-/]+/)
    .filter(Boolean)
    .map((word) => (/^[b-df-hj-np-tv-z]{1,4}$/i.test(word) ? word.toUpperCase().split("").join(" ") : word))
    .join(" ");
}

const spokenNumber = (value: number) =>
  Math.abs(value) >= 100 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));

/** "Major alarm: camera H V channel 25, 3.1 volts" (INVALID: "no valid reading"). */
export function spokenLine(a: PageAlarm): string {
  const word = { OK: "Cleared", MINOR: "Minor alarm", MAJOR: "Major alarm", INVALID: "Invalid alarm" }[a.severity];
  const what = `${spokenName(a.observable)} channel ${a.channel}`;
  if (a.value === null || a.severity === "INVALID") return `${word}: ${what}, no valid reading`;
  const unit = a.unit ? ` ${SPOKEN_UNITS[a.unit] ?? a.unit}` : "";
  return `${word}: ${what}, ${spokenNumber(a.value)}${unit}`;
}

/** At most this many alarms are spoken one by one in one burst; the rest are summarised. */
export const SPOKEN_AT_ONCE = 3;

/** What the annunciator says for a burst of new alarms: the first few, then how many more. */
export function announcement(rose: readonly PageAlarm[]): string[] {
  const loud = rose.filter((a) => a.severity === "MAJOR" || a.severity === "MINOR" || a.severity === "INVALID");
  const ordered = [...loud].sort(byUrgency);
  const lines = ordered.slice(0, SPOKEN_AT_ONCE).map(spokenLine);
  const more = ordered.length - SPOKEN_AT_ONCE;
  if (more > 0) lines.push(`There ${more === 1 ? "is 1 more alarm" : `are ${more} more alarms`}`);
  return lines;
}

/** The reminder while anything is unacknowledged. */
export const reminderLine = (unacknowledged: number): string =>
  `Reminder: ${unacknowledged === 1 ? "1 alarm is" : `${unacknowledged} alarms are`} not acknowledged`;

/** The tab's title with the count of unacknowledged alarms in front ("(3) Runs | runboard"). */
export function titleWithCount(title: string, unacknowledged: number): string {
  const bare = title.replace(/^\(\d+\)\s+/, "");
  return unacknowledged > 0 ? `(${unacknowledged}) ${bare}` : bare;
}

/** The worst reading's value as shown: "1403 V", or why there is none. */
export function alarmValueText(a: Pick<PageAlarm, "value" | "unit" | "severity">): string {
  if (a.value === null || !Number.isFinite(a.value)) return a.severity === "INVALID" ? "no valid reading" : "—";
  const digits = Math.abs(a.value) >= 1000 ? String(Math.round(a.value)) : String(Number(a.value.toPrecision(4)));
  return a.unit ? `${digits} ${a.unit}` : digits;
}
