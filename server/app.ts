// The HTTP side of runboard: the built site, the REST API and ingest. Every body and query
// is validated here, at the edge; errors are JSON `{error, errors: [{field, message}]}`.
import { readFile } from "node:fs/promises";
import express, { type NextFunction, type Request, type Response } from "express";
import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { z } from "zod";
import { BINARY_BATCH_CONTENT_TYPE, readBinaryHeader, resolveBinaryBatch } from "../src/core/ingest-binary.js";
import { type DataSelection, parseSelection } from "../src/core/time-window.js";
import { type FieldError, fieldErrors } from "../src/core/validation.js";
import type { EmbeddedStore } from "./store/embedded-store.js";
import { BLUESKY_SOURCE, type SkippedKey, translateBluesky } from "./ingest/bluesky-ingest.js";
import { parseJsonAllowingNonFinite } from "../src/core/python-json.js";
import { type Ingestor, StoreUnavailableError, ingestBody } from "./ingest/ingest.js";
import type { DashboardStore } from "./dashboards/dashboard-store.js";
import { dashboardRoutes } from "./dashboards/dashboard-routes.js";
import type { FlagStore } from "./flags/flag-store.js";
import { flagRoutes } from "./flags/flag-routes.js";
import { reviewRoutes } from "./review-routes.js";
import { tmpdir } from "node:os";
import { fail } from "./http-fail.js";
import type { SnapshotKeeper } from "./snapshots/snapshot-keeper.js";
import { SourceError } from "../loaders/sources/source.js";
import { SnapshotError } from "../loaders/snapshot/take-snapshot.js";
import { accessOf, bearerToken, sourceRefusal, type WriteScope } from "./tokens.js";
import type { Authenticator } from "./auth/authenticator.js";
import type { TokenRegistry } from "./auth/token-registry.js";
import { BIG_BODY_BYTES, BodyPermits } from "./limits/body-permits.js";
import { isOutOfMemory } from "./store/out-of-memory.js";
import { ownershipRoutes } from "./ownership-routes.js";
import { fromOwnPage, mayDo, publicAuthRoutes, signedIn, signedInAuthRoutes, who } from "./auth/auth-routes.js";

export interface AppDeps {
  store: EmbeddedStore;
  dashboards: DashboardStore;
  distDir: string;
  /** A snapshot directory `runboard snapshot` keeps up to date; wins over the build's copy. */
  snapshotDir: string;
  /** Who is asking (RUNBOARD_AUTH), their sessions, and the audit log. */
  auth: Authenticator;
  /** What each write token may write (the ingest token, source tokens). */
  tokens: TokenRegistry;
  /** Stores and publishes ingested batches (the embedded store, or the replicas' shared log). */
  ingestor: Ingestor;
  isAllowedRequest: (req: IncomingMessage) => boolean;
  startedAt: number;
  /** The snapshots of the configured source and the store; also the catalog and runs pages see. */
  keeper: SnapshotKeeper;
  log: (line: string) => void;
  /** The site's offset from UTC for observing nights (RUNBOARD_NIGHT_UTC_OFFSET_MINUTES). */
  site?: { utcOffsetMinutes: number };
  /** Flags on runs, beside the dashboards. */
  flags: FlagStore;
  /** Open and refused connections (server/limits/connection-limits.ts), for /api/health. */
  connections?: () => { open: number; refused: number };
  /** Permits for bodies over 1 MB, shared with the websocket hub (default: the app's own). */
  bodyPermits?: BodyPermits;
  /** Dashboards offered as templates (default: the project's layouts/). */
  layoutsDir?: string;
}

const memoryMb = () => {
  const m = process.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  return { rss: mb(m.rss), jsHeap: mb(m.heapUsed), buffers: mb(m.arrayBuffers) };
};

/** A batch refused: 403 when it writes what another source owns, else 400. */
function refuse(res: Response, outcome: { errors: FieldError[]; forbidden?: true }): void {
  if (outcome.forbidden) return fail(res, 403, "this token may not write that; nothing was stored", outcome.errors);
  fail(res, 400, "invalid ingest batch; nothing was stored", outcome.errors);
}

