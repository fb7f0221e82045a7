// Server configuration from environment variables, validated once at start-up.
// A bad value stops the server with a message that names the variable.
import { type ConnectionLimits, defaultTotal } from "./limits/connection-limits.js";
import { z } from "zod";
import { dataDirFromEnv, projectRoot } from "../loaders/paths.js";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_REPLAY_LIMITS } from "../src/core/replay-window.js";
import { type DataSelection, parseSelection } from "../src/core/time-window.js";
import { type RunboardConfig, loadConfig as loadRunboardConfig, snapshotDirFor } from "../loaders/config.js";
import { describeErrors, fieldErrors } from "../src/core/validation.js";
import type { TimeBounds } from "../src/core/ingest.js";
import { roleSchema, userName } from "../src/core/access.js";
import { isIP } from "node:net";
import { type AuthConfig, isLoopback } from "./auth/authenticator.js";

const envSchema = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  RUNBOARD_DATA_DIR: z.string().optional(),
  RUNBOARD_DIST: z.string().optional(),
  /** Where `runboard snapshot` writes by default; served at /snapshots/ when it holds a manifest. */
  RUNBOARD_SNAPSHOT_DIR: z.string().optional(),
  RUNBOARD_INGEST_TOKEN: z.string().min(32, "must be at least 32 characters (make one with: openssl rand -hex 32)").optional(),
  /** Default on; off when replicas share an ingest log (one simulator is enough for all). */
  RUNBOARD_SIMULATOR: z.enum(["on", "off"]).optional(),
  RUNBOARD_SIMULATOR_SEED: z.coerce.number().int().default(20261121),
  RUNBOARD_BACKFILL_HOURS: z.coerce.number().min(0).max(48).default(2),
  RUNBOARD_DASHBOARD_STORE: z.enum(["embedded", "postgres"]).default("embedded"),
  DATABASE_URL: z.string().url().optional(),
  /** `postgres`: replicas share ingest through a log in DATABASE_URL (README, "Several replicas"). */
  RUNBOARD_INGEST_LOG: z.enum(["embedded", "postgres"]).default("embedded"),
  /** Extra origins (scheme://host:port, comma-separated) allowed to write and open websockets. */
  RUNBOARD_ALLOWED_ORIGINS: z.string().default(""),
  /** Source-scoped write tokens (default <data dir>/tokens.json); see README, "Tokens". */
  RUNBOARD_TOKENS_FILE: z.string().optional(),
  /** Open websockets allowed from one address; 0 for no limit (behind a proxy all share its address). */
  RUNBOARD_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).default(256),
  /** Open HTTP connections (websockets included) in all; default: the descriptor limit less headroom. */
  RUNBOARD_MAX_HTTP_CONNECTIONS: z.coerce.number().int().min(16).optional(),
  /** Open HTTP connections (websockets included) from one address. */
  RUNBOARD_MAX_HTTP_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(8).default(512),
  /** Seconds a request may take to send its headers, and its whole body. */
  RUNBOARD_HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(300).default(10),
  RUNBOARD_BODY_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  /** The source the server serves and snapshots (default ./runboard.config.json; the embedded store when absent). */
  RUNBOARD_CONFIG: z.string().optional(),
  /** How often the server refreshes the snapshots; 0 turns the schedule off. */
  RUNBOARD_REFRESH_SECONDS: z.coerce
    .number()
    .min(0)
    .max(7 * 86_400)
    .default(60),
  /** How fast a review (POST /api/reviews) is sent: a review is background work, ingest is not. */
  RUNBOARD_REVIEW_MB_PER_S: z.coerce.number().positive().max(100_000).default(16),
  /** Days the alarm history is kept (older events are deleted hourly). */
  RUNBOARD_ALARM_HISTORY_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  /** A runboard config file whose PostgreSQL or MongoDB source the server watches for new readings. */
  RUNBOARD_WATCH_CONFIG: z.string().optional(),
  /** The live replay window: how far back a reconnecting browser can resume from memory. */
  RUNBOARD_REPLAY_MINUTES: z.coerce
    .number()
    .positive()
    .max(24 * 60)
    .default(DEFAULT_REPLAY_LIMITS.maxAgeMs / 60_000),
  /**
   * The site's offset from UTC in minutes (-300 for Chicago in winter): an observing night runs
   * 12:00 to 12:00 there, whatever the browser's time zone.
   */
  RUNBOARD_NIGHT_UTC_OFFSET_MINUTES: z.coerce.number().int().min(-840).max(840).default(0),
  /** The earliest time a reading or run may carry (ISO-8601); earlier is refused naming the field. */
  RUNBOARD_TIME_EARLIEST: z.iso.date("must be a date such as 2000-01-01").default("2000-01-01"),
  /** How far past the server's clock a time may be (a DAQ's clock a little ahead is fine). */
  RUNBOARD_TIME_AHEAD_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 366)
    .default(24),
  /** DuckDB's memory for the embedded store; beyond it DuckDB evicts its cache of the file. */
  RUNBOARD_STORE_MEMORY_MB: z.coerce.number().int().min(64).max(1_000_000).default(512),
  /** Who the users are: none (one user, loopback only), proxy (a trusted proxy's header), local (accounts). */
  RUNBOARD_AUTH: z.enum(["none", "proxy", "local"]).default("none"),
  RUNBOARD_PROXY_USER_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "must be a header name such as X-Forwarded-User")
    .default("X-Forwarded-User"),
  /** Addresses the proxy connects from (comma-separated IPs); only their user header is believed. */
  RUNBOARD_PROXY_ADDRESSES: z.string().default("127.0.0.1,::1"),
  RUNBOARD_PROXY_DEFAULT_ROLE: roleSchema.default("viewer"),
  /** User names that are admins whatever the store says (comma-separated): proxy mode's first admins. */
  RUNBOARD_ADMINS: z.string().default(""),
  RUNBOARD_SESSION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 90)
    .default(12),
  /** Seconds a replay (a client catching up) may take before it is cut off with a resync. */
  RUNBOARD_REPLAY_TIME_LIMIT_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  RUNBOARD_REPLAY_MB: z.coerce
    .number()
    .positive()
    .max(16 * 1024)
    .default(DEFAULT_REPLAY_LIMITS.maxBytes / (1024 * 1024)),
});

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  distDir: string;
  snapshotDir: string;
  ingestToken?: string;
  simulator: { enabled: boolean; seed: number; backfillHours: number };
  dashboardStore: { kind: "embedded" } | { kind: "postgres"; url: string };
  /** Where ingested batches go first: straight into the embedded store, or a log replicas share. */
  ingestLog: { kind: "embedded" } | { kind: "postgres"; url: string };
  allowedOrigins: string[];
  replay: { maxAgeMs: number; maxBytes: number };
  /** How long one replay may take, whatever its client does. */
  replayTimeLimitMs: number;
  tokensFile: string;
  maxConnectionsPerAddress: number;
  /** Bounds on HTTP connections and how long a request may take (server/limits/connection-limits.ts). */
  connections: ConnectionLimits;
  /** The config file of a source to watch live (README, "Watching a database"). */
  watchConfig?: string;
  /** The source config (RUNBOARD_CONFIG) and the file it came from, if any. */
  runboard: RunboardConfig;
  runboardConfigFile?: string;
  /** Snapshots: how often they are refreshed (0: only when asked) and what a refresh covers. */
  refresh: { intervalMs: number; selection: DataSelection };
  /** The times ingest accepts. */
  timeBounds: TimeBounds;
  /** Facts about the experiment's site the pages need (the observing night's time zone). */
  site: { utcOffsetMinutes: number };
  storeMemoryMb: number;
  /** The pace of a review's download, in MB (MiB) per second. */
  reviewMbPerSecond: number;
  /** Days the alarm history is kept. */
  alarmHistoryDays: number;
  auth: AuthConfig;
}

