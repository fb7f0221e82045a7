// Watching MongoDB through change streams, against the in-process fake (tests/support/mingo-db.ts):
// no MongoDB server can run here, and change streams need a replica set. The fake hands out
// insert events with resume tokens; its $match is evaluated by mingo. What is real: the source's
// mapping of documents, the ingest path and the embedded store.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import { localIngestor } from "../../server/ingest/ingest.js";
import { MongoSource } from "../../loaders/sources/mongo-source.js";
import { watchMongo } from "../../server/watch/mongo-watch.js";
import type { Reading } from "../../src/core/catalog.js";
import { MingoFakeDatabase } from "../support/mingo-db.js";
import { blueskyDocs, mongoConfig } from "../support/mongo-cases.js";

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function setUp(fake: MingoFakeDatabase, config: Parameters<typeof mongoConfig>[0]) {
  const dir = mkdtempSync(join(tmpdir(), "runboard-mongo-watch-"));
  dirs.push(dir);
  const store = await EmbeddedStore.open(join(dir, "data"));
  const published: Reading[] = [];
  const waiting: { done: () => boolean; resolve: () => void }[] = [];
  const ingestor = localIngestor(store, (readings) => {
    published.push(...readings);
    for (const w of waiting.filter((w) => w.done())) w.resolve();
  });
  const source = new MongoSource(fake, mongoConfig(config));
  const resumeFile = join(dir, "resume.json");
  const start = () => watchMongo(source, ingestor, store, resumeFile, () => undefined);
  /** Resolves once something stored makes `done` true (checked after each stored batch). */
  const stored = (done: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => reject(new Error(`not there after 5 s; published ${published.length}`)), 5000);
      waiting.push({ done, resolve: () => (clearTimeout(timer), resolve()) });
    });
  const published$ = (count: number) => stored(() => published.length >= count);
  return { store, published, start, published$, stored, resumeFile };
}

const T = Date.UTC(2026, 10, 22, 10, 0, 0);
const propertiesConfig = {
  mapping: { layout: "properties", collections: ["hv", "humidity"] },
  runs: { collection: "runs", id: "run", start: "start", stop: "stop" },
};

describe("watching MongoDB (fake change stream)", () => {
  it("turns inserted slow-control documents into readings of the run they fall in", async () => {
    const fake = new MingoFakeDatabase({
      runs: [{ run: 4, start: new Date(T) }],
      hv: [{ time: new Date(T + 1000), values: [900, 901, 902] }],
    });
    const { store, published, start, published$ } = await setUp(fake, propertiesConfig);
    const watcher = await start();
    assert.deepEqual(
      store.catalog().map((o) => [o.name, o.channels]),
      [
        ["humidity", 1],
        ["hv", 3],
      ],
      "declared before any new document",
    );
    fake.insert("hv", [{ time: new Date(T + 2000), values: [910, null, 912] }]);
    // A run that starts now, and a reading in it.
    fake.insert("runs", [{ run: 5, start: new Date(T + 10_000) }]);
    fake.insert("hv", [{ time: new Date(T + 11_000), values: [920, 921, 922] }]);
    await published$(5);
    await watcher.close();
    assert.deepEqual(
      published.map((r) => [r.run, r.channel, r.value, r.t - T]),
      [
        [4, 0, 910, 2000],
        [4, 2, 912, 2000],
        [5, 0, 920, 11_000],
        [5, 1, 921, 11_000],
        [5, 2, 922, 11_000],
      ],
    );
    assert.deepEqual(
      store.runs().map((r) => r.id),
      [4, 5],
    );
  });

  it("resumes after a restart from its saved token: what was inserted meanwhile, nothing twice", async () => {
    const fake = new MingoFakeDatabase({ runs: [{ run: 4, start: new Date(T) }], humidity: [] });
    const { published, start, published$ } = await setUp(fake, propertiesConfig);
    let watcher = await start();
    fake.insert("humidity", [{ time: new Date(T + 1000), values: 40.5 }]);
    await published$(1);
    await watcher.close();
    fake.insert("humidity", [
      { time: new Date(T + 2000), values: 41 },
      { time: new Date(T + 3000), values: 41.5 },
    ]);
    watcher = await start();
    fake.insert("humidity", [{ time: new Date(T + 4000), values: 42 }]);
    await published$(4);
    await watcher.close();
    assert.deepEqual(
      published.map((r) => r.value),
      [40.5, 41, 41.5, 42],
    );
  });

  it("feeds bluesky documents through the bluesky ingest path", async () => {
    const docs = blueskyDocs();
    const fake = new MingoFakeDatabase({ run_start: [], event_descriptor: [], event: [], run_stop: [] });
    const { store, published, start, stored } = await setUp(fake, { mapping: { layout: "bluesky" } });
    const watcher = await start();
    const run101 = (d: { uid?: unknown; run_start?: unknown; descriptor?: unknown }) =>
      d.uid === "7d1f-101" || d.run_start === "7d1f-101" || d.descriptor === "desc-101-primary";
    fake.insert("run_start", docs.run_start!.filter(run101));
    fake.insert("event_descriptor", docs.event_descriptor!.filter(run101));
    const events = docs.event!.filter(run101);
    fake.insert("event", events);
    fake.insert("run_stop", docs.run_stop!.filter(run101));
    await stored(() => store.runs().find((r) => r.id === 101)?.status === "stopped");
    await watcher.close();
    assert.deepEqual(
      published.filter((r) => r.observable === "det").map((r) => r.value),
      events.map((e) => (e.data as { det: number }).det),
      "one det reading per event, in order",
    );
  });

  it("stores documents inserted together once each, also when changes are seen again after a crash", async () => {
    const fake = new MingoFakeDatabase({ runs: [{ run: 4, start: new Date(T) }], humidity: [] });
    const { published, start, published$, resumeFile } = await setUp(fake, propertiesConfig);
    let watcher = await start();
    // One insertMany: every document has the same cluster time.
    fake.insert("humidity", [
      { time: new Date(T + 1000), values: 40 },
      { time: new Date(T + 2000), values: 41 },
    ]);
    await published$(2);
    const savedEarly = readFileSync(resumeFile, "utf8");
    fake.insert("humidity", [
      { time: new Date(T + 3000), values: 42 },
      { time: new Date(T + 4000), values: 43 },
    ]);
    await published$(4);
    await watcher.close();
    // As if the server died after storing the last two but before saving where it was.
    writeFileSync(resumeFile, savedEarly);
    watcher = await start();
    fake.insert("humidity", [{ time: new Date(T + 5000), values: 44 }]);
    await published$(5);
    await watcher.close();
    assert.deepEqual(
      published.map((r) => r.value),
      [40, 41, 42, 43, 44],
    );
  });
});
