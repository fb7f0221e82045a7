// The browser's view of the runboard server's REST API.
import type { RunInfo } from "../core/catalog.js";
import type { Dashboard, DashboardRecord, DashboardSummary } from "../core/dashboard.js";
import type { CatalogConflict, CatalogEntry } from "../core/origins.js";
import type { AuditEntry, DashboardAccess, Role, SiteAction, TokenListing } from "../core/access.js";
import type { NewFlag, RunFilter, RunFlag, Verdict } from "../core/flags.js";

export type { AuditEntry, TokenListing };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const body = (await response.json().catch(() => ({}))) as { error?: string; errors?: ApiError["errors"] };
  if (!response.ok) {
    const detail = (body.errors ?? []).map((e) => `${e.field}: ${e.message}`).join("; ");
    throw new ApiError(response.status, `${body.error ?? response.statusText}${detail ? ` (${detail})` : ""}`, body.errors);
  }
  return body as T;
}

export const fetchCatalog = () => request<{ observables: CatalogEntry[]; conflicts: CatalogConflict[] }>("/api/catalog");
export const fetchRuns = () => request<{ runs: RunInfo[] }>("/api/runs").then((b) => b.runs);
export const fetchDashboard = (id: string) => request<SharedDashboardRecord>(`/api/dashboards/${encodeURIComponent(id)}`);

/** Who the page's user is (RUNBOARD_AUTH), what they may do, and the token their writes carry. */
export interface Session {
  mode: "none" | "proxy" | "local";
  user: string;
  role: Role;
  rights: SiteAction[];
  csrf?: string;
  canSignOut: boolean;
}

let session: Promise<Session> | undefined;
export function fetchSession(): Promise<Session> {
  session ??= request<Session>("/api/session");
  return session;
}

/** Headers of a write: JSON, and the CSRF token that shows it comes from runboard's own page. */
async function writeHeaders(): Promise<Record<string, string>> {
  const { csrf } = await fetchSession();
  return { "Content-Type": "application/json", ...(csrf ? { "X-Runboard-CSRF": csrf } : {}) };
}

/** A saved dashboard as the server answers: with who may do what with it. */
export type SharedDashboardRecord = DashboardRecord & { access: DashboardAccess; right: "share" | "edit" | "view" };

export const fetchDashboardAccess = (id: string) =>
  request<{ id: string; access: DashboardAccess; right: "share" | "edit" | "view" }>(
    `/api/dashboards/${encodeURIComponent(id)}/access`,
  );

export async function saveDashboardAccess(id: string, access: DashboardAccess) {
  return request<{ id: string; access: DashboardAccess }>(`/api/dashboards/${encodeURIComponent(id)}/access`, {
    method: "PUT",
    headers: await writeHeaders(),
    body: JSON.stringify(access),
  });
}

export async function saveDashboard(
  dashboard: Dashboard,
  existing?: { id: string; revision: number },
  message = "",
): Promise<SharedDashboardRecord> {
  const headers = await writeHeaders();
  const body = JSON.stringify(dashboard);
  const note = message ? `${existing ? "&" : "?"}message=${encodeURIComponent(message)}` : "";
  return existing
    ? request<SharedDashboardRecord>(
        `/api/dashboards/${encodeURIComponent(existing.id)}?baseRevision=${existing.revision}${note}`,
        {
          method: "PUT",
          headers,
          body,
        },
      )
    : request<SharedDashboardRecord>(`/api/dashboards${note}`, { method: "POST", headers, body });
}

/** A dashboard in the list: who owns it, its last change, whether it is one of the user's favourites. */
export type DashboardListing = DashboardSummary & { right: "share" | "edit" | "view"; favourite: boolean };
export interface DeletedDashboard {
  id: string;
  title: string;
  deletedAt: string;
  deletedBy: string;
  /** When it is gone for good. */
  purgeAt: string;
}
export interface HistoryEntry {
  revision: number;
  savedAt: string;
  author: string;
  message: string;
  changes?: string;
}

const dashboardPath = (id: string, rest = "") => `/api/dashboards/${encodeURIComponent(id)}${rest}`;
export const fetchDashboards = () => request<{ dashboards: DashboardListing[] }>("/api/dashboards").then((b) => b.dashboards);
export const fetchDeletedDashboards = () =>
  request<{ dashboards: DeletedDashboard[] }>("/api/dashboards/deleted").then((b) => b.dashboards);
export const fetchHistory = (id: string) =>
  request<{ id: string; revisions: HistoryEntry[] }>(dashboardPath(id, "/history")).then((b) => b.revisions);
export const fetchRevision = (id: string, revision: number) =>
  request<DashboardRecord>(dashboardPath(id, `/revisions/${revision}`));
