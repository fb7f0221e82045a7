// The alarm rules as an admin edits them in the page: the versioned document as JSON (the shape
// the README's Alarms section gives), saved over the revision it was read at (someone else's
// save in between is refused, not overwritten), refused with the field that is wrong, and every
// earlier revision one click away.
import { fetchAlarmRules, saveAlarmRules } from "./alarm-api.js";
import { ApiError, apiRead } from "./api.js";
import { el, labelled } from "./dom.js";

interface RevisionListing {
  revision: number;
  savedAt: string | null;
  savedBy: string;
  message: string;
}

/** The rules section; loads the document when first opened. */
export function mountAlarmRules(): HTMLElement {
  const text = el("textarea", { className: "alarm-rules-text", rows: 18, spellcheck: false });
  text.setAttribute("aria-label", "Alarm rules (JSON)");
  const message = el("input", { className: "alarm-rules-message", maxLength: 500, placeholder: "what changed (optional)" });
  const save = el("button", { type: "button", className: "primary" }, "Save rules");
  const status = el("p", { className: "alarm-status", role: "status" });
  const revisions = el("ul", { className: "alarm-revisions" });
  const section = el(
    "details",
    { className: "alarm-rules" },
    el("summary", {}, "Rules (admins)"),
    el(
      "p",
      {},
      "One rule per observable and channels, inherited down its path (/camera/hv/module-3). See the README's Alarms section for every field.",
    ),
    text,
    el("div", { className: "alarm-rules-save" }, labelled("Message", message), save),
    status,
    el("h4", {}, "Revisions"),
    revisions,
  );
  let revision = 0;
  const load = async (which?: number) => {
    const current = await fetchAlarmRules();
    revision = current.revision;
    const shown =
      which === undefined ? current.doc : (await apiRead<{ doc: unknown }>(`/api/alarm-rules/revisions/${which}`)).doc;
    text.value = JSON.stringify(shown, null, 2);
    status.textContent =
      which === undefined ? `revision ${revision}` : `revision ${which} loaded; saving makes it revision ${revision + 1}`;
    await listRevisions(revisions, (r) => void load(r));
  };
  section.addEventListener("toggle", () => section.open && !text.value && void load());
  save.addEventListener(
    "click",
    () =>
      void saveFrom(
        text,
        message,
        () => revision,
        status,
        () => load(),
      ),
  );
  return section;
}

async function saveFrom(
  text: HTMLTextAreaElement,
  message: HTMLInputElement,
  revision: () => number,
  status: HTMLElement,
  reload: () => Promise<void>,
): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(text.value);
  } catch (error) {
    status.className = "alarm-status error";
    status.textContent = `not JSON: ${String(error)}; nothing was saved`;
    return;
  }
  try {
    await saveAlarmRules(doc, revision(), message.value);
    message.value = "";
    await reload();
    status.className = "alarm-status";
    status.textContent = `saved as ${status.textContent}`;
  } catch (error) {
    status.className = "alarm-status error";
    status.textContent = error instanceof ApiError ? error.message : String(error);
  }
}

async function listRevisions(list: HTMLElement, open: (revision: number) => void): Promise<void> {
  const { revisions } = await apiRead<{ revisions: RevisionListing[] }>("/api/alarm-rules/history");
  list.replaceChildren(
    ...revisions.map((r) => {
      const button = el("button", { type: "button" }, "Load");
      button.addEventListener("click", () => open(r.revision));
      const when = r.savedAt ? new Date(r.savedAt).toLocaleString() : "";
      return el("li", {}, `${r.revision}: ${when} by ${r.savedBy}${r.message ? ` — ${r.message}` : ""} `, button);
    }),
  );
}
