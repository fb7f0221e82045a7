// The runboard config file: which source to read and how its existing schema maps onto
// runboard's runs / catalog / readings. Validated at load with errors that name the field,
// e.g. `source.tables[1].time: Required`. Nothing in it is ever pasted into a query unquoted:
// identifiers are checked here and quoted again where they are used.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { dataDirFromEnv, projectRoot } from "./paths.js";
import { z } from "zod";
import { observableFactsSchema } from "../src/core/catalog.js";
import { describeErrors, fieldErrors, type FieldError } from "../src/core/validation.js";

/** A table or column name as it is in the database (any case, spaces allowed, no NUL or quotes games). */
const identifier = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[^\u0000"]+$/, "must be a plain identifier (no double quotes or NUL)");

/**
 * What a physicist may want to add to a discovered observable: a unit, a description, a healthy
 * range, how its channels are grouped (`{"name": "module", "size": 7}`). Only the keys given replace the source's (no defaults: a unit alone keeps the column's
 * comment as the description).
 */
const observableOverride = z
  .object({
    unit: observableFactsSchema.shape.unit.unwrap().optional(),
    description: observableFactsSchema.shape.description.unwrap().optional(),
    healthy: observableFactsSchema.shape.healthy,
    groups: observableFactsSchema.shape.groups,
  })
  .strict();

/** A connection string given directly, or the name of the environment variable that holds it. */
const connection = {
  url: z.string().min(1).optional(),
  urlEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name")
    .optional(),
};

const postgresLongTable = z
  .object({
    layout: z.literal("long"),
    schema: identifier.default("public"),
    table: identifier,
    run: identifier,
    observable: identifier,
    /** Omit for single-channel data: every reading is channel 0. */
    channel: identifier.optional(),
    time: identifier,
    /** Column with scalar values (float8 or any numeric type). */
    value: identifier.optional(),
    /** Column with array values (`float8[]` or `float8[][]`). */
    arrayValue: identifier.optional(),
  })
  .strict()
  .refine((t) => t.value !== undefined || t.arrayValue !== undefined, { message: "give value, arrayValue or both" });

const postgresWideTable = z
  .object({
    layout: z.literal("wide"),
    schema: identifier.default("public"),
    table: identifier,
    run: identifier,
    /** Omit when there is one row per run: readings then carry the run's start time. */
    time: identifier.optional(),
    channel: identifier.optional(),
    /** Only these columns are observables (default: every numeric or float8[] column not named above). */
    include: z.array(identifier).optional(),
    exclude: z.array(identifier).default([]),
    /** Prepended to column names to make observable names, e.g. `calib.`. */
    prefix: z
      .string()
      .regex(/^([A-Za-z][A-Za-z0-9_]*\.)*$/, "must be empty or dotted words ending with a dot, e.g. calib.")
      .default(""),
  })
  .strict();

const postgresRunsTable = z
  .object({
    schema: identifier.default("public"),
    table: identifier,
    id: identifier,
    start: identifier,
    stop: identifier.optional(),
    status: identifier.optional(),
    /** Columns copied into the run's metadata (default: every other column). */
    meta: z.array(identifier).optional(),
  })
  .strict();

const postgresSource = z
  .object({
    kind: z.literal("postgres"),
    ...connection,
    runs: postgresRunsTable.optional(),
    tables: z.array(z.discriminatedUnion("layout", [postgresLongTable, postgresWideTable])).min(1),
    /** Gives up on a query after this long, so a stuck database fails the snapshot instead of hanging it. */
    statementTimeoutSeconds: z.number().positive().max(86_400).default(600),
    connectTimeoutSeconds: z.number().positive().max(600).default(10),
  })
  .strict();

/** Slow control: one collection per property, each document a timestamp and one value per channel. */
const mongoPropertyLayout = z
  .object({
    layout: z.literal("properties"),
    /** Collections to read; observable name = prefix + collection name. */
    collections: z.array(identifier).min(1).optional(),
    /** Or every collection whose name starts with this (new ones appear without a restart). */
    collectionPrefix: z.string().min(1).optional(),
    prefix: z
      .string()
      .regex(/^([A-Za-z][A-Za-z0-9_]*\.)*$/, "must be empty or dotted words ending with a dot, e.g. camera.")
      .default(""),
    time: z.string().min(1).default("time"),
    /** A number (one channel) or an array of numbers (one per channel). */
    values: z.string().min(1).default("values"),
    /** Field holding the run number; omit to assign readings to runs by time (or to nights, see runs). */
    run: z.string().min(1).optional(),
  })
  .strict()
  .refine((l) => (l.collections === undefined) !== (l.collectionPrefix === undefined), {
    message: "give exactly one of collections or collectionPrefix",
  });

/** bluesky's document model: run_start, event_descriptor, event and run_stop collections. */
const mongoBlueskyLayout = z
  .object({
    layout: z.literal("bluesky"),
    collections: z
      .object({
        start: identifier.default("run_start"),
        descriptor: identifier.default("event_descriptor"),
        event: identifier.default("event"),
        stop: identifier.default("run_stop"),
      })
      .strict()
      .prefault({}),
    /** Only events of this stream (descriptor name). */
    stream: z.string().min(1).default("primary"),
    prefix: z
      .string()
      .regex(/^([A-Za-z][A-Za-z0-9_]*\.)*$/, "must be empty or dotted words ending with a dot")
      .default(""),
  })
  .strict();

const mongoRuns = z.union([
  z
    .object({
      collection: identifier,
      id: z.string().min(1),
      start: z.string().min(1),
      stop: z.string().min(1).optional(),
      status: z.string().min(1).optional(),
    })
    .strict(),
  /** No run records: every observing night (12:00 to 12:00 at the site) is one run, id YYYYMMDD. */
  z.object({ nights: z.object({ utcOffsetMinutes: z.number().int().min(-720).max(840).default(0) }).strict() }).strict(),
]);

const mongoSource = z
  .object({
    kind: z.literal("mongodb"),
    ...connection,
    database: identifier,
    mapping: z.discriminatedUnion("layout", [mongoPropertyLayout, mongoBlueskyLayout]),
    /** For the properties layout. bluesky brings its own runs. */
    runs: mongoRuns.optional(),
    serverSelectionTimeoutSeconds: z.number().positive().max(600).default(10),
  })
  .strict();

const embeddedSource = z
  .object({
    kind: z.literal("embedded"),
    /** Default: RUNBOARD_DATA_DIR, else ./var. */
    dataDir: z.string().min(1).optional(),
  })
  .strict();

export const sourceConfigSchema = z.discriminatedUnion("kind", [embeddedSource, postgresSource, mongoSource]);
export type SourceConfig = z.infer<typeof sourceConfigSchema>;
export type PostgresSourceConfig = z.infer<typeof postgresSource>;
export type PostgresLongTable = z.infer<typeof postgresLongTable>;
export type PostgresWideTable = z.infer<typeof postgresWideTable>;
export type PostgresRunsTable = z.infer<typeof postgresRunsTable>;
export type MongoSourceConfig = z.infer<typeof mongoSource>;
export type MongoPropertyLayout = z.infer<typeof mongoPropertyLayout>;
export type MongoBlueskyLayout = z.infer<typeof mongoBlueskyLayout>;
export type MongoRunsConfig = z.infer<typeof mongoRuns>;

export const snapshotConfigSchema = z
  .object({
    /**
     * Where snapshots go, relative to the config file; when absent, `snapshots/` in the data
     * directory (RUNBOARD_DATA_DIR), beside the store (see snapshotDirFor).
     */
    out: z.string().min(1).optional(),
    /** Level-of-detail bucket widths in seconds (M4 per bucket); [] turns LOD tables off. */
    lodSeconds: z.array(z.number().int().min(1).max(86_400)).max(8).default([10, 60, 600]),
    /** Default selection when the CLI is given none, in the text form (see parseSelection). */
    select: z.string().min(1).default("last:7d"),
  })
  .strict();
export type SnapshotConfig = z.infer<typeof snapshotConfigSchema>;

export const runboardConfigSchema = z
  .object({
    $schema: z.string().optional(),
    source: sourceConfigSchema.prefault({ kind: "embedded" }),
    /** Extra facts about observables (unit, description, healthy range), keyed by observable name. */
    observables: z.record(z.string(), observableOverride).default({}),
    snapshot: snapshotConfigSchema.prefault({}),
  })
  .strict();
export type RunboardConfig = z.infer<typeof runboardConfigSchema> & {
  /** The file's folder; relative paths start here. */ baseDir: string;
};

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly errors: FieldError[],
  ) {
    super(`${file}: ${describeErrors(errors)}`);
  }
}

