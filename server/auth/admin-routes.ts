// The admin's API: users (RUNBOARD_AUTH=local accounts and proxy users' roles), service tokens
// and the audit log. Each route says which right it needs (mayDo); every body is validated.
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import { z } from "zod";
import { roleSchema, userName } from "../../src/core/access.js";
import { sourceName } from "../../src/core/ingest.js";
import { fieldErrors } from "../../src/core/validation.js";
import { fail } from "../http-fail.js";
import { mayDo, who } from "./asking.js";
import { type Authenticator, LOCAL_USER } from "./authenticator.js";
import { hashPassword, MAX_PASSWORD, passwordProblem } from "./passwords.js";
import type { TokenRegistry } from "./token-registry.js";

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

interface AdminDeps {
  auth: Authenticator;
  tokens: TokenRegistry;
  /** Refuses writes that do not come from runboard's own page (CSRF). */
  writes: RequestHandler;
}

type Handler = (req: Request, res: Response) => Promise<void>;

const auditOf =
  (auth: Authenticator) =>
  (res: Response, action: string, target: string, detail: Record<string, unknown> = {}) =>
    auth.store.audit({ actor: who(res).name, action, target, detail });

export function adminRoutes(deps: AdminDeps): Router {
  const { auth, tokens, writes } = deps;
  const json = express.json({ limit: "64kb" });
  const users = mayDo("manage-users");
  const tokensRight = mayDo("manage-tokens");
  return Router()
    .get("/api/admin/users", users, async (_req, res) => void res.json({ mode: auth.mode, users: await auth.store.listUsers() }))
    .post("/api/admin/users", users, writes, json, addUser(auth))
    .patch("/api/admin/users/:name", users, writes, json, changeUser(auth))
    .delete("/api/admin/users/:name", users, writes, removeUser(auth))
    .get("/api/admin/tokens", tokensRight, (_req, res) => void res.json({ tokens: tokens.list() }))
    .post("/api/admin/tokens", tokensRight, writes, json, addToken(auth, tokens))
    .delete("/api/admin/tokens/:name", tokensRight, writes, revokeToken(auth, tokens))
    .get("/api/admin/audit", mayDo("read-audit"), async (req, res) => {
      const query = auditQuerySchema.safeParse(req.query);
      if (!query.success) return fail(res, 400, "invalid query", fieldErrors(query.error));
      res.json({ entries: await auth.store.auditLog(query.data.limit, query.data.before) });
    });
}

function addUser(auth: Authenticator): Handler {
  return async (req, res) => {
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
    await auditOf(auth)(res, "user.add", name, { role });
    res.status(201).json({ name, role });
  };
}

function changeUser(auth: Authenticator): Handler {
  return async (req, res) => {
    const name = String(req.params.name);
    const parsed = userChangeSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid change", fieldErrors(parsed.error));
    const { role, password } = parsed.data;
    const problem = password === undefined ? undefined : passwordProblem(password);
    if (problem) return fail(res, 400, "invalid change", [{ field: "password", message: problem }]);
    if (role !== undefined && role !== "admin" && (await isLastAdmin(auth, name))) {
      return fail(res, 409, "the last admin stays an admin", [{ field: "role", message: "make another user an admin first" }]);
    }
    const passwordHash = password === undefined ? undefined : await hashPassword(password);
    if (!(await auth.store.updateUser(name, { role, passwordHash })))
      return fail(res, 404, "no such user", [{ field: "name", message: `no user ${name}` }]);
    auth.forget(name);
    await auditOf(auth)(res, "user.change", name, { ...(role ? { role } : {}), password: password !== undefined });
    res.json({ ok: true });
  };
}

function removeUser(auth: Authenticator): Handler {
  return async (req, res) => {
    const name = String(req.params.name);
    if (await isLastAdmin(auth, name)) {
      return fail(res, 409, "the last admin cannot be removed", [{ field: "name", message: "make another user an admin first" }]);
    }
    if (!(await auth.store.removeUser(name)))
      return fail(res, 404, "no such user", [{ field: "name", message: `no user ${name}` }]);
    auth.forget(name);
    await auditOf(auth)(res, "user.remove", name);
    res.json({ ok: true });
  };
}

function addToken(auth: Authenticator, tokens: TokenRegistry): Handler {
  return async (req, res) => {
    const parsed = newTokenSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid token", fieldErrors(parsed.error));
    const token = await tokens.create(parsed.data.name, parsed.data.sources, who(res).name);
    if (!token) return fail(res, 409, "that name is taken", [{ field: "name", message: `there is a token ${parsed.data.name}` }]);
    await auditOf(auth)(res, "token.add", parsed.data.name, { sources: parsed.data.sources });
    res.setHeader("Cache-Control", "no-store");
    res.status(201).json({ name: parsed.data.name, sources: parsed.data.sources, token });
  };
}

function revokeToken(auth: Authenticator, tokens: TokenRegistry): Handler {
  return async (req, res) => {
    const name = String(req.params.name);
    const outcome = await tokens.revoke(name);
    if (outcome === "unknown") return fail(res, 404, "no such token", [{ field: "name", message: `no token ${name}` }]);
    if (outcome === "revoked") await auditOf(auth)(res, "token.revoke", name);
    res.json({ ok: true, revoked: outcome === "revoked" });
  };
}

async function isLastAdmin(auth: Authenticator, name: string): Promise<boolean> {
  if (auth.mode !== "local") return false;
  const admins = (await auth.store.listUsers()).filter((u) => u.role === "admin");
  return admins.length === 1 && admins[0]!.name === name;
}