/** A logger that says a thing at most once a minute (a pressure that lasts is one line a minute). */
function onceAMinute(say: (message: string) => void): { log: (message: string) => void } {
  let last = 0;
  return {
    log: (message) => {
      if (Date.now() - last < 60_000) return;
      last = Date.now();
      say(message);
    },
  };
}

/** Whether an error is the disk being full (DuckDB says it in words, node:fs as a code). */
export function isDiskFull(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === "ENOSPC" || /no space left on device/i.test(String(e?.message ?? ""));
}

/**
 * Security headers on every answer. Framework pages run inline module scripts and DuckDB-WASM
 * compiles WebAssembly and starts workers from blob: URLs; nothing is loaded from elsewhere.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  next();
}

const MAX_WAITING_REFRESHES = 4;

const refreshBodySchema = z
  .object({
    /** Which runs, in the CLI's words (runs:7, runs:1-30, night:2026-11-23, last:6h, ...). */
    select: z.string().min(1).max(200).optional(),
    force: z.boolean().default(false),
    /** The site's offset from UTC, for night selections (as the CLI's --utc-offset). */
    utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  })
  .strict();

const blueskyQuerySchema = z
  .object({
    prefix: z
      .string()
      .regex(/^([A-Za-z][A-Za-z0-9_]*\.)+$/, "must be dotted words ending with a dot, e.g. bl2.")
      .max(64)
      .optional(),
  })
  .strict();

