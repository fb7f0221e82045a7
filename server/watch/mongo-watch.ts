// Watching a MongoDB source through a change stream: each inserted document (a slow-control
// reading, a run record, a bluesky document) goes through the same ingest path as pushed ones.
// The stream's resume token is saved after each stored document, so a restarted server goes on
// from there. Each change seen gets the next number of a counter saved with the token; a crash
// between storing and saving replays the same changes in the same order with the same numbers,
// so they are stored once. (The cluster time would not do: every document of one insertMany or
// transaction shares it.) The batches' source names the watch state, `mongo-watch:<id>`, so a
// new state file never matches numbers of an earlier one.
// Change streams need a replica set (a one-node one is enough) or a sharded cluster.
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { BSON } from "mongodb";
import { type BlueskyState, translateBluesky } from "../ingest/bluesky-ingest.js";
import { type Ingestor, ingestBody } from "../ingest/ingest.js";
import type { MongoChangeEvent, MongoChangeStreamLike, MongoSource } from "../../loaders/sources/mongo-source.js";
import { SourceDeclarations, ingestWatched } from "./declarations.js";
import { describeErrors } from "../../src/core/validation.js";

export const MONGO_WATCH_SOURCE_PREFIX = "mongo-watch:";

/** What survives a restart: where the stream was, and how many changes were numbered. */
interface WatchState {
  id: string;
  token?: unknown;
  counter: number;
}

const watchedBlueskySource = (source: string | undefined) =>
  source && `${MONGO_WATCH_SOURCE_PREFIX}b:${source.slice(source.indexOf(":") + 1)}`;

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
  await declarations.declareAll(ingestor, MONGO_WATCH_SOURCE_PREFIX, log);
  const state = readState(resumeFile);
  const watchSource = `${MONGO_WATCH_SOURCE_PREFIX}${state.id}`;
  let stream: MongoChangeStreamLike | undefined;
  let closed = false;

  const handle = async (event: MongoChangeEvent) => {
    const collection = event.ns?.coll;
    const doc = event.fullDocument;
    if (event.operationType !== "insert" || collection === undefined || doc === undefined) return;
    const origin = { source: watchSource, sequence: state.counter + 1 };
    const change = await source.liveChange(collection, doc);
    const what = `a document in ${collection}`;
    if (change.kind === "bluesky") {
      // bluesky documents carry their own identity (event uids and seq_num), as when posted.
      const translated = translateBluesky(change.name, doc, bluesky, { prefix: change.prefix });
      // Under the watcher's road (these are the configured source's observables, not a
      // beamline's post), still one sender per descriptor so a resent event is stored once.
      const outcome = translated.ok
        ? await ingestBody(ingestor, { ...translated.batch, source: watchedBlueskySource(translated.batch.source) })
        : translated;
      if (!outcome.ok) log(`watch: ${what} refused: ${describeErrors(outcome.errors.slice(0, 3))}`);
      return;
    }
    if (change.kind === "ignored") return;
    if (change.kind === "runs") {
      await declarations.refresh({ runs: true });
      const { batch } = declarations.batch(origin, [], change.runIds);
      return ingestWatched(ingestor, declarations, batch, what, log);
    }
    await declarations.refreshFor(change.readings);
    const { batch, leftOut } = declarations.batch(origin, change.readings);
    if (change.skipped + leftOut > 0) log(`watch: left out ${change.skipped + leftOut} value(s) of ${what}`);
    await ingestWatched(ingestor, declarations, batch, what, log);
  };

  const run = async () => {
    let delay = 500;
    while (!closed) {
      try {
        const opened = source.watchInserts(state.token);
        if (!opened) throw new Error("this database has no change streams");
        stream = opened;
        for await (const event of opened) {
          await handle(event);
          state.counter++;
          state.token = event._id;
          saveState(resumeFile, state);
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

/** The saved state (BSON tokens kept as extended JSON); a fresh one, starting from now, if there is none. */
function readState(file: string): WatchState {
  try {
    const state = BSON.EJSON.parse(readFileSync(file, "utf8")) as WatchState;
    if (typeof state.id === "string" && Number.isInteger(state.counter)) return state;
  } catch {
    // none yet, or unreadable: start afresh
  }
  return { id: randomBytes(8).toString("hex"), counter: 0 };
}

function saveState(file: string, state: WatchState): void {
  // Written whole, then renamed: a crash leaves the old state or the new one, never half of one.
  writeFileSync(`${file}.tmp`, BSON.EJSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}
