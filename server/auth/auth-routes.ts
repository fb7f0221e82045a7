// Signing in and out, the session a page reads, who may do what; the admin's API (users,
// service tokens and the audit log) is in admin-routes.ts. Every body is validated; errors name the field.
import express, { type NextFunction, type Request, type Response, Router } from "express";
import { z } from "zod";
import { siteRights, userName } from "../../src/core/access.js";
import { fieldErrors } from "../../src/core/validation.js";
import { MAX_PASSWORD } from "./passwords.js";
import { adminRoutes } from "./admin-routes.js";
import { mayDo, who } from "./asking.js";
import type { TokenRegistry } from "./token-registry.js";
import { loginPage } from "./login-page.js";
import { fail } from "../http-fail.js";
import { screenAdminRoutes, screenRefused } from "./screen-routes.js";
import { type Authenticator, SCREEN_COOKIE, cookie } from "./authenticator.js";

export { mayDo, who };

/** Answers for whoever is not signed in (401), or not through the proxy (403); pages go to /login. */
export function signedIn(auth: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction) => {
    let found: Awaited<ReturnType<Authenticator["identify"]>>;
    try {
      found = await auth.identify(req);
    } catch (error) {
      // The shared store (PostgreSQL for replicas) is down: who is asking cannot be known now.
      res.setHeader("Retry-After", "2");
      return fail(res, 503, `the store of users and sessions is unavailable (${(error as Error).message}); retry`);
    }
    if (!("status" in found)) {
      res.locals.who = found;
      return next();
    }
    // A wall screen whose token stopped working says so on the screen: never a sign-in form.
    if (screenRefused(req, res, found.message, !!cookie(req.headers.cookie, SCREEN_COOKIE))) return;
    const page = req.method === "GET" && (req.headers.accept ?? "").includes("text/html");
    if (auth.mode === "local" && page) return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    if (found.status === 401 && auth.mode === "local") res.setHeader("WWW-Authenticate", 'Cookie realm="runboard"');
    fail(res, found.status, found.message, [{ field: found.status === 401 ? "(session)" : "(proxy)", message: found.message }]);
  };
}

/** Writes made with a cookie, a proxy's header or no credential at all must carry the page's CSRF token. */
export function fromOwnPage(auth: Authenticator) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (await auth.writeAllowed(who(res), req)) return next();
    fail(res, 403, "a write must come from runboard's own pages", [
      { field: "X-Runboard-CSRF", message: "send the csrf token GET /api/session gives" },
    ]);
  };
}

/** Where to go after signing in: a path of this site only (never //host or a scheme). */
const safeNext = (next: unknown) => (typeof next === "string" && /^\/(?![/\\])/.test(next) ? next : "/");

const loginSchema = z
  .object({
    name: userName,
    password: z.string().min(1, "give the password").max(MAX_PASSWORD),
    next: z.string().max(2000).optional(),
  })
  .strict();

export interface AuthRouteDeps {
  auth: Authenticator;
  tokens: TokenRegistry;
}

/** Routes anyone may reach: the sign-in page and its API. */
export function publicAuthRoutes({ auth }: AuthRouteDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: "8kb" });
  const json = express.json({ limit: "8kb" });

  router.get("/login", (req, res) => {
    if (auth.mode !== "local") return res.redirect(303, "/");
    res.setHeader("Cache-Control", "no-store");
    const error = typeof req.query.error === "string" ? req.query.error : undefined;
    res.type("html").send(loginPage({ next: safeNext(req.query.next), error, wait: Number(req.query.wait) || undefined }));
  });

  // A form post (from /login, no script needed) is answered with a redirect; JSON with JSON.
  router.post("/api/login", form, json, async (req, res) => {
    const isForm = req.is("application/x-www-form-urlencoded") !== false;
    if (auth.mode !== "local") return fail(res, 404, `signing in is for RUNBOARD_AUTH=local; this server runs ${auth.mode}`);
    const parsed = loginSchema.safeParse(req.body ?? {});
    const next = safeNext((req.body as { next?: unknown } | undefined)?.next);
    if (!parsed.success) {
      if (isForm) return res.redirect(303, `/login?error=wrong&next=${encodeURIComponent(next)}`);
      return fail(res, 400, "invalid sign-in", fieldErrors(parsed.error));
    }
    const result = await auth.login(parsed.data.name, parsed.data.password, req.socket.remoteAddress);
    if (!result.ok) {
      if (result.retryAfter) res.setHeader("Retry-After", String(result.retryAfter));
      if (isForm) {
        const reason = result.status === 401 ? "wrong" : "busy";
        return res.redirect(303, `/login?error=${reason}&wait=${result.retryAfter ?? 0}&next=${encodeURIComponent(next)}`);
      }
      return fail(res, result.status, result.message, [
        { field: result.status === 401 ? "password" : "(login)", message: result.message },
      ]);
    }
    res.setHeader("Set-Cookie", auth.sessionCookie(result.sessionId, result.expiresAt));
    if (isForm) return res.redirect(303, next);
    res.json({ user: result.user, role: result.role, csrf: result.csrf });
  });

  router.post("/api/logout", async (req, res) => {
    await auth.logout(req);
    res.setHeader("Set-Cookie", auth.sessionCookie());
    if (req.is("application/x-www-form-urlencoded")) return res.redirect(303, "/login");
    res.json({ ok: true });
  });
  return router;
}

/** Routes for signed-in users (after `signedIn`): the session, and the admin's API (admin-routes.ts). */
export function signedInAuthRoutes(deps: AuthRouteDeps): Router {
  const { auth } = deps;
  const router = Router();
  router.get("/api/session", async (req, res) => {
    res.setHeader("Cache-Control", "no-store");
    const asking = who(res);
    res.json({
      mode: auth.mode,
      user: asking.name,
      role: asking.role,
      rights: siteRights(asking),
      csrf: await auth.csrfFor(asking, req),
      // Only a signed-in local user can sign out; a proxy's user signs out at the proxy.
      canSignOut: asking.via === "session",
    });
  });
  router.use(adminRoutes({ ...deps, writes: fromOwnPage(auth) }));
  router.use(screenAdminRoutes(auth, fromOwnPage(auth)));
  return router;
}
