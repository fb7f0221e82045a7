// `runboard publish` beside a running server, as an author of a review runs it: the chosen runs
// brought up to date by the server, copied with their level-of-detail tables, the catalog, the
// runs' flags, a saved dashboard and an exported one, and review.json with provenance; the same
// selection published twice gives byte-identical data files; a review over --max-size is refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { projectRoot } from "../../loaders/paths.js";
import { main as cli } from "../../cli/runboard.js";
import { publishReview } from "../../loaders/publish.js";
import { findRunningServer } from "../../loaders/running-server.js";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";
import type { ReviewManifest } from "../../src/core/review.js";
import { tarFiles } from "../support/tar-files.js";

const TOKEN = "publish-test-ingest-token-012345";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-publish-"));
const outA = join(dataDir, "review-a");
const outB = join(dataDir, "review-b");
let server: RunningServer;
const saved = { ...process.env };

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

before(async () => {
  process.env.RUNBOARD_DATA_DIR = dataDir;
  process.env.RUNBOARD_INGEST_TOKEN = TOKEN;
  delete process.env.RUNBOARD_CONFIG;
  server = await startServer(
    loadConfig({
      PORT: "0",
      RUNBOARD_SIMULATOR: "off",
      RUNBOARD_DATA_DIR: dataDir,
      RUNBOARD_INGEST_TOKEN: TOKEN,
      RUNBOARD_REFRESH_SECONDS: "0",
    }),
    () => undefined,
  );
  const stop = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const runs = [1, 2, 3].map((id) => ({ id, start: stop - (4 - id) * 600_000, stop: stop - (3 - id) * 600_000 }));
  const readings = runs.flatMap((r) =>
    Array.from({ length: 50 }, (_, i) => ({
      observable: "pmt.gain",
      run: r.id,
      t: r.start + i * 10_000,
      values: [1 + i / 1000, 0.99],
    })),
  );
  const ingest = await fetch(`${server.url}/api/ingest`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      runs,
      observables: [{ name: "pmt.gain", unit: "", shape: "scalar", channels: 2, healthy: { min: 0.9, max: 1.1 } }],
      readings,
    }),
  });
  assert.equal(ingest.status, 200, await ingest.clone().text());
});

after(async () => {
  await server?.close();
  process.env = saved;
  rmSync(dataDir, { recursive: true, force: true });
});

