// What changed between two revisions of a dashboard, in words a shift crew reads in the history:
// widgets added, removed, moved, resized and changed (which of their settings), the title, the
// time window and the runs. Pure, shared by the history view and the API.
import type { Dashboard, LayoutItem, Widget } from "./dashboard.js";
import { describeRuns, describeWindow, formatRefresh } from "./dashboard-time.js";

export type DashboardChange =
  | { kind: "title"; from: string; to: string }
  | { kind: "window"; from: string; to: string }
  | { kind: "refresh"; from: string; to: string }
  | { kind: "runs"; from: string; to: string }
  | { kind: "added" | "removed"; element: string; title: string; widget: Widget["kind"] }
  | { kind: "moved"; element: string; title: string; from: [number, number]; to: [number, number] }
  | { kind: "resized"; element: string; title: string; from: [number, number]; to: [number, number] }
  | { kind: "changed"; element: string; title: string; settings: string[] };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The changes from `before` to `after`, widgets in the order of `after`'s layout, then removals. */
export function diffDashboards(before: Dashboard, after: Dashboard): DashboardChange[] {
  const changes: DashboardChange[] = [];
  if (before.title !== after.title) changes.push({ kind: "title", from: before.title, to: after.title });
  const [windowWas, windowIs] = [describeWindow(before.window), describeWindow(after.window)];
  if (windowWas !== windowIs) changes.push({ kind: "window", from: windowWas, to: windowIs });
  const [refreshWas, refreshIs] = [formatRefresh(before.refreshSeconds), formatRefresh(after.refreshSeconds)];
  if (refreshWas !== refreshIs) changes.push({ kind: "refresh", from: refreshWas, to: refreshIs });
  if (!same(before.runSelection, after.runSelection)) {
    changes.push({ kind: "runs", from: describeRuns(before.runSelection), to: describeRuns(after.runSelection) });
  }
  const placed = (d: Dashboard) => new Map<string, LayoutItem>(d.layout.items.map((i) => [i.element, i]));
  const [was, now] = [placed(before), placed(after)];
  for (const item of after.layout.items) {
    const name = item.element;
    const widget = after.elements[name]!;
    const old = before.elements[name];
    if (!old) {
      changes.push({ kind: "added", element: name, title: widget.title, widget: widget.kind });
      continue;
    }
    const settings = [...new Set([...Object.keys(old), ...Object.keys(widget)])]
      .filter((key) => !same(old[key as keyof Widget], widget[key as keyof Widget]))
      .sort();
    if (settings.length > 0) changes.push({ kind: "changed", element: name, title: widget.title, settings });
    const at = was.get(name);
    if (at && (at.x !== item.x || at.y !== item.y)) {
      changes.push({ kind: "moved", element: name, title: widget.title, from: [at.x, at.y], to: [item.x, item.y] });
    }
    if (at && (at.w !== item.w || at.h !== item.h)) {
      changes.push({ kind: "resized", element: name, title: widget.title, from: [at.w, at.h], to: [item.w, item.h] });
    }
  }
  for (const item of before.layout.items) {
    if (now.has(item.element)) continue;
    const widget = before.elements[item.element]!;
    changes.push({ kind: "removed", element: item.element, title: widget.title, widget: widget.kind });
  }
  return changes;
}

/** One change in words. */
export function describeChange(change: DashboardChange): string {
  switch (change.kind) {
    case "title":
      return `renamed the dashboard from "${change.from}" to "${change.to}"`;
    case "window":
      return `showed ${change.to} instead of ${change.from}`;
    case "refresh":
      return `refreshed ${change.to === "live" ? "live" : change.to === "off" ? "never" : `every ${change.to}`} instead of ${change.from === "live" ? "live" : change.from === "off" ? "never" : `every ${change.from}`}`;
    case "runs":
      return `followed ${change.to} instead of ${change.from}`;
    case "added":
      return `added "${change.title}" (${change.widget})`;
    case "removed":
      return `removed "${change.title}" (${change.widget})`;
    case "moved":
      return `moved "${change.title}" from column ${change.from[0] + 1}, row ${change.from[1] + 1} to column ${change.to[0] + 1}, row ${change.to[1] + 1}`;
    case "resized":
      return `resized "${change.title}" from ${change.from[0]}x${change.from[1]} to ${change.to[0]}x${change.to[1]}`;
    case "changed":
      return `changed the ${change.settings.join(", ")} of "${change.title}"`;
  }
}

/** All changes in one sentence, or that there were none. */
export function describeChanges(changes: readonly DashboardChange[]): string {
  if (changes.length === 0) return "no change";
  const words = changes.map(describeChange);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join("; ")}; and ${words.at(-1)}`;
}
