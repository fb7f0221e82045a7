// Where dashboards live. Every save is a new revision; nothing is overwritten, so a shared
// link to a dashboard always opens its newest revision and its history stays available.
import { randomBytes } from "node:crypto";
import { type Dashboard, type DashboardRecord, type DashboardSummary, parseDashboard } from "../../src/core/dashboard.js";
import { describeErrors } from "../../src/core/validation.js";
import { type DashboardAccess, dashboardAccessSchema, LEGACY_DASHBOARD_ACCESS } from "../../src/core/access.js";

export type { DashboardRecord, DashboardSummary };

/** A deleted dashboard, restorable until `deletedAt` + UNDELETE_DAYS. */
export interface DeletedSummary {
  id: string;
  title: string;
  deletedAt: string;
  deletedBy: string;
  access: DashboardAccess;
}

/** How long a deleted dashboard can be restored; after that it is removed for good. */
export const UNDELETE_DAYS = 30;
export const UNDELETE_MS = UNDELETE_DAYS * 86_400_000;

export type UpdateResult =
  { ok: true; record: DashboardRecord } | { ok: false; reason: "not-found" } | { ok: false; reason: "conflict"; latest: number };

/** Who saved a revision, and why (an optional message, as a commit's). */
export interface SaveNote {
  author: string;
  message: string;
}

export interface RevisionInfo {
  revision: number;
  savedAt: string;
  /** Empty for revisions saved before authors were kept. */
  author: string;
  message: string;
}

export interface DashboardStore {
  readonly kind: string;
  create(dashboard: Dashboard, access: DashboardAccess, note?: SaveNote): Promise<DashboardRecord>;
  get(id: string): Promise<DashboardRecord | undefined>;
  /** One revision as it was saved. */
  revision(id: string, revision: number): Promise<DashboardRecord | undefined>;
  /** Saves a new revision. With `baseRevision`, refuses if someone saved in between. */
  update(id: string, dashboard: Dashboard, baseRevision?: number, note?: SaveNote): Promise<UpdateResult>;
  /** The dashboards not deleted, newest change first. */
  list(): Promise<DashboardSummary[]>;
  history(id: string): Promise<RevisionInfo[]>;
  /** Who owns a dashboard and with whom it is shared; undefined when there is none (or it is deleted). */
  access(id: string): Promise<DashboardAccess | undefined>;
  /** Deletes a dashboard, keeping every revision so it can be restored; false when there is none. */
  remove(id: string, by: string): Promise<boolean>;
  /** Brings a deleted dashboard back as it was; false when it is not deleted (or purged). */
  undelete(id: string): Promise<boolean>;
  /** The deleted dashboards still restorable; purges those deleted more than UNDELETE_DAYS before `now`. */
  deleted(now?: number): Promise<DeletedSummary[]>;
  /** The dashboards a user marked as favourites. */
  favourites(user: string): Promise<Set<string>>;
  setFavourite(user: string, id: string, favourite: boolean): Promise<void>;
  /** Replaces who may see a dashboard; false when there is no such dashboard. */
  setAccess(id: string, access: DashboardAccess): Promise<boolean>;
  close(): Promise<void>;
}

export const NO_NOTE: SaveNote = { author: "", message: "" };

export const DASHBOARD_ID = /^[A-Za-z0-9_-]{6,40}$/;

/**
 * A new dashboard's id: 12 base64url characters, never beginning with "-" or "_". An id is
 * also a command-line argument (`runboard publish --dashboard <id>`), where a leading "-" reads
 * as an option.
 */
export function newDashboardId(): string {
  for (;;) {
    const id = randomBytes(9).toString("base64url");
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

/** Stored documents go through the same migrations and checks as submitted ones. */
export function readStoredDashboard(id: string, revision: number, json: unknown): Dashboard {
  const doc = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  const parsed = parseDashboard(doc);
  if (!parsed.ok) throw new Error(`stored dashboard ${id} revision ${revision} is invalid: ${describeErrors(parsed.errors)}`);
  return parsed.value;
}

/** Stored access, checked like submitted access; none stored: a dashboard from before owners. */
export function readStoredAccess(json: unknown): DashboardAccess {
  if (json === null || json === undefined) return LEGACY_DASHBOARD_ACCESS;
  const parsed = dashboardAccessSchema.safeParse(typeof json === "string" ? JSON.parse(json) : json);
  if (!parsed.success) throw new Error(`stored dashboard access is invalid: ${parsed.error.message}`);
  return parsed.data;
}
