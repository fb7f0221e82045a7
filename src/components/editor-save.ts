// The editor's header: the dashboard's title, Save (a new revision each time) and the link that
// shares it. Saving validates the whole document first, as the server will.
import { type Dashboard, parseDashboard } from "../core/dashboard.js";
import { describeErrors } from "../core/validation.js";
import { ApiError, saveDashboard } from "./api.js";
import { el, labelled } from "./dom.js";

export interface SaveControlsOptions {
  title: string;
  saved: { id: string; revision: number } | undefined;
  /** The document as it stands, positions included. */
  current: () => Dashboard;
  /** The saved revision as the server answered it. */
  onSaved: (dashboard: Dashboard) => void;
  status: (text: string, isError?: boolean) => void;
}

export function saveControls(options: SaveControlsOptions) {
  let saved = options.saved;
  const titleInput = el("input", { type: "text", value: options.title, required: true, maxLength: 200 });
  titleInput.addEventListener("input", () => options.status("Unsaved changes"));
  const saveButton = el("button", { type: "button", textContent: "Save dashboard" });
  const shareLink = el("a", { className: "share" });
  const showShare = () => {
    if (!saved) return shareLink.replaceChildren();
    shareLink.href = `/d/${saved.id}`;
    shareLink.textContent = `Share: ${new URL(`/d/${saved.id}`, location.href).href}`;
  };
  showShare();
  saveButton.addEventListener("click", async () => {
    const candidate = parseDashboard({ ...options.current(), title: titleInput.value });
    if (!candidate.ok) return options.status(`Cannot save: ${describeErrors(candidate.errors)}`, true);
    saveButton.disabled = true;
    try {
      const record = await saveDashboard(candidate.value, saved);
      saved = { id: record.id, revision: record.revision };
      options.onSaved(record.dashboard);
      history.replaceState(null, "", `/d/${record.id}`);
      showShare();
      options.status(`Saved revision ${record.revision}`);
    } catch (error) {
      options.status(`Save failed: ${error instanceof ApiError ? error.message : String(error)}`, true);
    } finally {
      saveButton.disabled = false;
    }
  });
  return { title: labelled("Dashboard title", titleInput), saveButton, shareLink };
}
