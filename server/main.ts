// Starts runboard: the steps of server/start-steps.ts in order (stores, ingest and the live
// hub, snapshots, HTTP, feeds), and closes what they opened, the other way round.
import type { ServerConfig } from "./config.js";
import { ConfigError, loadConfig } from "./config.js";
import { DataDirError } from "./data-dir.js";
import { writeFlagsFile } from "./flags/flag-routes.js";
import { IngestLogError } from "./ingest/ingest-log.js";
import { TokensFileError } from "./tokens.js";
import { forgetRunningServer, recordRunningServer } from "../loaders/running-server.js";
import { SourceError } from "../loaders/sources/source.js";
import type { Source } from "../loaders/sources/source.js";
import {
  RunboardConfigError,
  announce,
  listen,
  openStores,
  startAlarms,
  startFeeds,
  startIngest,
  startSnapshots,
} from "./start-steps.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * The configured source, already open, in place of the one the config would connect to: for
   * tests of a source that cannot run here (the MongoDB fake). The server closes it.
   */
  source?: Source;
}

export async function startServer(
  config: ServerConfig,
  log: (line: string) => void = console.log,
  options: StartOptions = {},
): Promise<RunningServer> {
  const startedAt = Date.now();
  const stores = await openStores(config, log);
  // The live hub checks names against the catalog, which the keeper (step 3) holds.
  const ingest = await startIngest(config, stores, (name) => snapshots.keeper.knows(name), log);
  const snapshots = await startSnapshots(config, stores, ingest.ingestor, options.source, log);
  const { keeper, source } = snapshots;
  const alarms = await startAlarms(config, stores, ingest, keeper, log);
  const { server, url, publisher } = await listen(config, stores, ingest, keeper, alarms, startedAt, log);
  const { watcher, feed } = await startFeeds(config, stores, ingest.ingestor, keeper, log);
  await announce(config, { url, stores, ingestLog: ingest.ingestLog, source, startedAt }, log);
  recordRunningServer(config.dataDir, { pid: process.pid, url, snapshotDir: config.snapshotDir });
  keeper.scheduled("start");
  // The snapshot directory carries the flags from the start (flag-routes.ts rewrites it on each change).
  await writeFlagsFile(stores.flags, config.snapshotDir).catch((error) => log(`flags.json not written: ${String(error)}`));

  return {
    url,
    async close() {
      forgetRunningServer(config.dataDir);
      feed?.stop();
      await watcher?.close();
      await keeper.close();
      await source?.close();
      ingest.hub.close();
      stores.tokens.close();
      clearInterval(stores.sweep);
      await ingest.ingestLog?.close();
      await alarms.stop();
      // Before the server: a download handed to the child would hold server.close() open.
      publisher.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stores.dashboards.close();
      await stores.flags.close();
      await stores.alarmStore.close();
      await stores.playlists.close();
      await stores.authStore.close();
      stores.store.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const running = await startServer(loadConfig());
    const shutdown = () => {
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof DataDirError ||
      error instanceof TokensFileError ||
      error instanceof IngestLogError ||
      error instanceof RunboardConfigError ||
      error instanceof SourceError
    ) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