describe("runboard publish", () => {
  let dashboardId = "";
  const exported = join(dataDir, "gain-view.json");

  it("writes the chosen runs, the catalog, flags, dashboards and review.json with provenance", async () => {
    const send = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
    const layout = JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const made = await send("/api/dashboards", { ...layout, title: "Gain review" });
    dashboardId = ((await made.json()) as { id: string }).id;
    writeFileSync(exported, JSON.stringify({ ...layout, title: "Exported gain view" }));
    assert.equal((await send("/api/runs/2/flags", { verdict: "bad", note: "gain of channel 0 drifts" })).status, 201);
    assert.equal((await send("/api/runs/3/flags", { verdict: "reviewed", note: "fine" })).status, 201);

    const lines: string[] = [];
    const errors: string[] = [];
    const code = await cli(
      ["publish", "--runs", "runs:1-2", "--out", outA, "--dashboard", dashboardId, "--dashboard", exported],
      (l) => lines.push(l),
      (l) => errors.push(l),
    );
    assert.equal(code, 0, errors.join("\n"));
    assert.match(lines.join("\n"), /published 2 run\(s\) \(1, 2\), 2 dashboard\(s\)/);

    const review = JSON.parse(readFileSync(join(outA, "review.json"), "utf8")) as ReviewManifest;
    assert.equal(review.format, "runboard-review");
    assert.deepEqual(
      review.runs.map((r) => r.run),
      [1, 2],
    );
    assert.match(review.source, /embedded/);
    assert.equal(review.selection, "runs:1-2");
    assert.ok(review.runs.every((r) => r.query.length > 0 && r.rows.scalar === 100));
    // Every listed file is there with the hash it is listed with, level-of-detail tables included.
    for (const run of review.runs) {
      assert.ok(
        run.files.some((f) => f.kind === "lod"),
        `run ${run.run} has its lod table`,
      );
      for (const f of run.files) assert.equal(sha(join(outA, f.path)), f.sha256, f.path);
    }
    assert.deepEqual(
      review.dashboards.map((d) => [d.title, d.id, d.revision]),
      [
        ["Gain review", dashboardId, 1],
        ["Exported gain view", null, null],
      ],
    );
    // Only the chosen runs: not run 3's files, nor its flag.
    const manifest = JSON.parse(readFileSync(join(outA, "snapshots", "manifest.json"), "utf8")) as {
      runs: { run: number }[];
      liveSeq: null;
    };
    assert.deepEqual(
      manifest.runs.map((r) => r.run),
      [1, 2],
    );
    assert.equal(manifest.liveSeq, null);
    const flags = JSON.parse(readFileSync(join(outA, "snapshots", "flags.json"), "utf8")) as {
      flags: { run: number; note: string }[];
    };
    assert.deepEqual(
      flags.flags.map((f) => [f.run, f.note]),
      [[2, "gain of channel 0 drifts"]],
    );
    assert.ok(existsSync(join(outA, "snapshots", "catalog.json")));
  });

  it("gives byte-identical data files when the same runs are published again from unchanged data", async () => {
    const code = await cli(
      ["publish", "--runs", "runs:1-2", "--out", outB, "--dashboard", dashboardId, "--dashboard", exported],
      () => undefined,
      () => undefined,
    );
    assert.equal(code, 0);
    const data = (dir: string) =>
      filesUnder(join(dir, "snapshots"))
        .map((f) => [relative(dir, f), sha(f)] as const)
        .sort();
    assert.ok(data(outA).length >= 6);
    assert.deepEqual(data(outB), data(outA));
    for (const d of ["dashboards"])
      assert.deepEqual(filesUnder(join(outB, d)).map(sha).sort(), filesUnder(join(outA, d)).map(sha).sort());
  });

  it("refuses what it cannot publish: too big, no such runs, a bad selection or dashboard", async () => {
    const errors: string[] = [];
    const run = (args: string[]) =>
      cli(
        ["publish", ...args],
        () => undefined,
        (l) => errors.push(l),
      );
    assert.equal(await run(["--runs", "runs:1-3", "--out", join(dataDir, "big"), "--max-size", "0.001"]), 1);
    assert.match(errors.join("\n"), /more than --max-size 1 kB; the biggest parts: .*run \d \(\d+ kB\)/);
    assert.ok(!existsSync(join(dataDir, "big")), "nothing written");
    assert.equal(await run(["--runs", "runs:50-60", "--out", join(dataDir, "none")]), 1);
    assert.match(errors.join("\n"), /no run of the snapshot of .* matches runs:50-60/);
    assert.equal(await run(["--runs", "runs:9-1", "--out", join(dataDir, "bad")]), 2);
    assert.equal(await run(["--out", join(dataDir, "bad")]), 2);
    assert.match(errors.join("\n"), /--runs is required/);
    assert.equal(await run(["--runs", "runs:1-2", "--out", join(dataDir, "nodash"), "--dashboard", "abcdefghijk"]), 1);
    assert.match(errors.join("\n"), /--dashboard abcdefghijk: no such dashboard/);
    // A folder that is not an earlier review is never emptied.
    writeFileSync(join(dataDir, "thesis.tex"), "precious");
    assert.equal(await run(["--runs", "runs:1-2", "--out", dataDir]), 1);
    assert.equal(readFileSync(join(dataDir, "thesis.tex"), "utf8"), "precious");
  });

  it("carries only the chosen notebooks of a built site, and refuses a page it could not draw", async () => {
    // A stand-in for dist/ with the pages a build has: what the review keeps is what is on disk.
    const site = join(dataDir, "site");
    const page = (path: string) => {
      mkdirSync(join(site, dirname(path)), { recursive: true });
      writeFileSync(
        join(site, path),
        `<html><head><title>${path}</title></head><body><nav id="observablehq-sidebar"><ol><li class="observablehq-link"><a href="/">runboard</a></li></ol></nav><main><a href="./admin.html">admin</a></main></body></html>`,
      );
    };
    for (const path of [
      "index.html",
      "pages/runs.html",
      "pages/dashboard.html",
      "pages/admin.html",
      "pages/dashboards.html",
      "pages/notebooks/gain-scan.html",
      "pages/notebooks/camera-night.html",
      "_observablehq/client.js",
    ])
      page(path);
    const publish = (pages: string[], out: string) =>
      publishReview({
        runs: "runs:1-2",
        out,
        dashboards: [],
        pages,
        utcOffsetMinutes: 0,
        snapshotDir: findRunningServer(dataDir)!.snapshotDir,
        fetchDashboard: () => Promise.reject(new Error("no dashboards here")),
        siteDir: site,
      });
    const out = join(dataDir, "review-notebook");
    const review = await publish([join(projectRoot, "src", "pages", "notebooks", "gain-scan.md")], out);
    assert.deepEqual(
      review.pages.map((p) => [p.title, p.site]),
      [["Gain scan check", "pages/notebooks/gain-scan.html"]],
    );
    assert.deepEqual(
      filesUnder(out)
        .map((f) => relative(out, f))
        .filter((f) => f.endsWith(".html"))
        .sort(),
      ["index.html", "overview.html", "pages/dashboard.html", "pages/notebooks/gain-scan.html", "pages/runs.html"],
    );
    assert.ok(existsSync(join(out, "_observablehq", "client.js")), "the site's scripts go with it");
    const notebook = readFileSync(join(out, "pages", "notebooks", "gain-scan.html"), "utf8");
    assert.match(notebook, /<meta name="runboard-mode" content="review">/);
    assert.match(notebook, /<a data-not-in-review title="not part of this review">admin<\/a>/);
    assert.match(
      readFileSync(join(out, "index.html"), "utf8"),
      /<a href="pages\/notebooks\/gain-scan.html">Gain scan check<\/a>/,
    );

    await assert.rejects(publish([join(dataDir, "gain-view.json")], join(dataDir, "outside")), /not a page of this project/);
    await assert.rejects(
      publish([join(projectRoot, "src", "pages", "notebooks", "beamline-scan.md")], join(dataDir, "unbuilt")),
      /not in the built site .* has no pages\/notebooks\/beamline-scan.html\); run npm run build/,
    );
    assert.ok(!existsSync(join(dataDir, "unbuilt")), "nothing written");
  });

  it("carries the report page the build wrote for each of its runs, and no other run's", async () => {
    const site = join(dataDir, "site-with-reports");
    for (const path of ["index.html", "pages/runs.html", "pages/dashboard.html", "runs/1.html", "runs/2.html", "runs/3.html"]) {
      mkdirSync(join(site, dirname(path)), { recursive: true });
      writeFileSync(join(site, path), `<html><head><title>${path}</title></head><body><main>${path}</main></body></html>`);
    }
    const out = join(dataDir, "review-reports");
    await publishReview({
      runs: "runs:1-2",
      out,
      dashboards: [],
      pages: [],
      utcOffsetMinutes: 0,
      snapshotDir: findRunningServer(dataDir)!.snapshotDir,
      fetchDashboard: () => Promise.reject(new Error("no dashboards here")),
      siteDir: site,
    });
    const kept = filesUnder(out)
      .map((f) => relative(out, f))
      .filter((f) => f.startsWith("runs/"));
    assert.deepEqual(kept.sort(), ["runs/1.html", "runs/2.html"]);
    assert.match(readFileSync(join(out, "runs", "1.html"), "utf8"), /<meta name="runboard-mode" content="review">/);
  });

  it("publishes from the UI's endpoint as one .tar.gz archive, and refuses what it cannot", async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/api/reviews`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
    const res = await post({ runs: "runs:2-3", dashboards: [dashboardId], title: "From the UI" });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get("content-type"), "application/gzip");
    const name = /filename="([^"]+)\.tar\.gz"/.exec(res.headers.get("content-disposition") ?? "")![1]!;
    assert.match(name, /^review-\d{4}-\d{2}-\d{2}-2-3$/);
    const entries = tarFiles(gunzipSync(Buffer.from(await res.arrayBuffer())));
    const review = JSON.parse(entries.get(`${name}/review.json`)!.toString("utf8")) as ReviewManifest;
    assert.equal(review.title, "From the UI");
    assert.deepEqual(
      review.runs.map((r) => r.run),
      [2, 3],
    );
    assert.deepEqual(
      review.dashboards.map((d) => d.id),
      [dashboardId],
    );
    for (const f of review.runs.flatMap((r) => r.files)) {
      assert.equal(
        createHash("sha256")
          .update(entries.get(`${name}/${f.path}`)!)
          .digest("hex"),
        f.sha256,
        f.path,
      );
    }
    assert.ok(entries.has(`${name}/index.html`));

    const refused = async (body: unknown, status: number, field: string) => {
      const answer = await post(body);
      assert.equal(answer.status, status, await answer.clone().text());
      assert.deepEqual(
        ((await answer.json()) as { errors: { field: string }[] }).errors.map((e) => e.field),
        [field],
      );
    };
    await refused({ runs: "runs:9-1" }, 400, "runs");
    await refused({ runs: "runs:1-2", dashboards: ["abcdefghijk"] }, 404, "dashboards[0]");
    await refused({ runs: "runs:50-60" }, 404, "runs");
    await refused({ runs: "runs:1-2", colour: "red" }, 400, "(body)");
  });

  it("serves two reviewers who ask at the same moment, one after the other, each a whole archive", async () => {
    const ask = () =>
      fetch(`${server.url}/api/reviews`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ runs: "runs:1-2" }),
      });
    // Each reviewer reads their own download as it comes (a download nobody reads holds the turn
    // until it stalls out, and the other would wait in vain).
    const whole = async (res: Response) => ({
      res,
      body: res.status === 200 ? Buffer.from(await res.arrayBuffer()) : await res.text(),
    });
    const answers = await Promise.all([ask().then(whole), ask().then(whole)]);
    for (const { res, body } of answers) {
      assert.equal(res.status, 200, String(body));
      assert.equal(res.headers.get("connection"), "close");
      const archive = body as Buffer;
      assert.equal(archive.length, Number(res.headers.get("content-length")));
      const entries = tarFiles(gunzipSync(archive));
      assert.ok([...entries.keys()].some((path) => path.endsWith("/review.json")));
    }
  });
});
