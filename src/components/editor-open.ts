// Opening the dashboard page: what the address names (a saved dashboard, one of its revisions,
// a link, a template, a new one, or a published review's), with the catalog, the session and
// the site it is shown with. No DOM beyond the status line; the page (editor.ts) draws the rest.
import type { ObservableInfo } from "../core/catalog.js";
import type { DashboardAccess } from "../core/access.js";
import { type Dashboard, emptyDashboard, parseDashboard } from "../core/dashboard.js";
import { decodeDashboardLink } from "../core/dashboard-link.js";
import { describeErrors } from "../core/validation.js";
import { fetchCatalog, fetchDashboard, fetchRevision, fetchSession, fetchSite, fetchTemplate, type Session } from "./api.js";
import { el } from "./dom.js";
import { loadSnapshotWhenReady } from "./run-data.js";
import { isPublishedReview } from "./site-mode.js";

export function dashboardIdFromLocation(loc: Location = location): string | undefined {
  const match = /\/d\/([A-Za-z0-9_-]{6,40})\/?$/.exec(loc.pathname);
  return match?.[1] ?? new URLSearchParams(loc.search).get("id") ?? undefined;
}

/** The status line: what happened last, in words. */
export function statusLine() {
  const element = el("p", { className: "status", role: "status" });
  /** The line's text, in red for an error, with a button for what may be undone. */
  const set = (text: string, isError = false, action?: { label: string; run: () => void }) => {
    element.textContent = text;
    element.classList.toggle("error", isError);
    if (!action) return;
    const button = el("button", { type: "button", className: "status-action", textContent: action.label });
    button.addEventListener("click", () => action.run(), { once: true });
    element.append(" ", button);
  };
  return { element, set };
}

/** What the user may do with the dashboard they have open. */
export type Right = "share" | "edit" | "view";

export interface Opened {
  dashboard: Dashboard;
  saved?: { id: string; revision: number };
  right: Right;
  access?: DashboardAccess;
  /** Where the document came from: a saved one, an old revision of it, a link, a template, or new. */
  origin: "saved" | "revision" | "link" | "template" | "new" | "published";
  /** The latest revision, when an older one is shown. */
  latest?: number;
}

/**
 * Opens what the address names: a whole dashboard in the fragment (`#dashboard=`), a template
 * (`?template=`), a saved dashboard (`/d/<id>`, at `?revision=n` if given), or a new one.
 */
export async function openDashboard(session: Session, setStatus: (text: string, isError?: boolean) => void): Promise<Opened> {
  const params = new URLSearchParams(location.search);
  const mayCreate = session.rights.includes("create-dashboard");
  const fresh: Opened = { dashboard: emptyDashboard(), right: mayCreate ? "share" : "view", origin: "new" };
  const fragment = new URLSearchParams(location.hash.slice(1)).get("dashboard");
  if (fragment) {
    const parsed = await decodeDashboardLink(fragment);
    if (parsed.ok) return { ...fresh, dashboard: parsed.value, origin: "link" };
    setStatus(`This link's dashboard cannot be opened: ${describeErrors(parsed.errors)}`, true);
    return fresh;
  }
  const template = params.get("template");
  if (template) {
    try {
      return { ...fresh, dashboard: await fetchTemplate(template), origin: "template" };
    } catch (error) {
      setStatus(`Could not open template ${template}: ${error instanceof Error ? error.message : String(error)}`, true);
      return fresh;
    }
  }
  const id = dashboardIdFromLocation();
  if (!id) return fresh;
  try {
    const record = await fetchDashboard(id);
    const opened: Opened = {
      dashboard: record.dashboard,
      saved: { id: record.id, revision: record.revision },
      right: record.right,
      access: record.access,
      origin: "saved",
    };
    const asked = Number(params.get("revision"));
    if (params.has("revision") && asked !== record.revision) {
      const old = await fetchRevision(id, asked);
      return { ...opened, dashboard: old.dashboard, origin: "revision", latest: record.revision, saved: { id, revision: asked } };
    }
    return opened;
  } catch (error) {
    setStatus(`Could not open dashboard ${id}: ${error instanceof Error ? error.message : String(error)}`, true);
    return fresh;
  }
}

/** Who looks at a published review: anyone, who may only view. */
export const REVIEWER: Session = { mode: "none", user: "reviewer", role: "viewer", rights: [], canSignOut: false };

/** A published review's dashboard: `dashboard.html?id=<name>` reads `../dashboards/<name>.json`. */
export async function openPublished(setStatus: (text: string, isError?: boolean) => void): Promise<Opened> {
  const fresh: Opened = { dashboard: emptyDashboard("No dashboard"), right: "view", origin: "new" };
  const name = new URLSearchParams(location.search).get("id") ?? "";
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    setStatus("This review's page needs ?id=<dashboard> (see the review's front page).", true);
    return fresh;
  }
  const response = await fetch(new URL(`../dashboards/${name}.json`, location.href));
  if (!response.ok) {
    setStatus(`This review has no dashboard ${name}.`, true);
    return fresh;
  }
  const parsed = parseDashboard(await response.json());
  if (!parsed.ok) {
    setStatus(`Dashboard ${name} cannot be shown: ${describeErrors(parsed.errors)}`, true);
    return fresh;
  }
  return { dashboard: parsed.value, right: "view", origin: "published" };
}

/** Everything the page is drawn from. */
export interface EditorContext {
  catalog: ObservableInfo[];
  session: Session;
  site: { utcOffsetMinutes: number };
  opened: Opened;
  /** A published review (a static folder): its files are beside the page, nothing asks /api or /ws. */
  review: boolean;
  /** Where the snapshot is. */
  base: URL;
}

/** Reads what the page needs; says so on the page, and returns nothing, when it cannot. */
export async function loadEditorContext(
  root: HTMLElement,
  setStatus: (text: string, isError?: boolean) => void,
): Promise<EditorContext | undefined> {
  const review = isPublishedReview();
  const base = review ? new URL("../snapshots/", location.href) : new URL("/snapshots/", location.href);
  try {
    if (review) {
      const snapshot = await loadSnapshotWhenReady(base);
      const opened = await openPublished(setStatus);
      return { catalog: snapshot.catalog.observables, session: REVIEWER, site: { utcOffsetMinutes: 0 }, opened, review, base };
    }
    const [catalog, session, site] = await Promise.all([
      fetchCatalog().then((c) => c.observables),
      fetchSession(),
      fetchSite().catch(() => ({ utcOffsetMinutes: 0 })),
    ]);
    return { catalog, session, site, opened: await openDashboard(session, setStatus), review, base };
  } catch (error) {
    const what = review ? "this review's files cannot be read" : "runboard server not reachable";
    root.replaceChildren(el("p", { className: "error" }, `${what}: ${String(error)}`));
    return undefined;
  }
}
