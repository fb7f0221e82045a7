// LISTEN on a PostgreSQL channel, and keep listening: a connection of its own that, when
// PostgreSQL goes away (a restart, a network cut), comes back with backoff. A NOTIFY sent while
// nobody listened is lost, so `onReady` runs after every (re)connect for the caller to read what
// it may have missed. Used by the replicas' ingest log and the PostgreSQL watcher.
import type { Client } from "pg";

export interface PgListener {
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 5000;

/** Resolves once listening (throws if the first connection fails); `onReady` is not called for that one. */
export async function listenToChannel(options: {
  url: string;
  /** A plain identifier (it is written into LISTEN as it is). */
  channel: string;
  onNotice: (payload: string | undefined) => void;
  onReady: () => void;
  log: (line: string) => void;
  /** Names the listener in log lines, e.g. "ingest notices". */
  what: string;
}): Promise<PgListener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`not a plain channel name: ${options.channel}`);
  const { default: pg } = await import("pg");
  let current: Client | undefined;
  let closed = false;
  let delay = FIRST_RETRY_MS;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    // keepAlive: a connection cut without a goodbye (a switch, a cable) is found and replaced.
    const client = new pg.Client({ connectionString: options.url, keepAlive: true, connectionTimeoutMillis: 10_000 });
    const lost = () => {
      if (current !== client) return;
      current = undefined;
      client.end().catch(() => undefined);
      retry();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (notice) => options.onNotice(notice.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${options.channel}`);
    } catch (error) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      // Closed while this connection was being made.
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      return;
    }
    current = client;
    delay = FIRST_RETRY_MS;
  };
  const retry = () => {
    if (closed) return;
    options.log(`lost the PostgreSQL connection for ${options.what}; reconnecting in ${delay} ms`);
    timer = setTimeout(() => {
      connect().then(
        () => {
          if (closed) return;
          options.log(`listening for ${options.what} again`);
          options.onReady();
        },
        () => {
          delay = Math.min(delay * 2, LAST_RETRY_MS);
          retry();
        },
      );
    }, delay);
    timer.unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const client = current;
      current = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
