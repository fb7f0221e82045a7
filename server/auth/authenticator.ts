// Who is asking, for every request and websocket: RUNBOARD_AUTH chooses how.
//   none   one user ("local", an admin); only while the server listens on loopback.
//   proxy  a trusted reverse proxy (nginx with the lab's single sign-on) names the user in a
//          header; taken only from the configured proxy addresses.
//   local  accounts in the shared store (`runboard users add`), signed in with a password; the
//          session is an HttpOnly, SameSite=Strict cookie whose id the store keeps hashed.
// The ingest token, sent as a bearer token, acts as an admin for scripts in every mode. Writes
// made with an ambient credential (a cookie, the proxy's header, or none at all) must carry the
// CSRF token /api/session hands to same-origin pages.
import { createHash, createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { type Principal, type Role, userName } from "../../src/core/access.js";
import type { AuthStore } from "./auth-store.js";
import { verifyPassword } from "./passwords.js";
import { bearerToken, sameToken } from "../tokens.js";

export type AuthMode = "none" | "proxy" | "local";

export interface AuthConfig {
  mode: AuthMode;
  proxy: {
    /** The header the proxy puts the signed-in user's name in (lower case). */
    userHeader: string;
    /** Addresses the proxy connects from; anyone else's user header is not believed. */
    addresses: string[];
    /** The role of a proxy user no admin has given one. */
    defaultRole: Role;
  };
  /** User names that are admins whatever the store says (proxy mode's first admins). */
  admins: string[];
  sessionHours: number;
  /** Session cookies marked Secure (the site is served over https by its proxy). */
  secureCookies: boolean;
}

export const SESSION_COOKIE = "runboard_session";
/** A wall screen's token, set once from `?screen=` (screen-routes.ts). */
export const SCREEN_COOKIE = "runboard_screen";
export const CSRF_HEADER = "x-runboard-csrf";
/** The one user of RUNBOARD_AUTH=none. */
export const LOCAL_USER = "local";

/** Why a request has no principal: 401 (sign in) or 403 (not through the proxy). */
export type Unidentified = { status: 401 | 403; message: string };

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The value of one cookie of a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/** `::ffff:127.0.0.1` is 127.0.0.1. */
const plainAddress = (address: string | undefined) => (address ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

/** A small map whose entries expire, for lookups the store answers the same for a few seconds. */
class ShortCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}
  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }
  set(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, until: Date.now() + this.ttlMs });
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
  clear(): void {
    this.entries.clear();
  }
}

/**
 * Failed sign-ins, counted per address (30 free in 15 minutes: a flood of made-up names is
 * throttled there first), per name from one address (5 free) and per name from anywhere (20
 * free), each then a wait that doubles. Behind a reverse proxy every user has its address, so
 * a user who has signed in from an address before is not held by that address's count, nor by
 * guesses at their name from elsewhere (see KnownSignIns): one guesser must not lock out the shift.
 */
class LoginThrottle {
  private readonly failures = new Map<string, { count: number; first: number; blockedUntil: number }>();
  private static readonly WINDOW_MS = 15 * 60_000;

