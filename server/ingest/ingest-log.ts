// Several server replicas, one PostgreSQL. Every batch any replica accepts is appended to a
// numbered log in PostgreSQL (`runboard_ingest_log`) and acknowledged once that commits; a
// NOTIFY tells every replica, and each applies the log, in order, to its own embedded store and
// its live hub. The log numbers the readings, so a reading has the same seq on every replica and
// a browser that reconnects to another replica resumes exactly where it was.
//
// Appends take a transaction-scoped advisory lock: seqs then follow commit order (a reader
// never sees seq 12 before seq 11 commits), and the replica that appends first catches its
// store up to the log, so a batch is checked against everything accepted before it, wherever.
// A NOTIFY lost while a connection was down costs nothing: replicas read the log by id.
import type { Pool, PoolClient } from "pg";
import { coalescingTask } from "./coalescing-task.js";
import { type PgListener, listenToChannel } from "./pg-listener.js";
import type { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import {
  type IngestOutcome,
  type Ingestor,
  type StoredListener,
  StoreUnavailableError,
  unrestricted,
  type WriteAccess,
} from "./ingest.js";
import { type IngestBatch, checkBatch } from "../../src/core/ingest.js";

const CHANNEL = "runboard_ingest";
/** pg_advisory_xact_lock key for appends ("runb"). */
const APPEND_LOCK = 0x72756e62;
/** The local store records applied log entries as batches from this source, numbered by log id. */
export const LOG_ORIGIN = "ingest-log";
const PAGE = 64;
/** A catch-up page stops after this many bytes of batches (the first entry always comes). */
const PAGE_BYTES = 64 * 1024 * 1024;
const POLL_MS = 10_000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS runboard_ingest_log (
  id bigint PRIMARY KEY,
  source text,
  sequence bigint,
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL,
  batch text NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, sequence));
