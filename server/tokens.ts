// Write tokens. The ingest token, from RUNBOARD_INGEST_TOKEN or generated once into
// <dataDir>/ingest-token (mode 0600) so a fresh install is never open for writing, may write
// anything. Source tokens, from a tokens file, may each write only batches of their named
// sources: a DAQ's token cannot write as another DAQ.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { sourceName } from "../src/core/ingest.js";
import { describeErrors, type FieldError, fieldErrors } from "../src/core/validation.js";
import type { WriteAccess } from "../src/core/ownership.js";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export function ensureIngestToken(dataDir: string, fromEnv?: string): { token: string; file?: string; created: boolean } {
  if (fromEnv) return { token: fromEnv, created: false };
  const file = join(dataDir, "ingest-token");
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), file, created: false };
  const token = newToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}

/** The token of an `Authorization: Bearer ...` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
}

/** Compares a token (or any secret) against one held, in constant time. */
export function sameToken(given: string, held: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(held);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The tokens file, version 1: `{"version": 1, "tokens": [{"name", "token", "sources": [...]}]}`. */
export const tokensFileSchema = z
  .object({
    version: z.literal(1),
    tokens: z
      .array(
        z
          .object({
            /** Who holds it, for messages and logs (never the token itself). */
            name: z.string().min(1).max(100),
            token: z.string().min(32, "must be at least 32 characters (make one with: openssl rand -hex 32)").max(512),
            sources: z.array(sourceName).min(1),
            /**
             * Name prefixes this token may create observables under (e.g. "hallc."): reserves
             * names for it, so no other source can take them first. Absent: any name.
             */
            prefixes: z
              .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, "must start with a letter: letters, digits, _ . : -"))
              .min(1)
              .max(50)
              .optional(),
          })
          .strict(),
      )
      .max(1000),
  })
  .strict();
export type SourceToken = z.infer<typeof tokensFileSchema>["tokens"][number];

export class TokensFileError extends Error {}

/** The source tokens in `file`; none when it does not exist. Errors name the file and the field. */
export function loadSourceTokens(file: string): SourceToken[] {
  if (!existsSync(file)) return [];
  // As PostgreSQL does for its key files: a secret others can read is no longer a secret.
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new TokensFileError(
      `${file}: has group or world access (mode ${mode.toString(8).padStart(4, "0")}); its tokens may have been read: chmod 600 it (and consider new tokens)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new TokensFileError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = tokensFileSchema.safeParse(json);
  if (!parsed.success) throw new TokensFileError(`${file}: ${describeErrors(fieldErrors(parsed.error))}`);
  const seen = new Set<string>();
  parsed.data.tokens.forEach((t, i) => {
    if (seen.has(t.token)) throw new TokensFileError(`${file}: tokens[${i}].token: the same token is listed twice`);
    seen.add(t.token);
  });
  return parsed.data.tokens;
}

/** What a bearer token may write: everything (the ingest token), some sources, or nothing. */
export type WriteScope =
  { all: true } | { all: false; name: string; sources: readonly string[]; prefixes?: readonly string[] } | undefined;

/** Whether a batch (as sent, before it is parsed) may be written under `scope`; the error if not. */
export function sourceRefusal(scope: Exclude<WriteScope, undefined>, source: unknown): FieldError | undefined {
  if (scope.all || (typeof source === "string" && scope.sources.includes(source))) return undefined;
  return { field: "source", message: `the token of ${scope.name} writes only source ${scope.sources.join(", ")}` };
}

/**
 * How a holder of `scope` writes a batch that names `source`: as that source (the owner of what
 * the batch creates), held to what it owns unless the token may write everything.
 */
export function accessOf(scope: Exclude<WriteScope, undefined>, source: string | undefined): WriteAccess {
  return { owner: source ?? null, restricted: !scope.all, ...(!scope.all && scope.prefixes ? { prefixes: scope.prefixes } : {}) };
}

/** What `token` (from a bearer header or a websocket `auth` message) may write. */
export function writeScope(token: string | undefined, ingestToken: string, sourceTokens: readonly SourceToken[]): WriteScope {
  if (token === undefined) return undefined;
  if (sameToken(token, ingestToken)) return { all: true };
  const held = sourceTokens.find((t) => sameToken(token, t.token));
  return held
    ? { all: false, name: held.name, sources: held.sources, ...(held.prefixes ? { prefixes: held.prefixes } : {}) }
    : undefined;
}
