// Every browser test fails if the page asks for anything outside 127.0.0.1: runboard must work
// in an air-gapped control room.
import { join } from "node:path";
import { type APIRequestContext, test as base, expect } from "@playwright/test";

export const INGEST_TOKEN = "e2e-ingest-token-0123456789abcdefgh";
export const E2E_DATA_DIR = process.env.E2E_DATA_DIR ?? "var-e2e";
/** Where the test server keeps its snapshots (playwright.config.ts). */
export const E2E_SNAPSHOT_DIR = join(E2E_DATA_DIR, "snapshots");

/**
 * The runs the server's snapshot holds, as the pages read them. The simulator starts a new run
 * every 20 minutes; the live run list (/api/runs) has it at once, the snapshot at its next
 * refresh, so a test about what a page shows asks the snapshot.
 */
export async function snapshotRuns(request: APIRequestContext) {
  const manifest = (await (await request.get("/snapshots/manifest.json")).json()) as {
    runs: { run: number; status: string; start: number; stop: number | null }[];
  };
  return manifest.runs.map((r) => ({ id: r.run, status: r.status, start: r.start, stop: r.stop })).sort((a, b) => a.id - b.id);
}

export const test = base.extend<{ externalRequests: string[]; policyViolations: string[] }>({
  // The server's Content-Security-Policy must never block what a page needs: a violation fails the test.
  policyViolations: [
    async ({ context }, use) => {
      const violations: string[] = [];
      context.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      // Also what a page reports without a console line (a caught `new Function`, say).
      await context.exposeBinding("__runboardPolicyViolation", (_source, text: string) => violations.push(text));
      await context.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          const report = (window as unknown as { __runboardPolicyViolation: (text: string) => void }).__runboardPolicyViolation;
          report(`${e.violatedDirective}: ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      await use(violations);
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
  externalRequests: [
    async ({ context }, use) => {
      const external: string[] = [];
      context.on("request", (request) => {
        const url = new URL(request.url());
        const local = url.protocol === "data:" || url.protocol === "blob:" || url.hostname === "127.0.0.1";
        if (!local) external.push(request.url());
      });
      await use(external);
      expect(external, "requests outside 127.0.0.1").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
