// "Publish for review" runs here, in a child process of the server: reading and hashing the
// runs' files and gzipping the archive took the server's event loop for up to 1.2 s and its
// memory from 420 MB to 1.2 GB. The child stays up between reviews (starting Node and its
// modules cost more CPU than a review) and keeps the site's deflated files (tar.ts's PartCache).
// The server sends each request over the IPC channel (the dashboards already read and checked
// for the asker); the child answers over it; then the server hands it the download's connection,
// and the child writes the .tar.gz onto it, exactly as many bytes as it announced, and closes it.
// Nothing is written to disk: the archive is made from the files as it goes.
import type { Socket } from "node:net";
import { finished } from "node:stream/promises";
import type { Dashboard } from "../src/core/dashboard.js";
import { MissingRunsError, PublishError, planReview } from "./publish.js";
import { SnapshotError } from "./snapshot/take-snapshot.js";
import { PartCache, planTarGz, tarGzBytes } from "./tar.js";

/** What the server asks: a review's plan, then to send it on a connection, or to hold off and go on. */
export type PublishChildRequest = PublishRequest | { type: "send" } | { type: "hold" } | { type: "go" };

export interface PublishRequest {
  type: "publish";
  runs: string;
  title?: string;
  utcOffsetMinutes: number;
  skipMissing: boolean;
  snapshotDir: string;
  siteDir?: string;
  /** The chosen dashboards as stored, in the order asked. */
  dashboards: { id: string; revision: number; dashboard: Dashboard }[];
  /** The pace of the download (RUNBOARD_REVIEW_MB_PER_S). */
  bytesPerSecond: number;
}

export type PublishChildAnswer =
  | { ok: true; name: string; runs: number[]; bytes: number; archiveBytes: number }
  | { ok: false; kind: "missing" | "refused"; message: string };

/** What the child says over IPC: its answer before the archive, then that it was sent or broke off. */
export type PublishChildMessage =
  { type: "answer"; answer: PublishChildAnswer } | { type: "sent" } | { type: "failed"; message: string };

/** The child leaves after this long without a review; the server starts another when one is asked for. */
const IDLE_EXIT_MS = 5 * 60_000;

const cache = new PartCache();
/** How much is written between two looks at the pace. */
const PACE_STEP = 1024 * 1024;

/** The archive answered for and not yet sent, with its pace. */
let pending: { chunks: AsyncIterable<Buffer>; bytesPerSecond: number } | undefined;
/** Set while the server asks to hold off (a snapshot refresh runs); released by "go". */
let holding: { until: Promise<void>; release(): void } | undefined;
/** A download that takes nothing for this long is given up (the client is gone or stuck). */
const STALL_MS = 60_000;

async function plan(request: PublishRequest): Promise<void> {
  const records = new Map(request.dashboards.map((d) => [d.id, d]));
  let planned;
  try {
    planned = await planReview({
      runs: request.runs,
      out: "",
      dashboards: request.dashboards.map((d) => d.id),
      pages: [],
      title: request.title,
      utcOffsetMinutes: request.utcOffsetMinutes,
      skipMissing: request.skipMissing,
      snapshotDir: request.snapshotDir,
      siteDir: request.siteDir,
      fetchDashboard: async (id) => {
        const record = records.get(id);
        if (!record) throw new PublishError(`dashboard ${id} is gone`);
        return record;
      },
    });
  } catch (error) {
    if (error instanceof MissingRunsError)
      return say({ type: "answer", answer: { ok: false, kind: "missing", message: error.message } });
    if (error instanceof PublishError || error instanceof SnapshotError)
      return say({ type: "answer", answer: { ok: false, kind: "refused", message: error.message } });
    throw error;
  }
  const { review } = planned;
  const name = `review-${review.publishedAt.slice(0, 10)}-${review.runs[0]!.run}-${review.runs.at(-1)!.run}`;
  const archive = planTarGz(planned.entries, name, cache);
  pending = { chunks: tarGzBytes(archive), bytesPerSecond: request.bytesPerSecond };
  const runs = review.runs.map((r) => r.run);
  say({ type: "answer", answer: { ok: true, name, runs, bytes: review.totalBytes, archiveBytes: archive.bytes } });
}

/** Writes the archive answered for onto the download's connection, then closes it. */
async function send(socket: Socket): Promise<void> {
  const archive = pending;
  pending = undefined;
  // A client that half-closes after its request still gets the whole archive.
  socket.allowHalfOpen = true;
  socket.on("error", () => undefined);
  socket.setTimeout(STALL_MS, () => socket.destroy(new Error(`the download took nothing for ${STALL_MS / 1000} s`)));
  try {
    if (!archive) throw new Error("no archive was answered for");
    for await (const piece of paced(archive.chunks, archive.bytesPerSecond)) {
      if (socket.destroyed) throw new Error("the connection was closed");
      if (!socket.write(piece)) await drained(socket);
    }
    socket.end();
    // Sent once the last byte is with the system; the client closes its side after reading it.
    await finished(socket, { readable: false });
    say({ type: "sent" });
  } catch (error) {
    socket.destroy();
    say({ type: "failed", message: `the download broke off: ${(error as Error).message}` });
    return;
  }
  socket.setTimeout(STALL_MS, () => socket.destroy());
  socket.once("end", () => socket.destroy());
  socket.resume();
}

/** Resolves when `socket` takes more, rejects if it closes first. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("the connection was closed"));
    socket.once("drain", onDrain);
    socket.once("close", onClose);
  });
}

/**
 * The archive no faster than `bytesPerSecond`, a megabyte at a time, and nothing while the server
 * asks to hold off: a review is background work, beside ingest and live pages.
 */
async function* paced(chunks: AsyncIterable<Buffer>, bytesPerSecond: number): AsyncGenerator<Buffer> {
  let started = performance.now();
  let sent = 0;
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += PACE_STEP) {
      if (holding) {
        const heldFrom = performance.now();
        await holding.until;
        started += performance.now() - heldFrom;
      }
      const piece = chunk.subarray(at, at + PACE_STEP);
      yield piece;
      sent += piece.length;
      const ahead = started + (sent / bytesPerSecond) * 1000 - performance.now();
      if (ahead > 1) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
  }
}

function hold(): void {
  if (holding) return;
  let release = () => undefined as void;
  const until = new Promise<void>((resolve) => (release = resolve));
  holding = { until, release };
}

function go(): void {
  holding?.release();
  holding = undefined;
}

function say(message: PublishChildMessage): void {
  process.send!(message);
}

if (import.meta.url === `file://${process.argv[1]}` && process.send) {
  let idle = setTimeout(() => process.exit(0), IDLE_EXIT_MS);
  const work = (job: Promise<void>) => {
    clearTimeout(idle);
    job.then(
      () => (idle = setTimeout(() => process.exit(0), IDLE_EXIT_MS)),
      (error: unknown) => {
        process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  // One review at a time: the server asks for the next only when this one's bytes are through.
  process.on("message", (request: PublishChildRequest, handle?: Socket) => {
    if (request.type === "publish") work(plan(request));
    else if (request.type === "send" && handle) work(send(handle));
    else if (request.type === "hold") hold();
    else if (request.type === "go") go();
  });
  process.on("disconnect", () => process.exit(0));
}
