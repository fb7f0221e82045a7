// The server's alarms as the runs' flag proposals: each MAJOR span of an alarm whose rule
// proposes flags (GET /api/alarms/spans) becomes a check of the run it fell in, beside the
// widgets' own range checks, so the flags panel proposes "flag run 1204 bad over 03:12–03:14".
import type { AlarmSpan } from "../core/alarm-spans.js";
import type { RunInfo } from "../core/catalog.js";
import { apiRead } from "./api.js";
import type { RangeCheck } from "./run-flags.js";
import { siteNow } from "./site-mode.js";

export type AlarmSpanListing = AlarmSpan & { path: string; unit: string; limits: { min?: number; max?: number } | null };

export const fetchAlarmSpans = (from: number, to: number) =>
  apiRead<{ spans: AlarmSpanListing[] }>(`/api/alarms/spans?from=${Math.floor(from)}&to=${Math.ceil(to)}`).then((b) => b.spans);

/** One check per alarm that was MAJOR during `run`, its spans cut to the run. */
export function alarmChecks(run: RunInfo, spans: readonly AlarmSpanListing[]): RangeCheck[] {
  const end = run.stop ?? siteNow();
  const byAlarm = new Map<string, RangeCheck>();
  for (const s of spans) {
    if (s.to < run.start || s.from > end) continue;
    const check = byAlarm.get(s.id) ?? {
      label: `${s.observable} ch ${s.channel} (MAJOR alarm)`,
      ...(s.unit ? { unit: s.unit } : {}),
      range: { min: s.limits?.min ?? Number.NEGATIVE_INFINITY, max: s.limits?.max ?? Number.POSITIVE_INFINITY },
      spans: [],
    };
    const cut = { from: Math.max(s.from, run.start), to: Math.min(s.to, end), count: s.count, worst: s.worst ?? Number.NaN };
    byAlarm.set(s.id, { ...check, spans: [...check.spans, cut] });
  }
  return [...byAlarm.values()];
}
