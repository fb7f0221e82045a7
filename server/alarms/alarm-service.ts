// The server's alarms: every stored reading is evaluated against the rules (before any
// coalescing for browsers), the clock ticks once a second (delays, silent channels, shelves that
// end), and operators acknowledge, shelve and disable. States are written to the store a moment
// after they change, so a restart finds them; each change is in the history and is told to
// whoever listens (the websocket's alarm topic).
import type { AlarmRules } from "../../src/core/alarm-rules.js";
import { AlarmBook, type WatchedObservable } from "../../src/core/alarm-book.js";
import { type AlarmChange, type AlarmState, acknowledge, disable, enable, shelve, unshelve } from "../../src/core/alarm-state.js";
import type { Reading } from "../../src/core/catalog.js";
import type { AlarmEvent, AlarmStore, SaveRulesResult } from "./alarm-store.js";

/** What listeners are told: the alarms that changed (their whole state), and the counts now. */
export interface AlarmNews {
  changed: AlarmState[];
  counts: ReturnType<AlarmBook["counts"]>;
  at: number;
}

export type AlarmAction =
  | { kind: "ack"; comment: string }
  | { kind: "shelve"; reason: string; until: number | null }
  | { kind: "unshelve" }
  | { kind: "disable"; reason: string }
  | { kind: "enable" };

/** How often states are written and the clock ticks. */
const TICK_MS = 1000;

export class AlarmService {
  private readonly book: AlarmBook;
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<(news: AlarmNews) => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private events: AlarmEvent[] = [];

  private constructor(
    private readonly store: AlarmStore,
    catalog: (observable: string) => WatchedObservable | undefined,
    private readonly now: () => number,
  ) {
    this.book = new AlarmBook(catalog);
  }

  /** Reads the rules and the states kept, then ticks once a second. */
  static async start(
    store: AlarmStore,
    catalog: (observable: string) => WatchedObservable | undefined,
    now: () => number = Date.now,
  ): Promise<AlarmService> {
    const service = new AlarmService(store, catalog, now);
    service.book.setRules((await store.rules()).doc, now());
    service.book.restore(await store.states());
    service.timer = setInterval(() => service.tick(), TICK_MS);
    service.timer.unref();
    return service;
  }

  onNews(listener: (news: AlarmNews) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stored readings, as the store hands them to the live hub. Arrays are not evaluated. */
  evaluate(readings: readonly Reading[]): void {
    const changes: AlarmChange[] = [];
    for (const r of readings) {
      if (typeof r.value !== "number") continue;
      const change = this.book.reading(r.observable, r.channel, r.t, r.value);
      if (change) changes.push(change);
    }
    if (changes.length) this.changed(changes, "severity", "", "");
  }

  tick(): void {
    const changes = this.book.tick(this.now());
    if (changes.length) this.changed(changes, "severity", "", "");
    this.flush();
  }

  list(): AlarmState[] {
    return this.book.list();
  }

  counts() {
    return this.book.counts();
  }

  get(id: string): AlarmState | undefined {
    return this.book.get(id);
  }

  /** An operator's action on one alarm; a string says why it was refused. */
  act(id: string, action: AlarmAction, by: string): AlarmState | string {
    const alarm = this.book.get(id);
    if (!alarm) return `no alarm ${id}`;
    const at = this.now();
    let text = "";
    if (action.kind === "ack") {
      const outcome = acknowledge(alarm, by, action.comment, at);
      if (typeof outcome === "string" && !outcome.startsWith("acknowledged")) return outcome;
      text = action.comment;
    } else if (action.kind === "shelve") {
      shelve(alarm, by, action.reason, action.until, at);
      text = action.reason;
    } else if (action.kind === "unshelve") {
      if (!alarm.shelved) return `${id} is not shelved`;
      unshelve(alarm);
    } else if (action.kind === "disable") {
      disable(alarm, by, action.reason, at);
      text = action.reason;
    } else {
      if (!alarm.disabled) return `${id} is not disabled`;
      enable(alarm, at);
    }
    this.changed([{ id, at, from: visibleOf(alarm), to: visibleOf(alarm) }], action.kind, by, text);
    this.flush();
    return alarm;
  }

  async setRules(doc: AlarmRules, baseRevision: number | undefined, by: string, message: string): Promise<SaveRulesResult> {
    const saved = await this.store.saveRules(doc, baseRevision, by, message);
    if (!saved.ok) return saved;
    const before = new Set(this.book.states().map((s) => s.id));
    this.book.setRules(saved.record.doc, this.now());
    const after = new Set(this.book.states().map((s) => s.id));
    for (const id of before) if (!after.has(id)) this.dirty.add(id);
    for (const id of after) this.dirty.add(id);
    this.flush();
    return saved;
  }

  private changed(changes: readonly AlarmChange[], kind: AlarmEvent["kind"], by: string, text: string): void {
    const states: AlarmState[] = [];
    for (const c of changes) {
      const s = this.book.get(c.id);
      if (!s) continue;
      this.dirty.add(c.id);
      states.push(s);
      this.events.push({
        at: c.at,
        id: s.id,
        observable: s.observable,
        channel: s.channel,
        kind,
        severity: s.severity,
        currentSeverity: s.currentSeverity,
        value: s.value,
        by,
        text,
      });
    }
    const news = { changed: states.map((s) => structuredClone(s)), counts: this.book.counts(), at: this.now() };
    for (const listener of this.listeners) listener(news);
  }

  /** Writes what changed since the last write (one write at a time; a failure is tried again). */
  private flush(): Promise<void> {
    if (this.dirty.size === 0 && this.events.length === 0) return this.writing;
    const ids = [...this.dirty];
    const events = this.events;
    this.dirty.clear();
    this.events = [];
    const present = ids.flatMap((id) => this.book.get(id) ?? []).map((s) => structuredClone(s));
    const gone = ids.filter((id) => !this.book.get(id));
    this.writing = this.writing
      .then(() => this.store.saveStates(present, gone))
      .then(() => this.store.record(events))
      .catch(() => {
        for (const id of ids) this.dirty.add(id);
        this.events.unshift(...events);
      });
    return this.writing;
  }

  /** Stops the clock and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

const visibleOf = (s: AlarmState) => ({
  severity: s.severity,
  currentSeverity: s.currentSeverity,
  acknowledged: !!s.acknowledged,
});
