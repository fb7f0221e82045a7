// The dashboards a user may see: title, owner, last change and favourites, searchable by title;
// new ones from scratch, from a template (layouts/) or from an uploaded file; and the recently
// deleted, restorable for 30 days. The server checks every action again.
import { describeErrors } from "../core/validation.js";
import {
  ApiError,
  type DashboardListing,
  type DeletedDashboard,
  dashboardWrite,
  fetchDashboards,
  fetchDeletedDashboards,
  fetchSession,
  fetchTemplates,
  importDashboard,
} from "./api.js";
import { el, labelled } from "./dom.js";
import { sessionBadge } from "./session-badge.js";

const when = (iso: string) => new Date(iso).toLocaleString();

export async function mountDashboardList(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-list");
  const status = el("p", { className: "status", role: "status" });
  const say = (text: string, isError = false) => {
    status.textContent = text;
    status.classList.toggle("error", isError);
  };
  let session;
  try {
    session = await fetchSession();
  } catch (error) {
    root.replaceChildren(el("p", { className: "error" }, `runboard server not reachable: ${String(error)}`));
    return;
  }
  const mayCreate = session.rights.includes("create-dashboard");
  const search = el("input", { type: "search", placeholder: "title contains…", maxLength: 200 });
  const onlyFavourites = el("input", { type: "checkbox" });
  const body = el("tbody");
  const table = el(
    "table",
    { className: "dashboard-table" },
    el("thead", {}, el("tr", {}, ...["★", "Title", "Owner", "Last change", "Revision", "You may"].map((h) => el("th", {}, h)))),
    body,
  );
  const empty = el("p", { className: "muted" });
  const deletedBox = el("section", { className: "deleted" });
  let listing: DashboardListing[] = [];

  const show = () => {
    const words = search.value.trim().toLowerCase();
    const shown = listing.filter(
      (d) => (!words || d.title.toLowerCase().includes(words)) && (!onlyFavourites.checked || d.favourite),
    );
    // Favourites first, then the most recently changed.
    shown.sort((a, b) => Number(b.favourite) - Number(a.favourite) || b.savedAt.localeCompare(a.savedAt));
    body.replaceChildren(...shown.map((d) => dashboardRow(d, say, show)));
    table.hidden = shown.length === 0;
    empty.textContent =
      listing.length === 0
        ? "No dashboards yet: start one below."
        : shown.length === 0
          ? `No dashboard${onlyFavourites.checked ? " among your favourites" : ""} has a title containing "${search.value.trim()}".`
          : `${shown.length} of ${listing.length} dashboards.`;
  };
  search.addEventListener("input", show);
  onlyFavourites.addEventListener("change", show);

  const showDeleted = (deleted: DeletedDashboard[]) => deletedBox.replaceChildren(...deletedList(deleted, say, () => load()));

  const load = async () => {
    try {
      const [dashboards, deleted] = await Promise.all([fetchDashboards(), fetchDeletedDashboards()]);
      listing = dashboards;
      show();
      showDeleted(deleted);
    } catch (error) {
      say(`Could not list the dashboards: ${String(error)}`, true);
    }
  };

  const create = mayCreate ? createSection(say) : el("section", { className: "create" });

  root.replaceChildren(
    sessionBadge(session),
    el(
      "div",
      { className: "list-filters" },
      labelled("Search by title", search),
      el("label", { className: "check" }, onlyFavourites, " favourites only"),
    ),
    status,
    table,
    empty,
    create,
    deletedBox,
  );
  if (new URLSearchParams(location.search).has("deleted"))
    say("Deleted. It is listed under Recently deleted below for 30 days, and can be restored from there.");
  await load();
}

type Say = (text: string, isError?: boolean) => void;

