// The browser's view of the runboard server's REST API.
import type { ObservableInfo, RunInfo } from "../core/catalog.js";
import type { Dashboard } from "../core/dashboard.js";

export interface DashboardRecord {
  id: string;
  revision: number;
  savedAt: string;
  dashboard: Dashboard;
}

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

export const fetchCatalog = () => request<{ observables: ObservableInfo[] }>("/api/catalog").then((b) => b.observables);
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

export interface SnapshotResponse {
  bytes: Uint8Array;
  /** Newest reading seq in the snapshot: the live feed resumes after it. */
  seq: number;
  run: number;
  window: { from: number; to: number };
}

export async function fetchSnapshot(observables: string[], run: "latest" | number, seconds: number): Promise<SnapshotResponse> {
  const query = new URLSearchParams({ observables: observables.join(","), run: String(run), seconds: String(seconds) });
  const response = await fetch(`/api/snapshot.parquet?${query}`);
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(response.status, body.error ?? response.statusText);
  }
  const [from, to] = (response.headers.get("X-Runboard-Window") ?? "0/0").split("/").map(Number);
  return {
    bytes: new Uint8Array(await response.arrayBuffer()),
    seq: Number(response.headers.get("X-Runboard-Seq")),
    run: Number(response.headers.get("X-Runboard-Run")),
    window: { from: from!, to: to! },
  };
}
