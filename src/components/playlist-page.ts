// The playlists page: every playlist the user may view, with Play (kiosk, fit) and, for those
// they may edit, a form: a title, how long each step shows, and the steps (a dashboard or a
// tag, each with its own runs and window). The server checks every field again and names it.
import type { Playlist, PlaylistItem } from "../core/playlist.js";
import { ApiError, type DashboardListing, apiRead, apiWrite, fetchDashboards, fetchSession } from "./api.js";
import { el, labelled } from "./dom.js";

interface PlaylistListing {
  id: string;
  revision: number;
  playlist: Playlist;
  right: "share" | "edit" | "view" | null;
}

const errorText = (error: unknown) => (error instanceof ApiError ? error.message : String(error));

/** One step's row: a dashboard (or a tag), its runs and window, and Remove. */
function stepRow(dashboards: readonly DashboardListing[], item: Partial<PlaylistItem> = {}): HTMLElement {
  const which = el("select", { className: "step-dashboard" });
  which.append(el("option", { value: "" }, "a tag:"));
  for (const d of dashboards) which.append(el("option", { value: d.id }, d.title));
  which.value = item.dashboard ?? (item.tag !== undefined ? "" : (dashboards[0]?.id ?? ""));
  const tag = el("input", { className: "step-tag", value: item.tag ?? "", placeholder: "tag", maxLength: 40 });
  const run = el("input", {
    className: "step-run",
    value: item.run === undefined ? "" : String(item.run),
    placeholder: "latest",
    maxLength: 200,
  });
  const window = el("input", { className: "step-window", value: item.window ?? "", placeholder: "as saved", maxLength: 200 });
  const remove = el("button", { type: "button" }, "Remove");
  const row = el(
    "div",
    { className: "playlist-step" },
    labelled("Dashboard", which),
    labelled("Tag", tag),
    labelled("Runs", run),
    labelled("Window", window),
    remove,
  );
  const showTag = () => (tag.disabled = which.value !== "");
  which.addEventListener("change", showTag);
  showTag();
  remove.addEventListener("click", () => row.remove());
  return row;
}

const itemOf = (row: Element): Record<string, string> => {
  const value = (cls: string) => (row.querySelector<HTMLInputElement | HTMLSelectElement>(`.${cls}`)?.value ?? "").trim();
  const item: Record<string, string> = value("step-dashboard")
    ? { dashboard: value("step-dashboard") }
    : { tag: value("step-tag") };
  if (value("step-run")) item.run = value("step-run");
  if (value("step-window")) item.window = value("step-window");
  return item;
};

/** The form for a new playlist, or for editing `editing`. */
function playlistForm(dashboards: readonly DashboardListing[], done: () => void, editing?: PlaylistListing): HTMLElement {
  const title = el("input", {
    value: editing?.playlist.title ?? "",
    required: true,
    maxLength: 200,
    className: "playlist-title",
  });
  const interval = el("input", {
    value: String(editing?.playlist.interval ?? 60),
    className: "playlist-interval",
    maxLength: 10,
  });
  const steps = el("div", { className: "playlist-steps" });
  for (const item of editing?.playlist.items ?? [{}]) steps.append(stepRow(dashboards, item));
  const add = el("button", { type: "button" }, "Add step");
  add.addEventListener("click", () => steps.append(stepRow(dashboards)));
  const status = el("p", { className: "status", role: "status" });
  const save = el("button", { type: "submit", className: "primary" }, editing ? "Save playlist" : "Make playlist");
  const form = el(
    "form",
    { className: "playlist-form" },
    el("h2", {}, editing ? `Edit “${editing.playlist.title}”` : "New playlist"),
  );
  form.append(labelled("Title", title), labelled("Seconds per step (or 2m)", interval), steps, add, save, status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      schemaVersion: 1,
      title: title.value,
      interval: /^\d+$/.test(interval.value.trim()) ? Number(interval.value) : interval.value,
      items: [...steps.children].map(itemOf),
    };
    const sent = editing
      ? apiWrite("PUT", `/api/playlists/${encodeURIComponent(editing.id)}`, body, { "If-Match": `"${editing.revision}"` })
      : apiWrite("POST", "/api/playlists", body);
    sent.then(done, (error: unknown) => (status.textContent = `Not saved: ${errorText(error)}`));
  });
  return form;
}

function playlistRow(p: PlaylistListing, edit: (p: PlaylistListing) => void, remove: (p: PlaylistListing) => void): HTMLElement {
  const play = el("a", { href: `/play/${encodeURIComponent(p.id)}?kiosk&fit`, className: "button" }, "Play");
  play.setAttribute("aria-label", `Play ${p.playlist.title}`);
  const actions: HTMLElement[] = [play];
  if (p.right === "edit" || p.right === "share") {
    const button = el("button", { type: "button" }, "Edit");
    button.addEventListener("click", () => edit(p));
    actions.push(button);
  }
  if (p.right === "share") {
    const button = el("button", { type: "button", className: "danger" }, "Delete");
    button.addEventListener("click", () => remove(p));
    actions.push(button);
  }
  const what = `${p.playlist.items.length} step${p.playlist.items.length === 1 ? "" : "s"}, ${p.playlist.interval} s each`;
  return el("li", { className: "playlist-row" }, el("strong", {}, p.playlist.title), ` — ${what} `, ...actions);
}

export async function mountPlaylists(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-playlists");
  const [session, dashboards] = await Promise.all([fetchSession(), fetchDashboards()]);
  const mayMake = session.rights.includes("create-dashboard");
  const list = el("ul", { className: "playlist-list" });
  const formSlot = el("div");
  const status = el("p", { className: "status", role: "status" });
  const draw = async () => {
    const { playlists } = await apiRead<{ playlists: PlaylistListing[] }>("/api/playlists");
    const edit = (p: PlaylistListing) => formSlot.replaceChildren(playlistForm(dashboards, () => void draw(), p));
    const remove = (p: PlaylistListing) => {
      if (!confirm(`Delete the playlist “${p.playlist.title}”?`)) return;
      apiWrite("DELETE", `/api/playlists/${encodeURIComponent(p.id)}`).then(
        draw,
        (e: unknown) => (status.textContent = errorText(e)),
      );
    };
    list.replaceChildren(
      ...(playlists.length ? playlists.map((p) => playlistRow(p, edit, remove)) : [el("li", {}, "No playlists yet.")]),
    );
    formSlot.replaceChildren(mayMake ? playlistForm(dashboards, () => void draw()) : "");
  };
  root.append(list, status, formSlot);
  await draw();
}