export function createApp(deps: AppDeps): express.Express {
  const { store, dashboards } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders);

  // Refuse requests whose Host or Origin is not ours: stops DNS rebinding and cross-site writes.
  app.use((req, res, next) => {
    if (!deps.isAllowedRequest(req)) return fail(res, 403, "request from a host or origin this server does not serve");
    next();
  });

  // The ingest token may write anything; a source token only batches of its sources (checked
  // against the body's `source` before anything is parsed further or stored).
  const ingestAuth = (req: Request, res: Response, next: NextFunction) => {
    const scope = deps.tokens.scopeOf(bearerToken(req.headers.authorization));
    if (!scope) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="runboard"');
      return fail(res, 401, "missing or wrong bearer token", [
        { field: "Authorization", message: "send Authorization: Bearer <token>" },
      ]);
    }
    res.locals.writeScope = scope;
    next();
  };
  const writes = fromOwnPage(deps.auth);
  const audit = (res: Response, action: string, target: string, detail: Record<string, unknown> = {}) =>
    deps.auth.store.audit({ actor: who(res).name, action, target, detail });
  const smallJson = express.json({ limit: "1mb" });
  // A compressed body (any Content-Encoding) or one of unknown length counts as big: its size
  // is known only once inflated.
  // Bodies that may be big are parsed a few at a time (server/limits/body-permits.ts), sharing
  // the permits with big websocket messages.
  const bodyPermits = deps.bodyPermits ?? new BodyPermits();
  const bigBodies = (req: Request, res: Response, next: NextFunction) => {
    const length = Number(req.headers["content-length"]);
    if (length <= BIG_BODY_BYTES && !req.headers["content-encoding"]) return next();
    const release = bodyPermits.tryAcquire();
    if (!release) {
      res.setHeader("Retry-After", "1");
      return fail(res, 503, `${bodyPermits.limit} large bodies are being read; send this one again in a moment`);
    }
    res.once("close", release);
    next();
  };

  app.get("/api/health", (_req, res) => {
    res.json({
      ok: true,
      lastSeq: store.lastSeq(),
      runs: deps.keeper.runs().length,
      observables: deps.keeper.catalog().observables.length,
      dashboardStore: dashboards.kind,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      // What an operator watching a long night wants to see level off (MB).
      memory: memoryMb(),
      ...(deps.connections ? { connections: deps.connections() } : {}),
    });
  });

  const binaryBatch = express.raw({ type: BINARY_BATCH_CONTENT_TYPE, limit: "64mb" });
  app.post("/api/ingest", ingestAuth, bigBodies, binaryBatch, express.json({ limit: "64mb" }), async (req, res) => {
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
  });

  // bluesky documents, one `{"name", "doc"}` or a list of them (or of [name, doc] pairs, as a
  // RunEngine callback gets them), each stored in order as its own batch. The body is JSON as
  // Python writes it (NaN, Infinity allowed); `?prefix=bl2.` names a beamline's observables apart.
  app.post("/api/ingest/bluesky", ingestAuth, bigBodies, express.text({ type: () => true, limit: "64mb" }), async (req, res) => {
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
    let stored = 0;
    let duplicates = 0;
    const skipped: (SkippedKey & { document?: number })[] = [];
    for (const [i, item] of items.entries()) {
      const [name, doc] = Array.isArray(item) ? item : [(item as { name?: unknown })?.name, (item as { doc?: unknown })?.doc];
      const at = (errors: FieldError[]) => errors.map((e) => ({ ...e, field: list ? `[${i}].${e.field}` : e.field }));
      const translated = translateBluesky(name, doc, store, { prefix: query.data.prefix });
      // Everything bluesky documents create belongs to the source "bluesky".
      const outcome = translated.ok
        ? await ingestBody(deps.ingestor, translated.batch, accessOf(scope, BLUESKY_SOURCE))
        : translated;
      if (!outcome.ok) {
        const kept = i === 0 ? "nothing was stored" : `the ${i} document(s) before it were stored`;
        const status = "forbidden" in outcome && outcome.forbidden ? 403 : 400;
        return fail(res, status, `invalid bluesky document${list ? ` [${i}]` : ""}; ${kept}`, at(outcome.errors));
      }
      for (const k of (translated.ok && translated.skipped) || []) skipped.push({ ...(list ? { document: i } : {}), ...k });
      stored += outcome.stored;
      if (outcome.duplicate) duplicates++;
    }
    if (skipped.length > 0) {
      deps.log(`bluesky: left out ${skipped.map((k) => `${k.key} (${k.reason}${k.count ? `, ${k.count}x` : ""})`).join(", ")}`);
    }
    res.json({
      ok: true,
      stored,
      lastSeq: store.lastSeq(),
      ...(duplicates > 0 ? { duplicates } : {}),
      ...(skipped.length > 0 ? { skipped } : {}),
    });
  });

  // Everything below needs to know who is asking (RUNBOARD_AUTH); the sign-in page does not.
  app.use(publicAuthRoutes(deps));
  app.use(signedIn(deps.auth));
  app.use(signedInAuthRoutes(deps));

  app.get("/api/catalog", (_req, res) => res.json(deps.keeper.catalog()));
  app.get("/api/runs", (_req, res) => res.json({ runs: deps.keeper.runs() }));
  app.get("/api/site", (_req, res) => res.json({ utcOffsetMinutes: deps.site?.utcOffsetMinutes ?? 0 }));

  app.get("/api/snapshots/status", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json(deps.keeper.progress());
  });

  // Answers once the refresh is done, with what it rewrote.
  app.post("/api/snapshots/refresh", mayDo("refresh-snapshots"), writes, smallJson, async (req, res, next) => {
    const parsed = refreshBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid refresh request", fieldErrors(parsed.error));
    let selection: DataSelection | undefined;
    try {
      const { select, utcOffsetMinutes } = parsed.data;
      selection = select === undefined ? undefined : parseSelection(select, { utcOffsetMinutes });
    } catch (error) {
      return fail(res, 400, "invalid refresh request", [{ field: "select", message: (error as Error).message }]);
    }
    // Refreshes run one at a time; a pile of them waiting means someone asks too often.
    if (deps.keeper.waitingCount() >= MAX_WAITING_REFRESHES) {
      res.setHeader("Retry-After", "5");
      return fail(res, 429, `${MAX_WAITING_REFRESHES} refreshes are already waiting; ask again when they are done`);
    }
    try {
      // Queued before anything is awaited: the count of waiting refreshes above must see it.
      const refreshing = deps.keeper.refresh({ selection, force: parsed.data.force, reason: "api" });
      refreshing.catch(() => undefined); // awaited below; not unhandled while the audit is written
      await audit(res, "snapshots.refresh", parsed.data.select ?? "(default)", { force: parsed.data.force });
      const outcome = await refreshing;
      res.json({ ok: outcome.failed.length === 0, ...outcome });
    } catch (error) {
      if (error instanceof SnapshotError) return fail(res, 404, error.message, [{ field: "select", message: error.message }]);
      if (error instanceof SourceError) return fail(res, 502, `the source could not be read: ${error.message}`);
      next(error);
    }
  });

  app.use(dashboardRoutes({ dashboards, audit, writes, smallJson, layoutsDir: deps.layoutsDir }));
  app.use(ownershipRoutes({ store, ingestor: deps.ingestor, writes, smallJson, audit }));
  app.use(
    reviewRoutes({
      dashboards,
      keeper: deps.keeper,
      snapshotDir: deps.snapshotDir,
      distDir: deps.distDir,
      workDir: tmpdir(),
      audit,
      writes,
      smallJson,
    }),
  );
  app.use(
    flagRoutes({ flags: deps.flags, runs: () => deps.keeper.runs(), audit, writes, smallJson, snapshotDir: deps.snapshotDir }),
  );

  app.use("/api", (_req, res) => fail(res, 404, "no such API endpoint"));

  // The built Observable Framework site. /d/<id> is the editor page opened on a saved dashboard.
  const dashboardPage = join(deps.distDir, "pages", "dashboard.html");
  app.get("/d/:id", async (_req, res) => {
    if (!existsSync(dashboardPage)) return fail(res, 503, "the site is not built; run npm run build");
    // The page's links and assets are relative to /pages/dashboard; served from /d/<id> it
    // says so, or "./runs" would lead to /d/runs.
    const html = await readFile(dashboardPage, "utf8");
    res.type("html").send(html.replace("<head>", '<head>\n<base href="/pages/">'));
  });
  // /snapshots/: the directory the server keeps fresh (SnapshotKeeper), the one read path of
  // every page. Until its first snapshot is written the manifest answers 503, and pages wait.
  // The manifest is revalidated on each load (ETag), the Parquet files are read by range.
  const snapshots = express.static(deps.snapshotDir, {
    fallthrough: false,
    setHeaders: (res, path) => {
      if (path.endsWith(".json")) res.setHeader("Cache-Control", "no-cache");
    },
  });
  app.use("/snapshots", (req, res, next) => {
    if (existsSync(join(deps.snapshotDir, "manifest.json"))) return snapshots(req, res, next);
    res.setHeader("Retry-After", "1");
    fail(res, 503, "the server is writing its first snapshot; retry in a moment");
  });
  app.use(express.static(deps.distDir, { extensions: ["html"], index: "index.html" }));
  // Not a page of the site: a 404 of our own, so it carries our headers (not the fallback's).
  app.use((_req, res) => fail(res, 404, "not found"));

  // Malformed JSON bodies and anything unexpected end here, still as JSON.
  const outOfMemory = onceAMinute((message) => deps.log(`the store reached its memory bound; answered 503 (${message})`));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = error as { type?: string; status?: number; message?: string };
    if (e.type === "entity.parse.failed")
      return fail(res, 400, "body is not valid JSON", [{ field: "(body)", message: e.message ?? "" }]);
    if (error instanceof StoreUnavailableError) {
      res.setHeader("Retry-After", "1");
      return fail(res, 503, `${error.message}; retry (a batch with source and sequence is stored once)`);
    }
    if (e.type === "entity.too.large") return fail(res, 413, "body too large", [{ field: "(body)", message: e.message ?? "" }]);
    // The store at its memory bound: nothing of the request was stored, and it may be sent
    // again in a moment (503 with Retry-After), as a client would after any overload.
    if (isOutOfMemory(error)) {
      outOfMemory.log(e.message ?? "");
      res.setHeader("Retry-After", "5");
      return fail(res, 503, "the store is short of memory just now; nothing of this request was stored, send it again");
    }
    if (isDiskFull(error)) {
      deps.log(`no space left on device: a write was refused and nothing of it stored (${e.message ?? ""})`);
      return fail(res, 507, "no space left on device; nothing of this request was stored, send it again once there is room");
    }
    // A body that cannot be inflated (bad gzip), an unknown encoding or charset: the client's fault.
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_"))
      return fail(res, 400, "body could not be decompressed", [{ field: "Content-Encoding", message: e.message ?? "" }]);
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500 && e.status !== 404)
      return fail(res, e.status, e.message ?? "bad request", [{ field: "(body)", message: e.message ?? "" }]);
    // A missing file under /snapshots/ (served without fall-through) is a plain 404.
    if (e.status === 404) return fail(res, 404, "not found");
    console.error(error);
    fail(res, 500, "internal error");
  });
  return app;
}