  /** Seconds to wait before trying again, or 0. */
  waitFor(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const f = this.failures.get(key);
      if (f && f.blockedUntil > now) wait = Math.max(wait, Math.ceil((f.blockedUntil - now) / 1000));
    }
    return wait;
  }

  failed(keys: string[], now = Date.now()): void {
    if (this.failures.size > 50_000) this.failures.clear(); // bounded, whoever floods it
    for (const key of keys) {
      let f = this.failures.get(key);
      if (!f || now - f.first > LoginThrottle.WINDOW_MS) f = { count: 0, first: now, blockedUntil: 0 };
      f.count++;
      const free = key.startsWith("name:") ? 20 : key.startsWith("addr:") ? 30 : 5;
      if (f.count >= free) f.blockedUntil = now + Math.min(LoginThrottle.WINDOW_MS, 1000 * 2 ** (f.count - free));
      this.failures.set(key, f);
    }
  }

  succeeded(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

/**
 * Who has signed in from where (remembered 30 days, at most 10,000 pairs, per replica): during a
 * flood of sign-ins from an address, a user who signed in from it before still gets in.
 */
class KnownSignIns {
  private readonly pairs = new Map<string, number>();
  private static readonly KEEP_MS = 30 * 24 * 3_600_000;

  has(address: string, name: string, now = Date.now()): boolean {
    return (this.pairs.get(`${address} ${name}`) ?? 0) > now;
  }

  add(address: string, name: string, now = Date.now()): void {
    const key = `${address} ${name}`;
    this.pairs.delete(key);
    this.pairs.set(key, now + KnownSignIns.KEEP_MS);
    // The oldest first (a Map keeps insertion order).
    if (this.pairs.size > 10_000) this.pairs.delete(this.pairs.keys().next().value!);
  }
}

/** Password checks at once (each scrypt takes 32 MiB and a core for ~0.1 s); one is kept for known users. */
const MAX_CONCURRENT_LOGINS = 4;
/** Password checks at once for one address's sign-ins of names not known there. */
const MAX_CONCURRENT_LOGINS_PER_ADDRESS = 2;

export type LoginResult =
  | { ok: true; user: string; role: Role; sessionId: string; csrf: string; expiresAt: number }
  | { ok: false; status: 401 | 429 | 503; message: string; retryAfter?: number };

export class Authenticator {
  // 4 s: a sign-out or removal on another replica holds here (sockets included) within 5 s.
  private readonly sessions = new ShortCache<{ user: string; csrf: string } | null>(4_000);
  private readonly roles = new ShortCache<Role | null>(4_000);
  private readonly screens = new ShortCache<string | null>(4_000);
  private readonly throttle = new LoginThrottle();
  private readonly knownSignIns = new KnownSignIns();
  /** Password checks running now, per address. */
  private readonly loginsFrom = new Map<string, number>();
  private loginsNow = 0;

  private constructor(
    readonly config: AuthConfig,
    readonly store: AuthStore,
    private readonly secret: string,
    private readonly ingestToken: string,
  ) {}

  static async create(config: AuthConfig, store: AuthStore, ingestToken: string): Promise<Authenticator> {
    return new Authenticator(config, store, await store.secret("csrf"), ingestToken);
  }

  get mode(): AuthMode {
    return this.config.mode;
  }

  /** Who sent `req`, or why no one can be named. */
  async identify(req: IncomingMessage): Promise<Principal | Unidentified> {
    const bearer = bearerToken(req.headers.authorization);
    if (bearer !== undefined) {
      if (sameToken(bearer, this.ingestToken)) return { name: "ingest-token", role: "admin", via: "token" };
      return { status: 401, message: "this bearer token is not one that may act as a user (source tokens only ingest)" };
    }
    const screen = cookie(req.headers.cookie, SCREEN_COOKIE);
    if (screen && this.config.mode !== "none") return this.fromScreen(screen);
    switch (this.config.mode) {
      case "none":
        return { name: LOCAL_USER, role: "admin", via: "none" };
      case "proxy":
        return this.fromProxy(req);
      case "local":
        return this.fromSession(req);
    }
  }

  private async fromProxy(req: IncomingMessage): Promise<Principal | Unidentified> {
    const from = plainAddress(req.socket.remoteAddress);
    if (!this.config.proxy.addresses.includes(from)) {
      return {
        status: 403,
        message: `runboard takes users only through its proxy; ${from} is not one (RUNBOARD_PROXY_ADDRESSES)`,
      };
    }
    const header = req.headers[this.config.proxy.userHeader];
    const name = Array.isArray(header) ? undefined : header;
    if (!name) return { status: 401, message: `the proxy sent no ${this.config.proxy.userHeader} header: sign in through it` };
    const valid = userName.safeParse(name);
    if (!valid.success)
      return { status: 403, message: `the proxy's user name is not one runboard takes (${valid.error.issues[0]!.message})` };
    return { name, role: (await this.roleOf(name)) ?? this.config.proxy.defaultRole, via: "proxy" };
  }

  private async fromSession(req: IncomingMessage): Promise<Principal | Unidentified> {
    const id = cookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return { status: 401, message: "sign in first" };
    const session = await this.session(id);
    if (!session) return { status: 401, message: "your session has ended; sign in again" };
    const role = await this.roleOf(session.user);
    if (!role) return { status: 401, message: "your account was removed" };
    return { name: session.user, role, via: "session" };
  }

  /** A wall screen: a viewer by its token's name, while the token is not revoked. */
  async fromScreen(token: string): Promise<Principal | Unidentified> {
    const name = await this.screenName(token);
    if (!name)
      return { status: 401, message: "this screen's token was revoked or is unknown: ask an admin for a new screen link" };
    return { name: `screen.${name}`, role: "viewer", via: "screen" };
  }

  /** The name of the live screen holding `token` (cached 4 s: a revocation holds within 5 s). */
  async screenName(token: string): Promise<string | undefined> {
    const key = sha256(token);
    let found = this.screens.get(key);
    if (found === undefined) {
      found = (await this.store.screenByHash(key)) ?? null;
      this.screens.set(key, found);
    }
    return found ?? undefined;
  }

  /** Forgets cached screens (after a revocation here). */
  forgetScreens(): void {
    this.screens.clear();
  }

  /** The screen's cookie: kept 400 days (the most a browser keeps one); no token clears it. */
  screenCookie(token?: string): string {
    const parts = [`${SCREEN_COOKIE}=${token ?? ""}`, "Path=/", "HttpOnly", "SameSite=Strict"];
    if (this.config.secureCookies) parts.push("Secure");
    parts.push(token ? `Max-Age=${400 * 86_400}` : "Max-Age=0");
    return parts.join("; ");
  }

  private async session(id: string): Promise<{ user: string; csrf: string } | undefined> {
    const key = sha256(id);
    let found = this.sessions.get(key);
    if (found === undefined) {
      const stored = await this.store.session(key);
      found = stored ? { user: stored.user, csrf: stored.csrf } : null;
      this.sessions.set(key, found);
    }
    return found ?? undefined;
  }

  /** A user's role: RUNBOARD_ADMINS, else the store's (none: no account; proxy users need none). */
  private async roleOf(name: string): Promise<Role | undefined> {
    if (this.config.admins.includes(name)) return "admin";
    let role = this.roles.get(name);
    if (role === undefined) {
      role = (await this.store.user(name))?.role ?? null;
      this.roles.set(name, role);
    }
    return role ?? undefined;
  }

  /** Forgets what was cached of a user (after a change of role, password or removal). */
  forget(user: string): void {
    this.roles.delete(user);
    this.sessions.clear();
  }

  /** The CSRF token a page of `who` sends with its writes. */
  async csrfFor(who: Principal, req: IncomingMessage): Promise<string | undefined> {
    if (who.via === "token" || who.via === "screen") return undefined;
    if (who.via === "session") return (await this.session(cookie(req.headers.cookie, SESSION_COOKIE) ?? ""))?.csrf;
    return createHmac("sha256", this.secret).update(`${who.via}:${who.name}`).digest("base64url");
  }

  /** Whether a write by `who` carries what proves it came from runboard's own page. */
  async writeAllowed(who: Principal, req: IncomingMessage): Promise<boolean> {
    if (who.via === "token") return true;
    // A wall screen only looks.
    if (who.via === "screen") return false;
    const sent = req.headers[CSRF_HEADER];
    const expected = await this.csrfFor(who, req);
    return typeof sent === "string" && expected !== undefined && sameToken(sent, expected);
  }

  async login(name: string, password: string, address: string | undefined): Promise<LoginResult> {
    const from = plainAddress(address);
    const known = this.knownSignIns.has(from, name);
    // A known pair is held only by guesses at it from this address; others by the address too.
    const keys = known ? [`from:${from}:${name}`] : [`addr:${from}`, `name:${name}`, `from:${from}:${name}`];
    const wait = this.throttle.waitFor(keys);
    if (wait > 0) return { ok: false, status: 429, message: "too many failed sign-ins; wait and try again", retryAfter: wait };
    const fromThere = this.loginsFrom.get(from) ?? 0;
    if (this.loginsNow >= MAX_CONCURRENT_LOGINS - (known ? 0 : 1) || (!known && fromThere >= MAX_CONCURRENT_LOGINS_PER_ADDRESS)) {
      return { ok: false, status: 503, message: "too many sign-ins at once; try again in a moment", retryAfter: 1 };
    }
    this.loginsNow++;
    this.loginsFrom.set(from, fromThere + 1);
    let user: Awaited<ReturnType<AuthStore["user"]>>;
    let good = false;
    try {
      user = await this.store.user(name);
      // An unknown name costs the same as a wrong password, so names cannot be probed by timing.
      good = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    } finally {
      this.loginsNow--;
      const left = (this.loginsFrom.get(from) ?? 1) - 1;
      if (left > 0) this.loginsFrom.set(from, left);
      else this.loginsFrom.delete(from);
    }
    if (!user || !user.passwordHash || !good) {
      this.throttle.failed(keys);
      // Guesses at an account are recorded (the throttle bounds how many); names that are no
      // account are not, or anyone could fill the log with them.
      if (user)
        await this.store.audit({ actor: name, action: "login.failed", target: name, detail: { address: plainAddress(address) } });
      return { ok: false, status: 401, message: "wrong name or password" };
    }
    this.throttle.succeeded(keys.filter((k) => !k.startsWith("addr:")));
    this.knownSignIns.add(from, name);
    const sessionId = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    const expiresAt = Date.now() + this.config.sessionHours * 3_600_000;
    await this.store.createSession(sha256(sessionId), { user: name, csrf, expiresAt });
    await this.store.audit({ actor: name, action: "login", target: name, detail: { address: plainAddress(address) } });
    return { ok: true, user: name, role: user.role, sessionId, csrf, expiresAt };
  }

  async logout(req: IncomingMessage): Promise<void> {
    const id = cookie(req.headers.cookie, SESSION_COOKIE);
    if (!id) return;
    this.sessions.delete(sha256(id));
    await this.store.endSession(sha256(id));
  }

  /** The Set-Cookie value for a session (or, with no id, one that ends it). */
  sessionCookie(sessionId?: string, expiresAt?: number): string {
    const parts = [`${SESSION_COOKIE}=${sessionId ?? ""}`, "Path=/", "HttpOnly", "SameSite=Strict"];
    if (this.config.secureCookies) parts.push("Secure");
    parts.push(sessionId && expiresAt ? `Max-Age=${Math.floor((expiresAt - Date.now()) / 1000)}` : "Max-Age=0");
    return parts.join("; ");
  }
}

/** A hash of a password no one has, checked when the name is unknown. */
const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
