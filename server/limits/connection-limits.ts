// Bounds on the server's TCP connections, applied before a byte of a request is read. 20,400
// half-open logins once took every file descriptor: ingest, /api/health and the snapshot writer
// all failed with EMFILE. Now a connection beyond the cap for its address, or beyond the total
// (kept below the process's descriptor limit, with headroom for the store, the snapshot writer
// and Parquet files), is answered 503 at once and closed; and a request must send its headers
// within seconds and its body within half a minute (Node's defaults are 60 s and 300 s).
import { readFileSync } from "node:fs";
import type { Server, ServerOptions } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimits {
  /** Open connections in all (HTTP and websockets). */
  total: number;
  /** Open connections from one address. */
  perAddress: number;
  /** A request's headers must arrive within this (ms). */
  headersTimeoutMs: number;
  /** A whole request, body included, must arrive within this (ms). */
  requestTimeoutMs: number;
}

/** Descriptors kept free for what is not a client: the store, the snapshot writer, Parquet files. */
export const DESCRIPTOR_HEADROOM = 512;

/** The process's soft limit on open files (from /proc), or undefined where there is none to read. */
export function descriptorLimit(limitsFile = "/proc/self/limits"): number | undefined {
  try {
    const line = readFileSync(limitsFile, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/** The default total: what the descriptor limit allows after the headroom (at most 20,000). */
export function defaultTotal(limit = descriptorLimit()): number {
  if (limit === undefined) return 4096;
  return Math.max(64, Math.min(20_000, limit - DESCRIPTOR_HEADROOM, Math.floor(limit * 0.8)));
}

const REFUSAL_BODY = '{"error":"too many connections; try again in a few seconds"}';
const REFUSAL =
  "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: application/json\r\n" +
  `Content-Length: ${REFUSAL_BODY.length}\r\nConnection: close\r\n\r\n${REFUSAL_BODY}`;

/** The HTTP server's own options for the timeouts (given to createServer). */
export function timeoutOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks both timeouts on this interval (default 30 s, too coarse for a 10 s limit).
    connectionsCheckingInterval: 1000,
  };
}

/** Caps `server`'s connections; returns how many are open and how many were refused, for /api/health. */
export function limitConnections(server: Server, limits: ConnectionLimits): () => { open: number; refused: number } {
  const byAddress = new Map<string, number>();
  let open = 0;
  let refused = 0;
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "?";
    const fromThere = byAddress.get(address) ?? 0;
    if (open >= limits.total || fromThere >= limits.perAddress) {
      refused++;
      socket.on("error", () => undefined);
      socket.end(REFUSAL);
      socket.destroySoon();
      return;
    }
    open++;
    byAddress.set(address, fromThere + 1);
    socket.once("close", () => {
      open--;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left > 0) byAddress.set(address, left);
      else byAddress.delete(address);
    });
  });
  return () => ({ open, refused });
}
