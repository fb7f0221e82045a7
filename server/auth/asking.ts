// Who is asking (set by `signedIn`) and what they may do on the site: shared by every router.
import type { NextFunction, Request, Response } from "express";
import { type Principal, type SiteAction, maySite } from "../../src/core/access.js";
import { fail } from "../http-fail.js";

export const who = (res: Response) => res.locals.who as Principal;

const SITE_ACTION_WORDS: Record<SiteAction, string> = {
  read: "read this site",
  "create-dashboard": "make dashboards",
  "refresh-snapshots": "refresh the snapshots",
  "flag-runs": "flag runs",
  "handle-alarms": "acknowledge, shelve or disable alarms",
  "edit-alarm-rules": "edit the alarm rules",
  "manage-users": "manage users",
  "manage-tokens": "manage tokens",
  "read-audit": "read the audit log",
};

/** Refuses (403, naming the role) whoever may not do `action`. */
export const mayDo = (action: SiteAction) => (_req: Request, res: Response, next: NextFunction) => {
  const asking = who(res);
  if (maySite(asking, action)) return next();
  fail(res, 403, `a ${asking.role} may not ${SITE_ACTION_WORDS[action]}`, [
    { field: "(role)", message: `${asking.name} is a ${asking.role}; ask an admin` },
  ]);
};
