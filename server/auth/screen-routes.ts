// Wall screens' identity. An admin makes a screen token (shown once, revocable); the screen's
// browser opens any page once with `?screen=<token>`, which sets an HttpOnly cookie and drops
// the token from the address. The screen is then a viewer that may look at dashboards,
// playlists and alarms, and nothing else; it never lands on the sign-in page (a revoked token
// gets a page that says so).
import { createHash } from "node:crypto";
import express, { type NextFunction, type Request, type Response, Router } from "express";
import { z } from "zod";
import { fail } from "../http-fail.js";
import { mayDo, who } from "./asking.js";
import type { Authenticator } from "./authenticator.js";
import { newToken } from "../tokens.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** What a screen may read of the API: what dashboards, playlists and alarms draw with. */
const SCREEN_READS =
  /^\/api\/(session|site|catalog|runs|flags|dashboards(\/[^/]+)?|playlists(\/.*)?|alarms(\/.*)?|runs\/\d+\/flags)$/;

/** A plain page for a screen whose token does not work: said on the screen, never a sign-in form. */
export function screenRefusedPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Screen not allowed · runboard</title>
<style>body{margin:0;min-height:100vh;display:grid;place-items:center;font:20px/1.5 system-ui,sans-serif;background:#111;color:#eee}
main{max-width:40rem;padding:2rem;border-left:8px solid #dc2626}</style></head>
<body><main><h1>This screen may not show runboard</h1><p>${escape(message)}</p></main></body></html>`;
}

const isPage = (req: Request) => req.method === "GET" && (req.headers.accept ?? "").includes("text/html");

/** `?screen=<token>` on a page: the cookie set, the token taken out of the address. */
export function screenEntry(auth: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = req.query.screen;
    if (req.method !== "GET" || typeof token !== "string" || req.path.startsWith("/api/")) return next();
    // The address as it was, less the token (`?kiosk&fit` stays as written, not `kiosk=&fit=`).
    const [path, query = ""] = req.originalUrl.split("?", 2) as [string, string?];
    const rest = query.split("&").filter((part) => part && !part.startsWith("screen="));
    // Never elsewhere: `//host` would be another site.
    const clean = `${/^\/(?![/\\])/.test(path) ? path : "/"}${rest.length ? `?${rest.join("&")}` : ""}`;
    if (auth.mode === "none") return res.redirect(303, clean); // everyone may look already
    if (!(await auth.screenName(token)))
      return void res
        .status(401)
        .type("html")
        .send(screenRefusedPage("This screen link is not valid: its token was revoked or mistyped. Ask an admin for a new one."));
    res.setHeader("Set-Cookie", auth.screenCookie(token));
    res.setHeader("Cache-Control", "no-store");
    res.redirect(303, clean);
  };
}

/** After `signedIn`: a screen only reads, and of the API only what its pages draw with. */
export function screenLimits(req: Request, res: Response, next: NextFunction): void {
  if (who(res).via !== "screen") return next();
  const reading = req.method === "GET" || req.method === "HEAD";
  if (reading && (!req.path.startsWith("/api/") || SCREEN_READS.test(req.path))) return next();
  fail(res, 403, "a wall screen may only look at dashboards, playlists and alarms", [
    { field: "(screen)", message: `${req.method} ${req.path} is not for a screen token` },
  ]);
}

/** For `signedIn`: a page asked with a screen cookie that no longer works. */
export const screenRefused = (req: Request, res: Response, message: string, hasScreen: boolean): boolean => {
  if (!hasScreen || !isPage(req)) return false;
  res.status(401).type("html").send(screenRefusedPage(message));
  return true;
};

const newScreenSchema = z
  .object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/, "letters, digits and . _ - only, at most 48") })
  .strict();

/** The admin's API for screens: list, make (the token shown once), revoke. Audited. */
export function screenAdminRoutes(auth: Authenticator, writes: express.RequestHandler): Router {
  const right = mayDo("manage-tokens");
  const audit = (res: Response, action: string, target: string) =>
    auth.store.audit({ actor: who(res).name, action, target, detail: {} });
  return Router()
    .get("/api/admin/screens", right, async (_req, res) => {
      const screens = (await auth.store.listScreens()).map(({ hash: _hash, ...screen }) => screen);
      res.json({ screens });
    })
    .post("/api/admin/screens", right, writes, express.json({ limit: "4kb" }), async (req, res) => {
      const parsed = newScreenSchema.safeParse(req.body ?? {});
      if (!parsed.success)
        return fail(
          res,
          400,
          "invalid screen",
          parsed.error.issues.map((i) => ({ field: i.path.join(".") || "name", message: i.message })),
        );
      const token = newToken();
      if (!(await auth.store.addScreen(parsed.data.name, sha256(token), who(res).name)))
        return fail(res, 409, "a screen of that name exists", [
          { field: "name", message: `${parsed.data.name} is taken (revoked screens keep their names)` },
        ]);
      await audit(res, "screen.create", parsed.data.name);
      res.status(201).json({ name: parsed.data.name, token, link: `/?screen=${token}` });
    })
    .delete("/api/admin/screens/:name", right, writes, async (req, res) => {
      const name = String(req.params.name);
      if (!(await auth.store.revokeScreen(name)))
        return fail(res, 404, "no such screen, or revoked already", [{ field: "name", message: `no live screen ${name}` }]);
      auth.forgetScreens();
      await audit(res, "screen.revoke", name);
      res.json({ name, revoked: true });
    });
}
