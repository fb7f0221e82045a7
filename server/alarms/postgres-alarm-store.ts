// Alarms in PostgreSQL, where replicas already share sessions and dashboards: the rules, each
// alarm's state and the history, the same for every replica. Every replica evaluates the same
// readings (each applies the whole shared ingest log), so their alarms rise alike; what an
// operator does on one (ack, shelve, disable, a rules save) is told to the others by NOTIFY on
// `runboard_alarms`, and each applies it to its own book. A severity change both replicas see
// is recorded once (the history's unique key).
import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import type { AlarmRules } from "../../src/core/alarm-rules.js";
import type { AlarmState } from "../../src/core/alarm-state.js";
import { postgresAdapter } from "../auth/auth-store.js";
import { type PgListener, listenToChannel } from "../ingest/pg-listener.js";
import { inTransaction, openPool } from "../pg-transaction.js";
import {
  type AlarmEvent,
  type AlarmRemote,
  type AlarmRulesRecord,
  type AlarmStore,
  type AlarmTold,
  EMPTY_RULES_RECORD,
  type SaveRulesResult,
  eventFromRow,
} from "./alarm-store.js";
import { rulesFromRow } from "./embedded-alarm-store.js";

const CHANNEL = "runboard_alarms";
/** pg_try_advisory_lock key ("rbal"): the replica holding it sends alarm notices out. */
const SENDER_LOCK = 0x7262616c;
const UNIQUE_VIOLATION = "23505";
const RULE_COLUMNS =
  "revision, doc, to_char(saved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS saved_at, saved_by, message";