-- The source that owns what the entry creates (server/ingest/ingest.ts, WriteAccess).
ALTER TABLE runboard_ingest_log ADD COLUMN IF NOT EXISTS owner text`;

interface LogEntry {
  id: number;
  firstSeq: number;
  lastSeq: number;
  batch: IngestBatch;
  owner: string | null;
}

type Queryable = Pick<Pool, "query"> | PoolClient;

export class IngestLogError extends Error {}
/** This replica's store failed to apply an entry (PostgreSQL itself is fine). */
class LocalApplyError extends Error {}

export class IngestLog implements Ingestor {
  /** The newest log id applied to the local store. */
  private applied: number;
  private applying: Promise<unknown> = Promise.resolve();
  /** The last seq of that entry: the next entry's readings start after it. */
  private appliedLastSeq: number;
  /** Catch-ups woken by notices and the poll, one at a time. */
  private readonly catchingUp = coalescingTask(
    () => this.catchUpWith(this.pool),
    (error) => this.log(`reading the ingest log failed (retried on the next notice): ${String(error)}`),
  );
  private listener?: PgListener;
  private poll?: NodeJS.Timeout;

  private constructor(
    private readonly pool: Pool,
    private readonly store: EmbeddedStore,
    private readonly onStored: StoredListener,
    private readonly log: (line: string) => void,
    applied: { id: number; lastSeq: number },
  ) {
    this.applied = applied.id;
    this.appliedLastSeq = applied.lastSeq;
  }

  /**
   * Opens the log (creating its table), listens, and applies whatever this replica has not yet.
   * A store that holds readings from outside the log cannot be a replica: its seqs would clash.
   */
  static async open(
    url: string,
    store: EmbeddedStore,
    onStored: StoredListener,
    log: (line: string) => void = console.log,
  ): Promise<IngestLog> {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
    // An idle connection dropped by a PostgreSQL restart is replaced on next use, not fatal.
    pool.on("error", () => undefined);
    try {
      const client = await pool.connect();
      client.on("error", ignore);
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock($1)", [APPEND_LOCK]); // replicas starting together
        await client.query(SCHEMA);
        await client.query("COMMIT");
      } finally {
        release(client);
      }
      const applied = await store.lastSequenceOf(LOG_ORIGIN);
      if (applied === 0 && store.lastSeq() > 0) {
        throw new IngestLogError(
          `${store.file} holds readings that did not come from the shared ingest log; give this replica an empty RUNBOARD_DATA_DIR`,
        );
      }
      const { rows } = await pool.query<{ id: string | null }>("SELECT max(id) AS id FROM runboard_ingest_log");
      const head = Number(rows[0]?.id ?? 0);
      if (applied > head) {
        throw new IngestLogError(
          `${store.file} has applied log entry ${applied} but the log in PostgreSQL ends at ${head} (was it reset?); give this replica an empty RUNBOARD_DATA_DIR`,
        );
      }
      if (applied > 0) {
        // The store must hold exactly the log up to `applied`: readings stored locally since
        // (a start without RUNBOARD_INGEST_LOG) would clash with the log's numbers.
        const { rows: at } = await pool.query<{ last_seq: string }>("SELECT last_seq FROM runboard_ingest_log WHERE id = $1", [
          applied,
        ]);
        if (Number(at[0]?.last_seq ?? -1) !== store.lastSeq()) {
          throw new IngestLogError(
            `${store.file} holds readings up to seq ${store.lastSeq()}, but log entry ${applied} ends at ${at[0]?.last_seq ?? "(missing)"}: it was written to outside the shared log; give this replica an empty RUNBOARD_DATA_DIR`,
          );
        }
      }
      const ingestLog = new IngestLog(pool, store, onStored, log, { id: applied, lastSeq: store.lastSeq() });
      // Listening before reading the log: an entry committed in between is then announced too.
      ingestLog.listener = await listenToChannel({
        url,
        channel: CHANNEL,
        onNotice: ingestLog.catchingUp.request,
        onReady: ingestLog.catchingUp.request,
        log,
        what: "ingest notices",
      });
      try {
        await ingestLog.catchUpWith(pool);
      } catch (error) {
        await ingestLog.listener.close();
        throw error;
      }
      // A safety net besides the notices: a connection that died silently is noticed late.
      ingestLog.poll = setInterval(ingestLog.catchingUp.request, POLL_MS);
      ingestLog.poll.unref();
      return ingestLog;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** Reads what the log has that this replica has not (e.g. before translating bluesky documents). */
  async catchUp(): Promise<void> {
    try {
      await this.catchUpWith(this.pool);
    } catch (error) {
      throw error instanceof LocalApplyError ? error : unavailable(error);
    }
  }

  /** The newest log entry this replica has applied. */
  appliedId(): number {
    return this.applied;
  }

  async ingest(batch: IngestBatch, access: WriteAccess = unrestricted(batch)): Promise<IngestOutcome> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(error);
    }
    // A connection lost mid-transaction fails the query below; without a listener its 'error'
    // event would also end the process.
    client.on("error", ignore);
    let entry: LogEntry;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [APPEND_LOCK]);
      if (batch.source !== undefined) {
        const { rows } = await client.query<{ last_seq: string }>(
          "SELECT last_seq FROM runboard_ingest_log WHERE source = $1 AND sequence = $2",
          [batch.source, batch.sequence],
        );
        if (rows[0]) {
          await client.query("COMMIT");
          release(client);
          return { ok: true, stored: 0, lastSeq: Number(rows[0].last_seq), duplicate: true };
        }
      }
      // Under the lock nobody else appends, so after this the local store is the whole log.
      await this.catchUpWith(client);
      // What the local store would refuse on applying it is refused here, before it is logged.
      const refused = this.store.accessErrors(batch, access);
      if (refused.errors.length > 0) {
        await client.query("ROLLBACK");
        release(client);
        return { ok: false, errors: refused.errors, ...(refused.forbidden ? { forbidden: true as const } : {}) };
      }
      const claims = this.store.claimErrors(batch);
      const checked: ReturnType<typeof checkBatch> =
        claims.length > 0
          ? { ok: false, errors: claims }
          : checkBatch(batch, new Map(this.store.catalog().map((o) => [o.name, o])), new Set(this.store.runs().map((r) => r.id)));
      if (!checked.ok) {
        await client.query("ROLLBACK");
        release(client);
        return checked;
      }
      // After the catch-up under the lock, the last entry applied is the log's last.
      const id = this.applied + 1;
      const firstSeq = this.appliedLastSeq + 1;
      entry = { id, firstSeq, lastSeq: firstSeq + checked.readings.length - 1, batch, owner: access.owner };
      await client.query(
        `INSERT INTO runboard_ingest_log (id, source, sequence, first_seq, last_seq, batch, owner)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, batch.source ?? null, batch.sequence ?? null, entry.firstSeq, entry.lastSeq, JSON.stringify(batch), access.owner],
      );
      // Delivered at commit, and only if it commits.
      await client.query("SELECT pg_notify($1, $2)", [CHANNEL, String(id)]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      release(client, true);
      // This replica's own store failing is not PostgreSQL being down: no 503 for it.
      throw error instanceof LocalApplyError ? error : unavailable(error);
    }
    release(client);
    // Stored durably; the local copy and the live hub follow (now, or by the next catch-up).
    await this.apply(entry).catch((error: unknown) => this.log(`applying ingest log entry ${entry.id} failed: ${String(error)}`));
    return { ok: true, stored: entry.lastSeq - entry.firstSeq + 1, lastSeq: entry.lastSeq };
  }

  async close(): Promise<void> {
    clearInterval(this.poll);
    await this.listener?.close();
    await this.catchingUp.stop();
    await this.applying;
    await this.pool.end();
  }

  /** Applies one entry to the local store and hands its readings to the hub, once, in log order. */
  private apply(entry: LogEntry): Promise<void> {
    const done = this.applying.then(async () => {
      if (entry.id <= this.applied) return;
      if (entry.id !== this.applied + 1) throw new LocalApplyError(`log entry ${entry.id} came before ${this.applied + 1}`);
      let result: Awaited<ReturnType<EmbeddedStore["ingest"]>>;
      try {
        result = await this.store.ingest(
          entry.batch,
          { firstSeq: entry.firstSeq, origin: { source: LOG_ORIGIN, sequence: entry.id } },
          // Checked when it was appended; applied as it was accepted.
          { owner: entry.owner, restricted: false },
        );
      } catch (error) {
        throw new LocalApplyError(`this replica's store could not apply log entry ${entry.id}: ${String(error)}`, {
          cause: error,
        });
      }
      this.applied = entry.id;
      this.appliedLastSeq = entry.lastSeq;
      if (!result.ok) {
        // Checked under the lock against the same log, so this means the stores diverged.
        this.log(`ingest log entry ${entry.id} does not fit this replica's store (${JSON.stringify(result.errors)}); skipped`);
        return;
      }
      if (result.readings.length > 0 || result.runs.length > 0) this.onStored(result.readings, result.runs);
    });
    this.applying = done.catch(() => undefined);
    return done;
  }

  private async catchUpWith(db: Queryable): Promise<void> {
    for (;;) {
      // `remaining`: how many entries are newer than what this replica has, counted before the page
      // is cut, so a whole answer needs no second query to learn that nothing is left.
      const { rows } = await db.query<{
        id: string;
        first_seq: string;
        last_seq: string;
        batch: string;
        owner: string | null;
        remaining: string;
      }>(
        `SELECT id, first_seq, last_seq, batch, owner, remaining FROM (
           SELECT *, sum(octet_length(batch)) OVER (ORDER BY id) AS upto, count(*) OVER () AS remaining
             FROM runboard_ingest_log WHERE id > $1 ORDER BY id LIMIT $2) page
          WHERE upto - octet_length(batch) < $3 ORDER BY id`,
        [this.applied, PAGE, PAGE_BYTES],
      );
      for (const row of rows) {
        const batch = JSON.parse(row.batch) as IngestBatch;
        await this.apply({
          id: Number(row.id),
          firstSeq: Number(row.first_seq),
          lastSeq: Number(row.last_seq),
          batch,
          // Entries logged before owners were kept: the batch's own source, as the store did then.
          owner: row.owner ?? batch.source ?? null,
        });
      }
      if (rows.length === 0 || rows.length >= Number(rows[0]!.remaining)) return;
    }
  }
}

const ignore = () => undefined;

/** Back to the pool (or closed, when it failed), without the listener added on checkout. */
function release(client: PoolClient, destroy = false): void {
  client.off("error", ignore);
  client.release(destroy);
}

function unavailable(error: unknown): StoreUnavailableError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`the shared ingest log in PostgreSQL is unavailable (${reason})`);
}
