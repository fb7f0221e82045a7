// Who the page's user is, in the header: their name and role, and signing out where the user
// signed in here (a proxy's user signs out at the proxy).
import type { Session } from "./api.js";
import { el } from "./dom.js";

export function sessionBadge(session: Session): HTMLElement {
  const who = el(
    "span",
    { className: "session-user" },
    session.mode === "none" ? "single user (no sign-in)" : `${session.user} · ${session.role}`,
  );
  const badge = el("span", { className: "session-badge" }, who);
  badge.setAttribute("aria-label", "Signed in as");
  if (session.rights.includes("manage-users")) badge.append(" · ", el("a", { href: "/pages/admin" }, "Admin"));
  if (session.canSignOut) {
    const form = el("form", { method: "post", action: "/api/logout", className: "sign-out" });
    form.append(el("button", { type: "submit", textContent: "Sign out" }));
    badge.append(form);
  }
  return badge;
}
