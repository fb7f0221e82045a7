// The steps of a server's start, in order, each a function that opens one part and says how
// to close it: the stores, the ingest path with the live hub, the snapshots, HTTP, the feeds.
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { EmbeddedStore } from "../loaders/store/embedded-store.js";
import { connectionUrl, ConfigError as RunboardConfigError, loadConfig as loadRunboardConfig } from "../loaders/config.js";
import { openSource } from "../loaders/sources/open-source.js";
import type { Source } from "../loaders/sources/source.js";
import { createApp } from "./app.js";
import { ReviewPublisher } from "./review-publisher.js";
import { AuthStore, type SqlAdapter, duckdbAdapter, postgresAdapter } from "./auth/auth-store.js";
import { PlaylistStore } from "./playlists/playlist-store.js";
import type { AlarmStore } from "./alarms/alarm-store.js";
import { ContactPoints, webhookDeliver } from "./alarms/contact-points.js";
import { mqttDeliver } from "./alarms/mqtt-contact.js";
import { startRunReviewer } from "./alarms/run-reviewer.js";
import { Authenticator } from "./auth/authenticator.js";
import { TokenRegistry } from "./auth/token-registry.js";
import { ConfigError, type ServerConfig, sharedAuthUrl } from "./config.js";
import type { DashboardStore } from "./dashboards/dashboard-store.js";
import { EmbeddedDashboardStore } from "./dashboards/embedded-dashboard-store.js";
import { prepareDataDir } from "./data-dir.js";
import { EmbeddedFlagStore } from "./flags/embedded-flag-store.js";
import { EmbeddedAlarmStore } from "./alarms/embedded-alarm-store.js";
import { AlarmService } from "./alarms/alarm-service.js";
import type { FlagStore } from "./flags/flag-store.js";
import { type Ingestor, ingestBody, localIngestor, withTimeBounds } from "./ingest/ingest.js";
import { IngestLog } from "./ingest/ingest-log.js";
import { BodyPermits } from "./limits/body-permits.js";
import { limitConnections, timeoutOptions } from "./limits/connection-limits.js";
import { LiveHub } from "./live/live-hub.js";
import { createOriginPolicy } from "./origin-policy.js";
import { seedIfEmpty } from "./simulator/seed.js";
import { startSimulatorFeed } from "./simulator/simulator-feed.js";
import { SnapshotKeeper } from "./snapshots/snapshot-keeper.js";
import { accessOf, ensureIngestToken, loadSourceTokens } from "./tokens.js";

export { RunboardConfigError };

/** The users, sessions, tokens and audit log: beside the dashboards, in the store replicas share. */
/** Where small shared state lives: PostgreSQL when replicas (or shared dashboards) need it, else the embedded file. */
async function openSharedSql(config: ServerConfig, store: EmbeddedStore): Promise<SqlAdapter> {
  // Replicas (a shared ingest log) or shared dashboards: sessions must hold on every replica.
  const shared = sharedAuthUrl(config);
  if (shared) {
    const { default: pg } = await import("pg");
    return postgresAdapter(new pg.Pool({ connectionString: shared, max: 4, connectionTimeoutMillis: 5000 }));
  }
  return duckdbAdapter(await store.connect());
}

async function openDashboardStore(config: ServerConfig, store: EmbeddedStore): Promise<DashboardStore> {
  if (config.dashboardStore.kind === "postgres") {
    const { PostgresDashboardStore } = await import("./dashboards/postgres-dashboard-store.js");
    return PostgresDashboardStore.open(config.dashboardStore.url);
  }
  return EmbeddedDashboardStore.open(await store.connect());
}

/** Flags on runs live beside the dashboards. */
async function openFlagStore(config: ServerConfig, store: EmbeddedStore): Promise<FlagStore> {
  if (config.dashboardStore.kind === "postgres") {
    const { PostgresFlagStore } = await import("./flags/postgres-flag-store.js");
    return PostgresFlagStore.open(config.dashboardStore.url);
  }
  return EmbeddedFlagStore.open(await store.connect());
}

