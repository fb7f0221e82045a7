// Browser tests in Debian's Chromium against the real server on 127.0.0.1.
// scripts/run-tests.ts sets E2E_PORT and E2E_DATA_DIR and builds the site first.
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3310);

export default defineConfig({
  testDir: "tests/e2e",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 1000 },
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "tsx server/main.ts",
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      RUNBOARD_DATA_DIR: process.env.E2E_DATA_DIR ?? "var-e2e",
      RUNBOARD_SNAPSHOT_DIR: join(process.env.E2E_DATA_DIR ?? "var-e2e", "snapshots"),
      // Refreshed at start and when a test asks: the files a test compares with stay put.
      RUNBOARD_REFRESH_SECONDS: "0",
      RUNBOARD_INGEST_TOKEN: "e2e-ingest-token-0123456789abcdefgh",
      RUNBOARD_BACKFILL_HOURS: "0.5",
    },
  },
});
