// The ingest token: from RUNBOARD_INGEST_TOKEN, or generated once into <dataDir>/ingest-token
// (mode 0600) so a fresh install is never open for writing.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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

/** Compares an `Authorization: Bearer ...` header against the accepted tokens in constant time. */
export function bearerMatches(header: string | undefined, accepted: readonly string[]): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  return accepted.some((token) => {
    const want = Buffer.from(token);
    return want.length === given.length && timingSafeEqual(want, given);
  });
}
