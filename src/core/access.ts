// Who may do what, as pure rules the API enforces and the pages follow (to show only what the
// user may do). Roles are site-wide, as in Grafana: a viewer reads, an editor also makes and
// edits dashboards, an admin also manages users, tokens and every dashboard. A dashboard has an
// owner and is shared with the whole site or with named users, as viewer or editor; a user's
// role caps what a share gives (a viewer shared a dashboard as editor still only views it).
import { z } from "./z.js";

export const roles = ["viewer", "editor", "admin"] as const;
export type Role = (typeof roles)[number];
export const roleSchema = z.enum(roles);

/** A user name: as a proxy's header or `runboard users add` gives it; no spaces or slashes. */
export const userName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/, "letters, digits and . _ @ + - only, at most 64, not starting with a sign");

/**
 * Who is asking: a signed-in user, the one user of RUNBOARD_AUTH=none, the ingest token, or a
 * wall screen (a screen token: a viewer that may only look at dashboards, playlists and alarms).
 */
export interface Principal {
  name: string;
  role: Role;
  via: "session" | "proxy" | "none" | "token" | "screen";
}

export const shareRoles = ["viewer", "editor"] as const;
export type ShareRole = (typeof shareRoles)[number];

export const dashboardAccessSchema = z
  .object({
    /** The user who made it; null for dashboards saved before owners were kept (no one's, shared with all). */
    owner: userName.nullable(),
    /** What everyone signed in to the site may do with it. */
    site: z.enum(["none", ...shareRoles]),
    /** What named users may do, beyond the site's share. */
    users: z.record(userName, z.enum(shareRoles)).refine((users) => Object.keys(users).length <= 500, "at most 500 users"),
  })
  .strict();
export type DashboardAccess = z.infer<typeof dashboardAccessSchema>;

/** A new dashboard: its maker's, and readable by the site (the team sees what the shift built). */
export const newDashboardAccess = (owner: string): DashboardAccess => ({ owner, site: "viewer", users: {} });

/** Dashboards saved before owners were kept stay as they were: anyone may edit them. */
export const LEGACY_DASHBOARD_ACCESS: DashboardAccess = { owner: null, site: "editor", users: {} };

export type DashboardAction = "view" | "edit" | "share";

/** What `who` may do with a dashboard of `access`: its highest right, or none. */
export function dashboardRight(who: Principal, access: DashboardAccess): "share" | "edit" | "view" | null {
  if (who.role === "admin" || (access.owner !== null && access.owner === who.name)) return "share";
  const shared = [access.site, access.users[who.name] ?? "none"];
  const given = shared.includes("editor") ? "edit" : shared.includes("viewer") ? "view" : null;
  if (given === "edit" && who.role === "viewer") return "view";
  return given;
}

const rank = { view: 1, edit: 2, share: 3 } as const;

export function mayDashboard(who: Principal, access: DashboardAccess, action: DashboardAction): boolean {
  const right = dashboardRight(who, access);
  return right !== null && rank[right] >= rank[action];
}

/** Site-wide actions, by role. */
export type SiteAction =
  | "read"
  | "create-dashboard"
  | "refresh-snapshots"
  | "flag-runs"
  | "handle-alarms"
  | "edit-alarm-rules"
  | "manage-users"
  | "manage-tokens"
  | "read-audit";

/** Viewers see (alarms too); editors also acknowledge and shelve alarms; admins edit alarm rules. */
const SITE_ACTIONS: Record<Role, readonly SiteAction[]> = {
  viewer: ["read"],
  editor: ["read", "create-dashboard", "refresh-snapshots", "flag-runs", "handle-alarms"],
  admin: [
    "read",
    "create-dashboard",
    "refresh-snapshots",
    "flag-runs",
    "handle-alarms",
    "edit-alarm-rules",
    "manage-users",
    "manage-tokens",
    "read-audit",
  ],
};

export function maySite(who: Principal, action: SiteAction): boolean {
  return SITE_ACTIONS[who.role].includes(action);
}

/** What a page needs to know to show only what the user may do. */
export function siteRights(who: Principal): SiteAction[] {
  return [...SITE_ACTIONS[who.role]];
}

/** One entry of the audit log, as the admin API lists it. */
export interface AuditEntry {
  id: number;
  at: number;
  /** Who did it: a user, `ingest-token`, or `cli`. */
  actor: string;
  /** What: `dashboard.create`, `user.add`, `token.revoke`, `login.failed`, ... */
  action: string;
  /** On what: a dashboard id, a user or token name. */
  target: string;
  detail: Record<string, unknown>;
}

/** A write token as the admin API lists it: never the token itself. */
export interface TokenListing {
  name: string;
  sources: string[];
  origin: "file" | "store";
  createdAt: number | null;
  createdBy: string | null;
  revokedAt: number | null;
}
