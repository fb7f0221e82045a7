// Flags in the embedded DuckDB file, next to the dashboards.
import type { DuckDBConnection } from "@duckdb/node-api";
import { SerialConnection } from "../../loaders/store/serial-connection.js";
import type { NewFlag, RunFlag } from "../../src/core/flags.js";
import { type FlagStore, flagFromRow, newFlagId } from "./flag-store.js";

const COLUMNS = `id, run, verdict, note, from_ms, to_ms, author, proposed_by,
  strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at,
  strftime(withdrawn_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS withdrawn_at, withdrawn_by, withdraw_reason`;

export class EmbeddedFlagStore implements FlagStore {
  private readonly conn: SerialConnection;
  private readonly db: DuckDBConnection;

  private constructor(db: DuckDBConnection) {
    this.conn = new SerialConnection(db);
    this.db = db;
  }

  static async open(db: DuckDBConnection): Promise<EmbeddedFlagStore> {
    await db.run(`CREATE TABLE IF NOT EXISTS run_flags (
      id VARCHAR PRIMARY KEY,
      run BIGINT NOT NULL,
      verdict VARCHAR NOT NULL,
      note VARCHAR NOT NULL,
      from_ms BIGINT,
      to_ms BIGINT,
      author VARCHAR NOT NULL,
      proposed_by VARCHAR,
      created_at TIMESTAMP NOT NULL,
      withdrawn_at TIMESTAMP,
      withdrawn_by VARCHAR,
      withdraw_reason VARCHAR)`);
    await db.run("CHECKPOINT");
    return new EmbeddedFlagStore(db);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    return this.conn.serial(work);
  }

  private rows(sql: string, params: Record<string, string | number | null> = {}) {
    return this.conn.rows(sql, params);
  }

  flagsOf(run: number): Promise<RunFlag[]> {
    return this.serial(async () =>
      (await this.rows(`SELECT ${COLUMNS} FROM run_flags WHERE run = $run ORDER BY created_at, id`, { run })).map(flagFromRow),
    );
  }

  all(): Promise<RunFlag[]> {
    return this.serial(async () =>
      (await this.rows(`SELECT ${COLUMNS} FROM run_flags ORDER BY created_at, id`)).map(flagFromRow),
    );
  }

  add(run: number, flag: NewFlag, author: string): Promise<RunFlag> {
    return this.serial(async () => {
      const [row] = await this.rows(
        `INSERT INTO run_flags (id, run, verdict, note, from_ms, to_ms, author, proposed_by, created_at)
         VALUES ($id, $run, $verdict, $note, $from, $to, $author, $proposed, now()::TIMESTAMP) RETURNING ${COLUMNS}`,
        {
          id: newFlagId(),
          run,
          verdict: flag.verdict,
          note: flag.note,
          from: flag.from ?? null,
          to: flag.to ?? null,
          author,
          proposed: flag.proposedBy ?? null,
        },
      );
      return flagFromRow(row!);
    });
  }

  withdraw(run: number, id: string, by: string, reason: string): Promise<RunFlag | undefined> {
    return this.serial(async () => {
      const [row] = await this.rows(
        `UPDATE run_flags SET withdrawn_at = now()::TIMESTAMP, withdrawn_by = $by, withdraw_reason = $reason
          WHERE id = $id AND run = $run AND withdrawn_at IS NULL RETURNING ${COLUMNS}`,
        { id, run, by, reason },
      );
      return row ? flagFromRow(row) : undefined;
    });
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}
