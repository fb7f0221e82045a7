// The last handler: malformed JSON bodies and anything unexpected end here, still as JSON, with
// the status a client can act on (503 and Retry-After for pressure, 507 for a full disk).
import type { NextFunction, Request, Response } from "express";
import { isOutOfMemory } from "../../loaders/store/out-of-memory.js";
import { fail } from "../http-fail.js";
import { StoreUnavailableError } from "../ingest/ingest.js";

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

type ErrorShape = { type?: string; status?: number; message?: string; code?: unknown };

/** The answer to a request the client got wrong (bad JSON, too large, bad gzip), if it is one. */
function clientFault(e: ErrorShape, res: Response): boolean {
  if (e.type === "entity.parse.failed") {
    fail(res, 400, "body is not valid JSON", [{ field: "(body)", message: e.message ?? "" }]);
  } else if (e.type === "entity.too.large") {
    fail(res, 413, "body too large", [{ field: "(body)", message: e.message ?? "" }]);
  } else if (typeof e.code === "string" && e.code.startsWith("Z_")) {
    // A body that cannot be inflated (bad gzip), an unknown encoding or charset.
    fail(res, 400, "body could not be decompressed", [{ field: "Content-Encoding", message: e.message ?? "" }]);
  } else if (typeof e.status === "number" && e.status >= 400 && e.status < 500 && e.status !== 404) {
    fail(res, e.status, e.message ?? "bad request", [{ field: "(body)", message: e.message ?? "" }]);
  } else if (e.status === 404) {
    // A missing file under /snapshots/ (served without fall-through) is a plain 404.
    fail(res, 404, "not found");
  } else return false;
  return true;
}

export function errorAnswers(log: (line: string) => void) {
  const outOfMemory = onceAMinute((message) => log(`the store reached its memory bound; answered 503 (${message})`));
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const e = (error ?? {}) as ErrorShape;
    if (error instanceof StoreUnavailableError) {
      res.setHeader("Retry-After", "1");
      return fail(res, 503, `${error.message}; retry (a batch with source and sequence is stored once)`);
    }
    // The store at its memory bound: nothing of the request was stored, and it may be sent
    // again in a moment (503 with Retry-After), as a client would after any overload.
    if (isOutOfMemory(error)) {
      outOfMemory.log(e.message ?? "");
      res.setHeader("Retry-After", "5");
      return fail(res, 503, "the store is short of memory just now; nothing of this request was stored, send it again");
    }
    if (isDiskFull(error)) {
      log(`no space left on device: a write was refused and nothing of it stored (${e.message ?? ""})`);
      return fail(res, 507, "no space left on device; nothing of this request was stored, send it again once there is room");
    }
    if (clientFault(e, res)) return;
    console.error(error);
    fail(res, 500, "internal error");
  };
}
