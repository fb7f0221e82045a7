// The server's alarms: every stored reading is evaluated against the rules (before any
// coalescing for browsers), the clock ticks once a second (delays, silent channels, shelves that
// end), and operators acknowledge, shelve and disable. States are written to the store a moment
// after they change, so a restart finds them; each change is in the history and is told to
// whoever listens (the websocket's alarm topic).
import { type AlarmRules, type ResolvedRule, resolveRules } from "../../src/core/alarm-rules.js";
import { AlarmBook, type WatchedObservable } from "../../src/core/alarm-book.js";
import {
  type AlarmChange,
  type AlarmCounts,
  type AlarmState,
  type AlarmView,
  acknowledge,
  disable,
  enable,
  shelve,
  unshelve,
} from "../../src/core/alarm-state.js";
import type { Reading } from "../../src/core/catalog.js";
import type { AlarmAction, AlarmEvent, AlarmRemote, AlarmStore, SaveRulesResult } from "./alarm-store.js";
import type { ContactPoints } from "./contact-points.js";
import { FlapLimit } from "../../src/core/alarm-flapping.js";

/**
 * What listeners are told once a second: the alarms that changed since (as the API shows them),
 * and the counts now. Sent when nothing changed too: a page that hears nothing for three
 * seconds knows the alarm service is lost.
 */
export interface AlarmNews {
  changed: AlarmView[];
  counts: AlarmCounts;
  at: number;
}

export type { AlarmAction };

/** How often states are written and the clock ticks. */
const TICK_MS = 1000;

export class AlarmService {
  private readonly book: AlarmBook;
  private byPath = new Map<string, ResolvedRule>();
  /** Alarms changed since the last news. */
  private readonly news = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly listeners = new Set<(news: AlarmNews) => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private events: AlarmEvent[] = [];
  private readonly flaps = new FlapLimit();
  /** Alarms no rule watches any more, told to pages once as cleared (so they leave every list). */
  private readonly gone = new Map<string, AlarmView>();
  /** The rules revision this replica evaluates (another replica's save arrives by NOTIFY). */
  rulesRevision = 0;

  private constructor(
    private readonly store: AlarmStore,
    private readonly catalog: (observable: string) => WatchedObservable | undefined,
    private readonly now: () => number,
    private readonly contacts: ContactPoints | undefined,
  ) {
    this.book = new AlarmBook(catalog);
  }

  /** Reads the rules and the states kept, then ticks once a second. */
  static async start(
    store: AlarmStore,
    catalog: (observable: string) => WatchedObservable | undefined,
    options: { now?: () => number; contacts?: ContactPoints; historyDays?: number } = {},
  ): Promise<AlarmService> {
    const service = new AlarmService(store, catalog, options.now ?? Date.now, options.contacts);
    const rules = await store.rules();
    service.learn(rules.doc);
    service.rulesRevision = rules.revision;
    service.book.restore(await store.states(), service.now());
    service.timer = setInterval(() => service.tick(), TICK_MS);
    service.timer.unref();
    await store.follow?.((message) => void service.fromReplica(message));
    // The history is kept `historyDays` (default a year): pruned at start, then hourly.
    const keepMs = (options.historyDays ?? 365) * 86_400_000;
    const prune = () => void store.prune(service.now() - keepMs).catch(() => undefined);
    prune();
    const pruning = setInterval(prune, 3_600_000);
    pruning.unref();
    service.whenStopped(() => clearInterval(pruning));
    return service;
  }

  private learn(doc: AlarmRules): void {
    this.contacts?.configure(doc.contactPoints ?? []);
    this.book.setRules(doc, this.now());
    this.byPath = new Map(resolveRules(doc, (o) => this.catalog(o)?.healthy).map((r) => [r.path, r]));
  }

  view(s: AlarmState): AlarmView {
    const { filter: _filter, ...state } = s;
    const rule = this.byPath.get(s.path);
    const value = s.value !== null && Number.isFinite(s.value) ? s.value : null;
    const unit = this.catalog(s.observable)?.unit ?? "";
    return { ...state, value, unit, guidance: rule?.guidance ?? [], displays: rule?.displays ?? [] };
  }

  /** Every alarm an operator has to see, as news (what a page is sent when it subscribes). */
  current(): AlarmNews {
    return { changed: this.book.list().map((s) => this.view(s)), counts: this.book.counts(), at: this.now() };
  }

  /** The rule an alarm is under: its limits, whether it proposes flags and reviews runs. */
  ruleOf(id: string): ResolvedRule | undefined {
    const state = this.book.get(id);
    return state ? this.byPath.get(state.path) : undefined;
  }

