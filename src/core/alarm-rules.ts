// Alarm rules: which observable and channels are watched, their MINOR and MAJOR limits, the noise
// filter (delay and count), latching, the silent-channel check, guidance and display links. A
// versioned document, like a dashboard; rules sit on group paths (`/camera/hv/module-3`) and a
// rule takes every field it leaves out from the rules above it (Phoebus's alarm tree does the
// same). `parseAlarmRules` names the field at fault; `resolveRules` gives each watching rule
// with its inherited fields filled in.
import { z } from "./z.js";
import { parseWith, type Parsed } from "./validation.js";

export const ALARM_RULES_VERSION = 1;

const limitsSchema = z
  .object({ min: z.number().finite().optional(), max: z.number().finite().optional() })
  .strict()
  .refine((l) => l.min !== undefined || l.max !== undefined, "give min, max or both")
  .refine((l) => l.min === undefined || l.max === undefined || l.min <= l.max, "min must not exceed max");
export type AlarmLimits = z.infer<typeof limitsSchema>;

/** "all", a list of channels, or channel groups of the observable's catalog entry (`{group: 3}`). */
const channelsSchema = z.union([
  z.literal("all"),
  z.array(z.number().int().min(0).max(1_000_000)).min(1).max(100_000),
  z.object({ group: z.union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1).max(10_000)]) }).strict(),
]);

const pathSchema = z
  .string()
  .max(300)
  .regex(/^(\/[A-Za-z0-9_.-]+)+$/, "a group path such as /camera/hv/module-3 (letters, digits, _ . -)");

const ruleSchema = z
  .object({
    path: pathSchema,
    observable: z.string().min(1).max(200).optional(),
    channels: channelsSchema.optional(),
    minor: limitsSchema.optional(),
    major: limitsSchema.optional(),
    /** Phoebus: in alarm for more than `delaySeconds`, or more than `count` times within them. */
    delaySeconds: z.number().min(0).max(86_400).optional(),
    count: z.number().int().min(0).max(100_000).optional(),
    latch: z.boolean().optional(),
    /** No reading for this long: INVALID. 0: never. */
    silentSeconds: z
      .number()
      .min(0)
      .max(7 * 86_400)
      .optional(),
    guidance: z
      .array(z.object({ title: z.string().min(1).max(200), details: z.string().max(5000) }).strict())
      .max(50)
      .optional(),
    displays: z
      .array(
        z
          .string()
          .max(2000)
          .regex(/^\/(?!\/)\S*$/, "a link on this server, such as /d/<id>?window=1h"),
      )
      .max(50)
      .optional(),
    enabled: z.boolean().optional(),
    /** A MAJOR alarm during a run proposes flagging the run bad over the alarm's span (default yes). */
    proposeFlags: z.boolean().optional(),
    /** A run that ended with no alarm here is marked reviewed when the next run starts (default no). */
    autoReview: z.boolean().optional(),
  })
  .strict();
export type AlarmRule = z.infer<typeof ruleSchema>;

const SEVERITIES = ["MINOR", "MAJOR", "INVALID"] as const;
const contactBase = {
  /** Who is told, for the health page and the logs ("shift-phone", "lab-mqtt"). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, "letters, digits, spaces and . _ - only, at most 64"),
  /** Only alarms under these group paths (absent: all). */
  paths: z.array(pathSchema).min(1).max(100).optional(),
  /** Only changes that reach this severity or above, and their acknowledgement and return (default MINOR). */
  minSeverity: z.enum(SEVERITIES).optional(),
};

