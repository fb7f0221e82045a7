// Framework data loader: the last hours of the newest run's scalar readings, as Parquet.
import { openStoreForBuild } from "../../loaders/open-for-build.js";
import { recentSpan, scalarSnapshotBytes } from "../../loaders/snapshot.js";

const store = await openStoreForBuild();
try {
  const span = recentSpan(store.runs(), 2);
  const scalars = store
    .catalog()
    .filter((o) => o.shape === "scalar")
    .map((o) => o.name);
  const { bytes } = await scalarSnapshotBytes(store, { observables: scalars, ...span });
  process.stdout.write(bytes);
} finally {
  store.close();
}
