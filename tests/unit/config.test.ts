import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../server/config.js";
import { parseConfig, snapshotDirFor } from "../../loaders/config.js";

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

  it("refuses to listen beyond loopback with no users, and takes the auth settings", () => {
    for (const HOST of ["0.0.0.0", "::", "192.168.1.20"]) {
      assert.throws(() => loadConfig({ HOST }), /RUNBOARD_AUTH: none .* allowed only on loopback; HOST is/);
    }
    for (const HOST of ["127.0.0.1", "127.0.1.1", "::1", "localhost"]) assert.equal(loadConfig({ HOST }).auth.mode, "none");
    assert.equal(loadConfig({ HOST: "0.0.0.0", RUNBOARD_AUTH: "local" }).auth.mode, "local");
    const proxy = loadConfig({
      HOST: "0.0.0.0",
      RUNBOARD_AUTH: "proxy",
      RUNBOARD_PROXY_ADDRESSES: "10.0.0.5, ::1",
      RUNBOARD_ADMINS: "boss",
    });
    assert.deepEqual(proxy.auth.proxy, { userHeader: "x-forwarded-user", addresses: ["10.0.0.5", "::1"], defaultRole: "viewer" });
    assert.deepEqual(proxy.auth.admins, ["boss"]);
    assert.throws(
      () => loadConfig({ RUNBOARD_AUTH: "proxy", RUNBOARD_PROXY_ADDRESSES: "proxy.lab" }),
      /RUNBOARD_PROXY_ADDRESSES: "proxy.lab"/,
    );
    assert.throws(() => loadConfig({ RUNBOARD_AUTH: "ldap" }), /RUNBOARD_AUTH/);
    assert.throws(() => loadConfig({ RUNBOARD_ADMINS: "a b" }), /RUNBOARD_ADMINS/);
    assert.equal(loadConfig({ RUNBOARD_ALLOWED_ORIGINS: "https://runboard.lab.example" }).auth.secureCookies, true);
    assert.throws(() => loadConfig({ RUNBOARD_TIME_EARLIEST: "yesterday" }), /RUNBOARD_TIME_EARLIEST/);
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

describe("where the snapshots go", () => {
  it("follows RUNBOARD_DATA_DIR unless set apart, for the server and the command line alike", () => {
    assert.equal(loadConfig({ RUNBOARD_DATA_DIR: "/srv/runboard" }).snapshotDir, "/srv/runboard/snapshots");
    assert.equal(
      loadConfig({ RUNBOARD_DATA_DIR: "/srv/runboard", RUNBOARD_SNAPSHOT_DIR: "/srv/pages" }).snapshotDir,
      "/srv/pages",
    );
    const runboard = parseConfig({});
    assert.equal(snapshotDirFor(runboard, { RUNBOARD_DATA_DIR: "/srv/runboard" }), "/srv/runboard/snapshots");
    const own = parseConfig({ snapshot: { out: "/data/snapshots" } });
    assert.equal(snapshotDirFor(own, { RUNBOARD_DATA_DIR: "/srv/runboard" }), "/data/snapshots");
  });
});
