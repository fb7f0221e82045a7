// The real server on 127.0.0.1 with a fresh embedded store: REST API, ingest, validation and
// the /ws live feed, as a DAQ script and a browser would use them.
import assert from "node:assert/strict";
import http from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { CURRENT_SCHEMA_VERSION } from "../../src/core/dashboard.js";
import { BINARY_BATCH_CONTENT_TYPE, encodeBinaryBatch } from "../../src/core/ingest-binary.js";
import { decodeFrame, FRAME_FLAG_REPLAY, frameReadings, type LiveFrame } from "../../src/core/live-frame.js";
import { projectRoot } from "../../loaders/paths.js";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import { main as cli } from "../../cli/runboard.js";

const TOKEN = "integration-test-token-0123456789";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-server-"));
let server: RunningServer;

const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
const asJson = (body: unknown, token = TOKEN): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
  body: JSON.stringify(body),
});
// A run that started ten minutes ago, so the snapshot's default window (the run's last hour) holds it.
const RUN = { id: 7, start: Math.floor(Date.now() / 1000) * 1000 - 600_000, stop: null };
const DECLARE = {
  runs: [RUN],
  observables: [
    { name: "probe.temperature", unit: "°C", shape: "scalar", channels: 4, healthy: { min: 0, max: 40 } },
    { name: "probe.spectrum", unit: "counts", shape: "1d", dims: [3] },
  ],
};

/**
 * Opens a websocket and collects messages; `next(pred)` waits for one matching message. Binary
 * frames are decoded, as the browser does, into `{ type: "frame", topic, flags, merged, readings }`.
 */
function connect(headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws`, { headers });
  const seen: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  ws.on("message", (data, isBinary) => {
    const message = isBinary ? asMessage(decodeFrame(data as Buffer)) : (JSON.parse(String(data)) as Record<string, unknown>);
    seen.push(message);
    for (const w of [...waiters]) {
      if (!w.pred(message)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  const next = (pred: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = seen.find(pred);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no matching message; saw ${JSON.stringify(seen)}`)), 5000);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
  return { ws, seen, next, opened };
}

/** A websocket client subscribed to one observable. */
async function subscribed(observable: string) {
  const client = connect();
  await client.opened;
  client.ws.send(JSON.stringify({ type: "subscribe", observables: [observable] }));
  await client.next((m) => m.type === "subscribed");
  return client;
}

/** Some fields of a message, to compare without the ones that vary. */
const pick = (m: Record<string, unknown>, ...keys: string[]) =>
  Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]]));

function asMessage(frame: LiveFrame): Record<string, unknown> {
  return { type: "frame", topic: frame.topic, flags: frame.flags, merged: frame.merged, readings: frameReadings(frame) };
}

/** A DAQ's token that may write only its own source. */
const HALL_C = { name: "hall C DAQ", token: "c".repeat(32), sources: ["daq-hall-c"] };
const HALL_C_TEMPERATURE = { name: "hallc.temperature", unit: "°C", shape: "scalar", channels: 4 };

