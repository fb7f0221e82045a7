// The alarm table widget: a dashboard's own view of the alarms (its observable's, or all of the
// site's), the same table as the alarm page (alarm-table.ts) without its buttons, kept up to date
// by the page's alarm news rather than by the dashboard's data. A published review is not live:
// it says so instead.
import type { Widget } from "../core/dashboard.js";
import { activeAlarm } from "../core/alarm-news.js";
import { type AlarmPicture, alarmFeed } from "./alarm-feed.js";
import { AlarmTable } from "./alarm-table.js";
import { el } from "./dom.js";
import type { WidgetView } from "./widget-common.js";
import { emptyNote } from "./widget-common.js";
import { isPublishedReview } from "./site-mode.js";

/** "3 alarms (1 MAJOR, 2 MINOR), 2 not acknowledged", or why there is nothing. */
function alarmsCaption(widget: Widget, picture: AlarmPicture, shown: number, unacknowledged: number, majors: number): string {
  if (picture.lost) return `${widget.title}: alarm service lost (${picture.lost})`;
  if (picture.heardAt === 0) return `${widget.title}: loading…`;
  if (shown === 0) return `${widget.title}: no alarms`;
  return `${widget.title}: ${shown} alarm${shown === 1 ? "" : "s"} (${majors} MAJOR or INVALID), ${unacknowledged} not acknowledged`;
}

export function alarmsView(): WidgetView {
  const element = el("div", { className: "widget-drawing widget-alarms" });
  if (isPublishedReview()) {
    element.append(emptyNote("Alarms are live on the runboard server; a review is a frozen copy."));
    return { element, update: (w) => `${w.title}: alarms are not part of a review` };
  }
  let widget: Widget | undefined;
  let table: AlarmTable | undefined;
  let caption = "";
  const link = el("a", { href: "/pages/alarms", className: "widget-alarms-link" }, "Alarm page →");
  const draw = (picture: AlarmPicture) => {
    if (!widget) return;
    const observable = widget.alarmScope === "all" ? undefined : widget.series[0]?.observable;
    // Shelved and disabled alarms are the alarm page's business, not a dashboard's.
    const mine = [...picture.alarms.values()].filter(
      (a) => (!observable || a.observable === observable) && !a.shelved && !a.disabled,
    );
    table?.update(new Map(mine.map((a) => [a.id, a])));
    const active = mine.filter(activeAlarm);
    const majors = active.filter((a) => a.severity === "MAJOR" || a.severity === "INVALID").length;
    caption = alarmsCaption(widget, picture, mine.length, active.filter((a) => !a.acknowledged).length, majors);
    element.dataset.lost = String(!!picture.lost);
  };
  // A view whose widget left the page (another tab, a removed widget) stops listening.
  const unlisten = alarmFeed().listen((picture) => {
    if (widget && !element.isConnected) unlisten();
    else draw(picture);
  });
  return {
    element,
    update(w) {
      const scopeChanged = widget?.alarmScope !== w.alarmScope || widget?.series[0]?.observable !== w.series[0]?.observable;
      widget = w;
      if (!table || scopeChanged) {
        table = new AlarmTable({ actions: false, compact: true, channelNames: w.alarmScope !== "all" });
        element.replaceChildren(table.element, link);
      }
      draw(alarmFeed().picture());
      return caption;
    },
  };
}
