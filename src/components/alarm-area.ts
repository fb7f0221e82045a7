// The alarm area at the top of every page, readable across the room: counts by severity, the
// worst alarm named, a link to the alarm page, and the annunciator's "Enable sound". The tab's
// title and icon carry the count of unacknowledged alarms, so a tab in the background says it
// too. With no news for three seconds it says "Alarm service lost", never a stale green.
import { type PageAlarm, SEVERITY_MARK, alarmName, alarmValueText, titleWithCount, worstAlarm } from "../core/alarm-news.js";
import type { AlarmCounts, Severity } from "../core/alarm-state.js";
import { type AlarmPicture, alarmFeed } from "./alarm-feed.js";
import { Annunciator } from "./annunciator.js";
import { el } from "./dom.js";

const SHOWN: readonly Exclude<Severity, "OK">[] = ["INVALID", "MAJOR", "MINOR"];

/** The area's overall state, for its colour (with its words and marks beside). */
function areaState(picture: AlarmPicture): string {
  if (picture.refused) return "refused";
  if (picture.lost) return "lost";
  const { counts } = picture;
  if (counts.INVALID + counts.MAJOR > 0) return "major";
  return counts.MINOR > 0 ? "minor" : "ok";
}

function countsLine(counts: AlarmCounts): HTMLElement {
  const line = el("span", { className: "alarm-counts" });
  // Only the severities present: at 1000 px the worst alarm's name needs the room.
  for (const severity of SHOWN) {
    const n = counts[severity];
    if (n > 0)
      line.append(
        el(
          "span",
          { className: `alarm-count severity-${severity.toLowerCase()}` },
          `${SEVERITY_MARK[severity]} ${n} ${severity}`,
        ),
      );
  }
  return line;
}

function worstLine(worst: PageAlarm | undefined, unacknowledged: number): HTMLElement {
  if (!worst) return el("span", { className: "alarm-worst" }, `${SEVERITY_MARK.OK} No active alarms`);
  const line = el(
    "span",
    { className: `alarm-worst severity-${worst.severity.toLowerCase()}` },
    `${SEVERITY_MARK[worst.severity]} ${worst.severity} ${alarmName(worst)}: ${alarmValueText(worst)}`,
  );
  line.dataset.alarm = worst.id;
  const unacked = el(
    "span",
    { className: "alarm-unacked" },
    unacknowledged > 0 ? `${unacknowledged} unacknowledged` : "all acknowledged",
  );
  return el("span", { className: "alarm-worst-wrap" }, line, unacked);
}

/** Draws the area for the picture now. */
function drawArea(area: HTMLElement, picture: AlarmPicture, sound: HTMLElement): void {
  const state = areaState(picture);
  area.dataset.state = state;
  const link = el("a", { href: "/pages/alarms", className: "alarm-link" }, "Alarms →");
  if (picture.refused) {
    area.replaceChildren(el("span", { className: "alarm-problem" }, `Alarms: ${picture.refused}`), link);
    return;
  }
  const parts: HTMLElement[] = [];
  if (picture.lost) {
    // Never a stale green: what was last heard is shown as such, and only if something was active.
    parts.push(el("strong", { className: "alarm-lost", role: "alert" }, `⚠ Alarm service lost: ${picture.lost}`));
    const { INVALID, MAJOR, MINOR } = picture.counts;
    if (picture.heardAt > 0 && INVALID + MAJOR + MINOR > 0)
      parts.push(el("span", { className: "alarm-last-heard" }, "last heard: ", countsLine(picture.counts)));
  } else if (picture.heardAt > 0) {
    parts.push(countsLine(picture.counts), worstLine(worstAlarm(picture.alarms.values()), picture.counts.unacknowledged));
  } else parts.push(el("span", { className: "alarm-waiting" }, "Alarms: connecting…"));
  area.replaceChildren(...parts, link, sound);
}

/** The tab's icon: runboard's, or a red square with the count of unacknowledged alarms. */
function iconFor(unacknowledged: number, lost: boolean): string | null {
  if (unacknowledged === 0 && !lost) return null;
  const text = lost ? "?" : unacknowledged > 99 ? "99+" : String(unacknowledged);
  const size = text.length > 2 ? 7 : text.length > 1 ? 9 : 12;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="${lost ? "#6b7280" : "#dc2626"}"/><text x="8" y="12.5" font-family="sans-serif" font-weight="700" font-size="${size}" fill="white" text-anchor="middle">${text}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** Keeps the title and icon in step with the count (the page may change its title later). */
function markTab(picture: AlarmPicture): void {
  const unacknowledged = picture.lost || picture.refused ? 0 : picture.counts.unacknowledged;
  const title = titleWithCount(document.title, unacknowledged);
  if (title !== document.title) document.title = title;
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  link.dataset.original ??= link.href;
  const icon = iconFor(unacknowledged, !!picture.lost) ?? link.dataset.original;
  if (link.href !== icon) link.href = icon;
}

/** Mounts the alarm area into `area` (the site's header), following the page's alarm feed. */
export function mountAlarmArea(area: HTMLElement): void {
  area.classList.add("alarm-area");
  area.setAttribute("aria-label", "Alarms");
  const annunciator = new Annunciator();
  const sound = annunciator.control();
  let latest: AlarmPicture | undefined;
  alarmFeed().listen((picture, rose) => {
    latest = picture;
    drawArea(area, picture, sound);
    markTab(picture);
    annunciator.hear(picture, rose);
  });
  // A page that sets its title later (a dashboard's name) gets the count put back in front.
  new MutationObserver(() => latest && markTab(latest)).observe(document.querySelector("title") ?? document.head, {
    childList: true,
    characterData: true,
    subtree: true,
  });
}
