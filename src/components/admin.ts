// The admin page: users and their roles, service tokens (made, listed, revoked), who owns
// which runs and observables (admin-ownership.ts) and the audit log. Everything goes through the admin API, which checks the role again.
import { roles } from "../core/access.js";
import {
  adminWrite,
  ApiError,
  fetchAudit,
  fetchSession,
  fetchTokens,
  fetchUsers,
  type Session,
  type TokenListing,
  type UserListing,
} from "./api.js";
import { drawOwnership } from "./admin-ownership.js";
import { drawScreens } from "./admin-screens.js";
import { el, labelled } from "./dom.js";
import { sessionBadge } from "./session-badge.js";

const when = (ms: number | null) => (ms === null ? "" : new Date(ms).toLocaleString());
const message = (error: unknown) => (error instanceof ApiError ? error.message : String(error));

function table(headings: string[], rows: (Node | string)[][], label: string): HTMLTableElement {
  const t = el("table", { className: "admin-table" });
  t.setAttribute("aria-label", label);
  t.append(el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", {}, h)))));
  t.append(el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))));
  return t;
}

function roleChoice(value: string): HTMLSelectElement {
  const select = el("select");
  for (const role of roles) select.append(el("option", { value: role, textContent: role }));
  select.value = value;
  return select;
}

export async function mountAdmin(root: HTMLElement): Promise<void> {
  root.classList.add("runboard-admin");
  let session: Session;
  try {
    session = await fetchSession();
  } catch (error) {
    root.replaceChildren(el("p", { className: "error" }, `runboard server not reachable: ${message(error)}`));
    return;
  }
  if (!session.rights.includes("manage-users")) {
    root.replaceChildren(sessionBadge(session), el("p", {}, `Only admins see this page; you are a ${session.role}.`));
    return;
  }
  const status = el("p", { className: "status", role: "status" });
  const users = el("section");
  const tokens = el("section");
  const screens = el("section");
  const ownership = el("section");
  const audit = el("section");
  const say = (text: string) => (status.textContent = text);
  const act: Act = async (done, failed, work) => {
    try {
      await work();
      say(done);
      await draw();
    } catch (error) {
      say(`${failed}: ${message(error)}`);
    }
  };

  const draw = (): Promise<unknown> =>
    Promise.all([
      drawUsers(users, act, say),
      drawTokens(tokens, act, say, draw),
      drawScreens(screens, act, draw),
      drawOwnership(ownership, act),
      drawAudit(audit),
    ]);
  root.replaceChildren(sessionBadge(session), status, users, tokens, screens, ownership, audit);
  await draw().catch((error: unknown) => say(message(error)));
}

/**
 * Runs an admin action and says what happened ("Added eve") or what could not be done ("Could
 * not add user eve: …"), then draws the page again.
 */
type Act = (done: string, failed: string, work: () => Promise<unknown>) => Promise<void>;

/** An empty required field is named in the status line (and focused), not sent. */
function missing(say: (text: string) => void, fields: [HTMLInputElement, string][]): boolean {
  const empty = fields.find(([input]) => !input.value.trim());
  if (!empty) return false;
  say(`${empty[1]} is empty: fill it in first.`);
  empty[0].focus();
  return true;
}