export class ConfigError extends Error {}

type Env = z.infer<typeof envSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  // Empty variables count as unset, so `PORT= npm start` behaves like no PORT at all.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeErrors(fieldErrors(parsed.error))}`);
  const e = parsed.data;
  for (const name of ["RUNBOARD_DASHBOARD_STORE", "RUNBOARD_INGEST_LOG"] as const) {
    if (e[name] === "postgres" && !e.DATABASE_URL) {
      throw new ConfigError(`invalid configuration: DATABASE_URL: required when ${name}=postgres`);
    }
  }
  const configFile = e.RUNBOARD_CONFIG === undefined ? undefined : resolve(projectRoot, e.RUNBOARD_CONFIG);
  const runboard = loadRunboardConfig(configFile, projectRoot);
  const defaultConfigFile = join(projectRoot, "runboard.config.json");
  const selection = defaultSelection(runboard);
  const origins = allowedOrigins(e);
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: dataDirFromEnv(present),
    distDir: e.RUNBOARD_DIST ?? join(projectRoot, "dist"),
    snapshotDir: snapshotDirFor(runboard, present),
    ingestToken: e.RUNBOARD_INGEST_TOKEN,
    simulator: simulatorConfig(e, runboard.source.kind !== "embedded"),
    dashboardStore: e.RUNBOARD_DASHBOARD_STORE === "postgres" ? { kind: "postgres", url: e.DATABASE_URL! } : { kind: "embedded" },
    ingestLog: e.RUNBOARD_INGEST_LOG === "postgres" ? { kind: "postgres", url: e.DATABASE_URL! } : { kind: "embedded" },
    allowedOrigins: origins,
    maxConnectionsPerAddress: e.RUNBOARD_MAX_CONNECTIONS_PER_ADDRESS,
    connections: connectionConfig(e),
    watchConfig: e.RUNBOARD_WATCH_CONFIG === undefined ? undefined : resolve(projectRoot, e.RUNBOARD_WATCH_CONFIG),
    tokensFile: resolve(projectRoot, e.RUNBOARD_TOKENS_FILE ?? join(dataDirFromEnv(present), "tokens.json")),
    runboard,
    runboardConfigFile: existsSync(configFile ?? defaultConfigFile) ? (configFile ?? defaultConfigFile) : undefined,
    refresh: { intervalMs: e.RUNBOARD_REFRESH_SECONDS * 1000, selection },
    replay: { maxAgeMs: e.RUNBOARD_REPLAY_MINUTES * 60_000, maxBytes: Math.round(e.RUNBOARD_REPLAY_MB * 1024 * 1024) },
    replayTimeLimitMs: e.RUNBOARD_REPLAY_TIME_LIMIT_SECONDS * 1000,
    storeMemoryMb: e.RUNBOARD_STORE_MEMORY_MB,
    reviewMbPerSecond: e.RUNBOARD_REVIEW_MB_PER_S,
    alarmHistoryDays: e.RUNBOARD_ALARM_HISTORY_DAYS,
    auth: authConfig(e, origins),
    site: { utcOffsetMinutes: e.RUNBOARD_NIGHT_UTC_OFFSET_MINUTES },
    timeBounds: {
      earliest: Date.parse(`${e.RUNBOARD_TIME_EARLIEST}T00:00:00Z`),
      aheadMs: e.RUNBOARD_TIME_AHEAD_HOURS * 3_600_000,
    },
  };
}

