// Where alarms live: the rules document (every save a new revision, like a dashboard), each
// alarm's state (so a latched MAJOR outlives a restart), and the history of what happened to
// each alarm. Beside the dashboards and flags: the embedded DuckDB file, or PostgreSQL when the
// replicas share one.
import type { AlarmRules } from "../../src/core/alarm-rules.js";
import type { AlarmState, Severity } from "../../src/core/alarm-state.js";

export interface AlarmRulesRecord {
  doc: AlarmRules;
  /** 0: nothing saved yet (the empty document). */
  revision: number;
  savedAt: string | null;
  savedBy: string;
  message: string;
}

export type SaveRulesResult = { ok: true; record: AlarmRulesRecord } | { ok: false; latest: number };

/** One event in an alarm's life, as the history lists it. */
export interface AlarmEvent {
  at: number;
  id: string;
  observable: string;
  channel: number;
  /** severity: the evaluator changed it; removed: no rule watches it any more; the others: a person did. */
  kind: "severity" | "ack" | "shelve" | "unshelve" | "disable" | "enable" | "removed";
  severity: Severity;
  currentSeverity: Severity;
  value: number | null;
  by: string;
  /** The acknowledgement's comment, the shelf's or disabling's reason. */
  text: string;
}

/** An operator's action on one alarm. */
export type AlarmAction =
  | { kind: "ack"; comment: string }
  | { kind: "shelve"; reason: string; until: number | null }
  | { kind: "unshelve" }
  | { kind: "disable"; reason: string }
  | { kind: "enable" };

/** What one replica tells the others: an action taken on it, or that the rules changed. */
export type AlarmTold = { kind: "act"; id: string; action: AlarmAction; by: string; at: number } | { kind: "rules" };
/** As heard, with the replica that told it. */
export type AlarmRemote = AlarmTold & { origin: string };

export interface AlarmStore {
  rules(): Promise<AlarmRulesRecord>;
  /** Saves a new revision; with `baseRevision`, refuses if someone saved in between. */
  saveRules(doc: AlarmRules, baseRevision: number | undefined, by: string, message: string): Promise<SaveRulesResult>;
  /** Every revision, newest first, without the documents. */
  rulesHistory(): Promise<Omit<AlarmRulesRecord, "doc">[]>;
  rulesRevision(revision: number): Promise<AlarmRulesRecord | undefined>;
  states(): Promise<AlarmState[]>;
  /** Replaces the stored states of these alarms, and removes those of `gone`. */
  saveStates(states: readonly AlarmState[], gone: readonly string[]): Promise<void>;
  record(events: readonly AlarmEvent[]): Promise<void>;
  /** Events in [from, to], oldest first, at most `limit`. */
  history(from: number, to: number, limit: number): Promise<AlarmEvent[]>;
  /** Deletes the events before `before`; returns how many. */
  prune(before: number): Promise<number>;
  /** Shared by replicas: what the others do is heard here, and told to them by `announce`. */
  follow?(listener: (message: AlarmRemote) => void): Promise<void>;
  announce?(message: AlarmTold): Promise<void>;
  /** Shared by replicas: whether this one sends the notices of severity changes (one does). */
  leads?(): boolean;
  close(): Promise<void>;
}

export const EMPTY_RULES_RECORD = (): AlarmRulesRecord => ({
  doc: { schemaVersion: 1, rules: [] },
  revision: 0,
  savedAt: null,
  savedBy: "",
  message: "",
});

/** A stored history row, as both stores read it back. */
export function eventFromRow(r: Record<string, unknown>): AlarmEvent {
  return {
    at: Number(r.at_ms),
    id: String(r.alarm_id),
    observable: String(r.observable),
    channel: Number(r.channel),
    kind: String(r.kind) as AlarmEvent["kind"],
    severity: String(r.severity) as Severity,
    currentSeverity: String(r.current_severity) as Severity,
    value: r.value === null || r.value === undefined ? null : Number(r.value),
    by: String(r.by_name),
    text: String(r.text),
  };
}
