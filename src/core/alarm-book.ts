// Every alarm the rules define, and the one place readings meet them. Each channel of a watched
// observable belongs to the most specific rule that names it (the longest path: a module's rule
// over its camera's), found in O(1) per reading, so ingest can evaluate every reading as it is
// stored. Pure and clock-free like alarm-state.ts: the server owns an AlarmBook and calls it.
import type { AlarmLimits, AlarmRules, ResolvedRule } from "./alarm-rules.js";
import { resolveRules } from "./alarm-rules.js";
import {
  type AlarmChange,
  type AlarmCounts,
  type AlarmState,
  SEVERITY_RANK,
  alarmId,
  applyReading,
  isActive,
  newAlarm,
  tick,
} from "./alarm-state.js";
import { type ChannelGroups, groupChannels } from "./catalog.js";

/** What the book needs to know of an observable: its channels, groups and healthy range. */
export interface WatchedObservable {
  channels: number;
  groups?: ChannelGroups | undefined;
  healthy?: AlarmLimits | undefined;
  /** For the pages' and the annunciator's "3.1 volts". */
  unit?: string | undefined;
}

/** The channels a rule names, among `info.channels`; a group the catalog lacks names none. */
export function ruleChannels(rule: ResolvedRule, info: WatchedObservable): number[] {
  const { channels } = rule;
  if (channels === "all") return Array.from({ length: info.channels }, (_, i) => i);
  if (Array.isArray(channels)) return channels.filter((c) => c < info.channels);
  if (!info.groups) return [];
  const groups = Array.isArray(channels.group) ? channels.group : [channels.group];
  return groups.flatMap((g) => groupChannels(info.groups!, g, info.channels));
}

export class AlarmBook {
  /** observable -> channel -> index into `rules` of the rule that owns it. */
  private readonly owner = new Map<string, Int32Array>();
  private rules: ResolvedRule[] = [];
  private readonly alarms = new Map<string, AlarmState>();
  /** The same alarms by observable and channel, for the per-reading lookup (checked against `alarms`). */
  private readonly byChannel = new Map<string, AlarmState[]>();

  constructor(
    private readonly catalog: (observable: string) => WatchedObservable | undefined,
    doc?: AlarmRules,
  ) {
    if (doc) this.setRules(doc, 0);
  }

  /**
   * New rules. Alarms whose channel is still watched keep their state (a latched MAJOR survives
   * an edit of its guidance); the rest go. A rule with a silent-channel check watches each of its
   * channels from now, even before a first reading.
   */
  setRules(doc: AlarmRules, now: number): void {
    this.rules = resolveRules(doc, (o) => this.catalog(o)?.healthy);
    this.owner.clear();
    // Least specific first, so a deeper path takes its channels over.
    const order = this.rules.map((_, i) => i).sort((a, b) => this.rules[a]!.path.length - this.rules[b]!.path.length);
    for (const i of order) {
      const rule = this.rules[i]!;
      const info = this.catalog(rule.observable);
      if (!info) continue;
      const owners = this.owner.get(rule.observable) ?? new Int32Array(info.channels).fill(-1);
      this.owner.set(rule.observable, owners);
      for (const c of ruleChannels(rule, info)) owners[c] = i;
    }
    for (const [id, alarm] of this.alarms) {
      const rule = this.ruleFor(alarm.observable, alarm.channel);
      if (rule) alarm.path = rule.path;
      else this.alarms.delete(id);
    }
    for (const rule of this.rules) {
      if (rule.silentSeconds <= 0) continue;
      const owners = this.owner.get(rule.observable);
      owners?.forEach((owner, channel) => {
        if (this.rules[owner] === rule) this.alarmOf(rule, channel, now);
      });
    }
  }

  /** The rule that owns a channel, if any. */
  ruleFor(observable: string, channel: number): ResolvedRule | undefined {
    const i = this.owner.get(observable)?.[channel];
    return i === undefined || i < 0 ? undefined : this.rules[i];
  }

  private alarmOf(rule: ResolvedRule, channel: number, now: number): AlarmState {
    // By channel first: no id string is made for a reading of an alarm already held.
    const held = this.byChannel.get(rule.observable)?.[channel];
    if (held && this.alarms.get(held.id) === held) return held;
    const id = alarmId(rule.observable, channel);
    let alarm = this.alarms.get(id);
    if (!alarm) {
      alarm = newAlarm(rule, channel, now);
      this.alarms.set(id, alarm);
    }
    const row = this.byChannel.get(rule.observable) ?? this.byChannel.set(rule.observable, []).get(rule.observable)!;
    row[channel] = alarm;
    return alarm;
  }

  /** One stored reading; what it changed, if anything. Unwatched channels cost one lookup. */
  reading(observable: string, channel: number, t: number, value: number): AlarmChange | undefined {
    const rule = this.ruleFor(observable, channel);
    if (!rule) return undefined;
    return applyReading(this.alarmOf(rule, channel, t), rule, t, value);
  }

  /** Time passing: delayed departures, silent channels, shelves that end. */
  tick(now: number): AlarmChange[] {
    const changes: AlarmChange[] = [];
    for (const alarm of this.alarms.values()) {
      const rule = this.ruleFor(alarm.observable, alarm.channel);
      const change = rule && tick(alarm, rule, now);
      if (change) changes.push(change);
    }
    return changes;
  }

  get(id: string): AlarmState | undefined {
    return this.alarms.get(id);
  }

  /** Alarms an operator has to see: not OK, or shelved, or disabled; by severity, then newest first. */
  list(): AlarmState[] {
    return [...this.alarms.values()]
      .filter((a) => a.severity !== "OK" || a.shelved || a.disabled)
      .sort(
        (a, b) =>
          SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
          (b.time ?? 0) - (a.time ?? 0) ||
          (a.observable < b.observable ? -1 : a.observable > b.observable ? 1 : a.channel - b.channel),
      );
  }

  /** Counts for the alarm area: active (unshelved, enabled) alarms by severity, unacknowledged. */
  counts(): AlarmCounts {
    const out: AlarmCounts = { MINOR: 0, MAJOR: 0, INVALID: 0, unacknowledged: 0 };
    for (const a of this.alarms.values()) {
      if (!isActive(a)) continue;
      if (a.severity !== "OK") out[a.severity]++;
      if (!a.acknowledged) out.unacknowledged++;
    }
    return out;
  }

  /** The states, for keeping them where the replicas share state (and reading them back). */
  states(): AlarmState[] {
    return [...this.alarms.values()];
  }

  restore(states: readonly AlarmState[], now?: number): void {
    for (const s of states) {
      // Under the rule that owns the channel now (the rules may have moved it since it was saved).
      const rule = this.ruleFor(s.observable, s.channel);
      if (!rule) continue;
      const alarm = { ...structuredClone(s), path: rule.path };
      // A server that was down saw no readings: its silence is counted from when it watches again.
      if (now !== undefined && alarm.lastReading !== null) alarm.lastReading = Math.max(alarm.lastReading, now);
      this.alarms.set(s.id, alarm);
    }
  }
}
