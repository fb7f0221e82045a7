// The browser's calls to the alarm API (server/alarms/alarm-routes.ts).
import type { PageAlarm } from "../core/alarm-news.js";
import type { AlarmRules } from "../core/alarm-rules.js";
import type { SeverityEvent } from "../core/alarm-spans.js";
import { apiRead, apiWrite } from "./api.js";

/** One event of an alarm's life, as the history lists it. */
export type AlarmHistoryEvent = SeverityEvent & { by: string; text: string };

const alarmPath = (id: string, action: string) => `/api/alarms/${encodeURIComponent(id)}/${action}`;

export const acknowledgeAlarm = (id: string, comment: string) => apiWrite<PageAlarm>("POST", alarmPath(id, "ack"), { comment });
/** `duration`: "1h", "6h", "12h", "1d", "7d"; null: one-shot (until the alarm is back to normal). */
export const shelveAlarm = (id: string, duration: string | null, reason: string) =>
  apiWrite<PageAlarm>("POST", alarmPath(id, "shelve"), duration ? { for: duration, reason } : { oneShot: true, reason });
export const unshelveAlarm = (id: string) => apiWrite<PageAlarm>("POST", alarmPath(id, "unshelve"));
export const disableAlarm = (id: string, reason: string) => apiWrite<PageAlarm>("POST", alarmPath(id, "disable"), { reason });
export const enableAlarm = (id: string) => apiWrite<PageAlarm>("POST", alarmPath(id, "enable"));

export const fetchAlarmHistory = (from: number, to: number, limit = 500) =>
  apiRead<{ events: AlarmHistoryEvent[] }>(`/api/alarms/history?from=${from}&to=${to}&limit=${limit}`).then((b) => b.events);

/** The rules with their revision (the ETag a save sends back as If-Match). */
export async function fetchAlarmRules(): Promise<{ doc: AlarmRules; revision: number }> {
  const response = await fetch("/api/alarm-rules");
  const revision = Number(/\d+/.exec(response.headers.get("ETag") ?? "")?.[0] ?? 0);
  return { doc: (await response.json()) as AlarmRules, revision };
}

export const saveAlarmRules = (doc: unknown, revision: number, message: string) =>
  apiWrite<AlarmRules>("PUT", `/api/alarm-rules?message=${encodeURIComponent(message)}`, doc, { "If-Match": `"${revision}"` });
