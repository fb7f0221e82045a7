// zod, as every schema here imports it. In a browser, zod's fast path is turned off before any
// schema is made: deciding whether it may use it, zod tries `new Function("")`, which the
// server's Content-Security-Policy (no 'unsafe-eval') refuses and reports as a violation on
// every page. The server (Node, no CSP) keeps the fast path for ingest.
import { z } from "zod";

if (typeof document !== "undefined") z.config({ jitless: true });

export { z };
