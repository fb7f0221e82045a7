// What every answer carries, and which requests are answered at all.
import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { fail } from "../http-fail.js";

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

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  next();
}

/** Refuses requests whose Host or Origin is not ours: stops DNS rebinding and cross-site writes. */
export function ourHostsOnly(isAllowedRequest: (req: IncomingMessage) => boolean): RequestHandler {
  return (req, res, next) => {
    if (!isAllowedRequest(req)) return fail(res, 403, "request from a host or origin this server does not serve");
    next();
  };
}