export class PostgresAlarmStore implements AlarmStore {
  /** Which replica this is, so it does not apply what it told the others itself. */
  readonly origin = randomUUID();
  private listener: PgListener | undefined;
  /** Whether this replica sends the contact points' notices (one replica does; see `leads`). */
  private leading = false;
  private leadClient: PoolClient | undefined;
  private leadTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
    private readonly log: (line: string) => void,
  ) {}

  static async open(url: string, log: (line: string) => void): Promise<PostgresAlarmStore> {
    const pool = await openPool(url, 4);
    await postgresAdapter(pool).schema([
      `CREATE TABLE IF NOT EXISTS runboard_alarm_rules (
         revision integer PRIMARY KEY, doc jsonb NOT NULL, saved_at timestamptz NOT NULL DEFAULT now(),
         saved_by text NOT NULL, message text NOT NULL)`,
      "CREATE TABLE IF NOT EXISTS runboard_alarm_states (id text PRIMARY KEY, state jsonb NOT NULL)",
      `CREATE TABLE IF NOT EXISTS runboard_alarm_history (
         at_ms bigint NOT NULL, alarm_id text NOT NULL, observable text NOT NULL, channel integer NOT NULL,
         kind text NOT NULL, severity text NOT NULL, current_severity text NOT NULL, value double precision,
         by_name text NOT NULL, text text NOT NULL)`,
      // One row per change, however many replicas saw it.
      `CREATE UNIQUE INDEX IF NOT EXISTS runboard_alarm_history_once
         ON runboard_alarm_history (at_ms, alarm_id, kind, severity, current_severity, by_name)`,
    ]);
    const store = new PostgresAlarmStore(pool, url, log);
    await store.tryToLead();
    return store;
  }

  /**
   * Every replica sees the same severity changes; one of them tells the contact points. The one
   * holding a session advisory lock does; when it stops (its connection gone), another takes the
   * lock within 5 s.
   */
  leads(): boolean {
    return this.leading;
  }

  private async tryToLead(): Promise<void> {
    try {
      if (!this.leadClient) {
        const client = await this.pool.connect();
        client.on("error", () => {
          this.leading = false;
          this.leadClient = undefined;
          client.release(true);
        });
        this.leadClient = client;
      }
      if (!this.leading) {
        const { rows } = await this.leadClient.query("SELECT pg_try_advisory_lock($1) AS got", [SENDER_LOCK]);
        this.leading = (rows[0] as { got: boolean }).got;
      }
    } catch {
      this.leading = false;
      this.leadClient?.release(true);
      this.leadClient = undefined;
    }
    this.leadTimer = setTimeout(() => void this.tryToLead(), 5000);
    this.leadTimer.unref();
  }

  async rules(): Promise<AlarmRulesRecord> {
    const { rows } = await this.pool.query(`SELECT ${RULE_COLUMNS} FROM runboard_alarm_rules ORDER BY revision DESC LIMIT 1`);
    return rows[0] ? rulesFromRow(rows[0] as Record<string, unknown>) : EMPTY_RULES_RECORD();
  }

  async saveRules(doc: AlarmRules, baseRevision: number | undefined, by: string, message: string): Promise<SaveRulesResult> {
    const { rows } = await this.pool.query("SELECT coalesce(max(revision), 0) AS revision FROM runboard_alarm_rules");
    const current = Number((rows[0] as { revision: number }).revision);
    if (baseRevision !== undefined && baseRevision !== current) return { ok: false, latest: current };
    try {
      const saved = await this.pool.query(
        `INSERT INTO runboard_alarm_rules (revision, doc, saved_by, message) VALUES ($1, $2, $3, $4) RETURNING ${RULE_COLUMNS}`,
        [current + 1, JSON.stringify(doc), by, message],
      );
      return { ok: true, record: rulesFromRow(saved.rows[0] as Record<string, unknown>) };
    } catch (error) {
      // Another replica saved the same revision a moment before.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, latest: current + 1 };
      throw error;
    }
  }

  async rulesHistory(): Promise<Omit<AlarmRulesRecord, "doc">[]> {
    const { rows } = await this.pool.query(`SELECT ${RULE_COLUMNS} FROM runboard_alarm_rules ORDER BY revision DESC`);
    return rows.map((r: Record<string, unknown>) => ({
      revision: Number(r.revision),
      savedAt: String(r.saved_at),
      savedBy: String(r.saved_by),
      message: String(r.message),
    }));
  }

  async rulesRevision(revision: number): Promise<AlarmRulesRecord | undefined> {
    const { rows } = await this.pool.query(`SELECT ${RULE_COLUMNS} FROM runboard_alarm_rules WHERE revision = $1`, [revision]);
    return rows[0] ? rulesFromRow(rows[0] as Record<string, unknown>) : undefined;
  }

  async states(): Promise<AlarmState[]> {
    const { rows } = await this.pool.query("SELECT state FROM runboard_alarm_states");
    return rows.map((r: { state: AlarmState }) => r.state);
  }

  async saveStates(states: readonly AlarmState[], gone: readonly string[]): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      if (gone.length) await client.query("DELETE FROM runboard_alarm_states WHERE id = ANY($1)", [gone]);
      for (const s of states)
        await client.query(
          "INSERT INTO runboard_alarm_states (id, state) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
          [s.id, JSON.stringify(s)],
        );
    });
  }

  async record(events: readonly AlarmEvent[]): Promise<void> {
    for (const e of events)
      await this.pool.query(
        `INSERT INTO runboard_alarm_history VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
        [
          e.at,
          e.id,
          e.observable,
          e.channel,
          e.kind,
          e.severity,
          e.currentSeverity,
          e.value !== null && Number.isFinite(e.value) ? e.value : null,
          e.by,
          e.text,
        ],
      );
  }

  async history(from: number, to: number, limit: number): Promise<AlarmEvent[]> {
    const { rows } = await this.pool.query(
      "SELECT * FROM runboard_alarm_history WHERE at_ms BETWEEN $1 AND $2 ORDER BY at_ms, alarm_id LIMIT $3",
      [from, to, limit],
    );
    return rows.map(eventFromRow);
  }

  async prune(before: number): Promise<number> {
    return (await this.pool.query("DELETE FROM runboard_alarm_history WHERE at_ms < $1", [before])).rowCount ?? 0;
  }

  /** What the other replicas did, as they tell it. */
  async follow(listener: (message: AlarmRemote) => void): Promise<void> {
    this.listener = await listenToChannel({
      url: this.url,
      channel: CHANNEL,
      what: "alarm actions",
      log: this.log,
      onReady: () => listener({ origin: "", kind: "rules" }), // what was missed: read the rules again
      onNotice: (payload) => {
        try {
          const message = JSON.parse(payload ?? "") as AlarmRemote;
          if (message.origin !== this.origin) listener(message);
        } catch {
          this.log(`an alarm notice that is not JSON was ignored: ${String(payload).slice(0, 100)}`);
        }
      },
    });
  }

  async announce(message: AlarmTold): Promise<void> {
    await this.pool.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify({ ...message, origin: this.origin })]);
  }

  async close(): Promise<void> {
    clearTimeout(this.leadTimer);
    this.leadClient?.release(true);
    this.leadClient = undefined;
    await this.listener?.close();
    await this.pool.end();
  }
}
