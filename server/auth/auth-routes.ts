// Signing in and out, the session a page reads, and the admin's API: users, service tokens and
// the audit log. Every body is validated here; errors name the field.
import express, { type NextFunction, type Request, type Response, Router } from "express";
import { z } from "zod";
import { type Principal, roleSchema, type SiteAction, maySite, siteRights, userName } from "../../src/core/access.js";
import { sourceName } from "../../src/core/ingest.js";
import { fieldErrors } from "../../src/core/validation.js";
import { type Authenticator, LOCAL_USER } from "./authenticator.js";
import { hashPassword, MAX_PASSWORD, passwordProblem } from "./passwords.js";
import type { TokenRegistry } from "./token-registry.js";
import { loginPage } from "./login-page.js";
import { fail } from "../http-fail.js";

export const who = (res: Response) => res.locals.who as Principal;

const SITE_ACTION_WORDS: Record<SiteAction, string> = {
  read: "read this site",
  "create-dashboard": "make dashboards",
  "refresh-snapshots": "refresh the snapshots",
  "flag-runs": "flag runs",
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

const newUserSchema = z.object({ name: userName, role: roleSchema, password: z.string().max(MAX_PASSWORD).optional() }).strict();
const userChangeSchema = z
  .object({ role: roleSchema.optional(), password: z.string().max(MAX_PASSWORD).optional() })
  .strict()
  .refine((c) => c.role !== undefined || c.password !== undefined, { message: "give role or password" });
const newTokenSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, "letters, digits, spaces and . _ - only, at most 64"),
    sources: z.array(sourceName).min(1).max(100),
  })
  .strict();
const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z.coerce.number().int().min(1).optional(),
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

/** Routes for signed-in users (after `signedIn`): the session, and the admin's API. */
export function signedInAuthRoutes({ auth, tokens }: AuthRouteDeps): Router {
  const router = Router();
  const json = express.json({ limit: "64kb" });
  const writes = fromOwnPage(auth);
  const audit = (res: Response, action: string, target: string, detail: Record<string, unknown> = {}) =>
    auth.store.audit({ actor: who(res).name, action, target, detail });

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

  // --- users
  router.get("/api/admin/users", mayDo("manage-users"), async (_req, res) => {
    res.json({ mode: auth.mode, users: await auth.store.listUsers() });
  });

  router.post("/api/admin/users", mayDo("manage-users"), writes, json, async (req, res) => {
    const parsed = newUserSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid user", fieldErrors(parsed.error));
    const { name, role, password } = parsed.data;
    if (auth.mode === "local" && password === undefined) {
      return fail(res, 400, "invalid user", [{ field: "password", message: "a local account needs a password" }]);
    }
    const problem = password === undefined ? undefined : passwordProblem(password);
    if (problem) return fail(res, 400, "invalid user", [{ field: "password", message: problem }]);
    if (name === LOCAL_USER && auth.mode === "none") {
      return fail(res, 400, "invalid user", [{ field: "name", message: `${LOCAL_USER} is the one user of RUNBOARD_AUTH=none` }]);
    }
    const added = await auth.store.addUser(name, role, password === undefined ? null : await hashPassword(password));
    if (!added) return fail(res, 409, "that name is taken", [{ field: "name", message: `there is a user ${name}` }]);
    await audit(res, "user.add", name, { role });
    res.status(201).json({ name, role });
  });

  router.patch("/api/admin/users/:name", mayDo("manage-users"), writes, json, async (req, res) => {
    const name = String(req.params.name);
    const parsed = userChangeSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid change", fieldErrors(parsed.error));
    const problem = parsed.data.password === undefined ? undefined : passwordProblem(parsed.data.password);
    if (problem) return fail(res, 400, "invalid change", [{ field: "password", message: problem }]);
    if (parsed.data.role !== undefined && parsed.data.role !== "admin" && (await isLastAdmin(auth, name))) {
      return fail(res, 409, "the last admin stays an admin", [{ field: "role", message: "make another user an admin first" }]);
    }
    const changed = await auth.store.updateUser(name, {
      role: parsed.data.role,
      passwordHash: parsed.data.password === undefined ? undefined : await hashPassword(parsed.data.password),
    });
    if (!changed) return fail(res, 404, "no such user", [{ field: "name", message: `no user ${name}` }]);
    auth.forget(name);
    await audit(res, "user.change", name, {
      ...(parsed.data.role ? { role: parsed.data.role } : {}),
      password: parsed.data.password !== undefined,
    });
    res.json({ ok: true });
  });

  router.delete("/api/admin/users/:name", mayDo("manage-users"), writes, async (req, res) => {
    const name = String(req.params.name);
    if (await isLastAdmin(auth, name)) {
      return fail(res, 409, "the last admin cannot be removed", [{ field: "name", message: "make another user an admin first" }]);
    }
    if (!(await auth.store.removeUser(name)))
      return fail(res, 404, "no such user", [{ field: "name", message: `no user ${name}` }]);
    auth.forget(name);
    await audit(res, "user.remove", name);
    res.json({ ok: true });
  });

  // --- service tokens
  router.get("/api/admin/tokens", mayDo("manage-tokens"), (_req, res) => res.json({ tokens: tokens.list() }));

  router.post("/api/admin/tokens", mayDo("manage-tokens"), writes, json, async (req, res) => {
    const parsed = newTokenSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid token", fieldErrors(parsed.error));
    const token = await tokens.create(parsed.data.name, parsed.data.sources, who(res).name);
    if (!token) return fail(res, 409, "that name is taken", [{ field: "name", message: `there is a token ${parsed.data.name}` }]);
    await audit(res, "token.add", parsed.data.name, { sources: parsed.data.sources });
    res.setHeader("Cache-Control", "no-store");
    res.status(201).json({ name: parsed.data.name, sources: parsed.data.sources, token });
  });

  router.delete("/api/admin/tokens/:name", mayDo("manage-tokens"), writes, async (req, res) => {
    const name = String(req.params.name);
    const outcome = await tokens.revoke(name);
    if (outcome === "unknown") return fail(res, 404, "no such token", [{ field: "name", message: `no token ${name}` }]);
    if (outcome === "revoked") await audit(res, "token.revoke", name);
    res.json({ ok: true, revoked: outcome === "revoked" });
  });

  // --- the audit log
  router.get("/api/admin/audit", mayDo("read-audit"), async (req, res) => {
    const query = auditQuerySchema.safeParse(req.query);
    if (!query.success) return fail(res, 400, "invalid query", fieldErrors(query.error));
    res.json({ entries: await auth.store.auditLog(query.data.limit, query.data.before) });
  });
  return router;
}

async function isLastAdmin(auth: Authenticator, name: string): Promise<boolean> {
  if (auth.mode !== "local") return false;
  const admins = (await auth.store.listUsers()).filter((u) => u.role === "admin");
  return admins.length === 1 && admins[0]!.name === name;
}
