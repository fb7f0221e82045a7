// Framework data loader: the catalog of observables and the runs, for pages and static builds.
import { openStoreForBuild } from "../../loaders/open-for-build.js";

const store = await openStoreForBuild();
try {
  process.stdout.write(JSON.stringify({ observables: store.catalog(), runs: store.runs(), lastSeq: store.lastSeq() }));
} finally {
  store.close();
}
