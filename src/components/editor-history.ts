// A saved dashboard's history: each revision with its time, author, message and what changed,
// in words. "View" opens a revision read-only; "Restore" saves it again as a new revision, so
// nothing in between is lost.
import { ApiError, type HistoryEntry, dashboardWrite, fetchHistory } from "./api.js";
import { el } from "./dom.js";

export interface HistoryOptions {
  id: string;
  /** The revision shown, to mark it. */
  shown: number;
  mayRestore: boolean;
  /** Keeps the run and time choice when a revision is opened. */
  query: () => string;
  onRestored: (revision: number) => void;
  status: (text: string, isError?: boolean) => void;
}

export function historyPanel(options: HistoryOptions): HTMLDetailsElement {
  const panel = el("details", { className: "history" });
  const list = el("ol", { className: "history-list", reversed: true });
  panel.append(el("summary", {}, "History"), list);
  const load = async () => {
    list.replaceChildren(el("li", {}, "Loading…"));
    let revisions: HistoryEntry[];
    try {
      revisions = await fetchHistory(options.id);
    } catch (error) {
      list.replaceChildren(el("li", { className: "error" }, `Could not read the history: ${String(error)}`));
      return;
    }
    const latest = revisions.at(-1)?.revision;
    list.replaceChildren(...[...revisions].reverse().map((r) => entry(r, r.revision === latest)));
  };
  const entry = (r: HistoryEntry, isLatest: boolean) => {
    const when = new Date(r.savedAt).toLocaleString();
    const item = el(
      "li",
      { className: r.revision === options.shown ? "shown" : "" },
      el("strong", {}, `Revision ${r.revision}`),
      ` · ${when}${r.author ? ` · ${r.author}` : ""}`,
      ...(r.message ? [el("span", { className: "history-message" }, ` — “${r.message}”`)] : []),
      ...(r.changes ? [el("div", { className: "history-changes" }, r.changes)] : []),
    );
    item.dataset.revision = String(r.revision);
    const actions = el("span", { className: "history-actions" });
    if (!isLatest || r.revision !== options.shown) {
      const sep = options.query() ? "&" : "?";
      const href = isLatest
        ? `/d/${options.id}${options.query()}`
        : `/d/${options.id}${options.query()}${sep}revision=${r.revision}`;
      actions.append(el("a", { href, textContent: isLatest ? "View latest" : "View" }));
    }
    if (options.mayRestore && !isLatest) {
      const restore = el("button", { type: "button", textContent: "Restore" });
      restore.setAttribute("aria-label", `Restore revision ${r.revision}`);
      restore.addEventListener("click", async () => {
        restore.disabled = true;
        try {
          const record = await dashboardWrite<{ revision: number }>("POST", options.id, "/restore", { revision: r.revision });
          options.status(`Restored revision ${r.revision} as revision ${record.revision}.`);
          options.onRestored(record.revision);
        } catch (error) {
          options.status(`Restore failed: ${error instanceof ApiError ? error.message : String(error)}`, true);
          restore.disabled = false;
        }
      });
      actions.append(restore);
    }
    item.append(actions);
    return item;
  };
  panel.addEventListener("toggle", () => {
    if (panel.open) void load();
  });
  return panel;
}
