// Watching a MongoDB source through a change stream: each inserted document (a slow-control
// reading, a run record, a bluesky document) goes through the same ingest path as pushed ones.
// The stream's resume token is saved after each stored document, so a restarted server goes on
// from there. Each document's batch carries source `mongo-watch` and a sequence made of the
// insert's cluster time, so a document seen again after a crash is stored once.
// Change streams need a replica set (a one-node one is enough) or a sharded cluster.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { BSON } from "mongodb";
import { type BlueskyState, translateBluesky } from "../bluesky-ingest.js";
import { type Ingestor, ingestBody } from "../ingest.js";
import type { MongoChangeEvent, MongoChangeStreamLike, MongoSource } from "../sources/mongo-source.js";
import { SourceDeclarations, ingestWatched } from "./declarations.js";
import { describeErrors } from "../../src/core/validation.js";

export const MONGO_WATCH_SOURCE = "mongo-watch";

/**
 * A number unique to one insert: the cluster time's seconds and its increment within that
 * second (below 2^21, far above any slow-control insert rate), exact in a double until 2106.
 */
export function changeSequence(event: MongoChangeEvent): number | undefined {
  const time = event.clusterTime;
  const seconds = time?.t ?? time?.high;
  const increment = time?.i ?? time?.low;
  if (seconds === undefined || increment === undefined || increment >= 2 ** 21) return undefined;
  return seconds * 2 ** 21 + increment;
}

export interface MongoWatcher {
  close(): Promise<void>;
}

export async function watchMongo(
  source: MongoSource,
  ingestor: Ingestor,
  bluesky: BlueskyState,
  resumeFile: string,
  log: (line: string) => void = console.log,
): Promise<MongoWatcher> {
  const declarations = new SourceDeclarations(source);
  await declarations.declareAll(ingestor, log);
  let token = readToken(resumeFile);
  let stream: MongoChangeStreamLike | undefined;
  let closed = false;

  const handle = async (event: MongoChangeEvent) => {
    const collection = event.ns?.coll;
    const doc = event.fullDocument;
    if (event.operationType !== "insert" || collection === undefined || doc === undefined) return;
    const sequence = changeSequence(event);
    const origin = sequence === undefined ? {} : { source: MONGO_WATCH_SOURCE, sequence };
    const change = await source.liveChange(collection, doc);
    const what = `a document in ${collection}`;
    if (change.kind === "bluesky") {
      // bluesky documents carry their own identity (event uids and seq_num), as when posted.
      const translated = translateBluesky(change.name, doc, bluesky);
      const outcome = translated.ok ? await ingestBody(ingestor, translated.batch) : translated;
      if (!outcome.ok) log(`watch: ${what} refused: ${describeErrors(outcome.errors.slice(0, 3))}`);
      return;
    }
    if (change.kind === "ignored") return;
    if (change.kind === "runs") {
      await declarations.refresh();
      const { batch } = declarations.batch(origin, [], change.runIds);
      return ingestWatched(ingestor, declarations, batch, what, log);
    }
    if (!change.readings.every((r) => declarations.knows(r))) await declarations.refresh();
    const { batch, leftOut } = declarations.batch(origin, change.readings);
    if (change.skipped + leftOut > 0) log(`watch: left out ${change.skipped + leftOut} value(s) of ${what}`);
    await ingestWatched(ingestor, declarations, batch, what, log);
  };

  const run = async () => {
    let delay = 500;
    while (!closed) {
      try {
        const opened = source.watchInserts(token);
        if (!opened) throw new Error("this database has no change streams");
        stream = opened;
        for await (const event of opened) {
          await handle(event);
          token = event._id;
          saveToken(resumeFile, token);
          delay = 500;
        }
      } catch (error) {
        if (closed) return;
        log(`watch: ${error instanceof Error ? error.message : String(error)}; resuming in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, 10_000);
      }
    }
  };
  const running = run();
  log(`watching MongoDB ${source.description} for new documents`);
  return {
    async close() {
      closed = true;
      await stream?.close().catch(() => undefined);
      await running;
    },
  };
}

/** The saved resume token (a BSON document kept as extended JSON), or undefined to start from now. */
function readToken(file: string): unknown {
  try {
    return BSON.EJSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function saveToken(file: string, token: unknown): void {
  // Written whole, then renamed: a crash leaves the old token or the new one, never half of one.
  writeFileSync(`${file}.tmp`, BSON.EJSON.stringify(token));
  renameSync(`${file}.tmp`, file);
}
