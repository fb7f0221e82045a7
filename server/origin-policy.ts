// Which Host and Origin headers this server answers. Bound to 127.0.0.1 by default, runboard
// serves only loopback names; a request naming any other host is a DNS-rebinding attempt or a
// cross-site page and is refused. RUNBOARD_ALLOWED_ORIGINS adds the names a proxy serves.
import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

export function createOriginPolicy(options: { host: string; allowedOrigins: readonly string[] }) {
  const hostnames = new Set(LOOPBACK_NAMES);
  if (options.host !== "0.0.0.0" && options.host !== "::") hostnames.add(options.host);
  const origins = new Set(options.allowedOrigins.map((o) => o.toLowerCase()));
  for (const o of origins) hostnames.add(new URL(o).hostname);

  const hostnameOf = (hostHeader: string) => hostHeader.toLowerCase().replace(/:\d+$/, "");

  return function isAllowedRequest(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (!host || !hostnames.has(hostnameOf(host))) return false;
    const origin = req.headers.origin;
    // Scripts and curl send no Origin; browsers always do on cross-site writes and websockets.
    if (origin === undefined) return true;
    if (origins.has(origin.toLowerCase())) return true;
    try {
      const url = new URL(origin);
      return url.host.toLowerCase() === host.toLowerCase() && hostnames.has(url.hostname.toLowerCase());
    } catch {
      return false;
    }
  };
}
