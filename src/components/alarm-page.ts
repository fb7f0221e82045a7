// The alarm page: every alarm an operator must see (alarm-table.ts), acknowledged, shelved and
// disabled from here, the history of the last day, and for admins the rules document.
import { type PageAlarm, alarmName } from "../core/alarm-news.js";
import {
  type AlarmHistoryEvent,
  acknowledgeAlarm,
  disableAlarm,
  enableAlarm,
  fetchAlarmHistory,
  shelveAlarm,
  unshelveAlarm,
} from "./alarm-api.js";
import { alarmFeed } from "./alarm-feed.js";
import { askAcknowledge, askDisable, askShelve } from "./alarm-dialogs.js";
import { mountAlarmRules } from "./alarm-rules-editor.js";
import { type AlarmActionName, AlarmTable, alarmTime, severityBadge } from "./alarm-table.js";
import { ApiError, fetchSession } from "./api.js";
import { el } from "./dom.js";
import { measureSince } from "./timing.js";
import { enterKiosk, kioskMode } from "./kiosk.js";

const HISTORY_SPAN_MS = 86_400_000;

const isKiosk = () => kioskMode().kiosk;

/** Asks for what the action needs, then sends it; says what came of it in `status`. */
async function act(action: AlarmActionName, alarm: PageAlarm, status: HTMLElement): Promise<void> {
  try {
    if (action === "ack") {
      const asked = await askAcknowledge(alarm);
      if (asked) await acknowledgeAlarm(alarm.id, asked.comment);
      else return;
    } else if (action === "shelve") {
      const asked = await askShelve(alarm);
      if (asked) await shelveAlarm(alarm.id, asked.duration, asked.reason);
      else return;
    } else if (action === "disable") {
      const asked = await askDisable(alarm);
      if (asked) await disableAlarm(alarm.id, asked.reason);
      else return;
    } else if (action === "unshelve") await unshelveAlarm(alarm.id);
    else await enableAlarm(alarm.id);
    status.className = "alarm-status";
    status.textContent = `${alarmName(alarm)}: ${{ ack: "acknowledged", shelve: "shelved", unshelve: "unshelved", disable: "disabled", enable: "enabled" }[action]}`;
  } catch (error) {
    status.className = "alarm-status error";
    status.textContent = `${alarmName(alarm)}: ${error instanceof ApiError ? error.message : String(error)}`;
  }
}

function historyTable(events: AlarmHistoryEvent[]): HTMLElement {
  if (events.length === 0) return el("p", { className: "alarm-none" }, "Nothing happened in the last 24 hours.");
  const rows = events.map((e) =>
    el(
      "tr",
      {},
      el("td", {}, alarmTime(e.at)),
      el("td", {}, `${e.observable} ch ${e.channel}`),
      el("td", {}, e.kind === "severity" ? "severity" : e.kind),
      el("td", {}, severityBadge(e.severity)),
      el("td", {}, severityBadge(e.currentSeverity, "alarm-current")),
      el("td", {}, e.by ? `${e.by}${e.text ? `: ${e.text}` : ""}` : ""),
    ),
  );
  const head = ["Time", "Alarm", "Event", "Latched", "Now", "By"].map((h) => el("th", {}, h));
  const table = el(
    "table",
    { className: "alarm-history-table" },
    el("thead", {}, el("tr", {}, ...head)),
    el("tbody", {}, ...rows),
  );
  table.setAttribute("aria-label", "Alarm history");
  return table;
}

/** The history of the last day, newest first, read again a moment after the alarms change. */
function historySection(): { element: HTMLElement; reload: () => void } {
  const body = el("div", {}, el("p", {}, "loading…"));
  const element = el(
    "details",
    { className: "alarm-history", open: !isKiosk() },
    el("summary", {}, "History (last 24 hours)"),
    body,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async () => {
    timer = undefined;
    const now = Date.now();
    try {
      const events = await fetchAlarmHistory(now - HISTORY_SPAN_MS, now);
      body.replaceChildren(historyTable(events.sort((a, b) => b.at - a.at)));
    } catch (error) {
      body.replaceChildren(el("p", { className: "alarm-status error" }, `history: ${String(error)}`));
    }
  };
  void load();
  return { element, reload: () => void (timer ??= setTimeout(load, 2000)) };
}

/** "Filter" over the table (name, path or severity), applied once the typing rests. */
function filterField(table: AlarmTable): HTMLElement {
  const input = el("input", { type: "search", className: "alarm-filter", placeholder: "camera.hv ch 25, /camera/hv, MAJOR" });
  let rest: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener("input", () => {
    clearTimeout(rest);
    rest = setTimeout(() => {
      const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      const text = (a: PageAlarm) => `${alarmName(a)} ${a.id} ${a.path} ${a.severity}`.toLowerCase();
      table.setFilter(words.length ? (a) => words.every((w) => text(a).includes(w)) : undefined);
    }, 150);
  });
  return el("label", { className: "field alarm-filter-field" }, el("span", {}, "Filter"), input);
}

export async function mountAlarmPage(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-alarms");
  if (isKiosk()) enterKiosk();
  const session = await fetchSession().catch(() => undefined);
  const mayAct = !isKiosk() && !!session?.rights.includes("handle-alarms");
  const status = el("p", { className: "alarm-status", role: "status" });
  const summary = el("p", { className: "alarm-summary" });
  const table = new AlarmTable({ actions: mayAct, onAction: (action, alarm) => void act(action, alarm, status) });
  const history = historySection();
  root.append(summary, filterField(table), status, table.element, history.element);
  if (!isKiosk() && session?.rights.includes("edit-alarm-rules")) root.append(mountAlarmRules());
  alarmFeed().listen((picture, _rose, changed) => {
    const started = performance.now();
    table.update(picture.alarms);
    // bench:alarms reads what one second's news costs the table.
    if (changed > 0) measureSince("runboard:alarm-table-update", started);
    const { MAJOR, MINOR, INVALID, unacknowledged } = picture.counts;
    summary.textContent = picture.lost
      ? `Alarm service lost: ${picture.lost}. The list below is as last heard.`
      : `${INVALID + MAJOR + MINOR} active (${INVALID} INVALID, ${MAJOR} MAJOR, ${MINOR} MINOR), ${unacknowledged} not acknowledged.`;
    summary.classList.toggle("lost", !!picture.lost);
    if (changed > 0) history.reload();
  });
}
