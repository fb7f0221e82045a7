// The write roads in over HTTP: `POST /api/ingest` (JSON, or the binary batch with raw float64
// arrays) and `POST /api/ingest/bluesky` (a RunEngine's documents). Both take a write token;
// a source token writes only batches of its own sources, checked before anything is stored.
import express, { type NextFunction, type Request, type Response, Router } from "express";
import { z } from "zod";
import { BINARY_BATCH_CONTENT_TYPE, readBinaryHeader, resolveBinaryBatch } from "../../src/core/ingest-binary.js";
import { parseJsonAllowingNonFinite } from "../../src/core/python-json.js";
import { type FieldError, fieldErrors } from "../../src/core/validation.js";
import type { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import type { TokenRegistry } from "../auth/token-registry.js";
import { fail } from "../http-fail.js";
import { BIG_BODY_BYTES, type BodyPermits } from "../limits/body-permits.js";
import { accessOf, bearerToken, sourceRefusal, type WriteScope } from "../tokens.js";
import { BLUESKY_SOURCE, type SkippedKey, translateBluesky } from "./bluesky-ingest.js";
import { type Ingestor, ingestBody } from "./ingest.js";

export interface IngestRouteDeps {
  store: EmbeddedStore;
  ingestor: Ingestor;
  tokens: TokenRegistry;
  /** Permits for bodies over 1 MB, shared with the websocket hub. */
  bodyPermits: BodyPermits;
  log: (line: string) => void;
}

const blueskyQuerySchema = z
  .object({
    prefix: z
      .string()
      .regex(/^([A-Za-z][A-Za-z0-9_]*\.)+$/, "must be dotted words ending with a dot, e.g. bl2.")
      .max(64)
      .optional(),
  })
  .strict();

/** A batch refused: 403 when it writes what another source owns, else 400. */
function refuse(res: Response, outcome: { errors: FieldError[]; forbidden?: true }): void {
  if (outcome.forbidden) return fail(res, 403, "this token may not write that; nothing was stored", outcome.errors);
  fail(res, 400, "invalid ingest batch; nothing was stored", outcome.errors);
}

export function ingestRoutes(deps: IngestRouteDeps): Router {
  const router = Router();
  const auth = writeTokenAuth(deps.tokens);
  const big = bigBodies(deps.bodyPermits);
  const binaryBatch = express.raw({ type: BINARY_BATCH_CONTENT_TYPE, limit: "64mb" });
  router.post("/api/ingest", auth, big, binaryBatch, express.json({ limit: "64mb" }), (req, res) => ingestBatch(deps, req, res));
  // The body is JSON as Python writes it (NaN, Infinity allowed).
  const text = express.text({ type: () => true, limit: "64mb" });
  router.post("/api/ingest/bluesky", auth, big, text, (req, res) => ingestBluesky(deps, req, res));
  return router;
}

/**
 * The ingest token may write anything; a source token only batches of its sources (checked
 * against the body's `source` before anything is parsed further or stored).
 */
function writeTokenAuth(tokens: TokenRegistry) {
  return (req: Request, res: Response, next: NextFunction) => {
    const scope = tokens.scopeOf(bearerToken(req.headers.authorization));
    if (!scope) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="runboard"');
      return fail(res, 401, "missing or wrong bearer token", [
        { field: "Authorization", message: "send Authorization: Bearer <token>" },
      ]);
    }
    res.locals.writeScope = scope;
    next();
  };
}

/**
 * Bodies that may be big are parsed a few at a time (server/limits/body-permits.ts), sharing the
 * permits with big websocket messages. A compressed body (any Content-Encoding) or one of
 * unknown length counts as big: its size is known only once inflated.
 */
function bigBodies(permits: BodyPermits) {
  return (req: Request, res: Response, next: NextFunction) => {
    const length = Number(req.headers["content-length"]);
    if (length <= BIG_BODY_BYTES && !req.headers["content-encoding"]) return next();
    const release = permits.tryAcquire();
    if (!release) {
      res.setHeader("Retry-After", "1");
      return fail(res, 503, `${permits.limit} large bodies are being read; send this one again in a moment`);
    }
    res.once("close", release);
    next();
  };
}

