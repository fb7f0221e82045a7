// Flags in PostgreSQL, beside the dashboards (RUNBOARD_DASHBOARD_STORE=postgres).
import type { Pool } from "pg";
import type { NewFlag, RunFlag } from "../../src/core/flags.js";
import { postgresAdapter } from "../auth/auth-store.js";
import { openPool } from "../pg-transaction.js";
import { type FlagStore, flagFromRow, newFlagId } from "./flag-store.js";

const COLUMNS =
  "id, run, verdict, note, from_ms, to_ms, author, proposed_by, created_at, withdrawn_at, withdrawn_by, withdraw_reason";

export class PostgresFlagStore implements FlagStore {
  private constructor(private readonly pool: Pool) {}

  static async open(url: string): Promise<PostgresFlagStore> {
    const pool = await openPool(url, 2);
    await postgresAdapter(pool).schema([
      `CREATE TABLE IF NOT EXISTS runboard_run_flags (
        id text PRIMARY KEY,
        run bigint NOT NULL,
        verdict text NOT NULL,
        note text NOT NULL,
        from_ms bigint,
        to_ms bigint,
        author text NOT NULL,
        proposed_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        withdrawn_at timestamptz,
        withdrawn_by text,
        withdraw_reason text)`,
      "CREATE INDEX IF NOT EXISTS runboard_run_flags_run ON runboard_run_flags (run)",
    ]);
    return new PostgresFlagStore(pool);
  }

  async flagsOf(run: number): Promise<RunFlag[]> {
    const { rows } = await this.pool.query(`SELECT ${COLUMNS} FROM runboard_run_flags WHERE run = $1 ORDER BY created_at, id`, [
      run,
    ]);
    return rows.map(flagFromRow);
  }

  async all(): Promise<RunFlag[]> {
    const { rows } = await this.pool.query(`SELECT ${COLUMNS} FROM runboard_run_flags ORDER BY created_at, id`);
    return rows.map(flagFromRow);
  }

  async add(run: number, flag: NewFlag, author: string): Promise<RunFlag> {
    const { rows } = await this.pool.query(
      `INSERT INTO runboard_run_flags (id, run, verdict, note, from_ms, to_ms, author, proposed_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [newFlagId(), run, flag.verdict, flag.note, flag.from ?? null, flag.to ?? null, author, flag.proposedBy ?? null],
    );
    return flagFromRow(rows[0]);
  }

  async withdraw(run: number, id: string, by: string, reason: string): Promise<RunFlag | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE runboard_run_flags SET withdrawn_at = now(), withdrawn_by = $3, withdraw_reason = $4
        WHERE id = $1 AND run = $2 AND withdrawn_at IS NULL RETURNING ${COLUMNS}`,
      [id, run, by, reason],
    );
    return rows[0] ? flagFromRow(rows[0]) : undefined;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
