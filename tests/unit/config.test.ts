import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../server/config.js";

describe("server configuration", () => {
  it("defaults to loopback on port 3000 with the embedded stores and the simulator", () => {
    const config = loadConfig({});
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 3000);
    assert.deepEqual(config.dashboardStore, { kind: "embedded" });
    assert.equal(config.simulator.enabled, true);
    assert.match(config.dataDir, /var$/);
    assert.deepEqual(config.replay, { maxAgeMs: 60 * 60_000, maxBytes: 64 * 1024 * 1024 });
    assert.deepEqual(loadConfig({ RUNBOARD_REPLAY_MINUTES: "5", RUNBOARD_REPLAY_MB: "8" }).replay, {
      maxAgeMs: 5 * 60_000,
      maxBytes: 8 * 1024 * 1024,
    });
  });

  it("names the variable that is wrong", () => {
    assert.throws(() => loadConfig({ PORT: "http" }), /PORT/);
    assert.throws(() => loadConfig({ RUNBOARD_SIMULATOR: "maybe" }), /RUNBOARD_SIMULATOR/);
    assert.throws(() => loadConfig({ RUNBOARD_INGEST_TOKEN: "short" }), /RUNBOARD_INGEST_TOKEN/);
    assert.throws(() => loadConfig({ RUNBOARD_DASHBOARD_STORE: "postgres" }), /DATABASE_URL/);
    assert.throws(() => loadConfig({ RUNBOARD_ALLOWED_ORIGINS: "example.org" }), /RUNBOARD_ALLOWED_ORIGINS/);
    assert.throws(() => loadConfig({ RUNBOARD_REPLAY_MINUTES: "-1" }), /RUNBOARD_REPLAY_MINUTES/);
    assert.throws(() => loadConfig({ RUNBOARD_REPLAY_MB: "lots" }), /RUNBOARD_REPLAY_MB/);
  });
});
