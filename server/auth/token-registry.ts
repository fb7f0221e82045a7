// Write tokens are service accounts: the ingest token may write anything; each source token
// writes only its named sources. Source tokens come from the tokens file (kept in git-ignored
// config by an operator) and from the shared store (made by an admin, `POST /api/admin/tokens`,
// shown once). An admin lists and revokes both; a revocation is kept in the shared store, so it
// holds on every replica (within REFRESH_MS) and whatever the file says.
import { createHash } from "node:crypto";
import type { AuthStore, TokenRecord } from "./auth-store.js";
import type { TokenListing } from "../../src/core/access.js";
import { newToken, type SourceToken, type WriteScope, writeScope } from "../tokens.js";

// With the hub's 1 s revalidation, a revocation closes what it revoked within 5 s on every replica.
const REFRESH_MS = 4_000;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class TokenRegistry {
  /** Live tokens by the hash of the token. */
  private byHash = new Map<string, { name: string; sources: readonly string[]; prefixes?: readonly string[] }>();
  private stored: TokenRecord[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly store: AuthStore,
    private readonly fileTokens: readonly SourceToken[],
    private readonly ingestToken: string,
    private readonly log: (line: string) => void,
  ) {
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.log(`reading the tokens from the store failed: ${String(error)}`));
    }, REFRESH_MS);
    this.timer.unref();
  }

  static async open(
    store: AuthStore,
    fileTokens: readonly SourceToken[],
    ingestToken: string,
    log: (line: string) => void,
  ): Promise<TokenRegistry> {
    const registry = new TokenRegistry(store, fileTokens, ingestToken, log);
    await registry.refresh();
    return registry;
  }

  async refresh(): Promise<void> {
    this.stored = await this.store.listTokens();
    const revoked = new Set(this.stored.filter((t) => t.revokedAt !== null).map((t) => t.hash));
    const live = new Map<string, { name: string; sources: readonly string[]; prefixes?: readonly string[] }>();
    for (const t of this.fileTokens) {
      const hash = sha256(t.token);
      if (!revoked.has(hash))
        live.set(hash, { name: t.name, sources: t.sources, ...(t.prefixes ? { prefixes: t.prefixes } : {}) });
    }
    for (const t of this.stored) if (t.revokedAt === null) live.set(t.hash, { name: t.name, sources: t.sources });
    this.byHash = live;
  }

  /** What `token` may write. */
  scopeOf(token: string | undefined): WriteScope {
    if (token === undefined) return undefined;
    const ingest = writeScope(token, this.ingestToken, []);
    if (ingest) return ingest;
    // Source tokens are looked up by hash: comparing hashes leaks nothing of the token.
    const held = this.byHash.get(sha256(token));
    return held
      ? { all: false, name: held.name, sources: held.sources, ...(held.prefixes ? { prefixes: held.prefixes } : {}) }
      : undefined;
  }

  list(): TokenListing[] {
    const revokedFile = new Map(this.stored.filter((t) => t.createdBy === "tokens file").map((t) => [t.hash, t]));
    const fromFile: TokenListing[] = this.fileTokens.map((t) => ({
      name: t.name,
      sources: [...t.sources],
      origin: "file",
      createdAt: null,
      createdBy: null,
      revokedAt: revokedFile.get(sha256(t.token))?.revokedAt ?? null,
    }));
    const fromStore: TokenListing[] = this.stored
      .filter((t) => t.createdBy !== "tokens file")
      .map((t) => ({
        name: t.name,
        sources: t.sources,
        origin: "store",
        createdAt: t.createdAt,
        createdBy: t.createdBy,
        revokedAt: t.revokedAt,
      }));
    return [...fromFile, ...fromStore].sort((x, y) => x.name.localeCompare(y.name));
  }

  /** Makes a token for `sources`; the token itself is returned this once. Undefined when the name is taken. */
  async create(name: string, sources: string[], createdBy: string): Promise<string | undefined> {
    if (this.fileTokens.some((t) => t.name === name)) return undefined;
    const token = newToken();
    if (!(await this.store.addToken({ name, hash: sha256(token), sources, createdBy }))) return undefined;
    await this.refresh();
    return token;
  }

  /** Revokes a token by name: "revoked", "already" (revoked before), or "unknown". */
  async revoke(name: string): Promise<"revoked" | "already" | "unknown"> {
    const file = this.fileTokens.find((t) => t.name === name);
    const known = file !== undefined || this.stored.some((t) => t.name === name);
    if (!known) {
      await this.refresh();
      if (!this.stored.some((t) => t.name === name)) return "unknown";
    }
    const done = await this.store.revokeToken(name, file && { hash: sha256(file.token), sources: [...file.sources] });
    await this.refresh();
    return done ? "revoked" : "already";
  }

  close(): void {
    clearInterval(this.timer);
  }
}