  /** Whether any rule marks quiet runs reviewed. */
  reviewsRuns(): boolean {
    return [...this.byPath.values()].some((r) => r.autoReview);
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
    const changed = [...this.news].flatMap((id) => this.book.get(id) ?? []).map((s) => this.view(s));
    changed.push(...this.gone.values());
    this.news.clear();
    this.gone.clear();
    const news = { changed, counts: this.book.counts(), at: this.now() };
    for (const listener of this.listeners) listener(news);
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

  /** An operator's action on one alarm; a string says why it was refused. Told to the other replicas. */
  act(id: string, action: AlarmAction, by: string): AlarmState | string {
    const at = this.now();
    const outcome = this.apply(id, action, by, at, true);
    if (typeof outcome !== "string") void this.store.announce?.({ kind: "act", id, action, by, at }).catch(() => undefined);
    return outcome;
  }

  /** The action on this replica's book; `record`: in the history (only the replica it was taken on). */
  private apply(id: string, action: AlarmAction, by: string, at: number, record: boolean): AlarmState | string {
    const alarm = this.book.get(id);
    if (!alarm) return `no alarm ${id}`;
    let text = "";
    if (action.kind === "ack") {
      const outcome = acknowledge(alarm, by, action.comment, at);
      if (typeof outcome === "string") return outcome;
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
    if (record) this.changed([{ id, at }], action.kind, by, text);
    else this.news.add(id);
    this.flush();
    return alarm;
  }

  /** What another replica did: its operator's action, or a rules save (read again from the store). */
  private async fromReplica(message: AlarmRemote): Promise<void> {
    if (message.kind === "act") {
      // The other replica may have applied the readings that made the alarm before this one has
      // (each applies the shared log at its own pace): wait for it, up to 10 s.
      for (let tries = 0; tries < 50 && !this.book.get(message.id); tries++) await new Promise((r) => setTimeout(r, 200));
      this.apply(message.id, message.action, message.by, message.at, false);
      return;
    }
    const before = this.rulesRevision;
    const record = await this.store.rules().catch(() => undefined);
    if (record && record.revision !== before) this.adopt(record.doc, record.revision);
    // Listening again after a lost connection (no origin): actions told meanwhile were missed,
    // so the shared states are read back (the other replicas wrote what their operators did).
    if (message.origin === "") {
      const states = await this.store.states().catch(() => []);
      this.book.restore(states);
      for (const s of states) this.news.add(s.id);
    }
  }

  async setRules(doc: AlarmRules, baseRevision: number | undefined, by: string, message: string): Promise<SaveRulesResult> {
    const saved = await this.store.saveRules(doc, baseRevision, by, message);
    if (!saved.ok) return saved;
    this.adopt(saved.record.doc, saved.record.revision);
    void this.store.announce?.({ kind: "rules" }).catch(() => undefined);
    return saved;
  }

  /** New rules: states kept where the rule still watches; pages told of every alarm, gone ones as cleared. */
  private adopt(doc: AlarmRules, revision: number): void {
    const before = new Map(this.book.states().map((s) => [s.id, this.view(s)]));
    this.learn(doc);
    this.rulesRevision = revision;
    for (const [id, old] of before) {
      if (this.book.get(id)) continue;
      this.dirty.add(id);
      this.gone.set(id, { ...old, severity: "OK", currentSeverity: "OK", acknowledged: null, shelved: null, disabled: null });
      const { observable, channel } = old;
      const text = "no rule watches it any more";
      this.events.push({
        at: this.now(),
        id,
        observable,
        channel,
        kind: "removed",
        severity: "OK",
        currentSeverity: "OK",
        value: null,
        by: "",
        text,
      });
    }
    // Only what a page lists, or a restart must find, is told and written again: of 10,000 rules'
    // alarms most are OK, and an OK alarm is made again by its next reading.
    for (const s of this.book.states()) {
      if (s.severity === "OK" && !s.shelved && !s.disabled && !s.acknowledged) continue;
      this.dirty.add(s.id);
      this.news.add(s.id);
    }
    this.flush();
  }

  private changed(
    changes: readonly (Pick<AlarmChange, "id" | "at"> & Partial<AlarmChange>)[],
    kind: AlarmEvent["kind"],
    by: string,
    said: string,
  ): void {
    for (const c of changes) {
      const s = this.book.get(c.id);
      if (!s) continue;
      this.dirty.add(c.id);
      this.news.add(c.id);
      let text = said;
      // A flapping alarm's changes beyond the limit are counted, not recorded nor sent.
      const flap = kind === "severity" ? this.flaps.admit(c.id, c.at) : { record: true, notRecorded: 0 };
      if (!flap.record) continue;
      if (flap.notRecorded > 0) text = `${flap.notRecorded} changes in the minute before were not recorded (flapping)`;
      // As the change left it (a batch may change an alarm twice: its rise and its return).
      const { id, observable, channel } = s;
      const { severity, currentSeverity } = c.to ?? s;
      const value = c.value !== undefined ? c.value : s.value;
      this.events.push({ at: c.at, id, observable, channel, kind, severity, currentSeverity, value, by, text });
      // Severity changes are seen by every replica and sent by one; a person's action by the replica it was taken on.
      if (this.contacts && (kind !== "severity" || (this.store.leads?.() ?? true))) {
        const acknowledged = c.to ? c.to.acknowledged : !!s.acknowledged;
        const shown = value !== null && Number.isFinite(value) ? value : null;
        const unit = this.catalog(observable)?.unit ?? "";
        this.contacts.send({
          id,
          path: s.path,
          observable,
          channel,
          kind,
          severity,
          currentSeverity,
          acknowledged,
          value: shown,
          unit,
          at: c.at,
          by,
          text,
        });
      }
    }
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

  /** What the contact points have delivered, queued and dropped (for /api/health). */
  contactStatus() {
    return this.contacts?.status() ?? [];
  }

  private readonly stoppers: (() => void)[] = [];
  /** Stopped with the service (a helper's timer). */
  whenStopped(stop: () => void): void {
    this.stoppers.push(stop);
  }

  /** Stops the clock and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const stop of this.stoppers) stop();
    await this.flush();
    await this.contacts?.close();
  }
}