const list = (value: string) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function defaultSelection(runboard: RunboardConfig): DataSelection {
  try {
    return parseSelection(runboard.snapshot.select);
  } catch (error) {
    throw new ConfigError(`invalid configuration: snapshot.select: ${(error as Error).message}`);
  }
}

function allowedOrigins(e: Env): string[] {
  const origins = list(e.RUNBOARD_ALLOWED_ORIGINS);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError(`invalid configuration: RUNBOARD_ALLOWED_ORIGINS: "${origin}" is not scheme://host[:port]`);
    }
  }
  return origins;
}

function simulatorConfig(e: Env, sourceConfigured: boolean): ServerConfig["simulator"] {
  return {
    // The demo experiment only stands in for a source: off when one is configured.
    enabled: (e.RUNBOARD_SIMULATOR ?? (e.RUNBOARD_INGEST_LOG === "postgres" || sourceConfigured ? "off" : "on")) === "on",
    seed: e.RUNBOARD_SIMULATOR_SEED,
    backfillHours: e.RUNBOARD_BACKFILL_HOURS,
  };
}

function connectionConfig(e: Env): ServerConfig["connections"] {
  return {
    total: e.RUNBOARD_MAX_HTTP_CONNECTIONS ?? defaultTotal(),
    perAddress: e.RUNBOARD_MAX_HTTP_CONNECTIONS_PER_ADDRESS,
    headersTimeoutMs: e.RUNBOARD_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: Math.max(e.RUNBOARD_BODY_TIMEOUT_SECONDS, e.RUNBOARD_HEADERS_TIMEOUT_SECONDS) * 1000,
  };
}

function authConfig(e: Env, origins: readonly string[]): AuthConfig {
  // As PostgreSQL's default pg_hba would not let the network in without a password: a server
  // others can reach must know who they are.
  if (e.RUNBOARD_AUTH === "none" && !isLoopback(e.HOST)) {
    throw new ConfigError(
      `invalid configuration: RUNBOARD_AUTH: none (the default) lets anyone who reaches the server edit every dashboard, so it is allowed only on loopback; HOST is ${e.HOST}: set RUNBOARD_AUTH=local (accounts) or proxy (behind a reverse proxy with single sign-on)`,
    );
  }
  const proxyAddresses = list(e.RUNBOARD_PROXY_ADDRESSES);
  for (const address of proxyAddresses) {
    if (isIP(address) === 0)
      throw new ConfigError(`invalid configuration: RUNBOARD_PROXY_ADDRESSES: "${address}" is not an IP address`);
  }
  const admins = list(e.RUNBOARD_ADMINS);
  for (const admin of admins) {
    if (!userName.safeParse(admin).success)
      throw new ConfigError(`invalid configuration: RUNBOARD_ADMINS: "${admin}" is not a user name`);
  }
  return {
    mode: e.RUNBOARD_AUTH,
    proxy: {
      userHeader: e.RUNBOARD_PROXY_USER_HEADER.toLowerCase(),
      addresses: proxyAddresses,
      defaultRole: e.RUNBOARD_PROXY_DEFAULT_ROLE,
    },
    admins,
    sessionHours: e.RUNBOARD_SESSION_HOURS,
    // Served over https by a proxy: its cookies must say so.
    secureCookies: origins.some((o) => o.startsWith("https:")),
  };
}

/** Where users, sessions and tokens live when they must be shared: PostgreSQL, for replicas or shared dashboards. */
export function sharedAuthUrl(config: Pick<ServerConfig, "dashboardStore" | "ingestLog">): string | undefined {
  if (config.dashboardStore.kind === "postgres") return config.dashboardStore.url;
  if (config.ingestLog.kind === "postgres") return config.ingestLog.url;
  return undefined;
}
