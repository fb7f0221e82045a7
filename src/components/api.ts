// The browser's view of the runboard server's REST API.
import type { RunInfo } from "../core/catalog.js";
import type { Dashboard, DashboardRecord } from "../core/dashboard.js";
import type { CatalogConflict, CatalogEntry } from "../core/origins.js";

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
export const fetchDashboard = (id: string) => request<DashboardRecord>(`/api/dashboards/${encodeURIComponent(id)}`);

let writeToken: Promise<string> | undefined;
function sessionToken(): Promise<string> {
  writeToken ??= request<{ writeToken: string }>("/api/session").then((b) => b.writeToken);
  return writeToken;
}

export async function saveDashboard(dashboard: Dashboard, existing?: { id: string; revision: number }): Promise<DashboardRecord> {
  const headers = { "Content-Type": "application/json", Authorization: `Bearer ${await sessionToken()}` };
  const body = JSON.stringify(dashboard);
  return existing
    ? request<DashboardRecord>(`/api/dashboards/${encodeURIComponent(existing.id)}?baseRevision=${existing.revision}`, {
        method: "PUT",
        headers,
        body,
      })
    : request<DashboardRecord>("/api/dashboards", { method: "POST", headers, body });
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
  const headers = { "Content-Type": "application/json", Authorization: `Bearer ${await sessionToken()}` };
  const body = JSON.stringify({ ...(select ? { select } : {}), force });
  return request<RefreshOutcome>("/api/snapshots/refresh", { method: "POST", headers, body });
}

export const fetchRefreshProgress = () => request<RefreshProgress>("/api/snapshots/status");
