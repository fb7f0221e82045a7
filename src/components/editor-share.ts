// Who may see a saved dashboard, for its owner and admins: the whole site (not at all, view, edit)
// and named users (view or edit). The server checks every change; this only lays it out.
import type { DashboardAccess, ShareRole } from "../core/access.js";
import { ApiError, saveDashboardAccess } from "./api.js";
import { el, labelled } from "./dom.js";

const SITE_WORDS: Record<DashboardAccess["site"], string> = {
  none: "only the people below",
  viewer: "everyone signed in may view",
  editor: "everyone signed in may edit",
};

export function sharingPanel(id: string, initial: DashboardAccess): HTMLElement {
  let access: DashboardAccess = structuredClone(initial);
  const panel = el("details", { className: "sharing" });
  const summary = el("summary");
  const status = el("span", { className: "sharing-status", role: "status" });
  const site = el("select");
  // Under the label "Everyone signed in": what they may do.
  const OPTION_WORDS: Record<DashboardAccess["site"], string> = {
    none: "may not see it",
    viewer: "may view",
    editor: "may edit",
  };
  for (const [value, words] of Object.entries(OPTION_WORDS)) site.append(el("option", { value, textContent: words }));
  const people = el("ul", { className: "sharing-people" });
  const newName = el("input", { type: "text", placeholder: "user name", maxLength: 64 });
  const newRole = roleSelect("viewer");
  const add = el("button", { type: "button", textContent: "Add" });
  const save = el("button", { type: "button", textContent: "Save sharing" });

  const describe = () => {
    const named = Object.keys(access.users).length;
    summary.textContent = `Sharing: ${SITE_WORDS[access.site]}${named ? `, and ${named} named` : ""} (owner: ${access.owner ?? "no one"})`;
  };
  const draw = () => {
    site.value = access.site;
    people.replaceChildren(...Object.keys(access.users).map((name) => personRow(access, name, draw)));
    describe();
  };
  site.addEventListener("change", () => {
    access.site = site.value as DashboardAccess["site"];
    describe();
  });
  add.addEventListener("click", () => {
    const name = newName.value.trim();
    if (!name) return;
    access.users[name] = newRole.value as ShareRole;
    newName.value = "";
    draw();
  });
  save.addEventListener("click", async () => {
    save.disabled = true;
    try {
      access = (await saveDashboardAccess(id, access)).access;
      draw();
      status.textContent = "Sharing saved";
    } catch (error) {
      status.textContent = `Not saved: ${error instanceof ApiError ? error.message : String(error)}`;
    } finally {
      save.disabled = false;
    }
  });
  draw();
  panel.append(
    summary,
    el(
      "div",
      { className: "sharing-body" },
      labelled("Everyone signed in", site),
      people,
      labelled("Share with", newName),
      newRole,
      add,
      save,
      status,
    ),
  );
  return panel;
}

/** One named user: what they may do, and a button to stop sharing with them. */
function personRow(access: DashboardAccess, name: string, redraw: () => void): HTMLElement {
  const select = roleSelect(access.users[name]!);
  select.setAttribute("aria-label", `What ${name} may do`);
  select.addEventListener("change", () => (access.users[name] = select.value as ShareRole));
  const remove = el("button", { type: "button", textContent: "×" });
  remove.setAttribute("aria-label", `Stop sharing with ${name}`);
  remove.addEventListener("click", () => {
    delete access.users[name];
    redraw();
  });
  return el("li", {}, el("span", {}, name), select, remove);
}

function roleSelect(value: ShareRole): HTMLSelectElement {
  const select = el("select");
  select.append(
    el("option", { value: "viewer", textContent: "may view" }),
    el("option", { value: "editor", textContent: "may edit" }),
  );
  select.value = value;
  return select;
}