/** Watches the source a runboard config names, feeding new readings to `ingestor`. */
export async function startWatching(
  file: string,
  ingestor: Ingestor,
  store: EmbeddedStore,
  dataDir: string,
  log: (line: string) => void,
): Promise<{ close(): Promise<void> }> {
  const config = loadRunboardConfig(file);
  const source = config.source;
  if (source.kind === "postgres") {
    const [{ PostgresSource }, { watchPostgres }] = await Promise.all([
      import("../loaders/sources/postgres-source.js"),
      import("./watch/postgres-watch.js"),
    ]);
    const reader = await PostgresSource.connect(source);
    const watcher = await watchPostgres(reader, source, connectionUrl(source, "DATABASE_URL"), ingestor, log);
    return { close: async () => (await watcher.close(), await reader.close()) };
  }
  if (source.kind === "mongodb") {
    const [{ MongoSource }, { watchMongo }] = await Promise.all([
      import("../loaders/sources/mongo-source.js"),
      import("./watch/mongo-watch.js"),
    ]);
    const reader = await MongoSource.connect(source);
    const watcher = await watchMongo(reader, ingestor, store, join(dataDir, "mongo-watch-resume.json"), log);
    return { close: async () => (await watcher.close(), await reader.close()) };
  }
  throw new ConfigError(
    `invalid configuration: RUNBOARD_WATCH_CONFIG: ${file} has a ${source.kind} source; only PostgreSQL and MongoDB sources can be watched`,
  );
}

/** Step 1: the data directory, the tokens, and every store (readings, dashboards, flags, users). */
export async function openStores(config: ServerConfig, log: (line: string) => void) {
  // Before anything is opened: a data directory that cannot be written, or a bad tokens file,
  // stops the start with a message naming the cause.
  prepareDataDir(config.dataDir, log, [config.tokensFile]);
  const sourceTokens = loadSourceTokens(config.tokensFile);
  const store = await EmbeddedStore.open(config.dataDir, { memoryMb: config.storeMemoryMb });
  const dashboards = await openDashboardStore(config, store);
  const flags = await openFlagStore(config, store);
  // Alarms live where replicas share state (PostgreSQL), else beside the flags in the embedded file.
  const sharedUrl = sharedAuthUrl(config);
  const alarmStore: AlarmStore = sharedUrl
    ? await (await import("./alarms/postgres-alarm-store.js")).PostgresAlarmStore.open(sharedUrl, log)
    : await EmbeddedAlarmStore.open(await store.connect());
  const token = ensureIngestToken(config.dataDir, config.ingestToken);
  const authStore = await AuthStore.open(await openSharedSql(config, store));
  const playlists = await PlaylistStore.open(await openSharedSql(config, store));
  const auth = await Authenticator.create(config.auth, authStore, token.token);
  const tokens = await TokenRegistry.open(authStore, sourceTokens, token.token, log);
  // Expired sessions are of no use to anyone; the store forgets them hourly.
  const sweep = setInterval(() => {
    authStore.sweepSessions().catch((error: unknown) => log(`forgetting expired sessions failed: ${String(error)}`));
  }, 3_600_000);
  sweep.unref();
  return { store, dashboards, flags, alarmStore, playlists, token, sourceTokens, authStore, auth, tokens, sweep };
}
export type Stores = Awaited<ReturnType<typeof openStores>>;

/**
 * Step 2: the live hub and the one ingest path into the store (through the replicas' shared log
 * when there is one). `knows` is asked once the snapshots exist, after the server listens.
 */
