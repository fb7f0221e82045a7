// Users, sessions, service tokens, the audit log and the server's signing secret, kept in the
// shared store beside the dashboards: the embedded DuckDB file for one server, PostgreSQL for
// replicas (RUNBOARD_DASHBOARD_STORE=postgres), so a session or a revoked token holds on every
// replica and across restarts. One class over both, through a small SQL adapter: the SQL is the
// part of each dialect they share ($1 parameters, ON CONFLICT, DOUBLE epoch milliseconds).
import { randomBytes } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Pool } from "pg";
import { inTransaction } from "../pg-transaction.js";
import type { AuditEntry, Role } from "../../src/core/access.js";

export type { AuditEntry };

export interface SqlAdapter {
  readonly kind: "embedded" | "postgres";
  query(sql: string, params?: (string | number | null)[]): Promise<Record<string, unknown>[]>;
  /** Runs schema statements one after another, never alongside another replica's. */
  schema(statements: string[]): Promise<void>;
  close(): Promise<void>;
}

/** pg_advisory_xact_lock key for schema changes ("rbsc"): CREATE ... IF NOT EXISTS races otherwise. */
export const SCHEMA_LOCK = 0x72627363;

/** The embedded store's connection; its statements run one at a time. */
export function duckdbAdapter(db: DuckDBConnection): SqlAdapter {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: "embedded",
    query(sql, params = []) {
      const result = queue.then(async () => (await db.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[]);
      queue = result.catch(() => undefined);
      return result;
    },
    async schema(statements) {
      for (const sql of statements) await this.query(sql);
    },
    async close() {
      await queue;
      db.closeSync();
    },
  };
}

export function postgresAdapter(pool: Pool): SqlAdapter {
  // An idle connection lost while PostgreSQL restarts must not end the process: the next query
  // gets a new connection (or fails, and its caller answers 503).
  pool.on("error", () => undefined);
  return {
    kind: "postgres",
    async query(sql, params = []) {
      return (await pool.query(sql, params)).rows as Record<string, unknown>[];
    },
    async schema(statements) {
      await inTransaction(pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
        for (const sql of statements) await client.query(sql);
      });
    },
    close: () => pool.end(),
  };
}

export interface UserRecord {
  name: string;
  role: Role;
  /** Whether the user can sign in with a password (proxy users have none). */
  hasPassword: boolean;
  createdAt: number;
}

export interface SessionRecord {
  user: string;
  csrf: string;
  expiresAt: number;
}

/** A wall screen's token, as kept: its hash only (the token is shown once, when made). */
export interface ScreenRecord {
  name: string;
  hash: string;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

export interface TokenRecord {
  name: string;
  /** sha256 of the token, hex: the token itself is shown once, when made, and never kept. */
  hash: string;
  sources: string[];
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

const num = (v: unknown) => Number(v);

export class AuthStore {
  private constructor(private readonly sql: SqlAdapter) {}

  get kind(): string {
    return this.sql.kind;
  }

  static async open(sql: SqlAdapter): Promise<AuthStore> {
    const auditId =
      sql.kind === "postgres" ? "id bigserial PRIMARY KEY" : "id BIGINT PRIMARY KEY DEFAULT nextval('runboard_audit_id')";
    await sql.schema([
      ...(sql.kind === "embedded" ? ["CREATE SEQUENCE IF NOT EXISTS runboard_audit_id"] : []),
      `CREATE TABLE IF NOT EXISTS runboard_users (
         name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password_hash VARCHAR, created_at FLOAT8 NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS runboard_sessions (
         id_hash VARCHAR PRIMARY KEY, user_name VARCHAR NOT NULL, csrf VARCHAR NOT NULL,
         created_at FLOAT8 NOT NULL, expires_at FLOAT8 NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS runboard_tokens (
         name VARCHAR PRIMARY KEY, token_hash VARCHAR NOT NULL UNIQUE, sources VARCHAR NOT NULL,
         created_at FLOAT8 NOT NULL, created_by VARCHAR NOT NULL, revoked_at FLOAT8)`,
      `CREATE TABLE IF NOT EXISTS runboard_audit (
         ${auditId}, at_ms FLOAT8 NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL,
         target VARCHAR NOT NULL, detail VARCHAR NOT NULL)`,
      "CREATE TABLE IF NOT EXISTS runboard_secrets (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
      `CREATE TABLE IF NOT EXISTS runboard_screens (
         name VARCHAR PRIMARY KEY, token_hash VARCHAR NOT NULL UNIQUE,
         created_at FLOAT8 NOT NULL, created_by VARCHAR NOT NULL, revoked_at FLOAT8)`,
    ]);
    return new AuthStore(sql);
  }

