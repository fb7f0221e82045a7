// Where flags on runs live: beside the dashboards (the embedded DuckDB file, or PostgreSQL), so
// a team that shares dashboards shares its verdicts too. A withdrawal marks the flag; no flag is
// ever deleted.
import { randomBytes } from "node:crypto";
import type { NewFlag, RunFlag } from "../../src/core/flags.js";

export interface FlagStore {
  /** Every flag of a run, withdrawn ones included, oldest first. */
  flagsOf(run: number): Promise<RunFlag[]>;
  /** Every flag, oldest first (for the runs list, filters and snapshots). */
  all(): Promise<RunFlag[]>;
  add(run: number, flag: NewFlag, author: string): Promise<RunFlag>;
  /** Marks a standing flag withdrawn; undefined when there is no such flag, or it was withdrawn. */
  withdraw(run: number, id: string, by: string, reason: string): Promise<RunFlag | undefined>;
  close(): Promise<void>;
}

export const FLAG_ID = /^[A-Za-z0-9_-]{6,40}$/;
export const newFlagId = () => randomBytes(9).toString("base64url");

/** A stored row, as both stores read it back. */
export function flagFromRow(r: Record<string, unknown>): RunFlag {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  const ms = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    run: Number(r.run),
    verdict: String(r.verdict) as RunFlag["verdict"],
    note: String(r.note),
    from: ms(r.from_ms),
    to: ms(r.to_ms),
    author: String(r.author),
    createdAt: iso(r.created_at),
    proposedBy: r.proposed_by === null || r.proposed_by === undefined ? null : String(r.proposed_by),
    withdrawn:
      r.withdrawn_at === null || r.withdrawn_at === undefined
        ? null
        : { by: String(r.withdrawn_by), at: iso(r.withdrawn_at), reason: String(r.withdraw_reason ?? "") },
  };
}
