// What the alarm history says about runs (pure): the spans during which an alarm was MAJOR (a
// run's flag proposal: "flag this run bad over the alarm's span"), and whether a run passed
// with no alarm at all (a run marked reviewed by itself when the next one begins).
import type { Severity } from "./alarm-state.js";

/** A history event, as far as spans need it (server/alarms/alarm-store.ts AlarmEvent). */
export interface SeverityEvent {
  at: number;
  id: string;
  observable: string;
  channel: number;
  kind: string;
  severity: Severity;
  currentSeverity: Severity;
  value: number | null;
}

export interface AlarmSpan {
  id: string;
  observable: string;
  channel: number;
  from: number;
  /** When it left MAJOR; the end of the history read while it still is. */
  to: number;
  /** The readings that made it MAJOR, and the one furthest from the first. */
  count: number;
  worst: number | null;
}

/** Each alarm's MAJOR spans, from its severity events in time order; one still open ends at `until`. */
export function majorSpans(events: readonly SeverityEvent[], until: number): AlarmSpan[] {
  const open = new Map<string, AlarmSpan>();
  const done: AlarmSpan[] = [];
  // A rise is the evaluator's; anything that leaves MAJOR ends it (a return, disabling, a rule gone).
  const sorted = [...events].sort((a, b) => a.at - b.at);
  for (const e of sorted) {
    const span = open.get(e.id);
    if (e.currentSeverity === "MAJOR" && (e.kind === "severity" || span)) {
      if (!span)
        open.set(e.id, {
          id: e.id,
          observable: e.observable,
          channel: e.channel,
          from: e.at,
          to: e.at,
          count: 1,
          worst: e.value,
        });
      else {
        span.count++;
        span.to = e.at;
        if (e.value !== null && (span.worst === null || Math.abs(e.value) > Math.abs(span.worst))) span.worst = e.value;
      }
    } else if (span) {
      span.to = e.at;
      done.push(span);
      open.delete(e.id);
    }
  }
  for (const span of open.values()) done.push({ ...span, to: Math.max(span.to, until) });
  // A spike of one reading is an instant: widened to a second so a flag over it shows.
  return done
    .map((s) => (s.to > s.from ? s : { ...s, to: s.from + 1000 }))
    .sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
}

/**
 * Whether no alarm `watched` says counts was out of OK in [from, to]: none left OK inside it,
 * and none was still out of OK when it began (its last change before `from`).
 */
export function quietBetween(
  events: readonly SeverityEvent[],
  from: number,
  to: number,
  watched: (id: string) => boolean,
): boolean {
  const before = new Map<string, Severity>();
  for (const e of [...events].filter((x) => x.kind === "severity").sort((a, b) => a.at - b.at)) {
    if (e.at < from) before.set(e.id, e.currentSeverity);
    else if (e.at <= to && e.currentSeverity !== "OK" && watched(e.id)) return false;
  }
  return [...before].every(([id, severity]) => severity === "OK" || !watched(id));
}