/** One dashboard's row: its favourite star, title (a link), owner, last change, revision and the asker's right. */
function dashboardRow(d: DashboardListing, say: Say, show: () => void): HTMLTableRowElement {
  const star = el("button", { type: "button", className: "star", textContent: d.favourite ? "★" : "☆" });
  star.setAttribute("aria-pressed", String(d.favourite));
  star.setAttribute("aria-label", `Favourite: ${d.title}`);
  star.addEventListener("click", async () => {
    try {
      await dashboardWrite("PUT", d.id, "/favourite", { favourite: !d.favourite });
      d.favourite = !d.favourite;
      show();
    } catch (error) {
      say(`Could not change the favourite: ${String(error)}`, true);
    }
  });
  const tr = el(
    "tr",
    {},
    el("td", {}, star),
    el("td", {}, el("a", { href: `/d/${d.id}` }, d.title)),
    el("td", {}, d.access.owner ?? "(no owner)"),
    el("td", {}, `${when(d.savedAt)}${d.author ? ` by ${d.author}` : ""}`),
    el("td", {}, String(d.revision)),
    el("td", {}, d.right),
  );
  tr.dataset.id = d.id;
  return tr;
}

/** The recently deleted, each with a Restore button (nothing when there are none). */
function deletedList(deleted: DeletedDashboard[], say: Say, reload: () => Promise<void>): HTMLElement[] {
  if (deleted.length === 0) return [];
  const items = deleted.map((d) => {
    const restore = el("button", { type: "button", textContent: "Restore" });
    restore.setAttribute("aria-label", `Restore ${d.title}`);
    restore.addEventListener("click", async () => {
      try {
        await dashboardWrite("POST", d.id, "/undelete");
        say(`Restored "${d.title}".`);
        await reload();
      } catch (error) {
        say(`Could not restore: ${error instanceof ApiError ? error.message : String(error)}`, true);
      }
    });
    const until = new Date(d.purgeAt).toLocaleDateString();
    return el(
      "li",
      {},
      el("strong", {}, d.title),
      ` · deleted ${when(d.deletedAt)} by ${d.deletedBy} · restorable until ${until} `,
      restore,
    );
  });
  return [el("h2", {}, "Recently deleted"), el("ul", {}, ...items)];
}

/** New dashboards: empty, from a template (layouts/), from an uploaded file. */
function createSection(say: Say): HTMLElement {
  const file = el("input", { type: "file", accept: ".json,application/json" });
  file.addEventListener("change", () => void importFile(file, say));
  const templates = el("ul", { className: "templates" });
  fetchTemplates()
    .then((list) =>
      templates.replaceChildren(
        ...list.map((t) =>
          el(
            "li",
            {},
            el("a", { href: `/pages/dashboard?template=${encodeURIComponent(t.name)}` }, t.title),
            t.description ? ` — ${t.description}` : "",
          ),
        ),
      ),
    )
    .catch(() => undefined);
  return el(
    "section",
    { className: "create" },
    el("h2", {}, "New dashboard"),
    el(
      "p",
      {},
      el("a", { href: "/pages/dashboard", className: "button" }, "Start an empty dashboard"),
      labelled("Import a dashboard file (.json)", file),
    ),
    el("p", { className: "muted" }, "From a template (the team's layouts/ folder, kept in git):"),
    templates,
  );
}

/** Imports the chosen file (checked by the server as any save) and opens it; says why not, and saves nothing, otherwise. */
async function importFile(file: HTMLInputElement, say: Say): Promise<void> {
  const chosen = file.files?.[0];
  if (!chosen) return;
  let doc: unknown;
  try {
    doc = JSON.parse(await chosen.text());
  } catch (error) {
    say(`${chosen.name} is not JSON: ${(error as Error).message}. Nothing was saved.`, true);
    return;
  }
  try {
    const record = await importDashboard(doc, chosen.name);
    location.assign(`/d/${record.id}?edit`);
  } catch (error) {
    const detail = error instanceof ApiError && error.errors.length ? describeErrors(error.errors) : String(error);
    say(`${chosen.name} was not imported, nothing was saved: ${detail}`, true);
  } finally {
    file.value = "";
  }
}
