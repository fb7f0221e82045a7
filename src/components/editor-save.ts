// The editor's header actions: the dashboard's title, Save (a new revision each time, with an
// optional message), Save a copy (a fork into one's own dashboards), Export (the JSON file) and
// Delete (restorable for 30 days from the dashboards list). Saving validates the whole document
// first, as the server will.
import { type Dashboard, parseDashboard } from "../core/dashboard.js";
import { describeErrors } from "../core/validation.js";
import { ApiError, type SharedDashboardRecord, dashboardWrite, saveDashboard } from "./api.js";
import { el, labelled } from "./dom.js";

export interface SaveControlsOptions {
  title: string;
  /** The dashboard's tags (playlists can play every dashboard with a tag). */
  tags: readonly string[];
  saved: { id: string; revision: number } | undefined;
  /** The document as it stands, positions included. */
  current: () => Dashboard;
  /** The saved revision as the server answered it. */
  onSaved: (record: SharedDashboardRecord) => void;
  status: (text: string, isError?: boolean) => void;
  /** Marks the document changed. */
  changed: () => void;
  /** Owners and admins may delete. */
  mayDelete: boolean;
}

/** A file name for an exported dashboard: its title, in letters and dashes. */
export const exportName = (title: string) =>
  `${
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "dashboard"
  }.json`;

export function saveControls(options: SaveControlsOptions) {
  let saved = options.saved;
  const titleInput = el("input", { type: "text", value: options.title, required: true, maxLength: 200 });
  titleInput.addEventListener("input", () => options.changed());
  const { tagsInput, tags } = tagsField(options);
  const message = el("input", {
    type: "text",
    maxLength: 500,
    placeholder: "what changed (optional)",
    className: "save-message",
  });
  const saveButton = el("button", { type: "button", textContent: "Save dashboard", className: "primary" });
  const forkButton = el("button", { type: "button", textContent: "Save a copy" });
  const exportButton = el("button", { type: "button", textContent: "Export" });
  const deleteButton = el("button", { type: "button", textContent: "Delete", className: "danger" });
  const candidate = () => {
    const parsed = parseDashboard({
      ...options.current(),
      title: titleInput.value,
      ...(tags().length ? { tags: tags() } : { tags: undefined }),
    });
    if (!parsed.ok) options.status(`Cannot save: ${describeErrors(parsed.errors)}`, true);
    return parsed.ok ? parsed.value : undefined;
  };
  const showButtons = () => {
    forkButton.hidden = !saved;
    deleteButton.hidden = !saved || !options.mayDelete;
  };
  showButtons();

  saveButton.addEventListener("click", async () => {
    const doc = candidate();
    if (!doc) return;
    saveButton.disabled = true;
    try {
      const record = await saveDashboard(doc, saved, message.value.trim());
      saved = { id: record.id, revision: record.revision };
      message.value = "";
      options.onSaved(record);
      showButtons();
      options.status(`Saved revision ${record.revision}`);
    } catch (error) {
      options.status(`Save failed: ${error instanceof ApiError ? error.message : String(error)}`, true);
    } finally {
      saveButton.disabled = false;
    }
  });

  // The copy is what is on screen, unsaved changes included, owned by whoever makes it.
  forkButton.addEventListener("click", async () => {
    const doc = candidate();
    if (!doc || !saved) return;
    try {
      const record = await dashboardWrite<SharedDashboardRecord>("POST", saved.id, "/fork", {
        dashboard: doc,
        title: `${titleInput.value} (copy)`,
      });
      location.assign(`/d/${record.id}?edit`);
    } catch (error) {
      options.status(`Could not save a copy: ${error instanceof ApiError ? error.message : String(error)}`, true);
    }
  });

  exportButton.addEventListener("click", () => exportFile({ ...options.current(), title: titleInput.value }, options.status));
  deleteButton.addEventListener("click", () => {
    if (saved) void deleteDashboard(saved.id, titleInput.value, options.status);
  });

  return {
    title: labelled("Dashboard title", titleInput),
    titleInput,
    tags: labelled("Tags (for playlists)", tagsInput),
    message: labelled("Save message", message),
    saveButton,
    forkButton,
    exportButton,
    deleteButton,
  };
}

/** The tags field: comma-separated, as the document's list. */
function tagsField(options: SaveControlsOptions) {
  const tagsInput = el("input", {
    type: "text",
    value: options.tags.join(", "),
    maxLength: 500,
    placeholder: "control room, night",
    className: "tags-field",
  });
  tagsInput.addEventListener("input", () => options.changed());
  const tags = () =>
    tagsInput.value
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
  return { tagsInput, tags };
}

/** The dashboard as a JSON file the browser downloads. */
function exportFile(doc: Dashboard, status: SaveControlsOptions["status"]): void {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: "application/json" }));
  const link = el("a", { href: url, download: exportName(doc.title) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  status(`Exported ${exportName(doc.title)}: keep it in layouts/ to offer it as a template.`);
}

/** Deletes after asking (restorable for 30 days), then goes to the dashboards list. */
async function deleteDashboard(id: string, title: string, status: SaveControlsOptions["status"]): Promise<void> {
  if (!confirm(`Delete "${title}"? It can be restored for 30 days from the dashboards list.`)) return;
  try {
    await dashboardWrite("DELETE", id, "");
    location.assign("/pages/dashboards?deleted=1");
  } catch (error) {
    status(`Delete failed: ${error instanceof ApiError ? error.message : String(error)}`, true);
  }
}
