// The table of alarms (the alarm page and the alarm-table widget): sorted by severity then time,
// severity as a mark and a word (never colour alone), the unacknowledged first and the
// acknowledged, shelved and disabled set apart in sections of their own. Rows are kept by id and
// only the alarms that changed are redrawn and moved, so a page of 3000 alarms takes one
// second's news in a few milliseconds.
import { type PageAlarm, SEVERITY_MARK, alarmName, alarmValueText, byUrgency } from "../core/alarm-news.js";
import type { Severity } from "../core/alarm-state.js";
import { el } from "./dom.js";

export type AlarmSection = "unacknowledged" | "acknowledged" | "shelved" | "disabled";
const SECTIONS: readonly AlarmSection[] = ["unacknowledged", "acknowledged", "shelved", "disabled"];
const SECTION_TITLE: Record<AlarmSection, string> = {
  unacknowledged: "Active, not acknowledged",
  acknowledged: "Acknowledged",
  shelved: "Shelved",
  disabled: "Disabled",
};

export type AlarmActionName = "ack" | "shelve" | "unshelve" | "disable" | "enable";

export interface AlarmTableOptions {
  /** Whether this user may act (editors and admins; never on a kiosk screen). */
  actions: boolean;
  /** Fewer columns, no guidance (a dashboard widget). */
  compact?: boolean;
  /** Alarms of one observable: rows named by channel alone ("ch 25"). */
  channelNames?: boolean;
  onAction?: (action: AlarmActionName, alarm: PageAlarm) => void;
}

export const sectionOf = (a: PageAlarm): AlarmSection =>
  a.disabled
    ? "disabled"
    : a.shelved
      ? "shelved"
      : a.acknowledged && a.acknowledged.severity === a.severity
        ? "acknowledged"
        : "unacknowledged";

