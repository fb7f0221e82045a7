// Where dashboards live. Every save is a new revision; nothing is overwritten, so a shared
// link to a dashboard always opens its newest revision and its history stays available.
import { randomBytes } from "node:crypto";
import { type Dashboard, type DashboardRecord, parseDashboard } from "../../src/core/dashboard.js";
import { describeErrors } from "../../src/core/validation.js";

export type { DashboardRecord };

export interface DashboardSummary {
  id: string;
  title: string;
  revision: number;
  savedAt: string;
}

export type UpdateResult =
  { ok: true; record: DashboardRecord } | { ok: false; reason: "not-found" } | { ok: false; reason: "conflict"; latest: number };

export interface DashboardStore {
  readonly kind: string;
  create(dashboard: Dashboard): Promise<DashboardRecord>;
  get(id: string): Promise<DashboardRecord | undefined>;
  /** Saves a new revision. With `baseRevision`, refuses if someone saved in between. */
  update(id: string, dashboard: Dashboard, baseRevision?: number): Promise<UpdateResult>;
  list(): Promise<DashboardSummary[]>;
  history(id: string): Promise<{ revision: number; savedAt: string }[]>;
  close(): Promise<void>;
}

export const DASHBOARD_ID = /^[A-Za-z0-9_-]{6,40}$/;

export function newDashboardId(): string {
  return randomBytes(9).toString("base64url");
}

/** Stored documents go through the same migrations and checks as submitted ones. */
export function readStoredDashboard(id: string, revision: number, json: unknown): Dashboard {
  const doc = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  const parsed = parseDashboard(doc);
  if (!parsed.ok) throw new Error(`stored dashboard ${id} revision ${revision} is invalid: ${describeErrors(parsed.errors)}`);
  return parsed.value;
}
