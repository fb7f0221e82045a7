// Alarms in the embedded DuckDB file, beside the dashboards and flags.
import type { DuckDBConnection } from "@duckdb/node-api";
import { SerialConnection } from "../../loaders/store/serial-connection.js";
import { parseAlarmRules, type AlarmRules } from "../../src/core/alarm-rules.js";
import type { AlarmState } from "../../src/core/alarm-state.js";
import { describeErrors } from "../../src/core/validation.js";
import {
  type AlarmEvent,
  type AlarmRulesRecord,
  type AlarmStore,
  EMPTY_RULES_RECORD,
  type SaveRulesResult,
  eventFromRow,
} from "./alarm-store.js";

const ISO = (column: string) => `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${column}`;

/** A stored rules revision, validated as it is read back (a document saved by an older runboard is migrated). */
export function rulesFromRow(r: Record<string, unknown>): AlarmRulesRecord {
  const parsed = parseAlarmRules(typeof r.doc === "string" ? JSON.parse(r.doc) : r.doc);
  if (!parsed.ok) throw new Error(`stored alarm rules, revision ${String(r.revision)}: ${describeErrors(parsed.errors)}`);
  const savedAt = r.saved_at instanceof Date ? r.saved_at.toISOString() : String(r.saved_at);
  return { doc: parsed.value, revision: Number(r.revision), savedAt, savedBy: String(r.saved_by), message: String(r.message) };
}

export class EmbeddedAlarmStore implements AlarmStore {
  private readonly conn: SerialConnection;

  private constructor(db: DuckDBConnection) {
    this.conn = new SerialConnection(db);
  }

  static async open(db: DuckDBConnection): Promise<EmbeddedAlarmStore> {
    await db.run(`CREATE TABLE IF NOT EXISTS alarm_rules (
      revision INTEGER PRIMARY KEY, doc JSON NOT NULL, saved_at TIMESTAMP NOT NULL, saved_by VARCHAR NOT NULL, message VARCHAR NOT NULL)`);
    await db.run("CREATE TABLE IF NOT EXISTS alarm_states (id VARCHAR PRIMARY KEY, state JSON NOT NULL)");
    await db.run(`CREATE TABLE IF NOT EXISTS alarm_history (
      at_ms BIGINT NOT NULL, alarm_id VARCHAR NOT NULL, observable VARCHAR NOT NULL, channel INTEGER NOT NULL,
      kind VARCHAR NOT NULL, severity VARCHAR NOT NULL, current_severity VARCHAR NOT NULL, value DOUBLE,
      by_name VARCHAR NOT NULL, text VARCHAR NOT NULL)`);
    await db.run("CHECKPOINT");
    return new EmbeddedAlarmStore(db);
  }

  private rows(sql: string, params: Record<string, string | number | null> = {}) {
    return this.conn.rows(sql, params);
  }

  rules(): Promise<AlarmRulesRecord> {
    return this.conn.serial(async () => {
      const [row] = await this.rows(
        `SELECT revision, doc, ${ISO("saved_at")}, saved_by, message FROM alarm_rules ORDER BY revision DESC LIMIT 1`,
      );
      return row ? rulesFromRow(row) : EMPTY_RULES_RECORD();
    });
  }

  saveRules(doc: AlarmRules, baseRevision: number | undefined, by: string, message: string): Promise<SaveRulesResult> {
    return this.conn.serial(async () => {
      const [latest] = await this.rows("SELECT coalesce(max(revision), 0) AS revision FROM alarm_rules");
      const current = Number(latest!.revision);
      if (baseRevision !== undefined && baseRevision !== current) return { ok: false, latest: current };
      const [row] = await this.rows(
        `INSERT INTO alarm_rules VALUES ($revision, $doc, now()::TIMESTAMP, $by, $message)
         RETURNING revision, doc, ${ISO("saved_at")}, saved_by, message`,
        { revision: current + 1, doc: JSON.stringify(doc), by, message },
      );
      return { ok: true, record: rulesFromRow(row!) };
    });
  }

  rulesHistory(): Promise<Omit<AlarmRulesRecord, "doc">[]> {
    return this.conn.serial(async () =>
      (await this.rows(`SELECT revision, ${ISO("saved_at")}, saved_by, message FROM alarm_rules ORDER BY revision DESC`)).map(
        (r) => ({
          revision: Number(r.revision),
          savedAt: String(r.saved_at),
          savedBy: String(r.saved_by),
          message: String(r.message),
        }),
      ),
    );
  }

  rulesRevision(revision: number): Promise<AlarmRulesRecord | undefined> {
    return this.conn.serial(async () => {
      const [row] = await this.rows(
        `SELECT revision, doc, ${ISO("saved_at")}, saved_by, message FROM alarm_rules WHERE revision = $revision`,
        {
          revision,
        },
      );
      return row ? rulesFromRow(row) : undefined;
    });
  }

  states(): Promise<AlarmState[]> {
    return this.conn.serial(async () =>
      (await this.rows("SELECT state FROM alarm_states")).map((r) => JSON.parse(String(r.state)) as AlarmState),
    );
  }

  saveStates(states: readonly AlarmState[], gone: readonly string[]): Promise<void> {
    return this.conn.serial(async () => {
      await this.conn.db.run("BEGIN TRANSACTION");
      try {
        for (const id of gone) await this.conn.db.run("DELETE FROM alarm_states WHERE id = $id", { id });
        for (const s of states)
          await this.conn.db.run("INSERT OR REPLACE INTO alarm_states VALUES ($id, $state)", {
            id: s.id,
            state: JSON.stringify(s),
          });
        await this.conn.db.run("COMMIT");
      } catch (error) {
        await this.conn.db.run("ROLLBACK");
        throw error;
      }
    });
  }

  record(events: readonly AlarmEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.conn.serial(async () => {
      for (const e of events)
        await this.conn.db.run(
          "INSERT INTO alarm_history VALUES ($at, $id, $observable, $channel, $kind, $severity, $current, $value, $by, $text)",
          {
            at: e.at,
            id: e.id,
            observable: e.observable,
            channel: e.channel,
            kind: e.kind,
            severity: e.severity,
            current: e.currentSeverity,
            value: e.value !== null && Number.isFinite(e.value) ? e.value : null,
            by: e.by,
            text: e.text,
          },
        );
    });
  }

  history(from: number, to: number, limit: number): Promise<AlarmEvent[]> {
    return this.conn.serial(async () =>
      (
        await this.rows("SELECT * FROM alarm_history WHERE at_ms BETWEEN $from AND $to ORDER BY at_ms, alarm_id LIMIT $limit", {
          from,
          to,
          limit,
        })
      ).map(eventFromRow),
    );
  }

  prune(before: number): Promise<number> {
    return this.conn.serial(async () => {
      const [row] = await this.rows("SELECT count(*) AS n FROM alarm_history WHERE at_ms < $before", { before });
      await this.conn.db.run("DELETE FROM alarm_history WHERE at_ms < $before", { before });
      return Number(row!.n);
    });
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}