/** "03:12:05" today, "12-06 03:12" on another day (the page's local time). */
export function alarmTime(ms: number | null, now = Date.now()): string {
  if (ms === null) return "—";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString()
    ? clock
    : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock.slice(0, 5)}`;
}

export const severityBadge = (severity: Severity, className = "alarm-severity") =>
  el("span", { className: `${className} severity-${severity.toLowerCase()}` }, `${SEVERITY_MARK[severity]} ${severity}`);

interface Row {
  alarm: PageAlarm;
  tr: HTMLTableRowElement;
  section: AlarmSection;
  /** Whether the typed filter keeps it. */
  passes: boolean;
}

/**
 * At most this many rows are drawn (the most severe and newest first); the rest are counted
 * under the table with "Show all". Laying out thousands of rows would hold up every key press.
 */
export const ROWS_DRAWN = 400;

export class AlarmTable {
  readonly element = el("div", { className: "alarm-table" });
  private readonly rows = new Map<string, Row>();
  private readonly order = new Map<AlarmSection, PageAlarm[]>(SECTIONS.map((s) => [s, []]));
  private readonly bodies = new Map<AlarmSection, HTMLTableSectionElement>();
  private readonly counts = new Map<AlarmSection, HTMLElement>();
  private readonly parts = new Map<AlarmSection, HTMLElement>();
  private readonly empty = el("p", { className: "alarm-none" }, `${SEVERITY_MARK.OK} No alarms: every watched channel is OK.`);
  private readonly moreText = document.createTextNode("");
  private readonly more = el("p", { className: "alarm-more", hidden: true });
  private drawnAtMost = ROWS_DRAWN;

  constructor(private readonly options: AlarmTableOptions) {
    if (options.compact) this.element.classList.add("compact");
    // One button, made once: the count beside it changes with every news, the button stays put.
    const all = el("button", { type: "button" }, "Show all");
    all.addEventListener("click", () => {
      this.drawnAtMost = Number.POSITIVE_INFINITY;
      this.show();
    });
    this.more.append(this.moreText, all);
    this.element.append(this.empty);
    for (const section of SECTIONS) this.element.append(this.sectionPart(section));
    this.element.append(this.more);
  }

  private sectionPart(section: AlarmSection): HTMLElement {
    const count = el("span", { className: "alarm-section-count" });
    const tbody = el("tbody");
    const head = [
      "Severity",
      "Now",
      "Alarm",
      "Worst value",
      "At",
      ...(this.options.compact ? [] : ["State"]),
      ...(this.options.actions ? [""] : []),
    ];
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", {}, h)))), tbody);
    table.setAttribute("aria-label", SECTION_TITLE[section]);
    const part = el(
      "section",
      { className: `alarm-section alarm-section-${section}`, hidden: true },
      el("h3", {}, SECTION_TITLE[section], " ", count),
      table,
    );
    this.bodies.set(section, tbody);
    this.counts.set(section, count);
    this.parts.set(section, part);
    return part;
  }

  private narrow: ((alarm: PageAlarm) => boolean) | undefined;

  /** Only the rows `narrow` keeps are shown (a typed filter): rows are hidden, not made again. */
  setFilter(narrow: ((alarm: PageAlarm) => boolean) | undefined): void {
    this.narrow = narrow;
    for (const row of this.rows.values()) row.passes = !narrow || narrow(row.alarm);
    this.show();
  }

  /** Brings the table in step with `alarms`: only the changed ones are redrawn, in place where they stay put. */
  update(alarms: ReadonlyMap<string, PageAlarm>): void {
    for (const [id, row] of this.rows) if (!alarms.has(id)) this.remove(id, row);
    for (const alarm of alarms.values()) {
      const old = this.rows.get(alarm.id);
      if (old?.alarm === alarm) continue;
      if (old && this.patch(old, alarm)) continue;
      if (old) this.remove(alarm.id, old);
      this.insert(alarm).passes = !this.narrow || this.narrow(alarm);
    }
    this.show();
  }

  /** Draws the first rows the filter keeps, in order, up to the limit; counts the sections and the rest. */
  private show(): void {
    let [drawn, matching] = [0, 0];
    for (const section of SECTIONS) {
      let inSection = 0;
      let drawnHere = 0;
      for (const alarm of this.order.get(section)!) {
        const row = this.rows.get(alarm.id)!;
        const visible = row.passes && drawn < this.drawnAtMost;
        if (row.passes) inSection++;
        if (visible) {
          drawn++;
          drawnHere++;
        }
        if (row.tr.hidden === visible) row.tr.hidden = !visible;
      }
      matching += inSection;
      this.parts.get(section)!.hidden = drawnHere === 0;
      this.counts.get(section)!.textContent = `(${inSection})`;
    }
    this.empty.hidden = matching > 0 || (this.rows.size > 0 && !!this.narrow);
    this.showMore(matching - drawn);
  }

  private showMore(notDrawn: number): void {
    this.more.hidden = notDrawn <= 0;
    if (notDrawn > 0)
      this.moreText.textContent = `${notDrawn} more not drawn (the most severe and newest are above): narrow them with the filter, or `;
  }

  /**
   * An alarm whose place and buttons stay (the same latched severity, time and state: most of a
   * second's changes are its current severity going and coming) has its cells changed in place.
   */
  private patch(row: Row, next: PageAlarm): boolean {
    const a = row.alarm;
    const stays =
      a.severity === next.severity &&
      a.time === next.time &&
      sectionOf(a) === sectionOf(next) &&
      a.acknowledged?.at === next.acknowledged?.at &&
      a.shelved?.at === next.shelved?.at &&
      a.disabled?.at === next.disabled?.at &&
      a.guidance.length === next.guidance.length &&
      a.displays.length === next.displays.length;
    if (!stays) return false;
    const cells = row.tr.cells;
    cells[1]!.replaceChildren(severityBadge(next.currentSeverity, "alarm-current"));
    cells[3]!.textContent = alarmValueText(next);
    const list = this.order.get(row.section)!;
    list[this.indexIn(list, a)] = next;
    row.alarm = next;
    return true;
  }

  private remove(id: string, row: Row): void {
    const list = this.order.get(row.section)!;
    list.splice(this.indexIn(list, row.alarm), 1);
    row.tr.remove();
    this.rows.delete(id);
  }

  /** Where `alarm` sits in the sorted `list` (binary search on the table's order). */
  private indexIn(list: PageAlarm[], alarm: PageAlarm): number {
    let [lo, hi] = [0, list.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byUrgency(list[mid]!, alarm) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insert(alarm: PageAlarm): Row {
    const section = sectionOf(alarm);
    const list = this.order.get(section)!;
    const at = this.indexIn(list, alarm);
    const tr = this.rowFor(alarm);
    const next = list[at] ? this.rows.get(list[at]!.id)!.tr : null;
    this.bodies.get(section)!.insertBefore(tr, next);
    list.splice(at, 0, alarm);
    const row = { alarm, tr, section, passes: true };
    this.rows.set(alarm.id, row);
    return row;
  }

  private rowFor(a: PageAlarm): HTMLTableRowElement {
    const tr = el("tr", { className: `alarm-row severity-${a.severity.toLowerCase()}` });
    tr.dataset.alarm = a.id;
    tr.append(
      el("td", {}, severityBadge(a.severity)),
      el("td", {}, severityBadge(a.currentSeverity, "alarm-current")),
      el("td", {}, this.nameCell(a)),
      el("td", { className: "alarm-value" }, alarmValueText(a)),
      el("td", { className: "alarm-time" }, alarmTime(a.time)),
    );
    if (!this.options.compact) tr.append(el("td", { className: "alarm-state" }, ...stateText(a)));
    if (this.options.actions) tr.append(el("td", { className: "alarm-actions" }, ...this.buttons(a)));
    return tr;
  }

  private nameCell(a: PageAlarm): HTMLElement {
    const name = el("span", { className: "alarm-name" }, this.options.channelNames ? `ch ${a.channel}` : alarmName(a));
    name.title = `${a.path} · ${a.id}`;
    if (this.options.compact || (a.guidance.length === 0 && a.displays.length === 0))
      return el("div", {}, name, el("div", { className: "alarm-path" }, a.path));
    const details = el(
      "details",
      { className: "alarm-guidance" },
      el("summary", {}, `Guidance (${a.guidance.length + a.displays.length})`),
    );
    for (const g of a.guidance) details.append(el("p", {}, el("strong", {}, g.title), " ", g.details));
    for (const href of a.displays) details.append(el("p", {}, el("a", { href }, `Display: ${href}`)));
    return el("div", {}, name, el("div", { className: "alarm-path" }, a.path), details);
  }

  private buttons(a: PageAlarm): HTMLElement[] {
    const button = (action: AlarmActionName, text: string) => {
      const b = el("button", { type: "button", className: `alarm-${action}` }, text);
      b.addEventListener("click", () => this.options.onAction?.(action, a));
      return b;
    };
    const out: HTMLElement[] = [];
    if (a.disabled) return [button("enable", "Enable")];
    if (a.severity !== "OK" && a.acknowledged?.severity !== a.severity) out.push(button("ack", "Ack…"));
    out.push(a.shelved ? button("unshelve", "Unshelve") : button("shelve", "Shelve…"));
    out.push(button("disable", "Disable…"));
    return out;
  }
}

/** What people did to the alarm: acknowledged, shelved, disabled (by whom, when, why). */
function stateText(a: PageAlarm): (string | HTMLElement)[] {
  const out: (string | HTMLElement)[] = [];
  const quote = (text: string) => (text ? ` — “${text}”` : "");
  if (a.acknowledged)
    out.push(
      el(
        "div",
        {},
        `✓ acknowledged ${a.acknowledged.severity} by ${a.acknowledged.by} at ${alarmTime(a.acknowledged.at)}${quote(a.acknowledged.comment)}`,
      ),
    );
  if (a.shelved) {
    const until = a.shelved.until === null ? "until back to normal" : `until ${alarmTime(a.shelved.until)}`;
    out.push(el("div", {}, `⏸ shelved ${until} by ${a.shelved.by}${quote(a.shelved.reason)}`));
  }
  if (a.disabled) out.push(el("div", {}, `⊘ disabled by ${a.disabled.by}${quote(a.disabled.reason)}`));
  return out;
}