/** Users and their roles: change a role, remove, add. */
async function drawUsers(users: HTMLElement, act: Act, say: (text: string) => void): Promise<void> {
  const { mode, users: list } = await fetchUsers();
  const rows = list.map((u: UserListing) => {
    const role = roleChoice(u.role);
    role.setAttribute("aria-label", `Role of ${u.name}`);
    role.addEventListener("change", () =>
      act(`Changed ${u.name} to ${role.value}`, `Could not make ${u.name} ${role.value}`, () =>
        adminWrite("PATCH", `/api/admin/users/${encodeURIComponent(u.name)}`, { role: role.value }),
      ),
    );
    const remove = el("button", { type: "button", textContent: "Remove" });
    remove.setAttribute("aria-label", `Remove ${u.name}`);
    remove.addEventListener("click", () =>
      act(`Removed ${u.name}`, `Could not remove ${u.name}`, () =>
        adminWrite("DELETE", `/api/admin/users/${encodeURIComponent(u.name)}`),
      ),
    );
    return [u.name, role, u.hasPassword ? "password" : "through the proxy", when(u.createdAt), remove];
  });
  const name = el("input", { type: "text", required: true, maxLength: 64 });
  const role = roleChoice("viewer");
  role.setAttribute("aria-label", "Role of the new user");
  const password = el("input", { type: "password", maxLength: 1024, autocomplete: "new-password" });
  const add = el("button", { type: "submit", textContent: "Add user" });
  const form = el(
    "form",
    { className: "admin-form", noValidate: true },
    labelled("Name", name),
    labelled("Role", role),
    labelled(mode === "local" ? "Password (10+ characters)" : "Password (none for proxy users)", password),
    add,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (missing(say, [[name, "The new user's name"]])) return;
    void act(`Added ${name.value}`, `Could not add user ${name.value}`, () =>
      adminWrite("POST", "/api/admin/users", {
        name: name.value,
        role: role.value,
        ...(password.value ? { password: password.value } : {}),
      }),
    );
  });
  users.replaceChildren(
    el("h2", {}, "Users"),
    list.length ? table(["Name", "Role", "Signs in with", "Added", ""], rows, "Users") : el("p", {}, "No users yet."),
    form,
  );
}

/** Write tokens: listed, revoked, made (the new token shown once). */
async function drawTokens(
  tokens: HTMLElement,
  act: Act,
  say: (text: string) => void,
  draw: () => Promise<unknown>,
): Promise<void> {
  const list = await fetchTokens();
  const rows = list.map((t: TokenListing) => {
    const revoke = el("button", { type: "button", textContent: "Revoke", disabled: t.revokedAt !== null });
    revoke.setAttribute("aria-label", `Revoke ${t.name}`);
    revoke.addEventListener("click", () =>
      act(`Revoked ${t.name}`, `Could not revoke ${t.name}`, () =>
        adminWrite("DELETE", `/api/admin/tokens/${encodeURIComponent(t.name)}`),
      ),
    );
    const state = t.revokedAt === null ? "active" : `revoked ${when(t.revokedAt)}`;
    return [
      t.name,
      t.sources.join(", "),
      t.origin === "file" ? "tokens file" : `made by ${t.createdBy} ${when(t.createdAt)}`,
      state,
      revoke,
    ];
  });
  const name = el("input", { type: "text", required: true, maxLength: 64 });
  const sources = el("input", { type: "text", required: true, placeholder: "daq-hall-c, daq-hall-c:spare" });
  const shown = el("p", { className: "new-token" });
  const form = el(
    "form",
    { className: "admin-form", noValidate: true },
    labelled("Name (who holds it)", name),
    labelled("Sources it may write", sources),
    el("button", { type: "submit", textContent: "Make token" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (
      missing(say, [
        [name, "The token's name"],
        [sources, "Sources it may write"],
      ])
    )
      return;
    void (async () => {
      try {
        const made = await adminWrite<{ token: string }>("POST", "/api/admin/tokens", {
          name: name.value,
          sources: sources.value
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        });
        await draw();
        // Shown once: the server keeps only its hash.
        tokens.querySelector(".new-token")!.textContent =
          `Token for ${name.value} (copy it now, it is not shown again): ${made.token}`;
      } catch (error) {
        say(`Could not make the token: ${message(error)}`);
      }
    })();
  });
  tokens.replaceChildren(
    el("h2", {}, "Write tokens"),
    list.length ? table(["Name", "Sources", "From", "State", ""], rows, "Write tokens") : el("p", {}, "No source tokens yet."),
    form,
    shown,
  );
}

async function drawAudit(audit: HTMLElement): Promise<void> {
  const entries = await fetchAudit(100);
  const rows = entries.map((e) => [
    when(e.at),
    e.actor,
    e.action,
    e.target,
    Object.keys(e.detail).length ? JSON.stringify(e.detail) : "",
  ]);
  audit.replaceChildren(
    el("h2", {}, "Audit log (newest 100)"),
    rows.length ? table(["When", "Who", "What", "On", "Detail"], rows, "Audit log") : el("p", {}, "Nothing logged yet."),
  );
}