export async function startIngest(
  config: ServerConfig,
  stores: Stores,
  knows: (name: string) => boolean,
  log: (line: string) => void,
) {
  const { store, auth, tokens } = stores;
  const isAllowedRequest = createOriginPolicy(config);
  // Bodies over 1 MB, from HTTP and websockets alike, are read a few at a time.
  const bodyPermits = new BodyPermits();
  const hub = new LiveHub(store, {
    bodyPermits,
    maxReplay: 200_000,
    replay: config.replay,
    maxReplayMs: config.replayTimeLimitMs,
    maxBufferedBytes: 16 * 1024 * 1024,
    heartbeatMs: 30_000,
    isAllowedRequest,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    knows,
    catchUp: async () => await ingestLog?.catchUp(),
    // A browser may follow the feed once it is signed in (RUNBOARD_AUTH); a DAQ authorizes with a token.
    viewer: async (req) => !("status" in (await auth.identify(req))),
    publishing: {
      scopeOf: (given) => tokens.scopeOf(given),
      ingest: (batch, scope) => {
        const source = (batch as { source?: unknown } | null)?.source;
        return ingestBody(ingestor, batch, accessOf(scope, typeof source === "string" ? source : undefined));
      },
    },
  });
  // Every stored reading meets the alarm rules before the hub coalesces anything for browsers
  // (the alarms start once the catalog is known, after the snapshots: main.ts sets `alarmSink`).
  const alarmSink: { evaluate?: (readings: Parameters<LiveHub["publish"]>[0]) => void } = {};
  const onStored = (readings: Parameters<LiveHub["publish"]>[0]) => {
    try {
      alarmSink.evaluate?.(readings);
    } catch (error) {
      log(`alarm evaluation failed: ${String(error)}`);
    }
    hub.publish(readings);
  };
  // With replicas, every write goes through the shared log, which also brings the others' writes.
  const ingestLog =
    config.ingestLog.kind === "postgres" ? await IngestLog.open(config.ingestLog.url, store, onStored, log) : undefined;
  const ingestor: Ingestor = withTimeBounds(ingestLog ?? localIngestor(store, onStored), config.timeBounds);
  return { hub, ingestLog, ingestor, bodyPermits, isAllowedRequest, alarmSink };
}
export type Ingest = Awaited<ReturnType<typeof startIngest>>;

/** Step 3: the configured source and the keeper of the snapshots; an empty store gets the demo. */
export async function startSnapshots(
  config: ServerConfig,
  stores: Stores,
  ingestor: Ingestor,
  given: Source | undefined,
  log: (line: string) => void,
) {
  const { store } = stores;
  // The configured source (PostgreSQL, MongoDB): what the catalog, the runs and the snapshots show.
  let source = given;
  const configured = config.runboard.source;
  if (!source && configured.kind !== "embedded") source = await openSource(config.runboard);
  else if (!source && configured.kind === "embedded" && configured.dataDir)
    log(`the config's source.dataDir is not used by the server: it serves ${config.dataDir}`);
  const keeper = new SnapshotKeeper({
    dir: config.snapshotDir,
    config: config.runboard,
    store,
    source,
    defaultSelection: config.refresh.selection,
    intervalMs: config.refresh.intervalMs,
    log,
  });
  await keeper.start();
  if (config.simulator.enabled) {
    const seeded = await seedIfEmpty(store, { seed: config.simulator.seed, hours: config.simulator.backfillHours }, ingestor);
    if (seeded > 0) log(`seeded the empty store with ${seeded} simulated readings`);
  }
  return { source, keeper };
}

/**
 * Step 3b: the alarms, once the catalog is known (a rule's channels and default limits come from
 * it): the states kept are read back, and from now on every stored reading is evaluated.
 */
export async function startAlarms(
  config: ServerConfig,
  stores: Stores,
  ingest: Ingest,
  keeper: SnapshotKeeper,
  log: (line: string) => void,
): Promise<AlarmService> {
  const catalog = (name: string) => {
    const o = keeper.catalog().observables.find((e) => e.name === name);
    return o && o.shape === "scalar" ? { channels: o.channels, groups: o.groups, healthy: o.healthy, unit: o.unit } : undefined;
  };
  const contacts = new ContactPoints((point) => (point.kind === "webhook" ? webhookDeliver(point.url) : mqttDeliver(point)), log);
  const alarms = await AlarmService.start(stores.alarmStore, catalog, { contacts, historyDays: config.alarmHistoryDays });
  const runs = () => keeper.runs();
  alarms.whenStopped(startRunReviewer({ runs, flags: stores.flags, alarms, store: stores.alarmStore, log }));
  ingest.alarmSink.evaluate = (readings) => alarms.evaluate(readings);
  // Pages follow the alarms on /ws: all of them when they ask, then each second's news.
  ingest.hub.followAlarms(() => alarms.current());
  alarms.onNews((news) => ingest.hub.publishAlarms(news));
  return alarms;
}

