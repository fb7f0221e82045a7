// Picks the source a config names. Drivers are imported only when chosen, so the embedded
// default never loads pg or mongodb.
import { isAbsolute, resolve } from "node:path";
import type { RunboardConfig } from "../config.js";
import { EmbeddedStore } from "../store/embedded-store.js";
import { dataDirFromEnv } from "../paths.js";
import { type Source, SourceError } from "./source.js";

export async function openSource(
  config: RunboardConfig,
  options: {
    /** Fills an empty embedded store (the CLI passes the simulator's seeding: a layer above this one). */
    seedEmptyStore?: (store: EmbeddedStore) => Promise<number>;
    log?: (line: string) => void;
  } = {},
): Promise<Source> {
  const source = config.source;
  switch (source.kind) {
    case "embedded": {
      const dir = source.dataDir
        ? isAbsolute(source.dataDir)
          ? source.dataDir
          : resolve(config.baseDir, source.dataDir)
        : dataDirFromEnv();
      // Reading only: a data directory without a store gets no empty one left behind.
      if (!options.seedEmptyStore && !EmbeddedStore.exists(dir))
        throw new SourceError(
          "the embedded store",
          `there is no store in ${dir} yet: start runboard there (npm start) or send it readings first`,
        );
      const store = await EmbeddedStore.open(dir);
      if (options.seedEmptyStore) {
        const seeded = await options.seedEmptyStore(store);
        if (seeded > 0) options.log?.(`seeded the empty store with ${seeded} simulated readings`);
      }
      const { EmbeddedSource } = await import("./embedded-source.js");
      return new EmbeddedSource(store, { ownsStore: true });
    }
    case "postgres": {
      const { PostgresSource } = await import("./postgres-source.js");
      return PostgresSource.connect(source);
    }
    case "mongodb": {
      const { MongoSource } = await import("./mongo-source.js");
      return MongoSource.connect(source);
    }
  }
}