describe("runboard server", () => {
  before(async () => {
    writeFileSync(join(dataDir, "tokens.json"), JSON.stringify({ version: 1, tokens: [HALL_C] }), { mode: 0o600 });
    const config = loadConfig({
      PORT: "0",
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_SIMULATOR: "off",
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
    });
    server = await startServer(config, () => undefined);
  });

  it("serves the snapshot directory at /snapshots/ once it holds a manifest, with range requests", async () => {
    const dir = join(dataDir, "snapshots");
    mkdirSync(join(dir, "runs", "7"), { recursive: true });
    writeFileSync(join(dir, "runs", "7", "scalars-a.parquet"), Buffer.from("0123456789"));
    // No manifest yet: not served from here (the build's copy would answer instead).
    assert.notEqual(await (await api("/snapshots/runs/7/scalars-a.parquet")).text(), "0123456789");
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ format: "runboard-snapshot" }));
    const manifest = await api("/snapshots/manifest.json");
    assert.equal(manifest.headers.get("cache-control"), "no-cache");
    assert.equal(((await manifest.json()) as { format: string }).format, "runboard-snapshot");
    // DuckDB-WASM reads Parquet by byte ranges.
    const part = await api("/snapshots/runs/7/scalars-a.parquet", { headers: { Range: "bytes=2-5" } });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), "2345");
    assert.equal((await api("/snapshots/runs/7/missing.parquet")).status, 404);
    // Leave the directory to the server's own snapshots.
    rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("reports health, and starts with an empty catalog when the simulator is off", async () => {
    const health = (await (await api("/api/health")).json()) as Record<string, unknown>;
    assert.equal(health.ok, true);
    assert.deepEqual(await (await api("/api/catalog")).json(), { observables: [], conflicts: [], problems: [] });
  });

  it("refuses ingest without the token, and stores nothing", async () => {
    const noToken = await api("/api/ingest", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(DECLARE),
    });
    assert.equal(noToken.status, 401);
    const wrong = await api("/api/ingest", asJson(DECLARE, "wrong-token-wrong-token"));
    assert.equal(wrong.status, 401);
    assert.deepEqual(await (await api("/api/catalog")).json(), { observables: [], conflicts: [], problems: [] });
  });

  it("rejects a batch with one bad reading whole, naming the field", async () => {
    const response = await api(
      "/api/ingest",
      asJson({ ...DECLARE, readings: [{ observable: "probe.temperature", run: 7, t: RUN.start, values: [1, 2, 3] }] }),
    );
    assert.equal(response.status, 400);
    const body = (await response.json()) as { errors: { field: string }[] };
    assert.deepEqual(
      body.errors.map((e) => e.field),
      ["readings[0].values"],
    );
    // Even the declarations in that batch were not stored.
    assert.deepEqual(await (await api("/api/catalog")).json(), { observables: [], conflicts: [], problems: [] });
    assert.equal((await api("/api/ingest", { ...asJson({}), body: "{not json" })).status, 400);
  });

  it("stores a good batch and serves catalog, runs and a Parquet snapshot of it", async () => {
    const readings = [0, 1, 2].map((i) => ({
      observable: "probe.temperature",
      run: 7,
      t: RUN.start + i * 1000,
      values: [20 + i, 21, 22, 23],
    }));
    const response = await api("/api/ingest", asJson({ ...DECLARE, readings }));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true, stored: 12, lastSeq: 12 });
    const catalog = (await (await api("/api/catalog")).json()) as { observables: { name: string }[] };
    assert.deepEqual(
      catalog.observables.map((o) => o.name),
      ["probe.spectrum", "probe.temperature"],
    );
    assert.deepEqual(await (await api("/api/runs")).json(), { runs: [{ ...RUN, status: "running", meta: {} }] });

    // A refresh puts them in the per-run snapshot pages read, with the seq the live feed resumes after.
    const refreshed = await api("/api/snapshots/refresh", asJson({ select: "run:7" }));
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    assert.deepEqual(((await refreshed.json()) as { written: number[] }).written, [7]);
    const manifest = (await (await api("/snapshots/manifest.json")).json()) as {
      liveSeq: number;
      runs: { run: number; rows: { scalar: number; array: number } }[];
    };
    assert.equal(manifest.liveSeq, 12);
    assert.deepEqual(manifest.runs.find((r) => r.run === 7)?.rows, { scalar: 12, array: 0 });
    assert.equal((await api("/api/snapshot.parquet?observables=probe.temperature")).status, 404, "one read path");

    // `runboard snapshot` beside the running server asks it, instead of failing on the store's lock.
    const lines: string[] = [];
    const before = { ...process.env };
    Object.assign(process.env, { RUNBOARD_DATA_DIR: dataDir, RUNBOARD_INGEST_TOKEN: TOKEN });
    try {
      const status = await cli(
        ["snapshot", "--select", "run:7", "--force"],
        (l) => lines.push(l),
        (l) => lines.push(l),
      );
      assert.equal(status, 0, lines.join("\n"));
      // The build's step (npm run build) while runboard runs, as a notebook's author does: the
      // server refreshes its own snapshots, which it serves; a plain --out elsewhere is refused.
      const built: string[] = [];
      const elsewhere = join(dataDir, "dist-snapshots");
      const buildStep = await cli(
        ["snapshot", "--out", elsewhere, "--seed-empty-store", "--quiet"],
        (l) => built.push(l),
        (l) => built.push(l),
      );
      assert.equal(buildStep, 0, built.join("\n"));
      assert.match(built.join("\n"), /serves its own snapshots .*; refreshing those instead of writing/);
      assert.ok(!existsSync(elsewhere));
      const refused: string[] = [];
      assert.equal(
        await cli(
          ["snapshot", "--out", elsewhere],
          () => undefined,
          (l) => refused.push(l),
        ),
        2,
      );
      assert.match(refused.join("\n"), /the embedded store is in use by the server/);
    } finally {
      for (const name of ["RUNBOARD_DATA_DIR", "RUNBOARD_INGEST_TOKEN"]) {
        if (before[name] === undefined) delete process.env[name];
        else process.env[name] = before[name];
      }
    }
    assert.match(lines.join("\n"), /asking it to refresh/);
    assert.match(lines.at(-1)!, /^1 run\(s\) written, 0 unchanged, 0 failed; 12 readings .* by the server at http/);
  });

  it("saves the example layout, updates it as a new revision and rejects bad documents", async () => {
    const example = JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")) as Record<
      string,
      unknown
    >;
    // No token and no CSRF token: refused (RUNBOARD_AUTH=none still wants writes from its own pages).
    assert.equal(
      (await api("/api/dashboards", { ...asJson(example), headers: { "Content-Type": "application/json" } })).status,
      403,
    );
    const created = await api("/api/dashboards", asJson(example));
    assert.equal(created.status, 201);
    const record = (await created.json()) as { id: string; revision: number };
    assert.equal(created.headers.get("location"), `/d/${record.id}`);

    const updated = await api(`/api/dashboards/${record.id}?baseRevision=1`, {
      ...asJson({ ...example, title: "Renamed" }),
      method: "PUT",
    });
    assert.equal(updated.status, 200);
    assert.equal(((await updated.json()) as { revision: number }).revision, 2);
    const stale = await api(`/api/dashboards/${record.id}?baseRevision=1`, { ...asJson(example), method: "PUT" });
    assert.equal(stale.status, 409);

    const broken = await api(`/api/dashboards/${record.id}`, {
      ...asJson({ ...example, window: { kind: "relative", seconds: -5 } }),
      method: "PUT",
    });
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { errors: { field: string }[] }).errors[0]!.field, "window.seconds");
    const latest = (await (await api(`/api/dashboards/${record.id}`)).json()) as {
      revision: number;
      dashboard: { title: string };
    };
    assert.equal(latest.revision, 2);
    assert.equal(latest.dashboard.title, "Renamed");
    assert.equal((await api("/api/dashboards/nope!")).status, 400);
    assert.equal((await api("/api/dashboards/abcdefgh")).status, 404);

    // The example of every widget kind is accepted as it is, and so is a version 1 document,
    // which is kept (and answered) as the current version.
    const everyKind = JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-every-kind.json"), "utf8")) as unknown;
    assert.equal((await api("/api/dashboards", asJson(everyKind))).status, 201);
    const v1 = {
      schemaVersion: 1,
      title: "From last year",
      elements: { hv: { kind: "stat", spec: { title: "Pixel 7 HV", observable: "camera.hv", channel: 7 } } },
      layout: { items: [{ element: "hv", x: 0, y: 0, w: 3, h: 3 }] },
    };
    const old = (await (await api("/api/dashboards", asJson(v1))).json()) as { id: string };
    const reread = (await (await api(`/api/dashboards/${old.id}`)).json()) as { dashboard: Record<string, unknown> };
    assert.equal(reread.dashboard.schemaVersion, CURRENT_SCHEMA_VERSION);
    assert.deepEqual(reread.dashboard.elements, {
      hv: { kind: "stat", title: "Pixel 7 HV", series: [{ observable: "camera.hv", channel: 7 }] },
    });
  });

  it("keeps every revision with its author and message, shows any of them, says what changed, and restores one as a new revision", async () => {
    const v1 = JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")) as {
      title: string;
      layout: { items: { element: string; x: number }[] };
    };
    const created = (await (await api("/api/dashboards?message=first%20cut", asJson(v1))).json()) as { id: string };
    const v2 = { ...v1, title: "Camera overview, night" };
    const put = (doc: unknown, query: string) => api(`/api/dashboards/${created.id}?${query}`, { ...asJson(doc), method: "PUT" });
    assert.equal((await put(v2, "baseRevision=1&message=for%20the%20night")).status, 200);
    const moved = { ...v2, layout: { items: v2.layout.items.map((i, k) => (k === 0 ? { ...i, y: 40 } : i)) } };
    assert.equal((await put(moved, "baseRevision=2")).status, 200);
    const history = (await (await api(`/api/dashboards/${created.id}/history`)).json()) as {
      revisions: { revision: number; author: string; message: string; changes: string }[];
    };
    assert.deepEqual(
      history.revisions.map((r) => [r.revision, r.author, r.message]),
      [
        [1, "ingest-token", "first cut"],
        [2, "ingest-token", "for the night"],
        [3, "ingest-token", ""],
      ],
    );
    assert.equal(history.revisions[0]!.changes, "created");
    assert.match(history.revisions[1]!.changes, /renamed the dashboard from "Camera overview" to "Camera overview, night"/);
    assert.match(history.revisions[2]!.changes, /^moved ".*" from column \d+, row \d+ to column \d+, row 41$/);
    const first = (await (await api(`/api/dashboards/${created.id}/revisions/1`)).json()) as { dashboard: { title: string } };
    assert.equal(first.dashboard.title, "Camera overview");
    assert.equal((await api(`/api/dashboards/${created.id}/revisions/9`)).status, 404);
    const restored = await api(`/api/dashboards/${created.id}/restore`, asJson({ revision: 1 }));
    assert.equal(restored.status, 200, await restored.clone().text());
    assert.equal(((await restored.json()) as { revision: number }).revision, 4, "saved as a new revision");
    const now = (await (await api(`/api/dashboards/${created.id}`)).json()) as { revision: number; dashboard: unknown };
    assert.deepEqual(now.dashboard, first.dashboard);
    const after = (await (await api(`/api/dashboards/${created.id}/history`)).json()) as {
      revisions: { revision: number; message: string }[];
    };
    assert.deepEqual(after.revisions.at(-1), { ...after.revisions.at(-1), revision: 4, message: "restored revision 1" });
    assert.equal(after.revisions.length, 4, "nothing in between was lost");
    const bad = await api(`/api/dashboards/${created.id}/restore`, asJson({ revision: "one" }));
    assert.equal(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field, "revision");
  });

  it("lets a same-origin page save with the session's CSRF token, and refuses other hosts", async () => {
    const session = (await (await api("/api/session")).json()) as { user: string; role: string; csrf: string };
    assert.deepEqual([session.user, session.role], ["local", "admin"], "RUNBOARD_AUTH=none: one user, an admin");
    const example = JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")) as unknown;
    const fromPage = (headers: Record<string, string>) => ({
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(example),
    });
    assert.equal((await api("/api/dashboards", fromPage({ "X-Runboard-CSRF": session.csrf }))).status, 201);
    // Without it (a form another page submits, a script that did not ask) nothing is saved.
    const blind = await api("/api/dashboards", fromPage({}));
    assert.equal(blind.status, 403);
    assert.equal(((await blind.json()) as { errors: { field: string }[] }).errors[0]!.field, "X-Runboard-CSRF");
    // The same token after a restart: a tab left open keeps saving.
    await server.close();
    server = await startServer(
      loadConfig({ PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN }),
      () => undefined,
    );
    assert.equal((await api("/api/dashboards", fromPage({ "X-Runboard-CSRF": session.csrf }))).status, 201);
    // fetch() will not send a forged Host header; a DNS-rebinding page's request would carry one.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const url = new URL("/api/session", server.url);
      http
        .get({ host: url.hostname, port: url.port, path: url.pathname, headers: { Host: "attacker.example:3000" } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    assert.equal(rebinding, 403);
    const crossSite = await api("/api/dashboards", fromPage({ "X-Runboard-CSRF": session.csrf, Origin: "http://evil.example" }));
    assert.equal(crossSite.status, 403);
  });

  it("pushes new readings to websocket subscribers, and replays what a resuming client missed", async () => {
    const live = await subscribed("probe.temperature");
    const t = RUN.start + 10_000;
    await api("/api/ingest", asJson({ readings: [{ observable: "probe.temperature", run: 7, t, channel: 2, value: 31.5 }] }));
    const frame = (await live.next((m) => m.type === "frame")) as {
      flags: number;
      readings: { seq: number; value: number; channel: number }[];
    };
    assert.equal(frame.flags, 0);
    assert.deepEqual(
      frame.readings.map((r) => [r.channel, r.value]),
      [[2, 31.5]],
    );

    // A client that had everything up to seq 10 gets 11, 12 and the new one: no gap, no repeat.
    const resuming = connect();
    await resuming.opened;
    resuming.ws.send(JSON.stringify({ type: "subscribe", observables: ["probe.temperature"], since: 10 }));
    type Frame = { type: string; flags: number; readings: { seq: number }[] };
    const isReplay = (m: Record<string, unknown>) => m.type === "frame" && ((m as Frame).flags & FRAME_FLAG_REPLAY) !== 0;
    await resuming.next((m) => isReplay(m) && (m as Frame).readings.some((r) => r.seq === 13));
    assert.deepEqual(
      resuming.seen.filter(isReplay).flatMap((m) => (m as Frame).readings.map((r) => r.seq)),
      [11, 12, 13],
    );
    live.ws.close();
    resuming.ws.close();
  });

  it("takes arrays in the binary form: a 1d spectrum and a 2d image, stored and pushed as sent", async () => {
    const image = { name: "probe.image", unit: "adu", shape: "2d", dims: [2, 3] };
    const live = await subscribed("probe.spectrum");
    const t = RUN.start + 20_000;
    const spectrum = new Float64Array([0.125, 1e300, -7]);
    const pixels = new Float64Array([1, 2, 3, 4, 5, 6.5]);
    const body = encodeBinaryBatch(
      {
        observables: [image],
        readings: [
          { observable: "probe.spectrum", run: 7, t },
          { observable: "probe.image", run: 7, t },
        ],
      },
      [
        { reading: 0, key: "value", values: spectrum, shape: [3] },
        { reading: 1, key: "value", values: pixels, shape: [2, 3] },
      ],
    );
    const post = (bytes: Uint8Array) =>
      api("/api/ingest", {
        method: "POST",
        headers: { "Content-Type": BINARY_BATCH_CONTENT_TYPE, Authorization: `Bearer ${TOKEN}` },
        body: Buffer.from(bytes),
      });
    const res = await post(body);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { stored: number }).stored, 2);
    const frame = (await live.next((m) => m.type === "frame")) as { readings: { value: number[] }[] };
    assert.deepEqual(frame.readings[0]!.value, [0.125, 1e300, -7]);
    live.ws.close();

    // A reference past the data, and a NaN: refused naming the field, nothing stored.
    const before = ((await (await api("/api/health")).json()) as { lastSeq: number }).lastSeq;
    const short = body.subarray(0, body.length - 8);
    const refused = await post(short);
    assert.equal(refused.status, 400);
    const answer = (await refused.json()) as { errors: { field: string; message: string }[] };
    assert.equal(answer.errors[0]!.field, "readings[1].value.offset");
    const withNaN = encodeBinaryBatch({ readings: [{ observable: "probe.spectrum", run: 7, t }] }, [
      { reading: 0, key: "value", values: new Float64Array([1, NaN, 3]), shape: [3] },
    ]);
    const nan = await post(withNaN);
    assert.equal(nan.status, 400);
    assert.match(((await nan.json()) as { errors: { field: string }[] }).errors[0]!.field, /^readings\[0\]\.value/);
    const after = ((await (await api("/api/health")).json()) as { lastSeq: number }).lastSeq;
    assert.equal(after, before);
  });

  it("stores a batch sent again (same source and sequence) once, also after a restart", async () => {
    const batch = {
      source: "daq-hall-b",
      sequence: 41,
      readings: [0, 1, 2].map((channel) => ({
        observable: "probe.temperature",
        run: 7,
        t: RUN.start + 20_000,
        channel,
        value: 20 + channel,
      })),
    };
    const first = (await (await api("/api/ingest", asJson(batch))).json()) as {
      stored: number;
      lastSeq: number;
      duplicate?: boolean;
    };
    assert.equal(first.stored, 3);
    const again = (await (await api("/api/ingest", asJson(batch))).json()) as {
      stored: number;
      lastSeq: number;
      duplicate?: boolean;
    };
    assert.deepEqual(again, { ok: true, stored: 0, lastSeq: first.lastSeq, duplicate: true });
    // The next number in that sender's stream is a new batch.
    const next = (await (await api("/api/ingest", asJson({ ...batch, sequence: 42 }))).json()) as { stored: number };
    assert.equal(next.stored, 3);
    const half = await api("/api/ingest", asJson({ source: "daq-hall-b", readings: [] }));
    assert.equal(half.status, 400);
    assert.equal(((await half.json()) as { errors: { field: string }[] }).errors[0]!.field, "sequence");
  });

  it("lets a source token write only its own source, and only what that source owns", async () => {
    const reading = { observable: "hallc.temperature", run: 7, t: RUN.start + 30_000, channel: 1, value: 25 };
    const own = await api(
      "/api/ingest",
      asJson({ source: "daq-hall-c", sequence: 1, observables: [HALL_C_TEMPERATURE], readings: [reading] }, HALL_C.token),
    );
    assert.equal(((await own.json()) as { stored: number }).stored, 1);
    const before = ((await (await api("/api/health")).json()) as { lastSeq: number }).lastSeq;
    for (const body of [{ source: "daq-hall-b", sequence: 1, readings: [reading] }, { readings: [reading] }]) {
      const refused = await api("/api/ingest", asJson(body, HALL_C.token));
      assert.equal(refused.status, 403);
      const answer = (await refused.json()) as { errors: { field: string; message: string }[] };
      assert.deepEqual(answer.errors, [{ field: "source", message: "the token of hall C DAQ writes only source daq-hall-c" }]);
    }
    // Its own source, but another's observable, run or declaration: 403 naming the field.
    const foreign = [
      [
        { readings: [{ ...reading, observable: "probe.temperature" }] },
        "readings[0].observable",
        /probe.temperature was written without a source/,
      ],
      [{ runs: [{ ...RUN, stop: RUN.start + 1000 }] }, "runs[0].id", /run 7 was written without a source/],
      [{ runs: [{ ...RUN, meta: { operator: "mallory" } }] }, "runs[0].id", /run 7/],
      [{ observables: [{ ...DECLARE.observables[0], unit: "K" }] }, "observables[0].name", /probe.temperature/],
    ] as const;
    for (const [part, field, message] of foreign) {
      const refused = await api("/api/ingest", asJson({ source: "daq-hall-c", sequence: 2, ...part }, HALL_C.token));
      assert.equal(refused.status, 403, field);
      const [error] = ((await refused.json()) as { errors: { field: string; message: string }[] }).errors;
      assert.equal(error!.field, field);
      assert.match(error!.message, message);
    }
    assert.equal(((await (await api("/api/health")).json()) as { lastSeq: number }).lastSeq, before, "nothing stored");
    assert.equal(((await (await api("/api/runs")).json()) as { runs: { stop: number | null }[] }).runs[0]!.stop, null);
    // Dashboards are not a source token's to write.
    const dashboard = await api("/api/dashboards", asJson({}, HALL_C.token));
    assert.equal(dashboard.status, 401);
  });

  it("takes batches published over the websocket after a write token, acknowledging each once stored", async () => {
    const watcher = await subscribed("hallc.temperature");
    const daq = connect();
    await daq.opened;
    const batch = (value: number, sequence: number) => ({
      source: "daq-hall-c",
      sequence,
      readings: [{ observable: "hallc.temperature", run: 7, t: RUN.start + 40_000 + sequence, channel: 3, value }],
    });
    // Before the token: refused, nothing stored.
    daq.ws.send(JSON.stringify({ type: "publish", id: 1, batch: batch(1, 100) }));
    assert.deepEqual(pick(await daq.next((m) => m.id === 1), "type", "field"), { type: "error", field: "token" });

    daq.ws.send(JSON.stringify({ type: "auth", token: HALL_C.token }));
    assert.deepEqual((await daq.next((m) => m.type === "authorized")).sources, ["daq-hall-c"]);
    daq.ws.send(JSON.stringify({ type: "publish", id: 2, batch: batch(36.6, 101) }));
    const ack = await daq.next((m) => m.id === 2);
    assert.deepEqual(pick(ack, "type", "stored"), { type: "ack", stored: 1 });
    const frame = (await watcher.next(
      (m) => m.type === "frame" && (m.readings as { value: number }[]).some((r) => r.value === 36.6),
    )) as { readings: { seq: number }[] };
    assert.equal(frame.readings.at(-1)!.seq, ack.lastSeq);
    // Sent again: stored once. Another source, or a bad batch: refused, naming the field.
    daq.ws.send(JSON.stringify({ type: "publish", id: 3, batch: batch(36.6, 101) }));
    assert.deepEqual(pick(await daq.next((m) => m.id === 3), "type", "stored", "duplicate"), {
      type: "ack",
      stored: 0,
      duplicate: true,
    });
    daq.ws.send(JSON.stringify({ type: "publish", id: 4, batch: { ...batch(1, 102), source: "daq-hall-b" } }));
    assert.deepEqual(pick(await daq.next((m) => m.id === 4), "type", "field"), { type: "error", field: "batch.source" });
    daq.ws.send(
      JSON.stringify({
        type: "publish",
        id: 5,
        batch: { ...batch(1, 103), readings: [{ observable: "hallc.temperature", run: 7, t: RUN.start, channel: 99, value: 1 }] },
      }),
    );
    const bad = await daq.next((m) => m.id === 5);
    assert.equal(bad.type, "error");
    assert.match(String(bad.field), /^batch\.readings/);
    // A publisher may send more than a browser's 16 kB.
    const big = {
      ...batch(0, 104),
      readings: Array.from({ length: 2000 }, (_, i) => ({
        observable: "hallc.temperature",
        run: 7,
        t: RUN.start + 50_000 + i,
        channel: 0,
        value: i,
      })),
    };
    daq.ws.send(JSON.stringify({ type: "publish", id: 6, batch: big }));
    assert.deepEqual(pick(await daq.next((m) => m.id === 6), "type", "stored"), { type: "ack", stored: 2000 });
    for (const c of [watcher, daq]) c.ws.close();
  });

  it("keeps readings, runs and sequence numbers across a restart", async () => {
    const before = (await (await api("/api/health")).json()) as { lastSeq: number };
    await server.close();
    server = await startServer(
      loadConfig({ PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN }),
      () => undefined,
    );
    const after = (await (await api("/api/health")).json()) as { lastSeq: number; runs: number; observables: number };
    assert.deepEqual(after.lastSeq, before.lastSeq);
    assert.equal(after.runs, 1);
    assert.equal(after.observables, 4, "the two declared first, hall C's and the binary test's probe.image");
    const next = await api(
      "/api/ingest",
      asJson({ readings: [{ observable: "probe.temperature", run: 7, t: Date.now(), value: 1 }] }),
    );
    assert.equal(((await next.json()) as { lastSeq: number }).lastSeq, before.lastSeq + 1);
    // What a sender had stored before the restart is still known as stored.
    const resent = await api(
      "/api/ingest",
      asJson({
        source: "daq-hall-b",
        sequence: 41,
        readings: [{ observable: "probe.temperature", run: 7, t: RUN.start, channel: 0, value: 0 }],
      }),
    );
    assert.deepEqual(await resent.json(), { ok: true, stored: 0, lastSeq: before.lastSeq + 1, duplicate: true });
  });

  it("answers bad websocket messages with an error naming the field, and refuses foreign origins", async () => {
    const client = connect();
    await client.opened;
    client.ws.send("not json");
    assert.equal((await client.next((m) => m.type === "error")).field, "(message)");
    client.ws.send(JSON.stringify({ type: "subscribe", observables: ["no.such"] }));
    assert.match(
      String((await client.next((m) => m.type === "error" && m.field === "observables")).message),
      /unknown observable/,
    );
    client.ws.send(JSON.stringify({ type: "subscribe", observables: "probe.temperature" }));
    await client.next((m) => m.type === "error" && m.field === "observables" && !/unknown/.test(String(m.message)));
    client.ws.close();
    await assert.rejects(connect({ Origin: "http://evil.example" }).opened, /403/);
  });

  it("bluesky: a reused scan_id is a run of its own, Python's NaN is taken, skipped keys are listed, a prefix keeps beamlines apart", async () => {
    const now = Date.now() / 1000;
    // As Python's json.dumps writes it: bare NaN and Infinity.
    const postText = async (text: string, query = "") => {
      const res = await api(`/api/ingest/bluesky${query}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
        body: text,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const docs = (startUid: string, descUid: string) => `[
      ["start", {"uid": "${startUid}", "time": ${now}, "scan_id": 7001, "plan_name": "scan"}],
      ["descriptor", {"uid": "${descUid}", "run_start": "${startUid}", "time": ${now}, "name": "primary",
        "data_keys": {"det": {"dtype": "number", "shape": [], "source": "SIM:det"},
                      "motor": {"dtype": "number", "shape": []},
                      "cam": {"dtype": "array", "shape": [64, 64], "external": "FILESTORE:"},
                      "note": {"dtype": "string", "shape": []}}}],
      ["event_page", {"descriptor": "${descUid}", "uid": ["a", "b", "c"], "seq_num": [1, 2, 3], "time": [${now + 1}, ${now + 2}, ${now + 3}],
        "data": {"det": [5.5, NaN, Infinity], "motor": [0.1, 0.2, null], "note": ["x", "y", "z"]},
        "timestamps": {"det": [${now + 1}, ${now + 2}, ${now + 3}], "motor": [${now + 1}, ${now + 2}, ${now + 3}]}}]
    ]`;
    const first = await postText(docs("start-bl1-a", "desc-bl1-a"), "?prefix=bl1.");
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.stored, 3, "det 5.5, motor 0.1 and 0.2");
    assert.deepEqual(first.body.skipped, [
      { document: 1, key: "cam", reason: "stored externally (FILESTORE:)" },
      { document: 1, key: "note", reason: 'dtype "string" is not numeric' },
      { document: 2, key: "det", reason: "NaN", count: 1 },
      { document: 2, key: "det", reason: "Infinity", count: 1 },
      { document: 2, key: "motor", reason: "null", count: 1 },
    ]);
    // The beamline restarts and numbers its scans from the start again: scan 7001 is a new run.
    const second = await postText(docs("start-bl1-b", "desc-bl1-b"), "?prefix=bl1.");
    assert.equal(second.status, 200, JSON.stringify(second.body));
    // Another beamline's det stays apart under its own prefix.
    const other = await postText(docs("start-bl2-a", "desc-bl2-a"), "?prefix=bl2.");
    assert.equal(other.status, 200, JSON.stringify(other.body));
    const { runs } = (await (await api("/api/runs")).json()) as { runs: { id: number; meta: Record<string, unknown> }[] };
    const scans = runs.filter((r) => r.meta.scan_id === 7001).map((r) => [r.id, r.meta.uid]);
    assert.equal(scans.length, 3);
    assert.deepEqual(scans[0], [7001, "start-bl1-a"]);
    assert.ok(
      scans.slice(1).every(([id]) => Number(id) > 1_000_000_000),
      JSON.stringify(scans),
    );
    const names = ((await (await api("/api/catalog")).json()) as { observables: { name: string }[] }).observables.map(
      (o) => o.name,
    );
    assert.ok(
      ["bl1.det", "bl1.motor", "bl2.det", "bl2.motor"].every((n) => names.includes(n)),
      names.join(", "),
    );
    assert.equal((await postText("[", "")).status, 400);
    assert.equal((await postText(docs("s", "d"), "?prefix=bl1")).status, 400, "a prefix ends with a dot");
  });

  it("takes a RunEngine's bluesky documents: run, data keys, events and pages, stop; safe to resend, kept across a restart", async () => {
    const now = Date.now() / 1000;
    const startUid = "a3c5e9f0-0000-4000-8000-000000000101";
    const descUid = "d3c5e9f0-0000-4000-8000-000000000101";
    const post = async (body: unknown, token = TOKEN) => {
      const res = await api("/api/ingest/bluesky", asJson(body, token));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const start = { uid: startUid, time: now, scan_id: 101, plan_name: "count", detectors: ["det"] };
    const descriptor = {
      uid: descUid,
      run_start: startUid,
      time: now,
      name: "primary",
      data_keys: {
        det: { dtype: "number", shape: [], source: "SIM:det", units: "counts" },
        spectrum: { dtype: "array", shape: [4], source: "SIM:spec" },
        image: { dtype: "array", shape: [512, 512], source: "SIM:cam", external: "FILESTORE:" },
      },
    };
    const event = (seq: number, det: number) => ({
      uid: `e-${seq}`,
      descriptor: descUid,
      seq_num: seq,
      time: now + seq,
      data: { det, spectrum: [seq, seq, seq, seq] },
      timestamps: { det: now + seq - 0.5, spectrum: now + seq },
    });
    // Events before their descriptor: refused, naming the field.
    const early = await post({ name: "event", doc: event(1, 10) });
    assert.deepEqual([early.status, (early.body.errors as { field: string }[])[0]!.field], [400, "doc.descriptor"]);

    // As a RunEngine callback sends them: [name, doc] pairs.
    const opened = await post([
      ["start", start],
      ["descriptor", descriptor],
      ["event", event(1, 10)],
    ]);
    assert.deepEqual([opened.status, opened.body.stored], [200, 2]);
    const catalog = (
      (await (await api("/api/catalog")).json()) as {
        observables: { name: string; shape: string; dims: number[]; unit: string }[];
      }
    ).observables;
    assert.deepEqual(
      catalog.filter((o) => ["det", "spectrum", "image"].includes(o.name)).map((o) => [o.name, o.shape, o.dims, o.unit]),
      [
        ["det", "scalar", [], "counts"],
        ["spectrum", "1d", [4], ""],
      ],
    );

    // The server restarts mid-run; the descriptor is remembered with the run.
    await server.close();
    server = await startServer(
      loadConfig({ PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN }),
      () => undefined,
    );
    const live = await subscribed("det");
    const page = {
      descriptor: descUid,
      uid: ["e-2", "e-3"],
      seq_num: [2, 3],
      time: [now + 2, now + 3],
      data: {
        det: [20, 30],
        spectrum: [
          [2, 2, 2, 2],
          [3, 3, 3, 3],
        ],
      },
      timestamps: { det: [now + 1.5, now + 2.5], spectrum: [now + 2, now + 3] },
    };
    assert.equal((await post({ name: "event_page", doc: page })).body.stored, 4);
    const frame = (await live.next((m) => m.type === "frame")) as { readings: { run: number; t: number; value: number }[] };
    assert.deepEqual(
      frame.readings.map((r) => [r.run, r.t, r.value]),
      [
        [101, (now + 1.5) * 1000, 20],
        [101, (now + 2.5) * 1000, 30],
      ],
    );
    live.ws.close();
    // A resent page is stored once.
    const resent = await post({ name: "event_page", doc: page });
    assert.deepEqual([resent.body.stored, resent.body.duplicates], [0, 1]);

    // A bad document in a list: the ones before it stay stored, and the answer says where.
    const bad = await post([
      { name: "event", doc: event(4, 40) },
      { name: "event", doc: { ...event(5, 50), time: "soon" } },
    ]);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, [{ field: "[1].doc.time", message: "must be epoch seconds" }]);
    assert.match(String(bad.body.error ?? bad.body.message), /1 document\(s\) before it were stored/);

    await post({
      name: "stop",
      doc: { uid: "s-101", run_start: startUid, time: now + 10, exit_status: "abort", reason: "beam lost" },
    });
    const runs = (
      (await (await api("/api/runs")).json()) as {
        runs: { id: number; status: string; stop: number; meta: Record<string, unknown> }[];
      }
    ).runs;
    const run = runs.find((r) => r.id === 101)!;
    assert.deepEqual(
      [run.status, run.stop, run.meta.plan_name, run.meta.reason],
      ["aborted", (now + 10) * 1000, "count", "beam lost"],
    );

    // A source token without "bluesky" among its sources may not send documents.
    assert.equal((await post({ name: "start", doc: { ...start, uid: "x", scan_id: 102 } }, HALL_C.token)).status, 403);
  });

  it("revokes a token of the tokens file for good: on this server at once, and after a restart whatever the file says", async () => {
    const write = () => api("/api/ingest", asJson({ source: "daq-hall-c", sequence: 9000, readings: [] }, HALL_C.token));
    assert.equal((await write()).status, 200);
    const listed = (await (await api("/api/admin/tokens", { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as {
      tokens: { name: string; origin: string; revokedAt: number | null }[];
    };
    assert.deepEqual(
      listed.tokens.map((t) => [t.name, t.origin, t.revokedAt]),
      [["hall C DAQ", "file", null]],
    );
    const revoked = await api(`/api/admin/tokens/${encodeURIComponent("hall C DAQ")}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.deepEqual(await revoked.json(), { ok: true, revoked: true });
    assert.equal((await write()).status, 401);
    await server.close();
    server = await startServer(
      loadConfig({ PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN }),
      () => undefined,
    );
    assert.equal((await write()).status, 401, "still revoked, though the file still lists it");
  });
});
