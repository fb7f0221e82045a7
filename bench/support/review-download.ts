// One review, downloaded by curl in its own process, as a reviewer's browser on another machine
// would: taking 100+ MB in through the benchmark's own event loop would delay its DAQ's timing.
import { spawn } from "node:child_process";

/** POSTs `/api/reviews` for `runs` and reads the archive to the end; resolves with the status. */
export function reviewWithCurl(base: string, token: string, runs: string): Promise<string> {
  return new Promise((resolve) => {
    const curl = spawn("curl", [
      ...["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "-X", "POST", `${base}/api/reviews`],
      ...["-H", `Authorization: Bearer ${token}`, "-H", "Content-Type: application/json"],
      ...["--data", JSON.stringify({ runs })],
    ]);
    let said = "";
    curl.stdout.on("data", (d: Buffer) => (said += d.toString()));
    curl.once("error", () => resolve("failed (curl)"));
    curl.once("close", () => resolve(said.trim() || "failed"));
  });
}

/** The value below which a share `q` of `values` lie (nearest rank). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
