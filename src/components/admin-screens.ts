// The admin page's "Wall screens": read-only screen tokens (server/auth/screen-routes.ts), each
// made with a name and shown once as a link the screen's browser opens one time; revoked here.
import { ApiError, adminWrite, apiRead } from "./api.js";
import { el, labelled } from "./dom.js";

interface ScreenListing {
  name: string;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

const when = (ms: number | null) => (ms === null ? "" : new Date(ms).toLocaleString());

function screenRow(s: ScreenListing, act: (done: string, failed: string, work: () => Promise<unknown>) => Promise<void>) {
  const revoke = el("button", { type: "button", textContent: "Revoke", disabled: s.revokedAt !== null });
  revoke.setAttribute("aria-label", `Revoke screen ${s.name}`);
  revoke.addEventListener("click", () =>
    act(`Revoked screen ${s.name}`, `Could not revoke screen ${s.name}`, () =>
      adminWrite("DELETE", `/api/admin/screens/${encodeURIComponent(s.name)}`),
    ),
  );
  const state = s.revokedAt === null ? "active" : `revoked ${when(s.revokedAt)}`;
  const cells = [s.name, `made by ${s.createdBy} ${when(s.createdAt)}`, state];
  return el("tr", {}, ...cells.map((c) => el("td", {}, c)), el("td", {}, revoke));
}

/** The section, drawn again after each change through `act`. */
export async function drawScreens(
  section: HTMLElement,
  act: (done: string, failed: string, work: () => Promise<unknown>) => Promise<void>,
  draw: () => Promise<unknown>,
): Promise<void> {
  const { screens } = await apiRead<{ screens: ScreenListing[] }>("/api/admin/screens");
  const table = el("table", { className: "admin-table" });
  table.setAttribute("aria-label", "Wall screens");
  table.append(el("tbody", {}, ...screens.map((s) => screenRow(s, act))));
  const name = el("input", { type: "text", required: true, maxLength: 48, placeholder: "control-room-left" });
  const shown = el("p", { className: "new-token" });
  const problem = el("p", { className: "status" });
  const form = el(
    "form",
    { className: "admin-form" },
    labelled("Screen name", name),
    el("button", { type: "submit" }, "Make screen link"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      try {
        const made = await adminWrite<{ link: string }>("POST", "/api/admin/screens", { name: name.value });
        await draw();
        // Shown once: the server keeps only the token's hash.
        section.querySelector(".new-token")!.textContent =
          `Open this link once in the screen's browser (copy it now, it is not shown again): ${new URL(made.link, location.href).href}`;
      } catch (error) {
        problem.textContent = `Could not make the screen: ${error instanceof ApiError ? error.message : String(error)}`;
      }
    })();
  });
  section.replaceChildren(
    el("h2", {}, "Wall screens"),
    el(
      "p",
      {},
      "A screen token lets a wall screen's browser show dashboards, playlists and alarms, and nothing else, without signing in. Add ?kiosk to the page it opens.",
    ),
    screens.length ? table : el("p", {}, "No screens yet."),
    form,
    problem,
    shown,
  );
}
