// Widgets whose observable is in alarm get an alarm-coloured border and a mark with the word
// (never colour alone): the worst active alarm among the channels the widget shows (a raster,
// histogram or alarm table: any channel of its observable).
import { type PageAlarm, SEVERITY_MARK, activeAlarm } from "../core/alarm-news.js";
import { SEVERITY_RANK, type Severity } from "../core/alarm-state.js";
import type { Widget } from "../core/dashboard.js";

const EVERY_CHANNEL = new Set<Widget["kind"]>(["raster", "histogram", "alarms", "profile", "image"]);

/** The worst active alarm severity on what `widget` shows, if any. */
export function widgetAlarm(widget: Widget, alarms: Iterable<PageAlarm>): Severity | undefined {
  const every = EVERY_CHANNEL.has(widget.kind);
  const shown = new Set(widget.series.map((s) => (every ? s.observable : `${s.observable}:${s.channel}`)));
  let worst: Severity | undefined;
  for (const a of alarms) {
    if (!activeAlarm(a) || !shown.has(every ? a.observable : a.id)) continue;
    if (!worst || SEVERITY_RANK[a.severity] > SEVERITY_RANK[worst]) worst = a.severity;
  }
  return worst;
}

/** Marks a widget's frame (region and heading) with its alarm, or clears it. */
export function markWidget(region: HTMLElement, heading: HTMLElement, severity: Severity | undefined): void {
  const level = severity?.toLowerCase() ?? "";
  if ((region.dataset.alarm ?? "") === level) return;
  if (level) region.dataset.alarm = level;
  else delete region.dataset.alarm;
  region.querySelector(".widget-alarm-mark")?.remove();
  if (!severity) return;
  const mark = document.createElement("span");
  mark.className = "widget-alarm-mark";
  mark.textContent = `${SEVERITY_MARK[severity]} ${severity}`;
  mark.title = `An alarm on this widget's observable is ${severity}: see the alarm page`;
  heading.parentElement?.after(mark);
}
