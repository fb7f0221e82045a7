// What a careful attacker and a harsh operator found, each as the bounded outcome it now has:
// the real server as its own process on 127.0.0.1, its memory read from /proc. The full and
// read-only disks are real: a small tmpfs, mounted here (the tests run as root on these machines;
// elsewhere those tests say they were skipped and why).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { WebSocket } from "ws";
import { BINARY_BATCH_CONTENT_TYPE } from "../../src/core/ingest-binary.js";
import { rawBinaryBody } from "../support/binary-body.js";
import { freePort } from "../support/postgres.js";
import { ingestOk, type ServerProcess, startServerProcess } from "../support/server-process.js";

const TOKEN = "abuse-test-ingest-token-0123456789";
const HALL_C = { name: "hall C DAQ", token: "c".repeat(32), sources: ["daq-hall-c"] };
const dataDir = mkdtempSync(join(tmpdir(), "runboard-abuse-"));
let server: ServerProcess;
const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
const post = (path: string, body: BodyInit | Uint8Array, headers: Record<string, string> = {}, token = TOKEN) =>
  fetch(url(path), { method: "POST", headers: { Authorization: `Bearer ${token}`, ...headers }, body: body as BodyInit });
/** POSTs a batch to /api/ingest: an object as JSON, or JSON text as it is. */
const postJson = (body: unknown, token = TOKEN) =>
  post("/api/ingest", typeof body === "string" ? body : JSON.stringify(body), { "Content-Type": "application/json" }, token);