export const fetchTemplates = () =>
  request<{ templates: { name: string; title: string; description: string }[] }>("/api/templates").then((b) => b.templates);
export const fetchTemplate = (name: string) =>
  request<{ name: string; dashboard: Dashboard }>(`/api/templates/${encodeURIComponent(name)}`).then((b) => b.dashboard);
export const fetchSite = () => request<{ utcOffsetMinutes: number }>("/api/site");

/** A write to one dashboard: restore, fork, delete, undelete, favourite. */
export async function dashboardWrite<T>(method: "POST" | "PUT" | "DELETE", id: string, rest: string, body?: unknown): Promise<T> {
  return request<T>(dashboardPath(id, rest), {
    method,
    headers: await writeHeaders(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Imports a dashboard file as a new dashboard; the server checks it as any other (field-named errors). */
export async function importDashboard(doc: unknown, fileName: string): Promise<SharedDashboardRecord> {
  return request<SharedDashboardRecord>(`/api/dashboards?message=${encodeURIComponent(`imported from ${fileName}`)}`, {
    method: "POST",
    headers: await writeHeaders(),
    body: JSON.stringify(doc),
  });
}

/** Publishes a review on the server (POST /api/reviews); answers the archive to download. */
export async function publishReviewArchive(body: {
  runs: string;
  dashboards: string[];
  title?: string;
}): Promise<{ blob: Blob; name: string }> {
  const response = await fetch("/api/reviews", { method: "POST", headers: await writeHeaders(), body: JSON.stringify(body) });
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as { error?: string; errors?: ApiError["errors"] };
    throw new ApiError(response.status, answer.error ?? response.statusText, answer.errors);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? "review.tar.gz";
  return { blob: await response.blob(), name };
}

// --- flags on runs

export const fetchFlags = (filter: RunFilter = "all") =>
  request<{ filter: RunFilter; runs: { run: number; verdict: Verdict | "unreviewed"; flags: RunFlag[] }[] }>(
    `/api/flags?filter=${encodeURIComponent(filter)}`,
  ).then((b) => b.runs);

export async function addFlag(run: number, flag: NewFlag): Promise<RunFlag> {
  return request<RunFlag>(`/api/runs/${run}/flags`, {
    method: "POST",
    headers: await writeHeaders(),
    body: JSON.stringify(flag),
  });
}

export async function withdrawFlag(run: number, id: string, reason: string): Promise<RunFlag> {
  return request<RunFlag>(`/api/runs/${run}/flags/${encodeURIComponent(id)}/withdraw`, {
    method: "POST",
    headers: await writeHeaders(),
    body: JSON.stringify({ reason }),
  });
}

export interface RefreshOutcome {
  ok: boolean;
  written: number[];
  unchanged: number[];
  failed: { run: number | null; message: string }[];
  rows: number;
  seconds: number;
  updatedAt: string;
}

export interface RefreshProgress {
  state: "idle" | "running";
  done: number;
  total: number;
}

/** Asks the server to bring the snapshots of these runs up to date; answers when it is done. */
export async function refreshSnapshots(select: string, force: boolean): Promise<RefreshOutcome> {
  const headers = await writeHeaders();
  const body = JSON.stringify({ ...(select ? { select } : {}), force });
  return request<RefreshOutcome>("/api/snapshots/refresh", { method: "POST", headers, body });
}

export const fetchRefreshProgress = () => request<RefreshProgress>("/api/snapshots/status");

// --- the admin's API (users, tokens, the audit log)

export interface UserListing {
  name: string;
  role: Role;
  hasPassword: boolean;
  createdAt: number;
}

export const fetchUsers = () => request<{ mode: Session["mode"]; users: UserListing[] }>("/api/admin/users");
export const fetchTokens = () => request<{ tokens: TokenListing[] }>("/api/admin/tokens").then((b) => b.tokens);
/** Who owns each run and observable (a source; null: none). */
export interface Ownership {
  runs: { id: number; owner: string | null }[];
  observables: { name: string; owner: string | null }[];
}
export const fetchOwnership = () => request<Ownership>("/api/admin/ownership");
export const fetchAudit = (limit = 100) =>
  request<{ entries: AuditEntry[] }>(`/api/admin/audit?limit=${limit}`).then((b) => b.entries);

/** An admin's write: `method` on `path` with a JSON body. */
export async function adminWrite<T>(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  return apiWrite<T>(method, path, body);
}

/** A write to any of the API's paths (`headers`: more, e.g. If-Match), with the CSRF token. */
export async function apiWrite<T>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const init = { method, headers: { ...(await writeHeaders()), ...headers } };
  return request<T>(path, { ...init, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** A read of any of the API's paths, with the server's field-named errors as an ApiError. */
export const apiRead = <T>(path: string) => request<T>(path);