  /** A secret shared by every replica, made by whichever asks first (for signing what needs no row). */
  async secret(name: string): Promise<string> {
    await this.sql.query("INSERT INTO runboard_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [
      name,
      randomBytes(32).toString("base64url"),
    ]);
    const [row] = await this.sql.query("SELECT value FROM runboard_secrets WHERE name = $1", [name]);
    return String(row!.value);
  }

  // --- users

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.sql.query("SELECT name, role, password_hash, created_at FROM runboard_users ORDER BY name");
    return rows.map(toUser);
  }

  async user(name: string): Promise<(UserRecord & { passwordHash: string | null }) | undefined> {
    const [row] = await this.sql.query("SELECT name, role, password_hash, created_at FROM runboard_users WHERE name = $1", [
      name,
    ]);
    return row && { ...toUser(row), passwordHash: (row.password_hash as string | null) ?? null };
  }

  /** Adds a user; false when the name is taken. */
  async addUser(name: string, role: Role, passwordHash: string | null): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO runboard_users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [name, role, passwordHash, Date.now()],
    );
    return rows.length === 1;
  }

  /** Changes a user's role or password; false when there is no such user. Sessions end with a new password. */
  async updateUser(name: string, change: { role?: Role; passwordHash?: string }): Promise<boolean> {
    const current = await this.user(name);
    if (!current) return false;
    await this.sql.query("UPDATE runboard_users SET role = $2, password_hash = $3 WHERE name = $1", [
      name,
      change.role ?? current.role,
      change.passwordHash ?? current.passwordHash,
    ]);
    if (change.passwordHash !== undefined) await this.endSessionsOf(name);
    return true;
  }

  async removeUser(name: string): Promise<boolean> {
    await this.endSessionsOf(name);
    const rows = await this.sql.query("DELETE FROM runboard_users WHERE name = $1 RETURNING name", [name]);
    return rows.length === 1;
  }

  // --- sessions (the cookie holds a random id; the store keeps only its hash)

  async createSession(idHash: string, session: SessionRecord): Promise<void> {
    await this.sql.query(
      "INSERT INTO runboard_sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
      [idHash, session.user, session.csrf, Date.now(), session.expiresAt],
    );
  }

  async session(idHash: string, now = Date.now()): Promise<SessionRecord | undefined> {
    const [row] = await this.sql.query(
      "SELECT user_name, csrf, expires_at FROM runboard_sessions WHERE id_hash = $1 AND expires_at > $2",
      [idHash, now],
    );
    return row && { user: String(row.user_name), csrf: String(row.csrf), expiresAt: num(row.expires_at) };
  }

  async endSession(idHash: string): Promise<void> {
    await this.sql.query("DELETE FROM runboard_sessions WHERE id_hash = $1", [idHash]);
  }

  async endSessionsOf(user: string): Promise<void> {
    await this.sql.query("DELETE FROM runboard_sessions WHERE user_name = $1", [user]);
  }

  /** Forgets expired sessions; returns how many. */
  async sweepSessions(now = Date.now()): Promise<number> {
    return (await this.sql.query("DELETE FROM runboard_sessions WHERE expires_at <= $1 RETURNING id_hash", [now])).length;
  }

  // --- service tokens

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.sql.query(
      "SELECT name, token_hash, sources, created_at, created_by, revoked_at FROM runboard_tokens ORDER BY name",
    );
    return rows.map((r) => ({
      name: String(r.name),
      hash: String(r.token_hash),
      sources: JSON.parse(String(r.sources)) as string[],
      createdAt: num(r.created_at),
      createdBy: String(r.created_by),
      revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : num(r.revoked_at),
    }));
  }

  /** Adds a token; false when the name is taken (a revoked token keeps its name, for the record). */
  async addToken(token: Omit<TokenRecord, "createdAt" | "revokedAt">): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO runboard_tokens (name, token_hash, sources, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING name`,
      [token.name, token.hash, JSON.stringify(token.sources), Date.now(), token.createdBy],
    );
    return rows.length === 1;
  }

  /**
   * Revokes a token by name; a token of the tokens file (which the store does not hold) is
   * recorded by its hash, so it stays revoked whatever the file says. False when already revoked.
   */
  async revokeToken(name: string, fileToken?: { hash: string; sources: string[] }): Promise<boolean> {
    if (fileToken) {
      await this.sql.query(
        `INSERT INTO runboard_tokens (name, token_hash, sources, created_at, created_by) VALUES ($1, $2, $3, $4, 'tokens file')
         ON CONFLICT DO NOTHING`,
        [name, fileToken.hash, JSON.stringify(fileToken.sources), Date.now()],
      );
    }
    const rows = await this.sql.query(
      "UPDATE runboard_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING name",
      [name, Date.now()],
    );
    return rows.length === 1;
  }

  // --- screen tokens: a wall screen's read-only identity (views dashboards, playlists, alarms)

  async listScreens(): Promise<ScreenRecord[]> {
    const rows = await this.sql.query(
      "SELECT name, token_hash, created_at, created_by, revoked_at FROM runboard_screens ORDER BY name",
    );
    return rows.map((r) => ({
      name: String(r.name),
      hash: String(r.token_hash),
      createdAt: num(r.created_at),
      createdBy: String(r.created_by),
      revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : num(r.revoked_at),
    }));
  }

  /** The live (not revoked) screen whose token hashes to `hash`. */
  async screenByHash(hash: string): Promise<string | undefined> {
    const [row] = await this.sql.query("SELECT name FROM runboard_screens WHERE token_hash = $1 AND revoked_at IS NULL", [hash]);
    return row ? String(row.name) : undefined;
  }

  /** Adds a screen; false when the name is taken (a revoked screen keeps its name, for the record). */
  async addScreen(name: string, hash: string, createdBy: string): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO runboard_screens (name, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING name`,
      [name, hash, Date.now(), createdBy],
    );
    return rows.length === 1;
  }

  /** False when there is no such screen, or it was revoked before. */
  async revokeScreen(name: string): Promise<boolean> {
    const rows = await this.sql.query(
      "UPDATE runboard_screens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING name",
      [name, Date.now()],
    );
    return rows.length === 1;
  }

  // --- the audit log

  async audit(entry: Omit<AuditEntry, "id" | "at">): Promise<void> {
    await this.sql.query("INSERT INTO runboard_audit (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)", [
      Date.now(),
      entry.actor,
      entry.action,
      entry.target,
      JSON.stringify(entry.detail),
    ]);
  }

  /** The newest entries first, `limit` of them, older than entry `before` when given. */
  async auditLog(limit: number, before?: number): Promise<AuditEntry[]> {
    const rows = await this.sql.query(
      `SELECT id, at_ms, actor, action, target, detail FROM runboard_audit
        WHERE id < $1 ORDER BY id DESC LIMIT $2`,
      [before ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return rows.map((r) => ({
      id: num(r.id),
      at: num(r.at_ms),
      actor: String(r.actor),
      action: String(r.action),
      target: String(r.target),
      detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
    }));
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}

function toUser(row: Record<string, unknown>): UserRecord {
  return {
    name: String(row.name),
    role: String(row.role) as Role,
    hasPassword: row.password_hash !== null && row.password_hash !== undefined,
    createdAt: num(row.created_at),
  };
}
