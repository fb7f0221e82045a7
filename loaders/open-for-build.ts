// How a Framework data loader gets at the embedded store at build time: open it (seeding a
// fresh one from the simulator so a first build has something to show).
import { EmbeddedStore } from "./embedded-store.js";
import { dataDirFromEnv } from "./paths.js";
import { seedIfEmpty } from "./snapshot.js";

export async function openStoreForBuild(): Promise<EmbeddedStore> {
  const store = await EmbeddedStore.open(dataDirFromEnv());
  const seeded = await seedIfEmpty(store);
  if (seeded > 0) process.stderr.write(`seeded the empty store with ${seeded} simulated readings\n`);
  return store;
}