async function ingestBatch(deps: IngestRouteDeps, req: Request, res: Response): Promise<void> {
  const scope = res.locals.writeScope as Exclude<WriteScope, undefined>;
  const mayWrite = (header: unknown) => {
    const refusal = sourceRefusal(scope, (header as { source?: unknown } | null)?.source);
    if (refusal) fail(res, 403, "this token may not write that source; nothing was stored", [refusal]);
    return !refusal;
  };
  let body: unknown = req.body;
  // Arrays in binary (src/core/ingest-binary.ts): the same batch, with raw float64 data. The
  // header's source is checked against the token before any array is made.
  if (Buffer.isBuffer(body)) {
    const header = readBinaryHeader(body);
    if (!header.ok) return fail(res, 400, "invalid binary batch; nothing was stored", header.errors);
    if (!mayWrite(header.header)) return;
    const decoded = resolveBinaryBatch(body, header);
    if (!decoded.ok) return fail(res, 400, "invalid binary batch; nothing was stored", decoded.errors);
    body = decoded.batch;
  } else if (!mayWrite(body)) return;
  const source = (body as { source?: unknown } | null)?.source;
  const outcome = await ingestBody(deps.ingestor, body, accessOf(scope, typeof source === "string" ? source : undefined));
  if (!outcome.ok) return refuse(res, outcome);
  res.json(outcome);
}

/**
 * bluesky documents, one `{"name", "doc"}` or a list of them (or of [name, doc] pairs, as a
 * RunEngine callback gets them), each stored in order as its own batch; `?prefix=bl2.` names a
 * beamline's observables apart.
 */
async function ingestBluesky(deps: IngestRouteDeps, req: Request, res: Response): Promise<void> {
  const scope = res.locals.writeScope as Exclude<WriteScope, undefined>;
  const refusal = sourceRefusal(scope, BLUESKY_SOURCE);
  if (refusal) return fail(res, 403, "this token may not write bluesky documents; nothing was stored", [refusal]);
  const query = blueskyQuerySchema.safeParse(req.query);
  if (!query.success) return fail(res, 400, "invalid query", fieldErrors(query.error));
  let body: unknown;
  try {
    body = parseJsonAllowingNonFinite(typeof req.body === "string" ? req.body : "");
  } catch (error) {
    return fail(res, 400, "body is not valid JSON", [{ field: "(body)", message: (error as Error).message }]);
  }
  const list = Array.isArray(body) && !(body.length === 2 && typeof body[0] === "string");
  const items: unknown[] = list ? (body as unknown[]) : [body];
  if (items.length > 10_000)
    return fail(res, 400, "at most 10000 documents a request", [{ field: "(body)", message: "split it" }]);
  // Translation reads runs and descriptors from the local store: with replicas, first take in
  // what the others stored (this run's start document may have gone to another one).
  await deps.ingestor.catchUp?.();
  const result = await storeDocuments(deps, items, list, scope, query.data.prefix);
  if ("refused" in result) return fail(res, result.refused.status, result.refused.error, result.refused.errors);
  const { stored, duplicates, skipped } = result;
  if (skipped.length > 0) {
    deps.log(`bluesky: left out ${skipped.map((k) => `${k.key} (${k.reason}${k.count ? `, ${k.count}x` : ""})`).join(", ")}`);
  }
  res.json({
    ok: true,
    stored,
    lastSeq: deps.store.lastSeq(),
    ...(duplicates > 0 ? { duplicates } : {}),
    ...(skipped.length > 0 ? { skipped } : {}),
  });
}

type StoredDocuments =
  | { stored: number; duplicates: number; skipped: (SkippedKey & { document?: number })[] }
  | { refused: { status: number; error: string; errors: FieldError[] } };

/** Translates and stores the documents in order; stops at the first refused, naming it. */
async function storeDocuments(
  deps: IngestRouteDeps,
  items: unknown[],
  list: boolean,
  scope: Exclude<WriteScope, undefined>,
  prefix: string | undefined,
): Promise<StoredDocuments> {
  let stored = 0;
  let duplicates = 0;
  const skipped: (SkippedKey & { document?: number })[] = [];
  for (const [i, item] of items.entries()) {
    const [name, doc] = Array.isArray(item) ? item : [(item as { name?: unknown })?.name, (item as { doc?: unknown })?.doc];
    const at = (errors: FieldError[]) => errors.map((e) => ({ ...e, field: list ? `[${i}].${e.field}` : e.field }));
    const translated = translateBluesky(name, doc, deps.store, { prefix });
    // Everything bluesky documents create belongs to the source "bluesky".
    const outcome = translated.ok
      ? await ingestBody(deps.ingestor, translated.batch, accessOf(scope, BLUESKY_SOURCE))
      : translated;
    if (!outcome.ok) {
      const kept = i === 0 ? "nothing was stored" : `the ${i} document(s) before it were stored`;
      const status = "forbidden" in outcome && outcome.forbidden ? 403 : 400;
      return {
        refused: { status, error: `invalid bluesky document${list ? ` [${i}]` : ""}; ${kept}`, errors: at(outcome.errors) },
      };
    }
    for (const k of (translated.ok && translated.skipped) || []) skipped.push({ ...(list ? { document: i } : {}), ...k });
    stored += outcome.stored;
    if (outcome.duplicate) duplicates++;
  }
  return { stored, duplicates, skipped };
}