/** Validates a parsed config object. */
export function parseConfig(input: unknown, file = "(config)"): RunboardConfig {
  const result = runboardConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(file, fieldErrors(result.error));
  return { ...result.data, baseDir: isAbsolute(file) ? dirname(file) : process.cwd() };
}

/** Reads and validates a config file; a missing file at the default path means the embedded store. */
export function loadConfig(file: string | undefined, cwd = process.cwd()): RunboardConfig {
  const path = resolve(cwd, file ?? "runboard.config.json");
  if (!existsSync(path)) {
    if (file !== undefined) throw new ConfigError(path, [{ field: "(file)", message: "no such file" }]);
    return { ...runboardConfigSchema.parse({}), baseDir: cwd };
  }
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConfigError(path, [{ field: "(file)", message: `not valid JSON: ${(error as Error).message}` }]);
  }
  return parseConfig(input, path);
}

/** The connection string a source config names, from the file or from the environment. */
export function connectionUrl(
  config: { url?: string; urlEnv?: string },
  fallbackEnv: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (config.url) return config.url;
  const name = config.urlEnv ?? fallbackEnv;
  const url = env[name]?.trim();
  if (!url) throw new ConfigError("(environment)", [{ field: name, message: "is not set; give source.url or set it" }]);
  return url;
}

/** A connection string without its password, for logs and manifests. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:/@]+):[^@]*@/, "://$1:***@");
  }
}

/**
 * The snapshot directory the server keeps and `runboard snapshot` writes by default:
 * RUNBOARD_SNAPSHOT_DIR (relative to the project), else the config's `snapshot.out` (relative
 * to its file), else `snapshots/` in the data directory, so it follows RUNBOARD_DATA_DIR.
 */
export function snapshotDirFor(config: RunboardConfig, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.RUNBOARD_SNAPSHOT_DIR?.trim();
  if (fromEnv) return resolve(projectRoot, fromEnv);
  if (config.snapshot.out) return resolve(config.baseDir, config.snapshot.out);
  return join(dataDirFromEnv(env), "snapshots");
}