/** Where alarm changes are sent out of the building: a local webhook, or an MQTT topic. */
const contactPointSchema = z.discriminatedUnion("kind", [
  z
    .object({
      ...contactBase,
      kind: z.literal("webhook"),
      url: z
        .string()
        .max(2000)
        .regex(/^https?:\/\/\S+$/, "an http:// or https:// address"),
    })
    .strict(),
  z
    .object({
      ...contactBase,
      kind: z.literal("mqtt"),
      url: z
        .string()
        .max(2000)
        .regex(/^mqtts?:\/\/\S+$/, "an mqtt:// or mqtts:// address"),
      /** {observable}, {channel}, {severity} and {path} are filled in. */
      topic: z
        .string()
        .min(1)
        .max(500)
        .regex(/^[^#+]*$/, "a topic to publish to (no wildcards); {observable}, {channel}, {severity}, {path} are filled in"),
      qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
      retain: z.boolean().optional(),
      /** Names of environment variables holding the broker's credentials (never the secrets themselves). */
      usernameEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable's name")
        .optional(),
      passwordEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable's name")
        .optional(),
    })
    .strict(),
]);
export type ContactPoint = z.infer<typeof contactPointSchema>;

export const alarmRulesSchema = z
  .object({
    schemaVersion: z.literal(ALARM_RULES_VERSION),
    rules: z.array(ruleSchema).max(10_000),
    contactPoints: z.array(contactPointSchema).max(50).optional(),
  })
  .strict()
  .superRefine((doc, ctx) => {
    const seen = new Map<string, number>();
    doc.rules.forEach((rule, i) => {
      const before = seen.get(rule.path);
      if (before !== undefined)
        ctx.addIssue({ code: "custom", path: ["rules", i, "path"], message: `the same path as rules[${before}]` });
      seen.set(rule.path, i);
    });
  });
export type AlarmRules = z.infer<typeof alarmRulesSchema>;

export const emptyAlarmRules = (): AlarmRules => ({ schemaVersion: ALARM_RULES_VERSION, rules: [] });

/** Version n -> n+1 upgrades, applied in order; each has its own test (none yet: version 1). */
export const alarmRulesMigrations: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {};

export function parseAlarmRules(input: unknown): Parsed<AlarmRules> {
  let doc = input as Record<string, unknown>;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    return { ok: false, errors: [{ field: "(body)", message: "an alarm rules document: {schemaVersion, rules}" }] };
  let version = doc.schemaVersion;
  if (typeof version === "number" && version > ALARM_RULES_VERSION)
    return {
      ok: false,
      errors: [{ field: "schemaVersion", message: `version ${version} is newer than this runboard (${ALARM_RULES_VERSION})` }],
    };
  while (typeof version === "number" && alarmRulesMigrations[version]) {
    doc = alarmRulesMigrations[version]!(doc);
    version = doc.schemaVersion;
  }
  return parseWith(alarmRulesSchema, doc);
}

/** A rule that watches something, with everything it inherits filled in. */
export interface ResolvedRule {
  path: string;
  observable: string;
  channels: NonNullable<AlarmRule["channels"]>;
  minor: AlarmLimits | undefined;
  major: AlarmLimits | undefined;
  delaySeconds: number;
  count: number;
  latch: boolean;
  silentSeconds: number;
  guidance: NonNullable<AlarmRule["guidance"]>;
  displays: string[];
  enabled: boolean;
  proposeFlags: boolean;
  autoReview: boolean;
}

const ancestors = (path: string): string[] => {
  const parts = path.split("/").slice(1);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
};

/**
 * Each rule with an observable (its own or inherited), its fields taken from the nearest rule
 * above it that sets them; guidance and display links add up from the top down. Where neither
 * gives limits, `healthy` (the catalog's healthy range of the observable) is the MAJOR limit.
 */
export function resolveRules(doc: AlarmRules, healthy: (observable: string) => AlarmLimits | undefined): ResolvedRule[] {
  const byPath = new Map(doc.rules.map((r) => [r.path, r]));
  const out: ResolvedRule[] = [];
  for (const rule of doc.rules) {
    const chain = ancestors(rule.path).flatMap((p) => byPath.get(p) ?? []);
    const pick = <K extends keyof AlarmRule>(key: K): AlarmRule[K] | undefined =>
      chain.reduce<AlarmRule[K] | undefined>((found, r) => (r[key] !== undefined ? r[key] : found), undefined);
    const observable = pick("observable");
    if (!observable) continue;
    const [minor, major] = [pick("minor"), pick("major")];
    const limitsGiven = minor !== undefined || major !== undefined;
    out.push({
      path: rule.path,
      observable,
      channels: pick("channels") ?? "all",
      minor,
      major: limitsGiven ? major : healthy(observable),
      delaySeconds: pick("delaySeconds") ?? 0,
      count: pick("count") ?? 0,
      latch: pick("latch") ?? true,
      silentSeconds: pick("silentSeconds") ?? 0,
      guidance: chain.flatMap((r) => r.guidance ?? []),
      displays: chain.flatMap((r) => r.displays ?? []),
      // A group turned off turns off everything under it.
      enabled: chain.every((r) => r.enabled !== false),
      proposeFlags: pick("proposeFlags") ?? true,
      autoReview: pick("autoReview") ?? false,
    });
  }
  return out;
}