/** Step 4: HTTP and /ws, listening. */
export async function listen(
  config: ServerConfig,
  stores: Stores,
  ingest: Ingest,
  keeper: SnapshotKeeper,
  alarms: AlarmService,
  startedAt: number,
  log: (line: string) => void,
): Promise<{ server: Server; url: string; publisher: ReviewPublisher }> {
  let connectionCount = () => ({ open: 0, refused: 0 });
  const { store, dashboards, auth, tokens, flags, alarmStore, playlists } = stores;
  const { ingestor, isAllowedRequest, bodyPermits } = ingest;
  const publisher = new ReviewPublisher(config.reviewMbPerSecond * 1024 * 1024);
  const app = createApp({
    publisher,
    alarms: { service: alarms, store: alarmStore },
    playlists,
    ...{ store, dashboards, auth, tokens, flags, ingestor, isAllowedRequest, bodyPermits, keeper, log, startedAt },
    connections: () => connectionCount(),
    distDir: config.distDir,
    snapshotDir: config.snapshotDir,
    site: config.site,
  });
  const server = createServer(timeoutOptions(config.connections), app);
  server.once("close", () => publisher.stop());
  connectionCount = limitConnections(server, config.connections);
  ingest.hub.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return { server, url: `http://${host}:${port}`, publisher };
}

/** Step 5: what feeds the store besides ingest: a watched database and the simulator. */
export async function startFeeds(
  config: ServerConfig,
  stores: Stores,
  ingestor: Ingestor,
  keeper: SnapshotKeeper,
  log: (line: string) => void,
) {
  // New rows a watcher brings reach pages live at once, and the snapshots soon after.
  const watched: Ingestor = {
    ingest: async (batch) => {
      const outcome = await ingestor.ingest(batch);
      if (outcome.ok && outcome.stored > 0) keeper.nudge("watcher");
      return outcome;
    },
  };
  const watcher = config.watchConfig
    ? await startWatching(config.watchConfig, watched, stores.store, config.dataDir, log)
    : undefined;
  const feed = config.simulator.enabled ? startSimulatorFeed(ingestor, config.simulator.seed) : undefined;
  return { watcher, feed };
}

/** What the server says when it has started: where, with what data, users and source. */
export async function announce(
  config: ServerConfig,
  parts: { url: string; stores: Stores; ingestLog: IngestLog | undefined; source: Source | undefined; startedAt: number },
  log: (line: string) => void,
): Promise<void> {
  const { url, stores, ingestLog, source } = parts;
  const ingest = ingestLog ? `shared log in PostgreSQL, applied up to entry ${ingestLog.appliedId()}` : "embedded";
  log(
    `runboard listening on ${url} (data: ${config.dataDir}, dashboards: ${stores.dashboards.kind}, ingest: ${ingest}, simulator: ${config.simulator.enabled ? "on" : "off"})`,
  );
  const { token, sourceTokens } = stores;
  log(
    token.file
      ? `ingest token ${token.created ? "created in" : "read from"} ${token.file}`
      : "ingest token taken from RUNBOARD_INGEST_TOKEN",
  );
  if (sourceTokens.length > 0) log(`${sourceTokens.length} source token(s) from ${config.tokensFile}`);
  log(
    {
      none: "users: none (RUNBOARD_AUTH=none): one user, an admin, for whoever reaches 127.0.0.1",
      proxy: `users: from the ${config.auth.proxy.userHeader} header of the proxy at ${config.auth.proxy.addresses.join(", ")} (RUNBOARD_AUTH=proxy)`,
      local: `users: local accounts (RUNBOARD_AUTH=local), ${(await stores.authStore.listUsers()).length} of them; add one with npx runboard users add <name> --role admin`,
    }[config.auth.mode],
  );
  log(
    `source: ${source ? source.description : "the embedded store"}${config.runboardConfigFile ? ` (from ${config.runboardConfigFile})` : ""}; ` +
      `snapshots in ${config.snapshotDir}, refreshed ${config.refresh.intervalMs > 0 ? `every ${config.refresh.intervalMs / 1000} s` : "when asked"}`,
  );
  log(`started in ${Date.now() - parts.startedAt} ms, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
}