/** The server's resident memory in MB, from /proc. */
function rssMb(proc: ServerProcess): number {
  const status = readFileSync(`/proc/${proc.proc.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function alive(): Promise<void> {
  const health = await fetch(url("/api/health"));
  assert.equal(health.status, 200, "the server still answers");
}

/** The first error of a refused answer, with its status. */
async function refusal(res: Response): Promise<{ status: number; field: string; message: string }> {
  const body = (await res.json()) as { errors: { field: string; message: string }[]; error: string };
  return { status: res.status, field: body.errors[0]?.field ?? "", message: body.errors[0]?.message ?? body.error };
}

const NOW = Date.now();
const RUN = { id: 5, start: NOW - 60_000 };

before(async () => {
  writeFileSync(join(dataDir, "tokens.json"), JSON.stringify({ version: 1, tokens: [HALL_C] }), { mode: 0o600 });
  server = await startServerProcess(await freePort(), {
    RUNBOARD_DATA_DIR: dataDir,
    RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots"),
    RUNBOARD_INGEST_TOKEN: TOKEN,
    RUNBOARD_REFRESH_SECONDS: "0",
    // A replay window of 50 kB: a reader from seq 0 is served from the store, the costly way.
    RUNBOARD_REPLAY_MB: "0.05",
  });
  await ingestOk(server.port, TOKEN, {
    runs: [RUN],
    observables: [
      { name: "probe.image", shape: "2d", dims: [4, 4] },
      { name: "probe.rate", shape: "scalar" },
      { name: "probe.camera", shape: "scalar", channels: 1855 },
    ],
  });
});

after(() => {
  server?.proc.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a server bad clients cannot knock over", () => {
  it("refuses a small binary body of empty dimensions before allocating, and a foreign source before decoding", async () => {
    const before = rssMb(server);
    // ~200 kB: 2000 references to 65536 rows of nothing (once 3 GB and a crash).
    const header = {
      readings: Array.from({ length: 2000 }, () => ({
        observable: "probe.image",
        run: 5,
        t: NOW,
        value: { offset: 0, shape: [65_536, 0] },
      })),
    };
    const body = rawBinaryBody(header);
    assert.ok(body.length > 150_000 && body.length < 250_000, `${body.length} bytes`);
    const res = await post("/api/ingest", body, { "Content-Type": BINARY_BATCH_CONTENT_TYPE });
    assert.deepEqual(await refusal(res), {
      status: 400,
      field: "readings[0].value.shape",
      message: "must be [n] or [rows, cols], each at least 1",
    });
    assert.ok(rssMb(server) - before < 100, `rss grew ${Math.round(rssMb(server) - before)} MB`);
    // A source token naming another source in the header: 403 before the data is looked at
    // (the data here is not even a whole number of float64s).
    const foreign = rawBinaryBody({ source: "daq-hall-b", sequence: 1, readings: [] }, { dataBytes: 3 });
    const refused = await post("/api/ingest", foreign, { "Content-Type": BINARY_BATCH_CONTENT_TYPE }, HALL_C.token);
    assert.deepEqual(await refusal(refused), {
      status: 403,
      field: "source",
      message: "the token of hall C DAQ writes only source daq-hall-c",
    });
    await alive();
  });

  it("answers values out of range with a 400 naming the field, never a 500, and stores none of them", async () => {
    // 5000 levels of {"inner": ...}, written as text (JSON.stringify would run out of stack).
    const deep = `{"runs": [{"id": 6, "start": ${NOW}, "meta": ${'{"inner": '.repeat(5000)}{}${"}".repeat(5000)}}]}`;
    const cases: [unknown, string, RegExp][] = [
      [{ readings: [{ observable: "probe.rate", run: 5, t: 1e20, value: 1 }] }, "readings[0].t", /after the server's clock/],
      [{ readings: [{ observable: "probe.rate", run: 5, t: 1_764_676_800, value: 1 }] }, "readings[0].t", /epoch seconds/],
      [{ runs: [{ id: 2 ** 31, start: NOW }] }, "runs[0].id", /2147483647/],
      [{ readings: [{ observable: "probe.rate", run: 2 ** 31, t: NOW, value: 1 }] }, "readings[0].run", /2147483647/],
      [deep, "runs[0].meta", /nested more than 16 levels/],
      [{ runs: [{ id: 6, start: NOW, stop: NOW - 1 }] }, "runs[0].stop", /before the run's start/],
    ];
    const before = (await (await fetch(url("/api/health"))).json()) as { lastSeq: number; runs: number };
    for (const [body, field, message] of cases) {
      const answer = await refusal(await postJson(body));
      assert.equal(answer.status, 400, field);
      assert.equal(answer.field, field);
      assert.match(answer.message, message);
    }
    // Metadata that grows past its bound by merging, a little at a time.
    await ingestOk(server.port, TOKEN, { runs: [{ id: 6, start: NOW, meta: { a: "x".repeat(40_000) } }] });
    const grown = await refusal(await postJson({ runs: [{ id: 6, start: NOW, meta: { b: "y".repeat(40_000) } }] }));
    assert.deepEqual([grown.status, grown.field], [400, "runs[0].meta"]);
    assert.match(grown.message, /merged with the run's stored metadata/);
    const after = (await (await fetch(url("/api/health"))).json()) as { lastSeq: number; runs: number };
    assert.deepEqual([after.lastSeq, after.runs], [before.lastSeq, before.runs + 1], "only the good run 6 was stored");
  });

  it("answers a body that cannot be inflated with a 400, and a compressed one that can as usual", async () => {
    const bad = await post("/api/ingest", "not gzip at all", { "Content-Type": "application/json", "Content-Encoding": "gzip" });
    const answer = await refusal(bad);
    assert.deepEqual([answer.status, answer.field], [400, "Content-Encoding"]);
    const good = gzipSync(JSON.stringify({ readings: [{ observable: "probe.rate", run: 5, t: NOW, value: 2 }] }));
    const ok = await post("/api/ingest", good, { "Content-Type": "application/json", "Content-Encoding": "gzip" });
    assert.equal(ok.status, 200, await ok.clone().text());
  });

  it("reads at most two large bodies at once; the next is told when to come back", async () => {
    // Two uploads that announce 8 MB and then send slowly, holding their slots.
    const slow = [0, 1].map(
      () =>
        new Promise<http.ClientRequest>((resolve) => {
          const req = http.request(url("/api/ingest"), {
            method: "POST",
            headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", "Content-Length": 8 << 20 },
          });
          req.on("error", () => undefined);
          req.write("{", () => resolve(req));
        }),
    );
    const held = await Promise.all(slow);
    let third: Response | undefined;
    // The two are being read once the server has taken their headers; ask until it has.
    for (let attempt = 0; attempt < 50; attempt++) {
      third = await post("/api/ingest", "x".repeat(2 << 20), { "Content-Type": "application/json" });
      if (third.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(third!.status, 503);
    assert.equal(third!.headers.get("retry-after"), "1");
    for (const req of held) req.destroy();
    // Their slots come free when they are gone.
    let next: Response | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      next = await post("/api/ingest", JSON.stringify({ readings: [], pad: "x".repeat(2 << 20) }), {
        "Content-Type": "application/json",
      });
      if (next.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual((await refusal(next!)).field, "(body)", "read and judged: an unknown key");
  });

  it("keeps taking a DAQ's batches while readers download snapshots and replay everything from seq 0", async () => {
    // History: 60 camera readouts, then a snapshot of it.
    for (let i = 0; i < 60; i++) {
      await ingestOk(server.port, TOKEN, {
        readings: [{ observable: "probe.camera", run: 5, t: NOW - 50_000 + i * 500, values: new Array(1855).fill(i) }],
      });
    }
    assert.equal(
      (await post("/api/snapshots/refresh", JSON.stringify({ force: true }), { "Content-Type": "application/json" })).status,
      200,
    );
    const manifest = (await (await fetch(url("/snapshots/manifest.json"))).json()) as { runs: { files: { path: string }[] }[] };
    const files = manifest.runs.flatMap((r) => r.files.map((f) => f.path));
    assert.ok(files.length > 0);
    let reading = true;
    // Eight readers downloading the snapshot over and over, four replaying the camera from seq 0.
    const downloads = Array.from({ length: 8 }, async () => {
      for (let n = 0; reading; n++) await (await fetch(url(`/snapshots/${files[n % files.length]}`))).arrayBuffer();
    });
    const replayers = Array.from({ length: 4 }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      ws.on("open", () => ws.send(JSON.stringify({ type: "subscribe", observables: ["probe.camera"], since: 0 })));
      ws.on("error", () => undefined);
      return ws;
    });
    // Meanwhile the DAQ's 20 batches are each acknowledged, none waiting more than 5 s.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(url("/api/ingest"), {
        method: "POST",
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ readings: [{ observable: "probe.rate", run: 5, t: Date.now(), value: i }] }),
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(res.status, 200);
    }
    reading = false;
    await Promise.all(downloads);
    for (const ws of replayers) ws.terminate();
    await alive();
  });

  it("closes websockets that start a big message before authenticating, holding no memory for them", async () => {
    const before = rssMb(server);
    const closes = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
        await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
        const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
        // The frame header says 15 MB; 1 MB of it follows, and the rest never does.
        const socket = (ws as unknown as { _socket: import("node:net").Socket })._socket;
        const header = Buffer.alloc(14);
        header[0] = 0x81; // FIN, text
        header[1] = 0x80 | 127; // masked, 64-bit length
        header.writeBigUInt64BE(BigInt(15 << 20), 2);
        socket.write(Buffer.concat([header, Buffer.alloc(4), Buffer.alloc(1 << 20)]));
        return closed;
      }),
    );
    assert.deepEqual(new Set(closes), new Set([1009]), "each closed as a message too big");
    assert.ok(rssMb(server) - before < 100, `rss grew ${Math.round(rssMb(server) - before)} MB for 40 x 15 MB announced`);
    await alive();
  });

  it("puts security headers on every answer", async () => {
    for (const path of ["/", "/api/health", "/api/nope", "/d/abc"]) {
      const res = await fetch(url(path));
      const csp = res.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("x-frame-options"), "DENY", path);
      assert.equal(res.headers.get("referrer-policy"), "same-origin", path);
    }
  });

  it("keeps its data directory to itself: 0700, its files 0600", () => {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const file of ["runboard.duckdb", "tokens.json"]) {
      assert.equal(statSync(join(dataDir, file)).mode & 0o077, 0, `${file} is not readable by others`);
    }
  });

  it("refuses to start with a tokens file others can read, naming it and what to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "runboard-open-tokens-"));
    try {
      writeFileSync(join(dir, "tokens.json"), JSON.stringify({ version: 1, tokens: [HALL_C] }), { mode: 0o644 });
      spawnSync("chmod", ["644", join(dir, "tokens.json")]);
      const run = startAndExit({ RUNBOARD_DATA_DIR: dir });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /tokens\.json: has group or world access \(mode 0644\).*chmod 600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Starts the server expecting it to stop at once; its exit status and what it printed. */
function startAndExit(env: Record<string, string>) {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../../server/main.ts")], {
    env: { ...process.env, RUNBOARD_SIMULATOR: "off", PORT: "0", RUNBOARD_INGEST_TOKEN: TOKEN, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: run.status, stderr: run.stderr + run.stdout };
}

/** A small tmpfs of its own, or the reason there cannot be one here. */
function smallDisk(megabytes: number): { dir: string; remount(options: string): void; unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), "runboard-disk-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m,mode=0700`, "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(mounted.stderr || mounted.error?.message || "").trim()}); run as root to test a full disk`;
  }
  return {
    dir,
    remount: (options) => assert.equal(spawnSync("mount", ["-o", `remount,${options}`, dir]).status, 0),
    unmount: () => {
      spawnSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills a disk to the last byte with one file, returned for freeing it again. */
function fill(dir: string): string {
  const filler = join(dir, "filler");
  spawnSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=1M"], { encoding: "utf8" });
  return filler;
}

describe("faults of the disk", () => {
  it("answers 507 on a full disk, stores what was acknowledged before and after it once, and says why in the log", async (t) => {
    const disk = smallDisk(48);
    if (typeof disk === "string") return t.skip(disk);
    let full: ServerProcess | undefined;
    try {
      const data = join(disk.dir, "data");
      mkdirSync(data);
      full = await startServerProcess(await freePort(), {
        RUNBOARD_DATA_DIR: data,
        RUNBOARD_SNAPSHOT_DIR: join(dataDir, "full-snapshots"),
        RUNBOARD_INGEST_TOKEN: TOKEN,
        RUNBOARD_REFRESH_SECONDS: "0",
      });
      const trace = (i: number) => ({ observable: "disk.trace", run: 1, t: NOW + i, value: new Array(2000).fill(i) });
      let sequence = 0;
      const send = (readings: unknown[]) =>
        fetch(`http://127.0.0.1:${full!.port}/api/ingest`, {
          method: "POST",
          headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
          body: JSON.stringify({ source: "daq-disk", sequence: ++sequence, readings }),
        });
      await ingestOk(full.port, TOKEN, {
        runs: [{ id: 1, start: NOW }],
        observables: [{ name: "disk.trace", shape: "1d", dims: [2000] }],
      });
      assert.equal((await send([trace(0)])).status, 200);
      const filler = fill(disk.dir);
      let refused: Response | undefined;
      // Big batches until one does not fit (the first may still fit in what DuckDB had reserved).
      for (let i = 1; i <= 20 && !refused; i++) {
        const res = await send(Array.from({ length: 300 }, (_, k) => trace(i * 1000 + k)));
        if (res.status !== 200) refused = res;
      }
      assert.ok(refused, "a full disk refused a batch");
      const answer = await refusal(refused);
      assert.equal(answer.status, 507);
      assert.match(answer.message, /no space left on device/);
      assert.match(full.output(), /no space left on device: a write was refused/);
      unlinkSync(filler);
      const afterwards = await send([trace(999_999)]);
      assert.equal(afterwards.status, 200, await afterwards.clone().text());
      const health = (await (await fetch(`http://127.0.0.1:${full.port}/api/health`)).json()) as { lastSeq: number };
      // Every acknowledged batch, each once: the refused one left no trace.
      const acknowledged = 1 + 1 + (sequence - 2 - 1) * 300;
      assert.equal(health.lastSeq, acknowledged);
    } finally {
      full?.proc.kill("SIGKILL");
      disk.unmount();
    }
  });

  it("stops at the start on a read-only or a full data directory, as it does for a bad setting", (t) => {
    const disk = smallDisk(8);
    if (typeof disk === "string") return t.skip(disk);
    try {
      const data = join(disk.dir, "data");
      mkdirSync(data);
      const filler = fill(disk.dir);
      const onFull = startAndExit({ RUNBOARD_DATA_DIR: data });
      assert.equal(onFull.status, 2, onFull.stderr);
      assert.match(onFull.stderr, new RegExp(`the data directory ${data} has no space left on device`));
      unlinkSync(filler);
      disk.remount("ro");
      const onReadOnly = startAndExit({ RUNBOARD_DATA_DIR: data });
      assert.equal(onReadOnly.status, 2, onReadOnly.stderr);
      assert.match(onReadOnly.stderr, new RegExp(`the data directory ${data} is on a read-only file system`));
      assert.doesNotMatch(onReadOnly.stderr, /\n\s+at /, "no stack trace");
      // One still to be made there is named the same way (Node's mkdir says ENOENT).
      const missing = join(disk.dir, "not-yet", "data");
      const onReadOnlyMissing = startAndExit({ RUNBOARD_DATA_DIR: missing });
      assert.equal(onReadOnlyMissing.status, 2, onReadOnlyMissing.stderr);
      assert.match(onReadOnlyMissing.stderr, new RegExp(`the data directory ${missing} is on a read-only file system`));
    } finally {
      disk.unmount();
    }
  });
});
