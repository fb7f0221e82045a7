// Framework data loader: the last two hours up to the newest run's end, scalar readings only,
// as Parquet, from the source the config names (the embedded store by default).
import { loadConfig } from "../../loaders/config.js";
import { recentSpan } from "../../loaders/snapshot.js";
import { windowParquet } from "../../loaders/snapshot/window-parquet.js";
import { openSource } from "../../loaders/sources/open-source.js";

const source = await openSource(loadConfig(process.env.RUNBOARD_CONFIG), {
  seedEmptyStore: true,
  log: (line) => process.stderr.write(`${line}\n`),
});
try {
  const window = recentSpan(await source.runs(), 2);
  const scalars = (await source.catalog()).filter((o) => o.shape === "scalar").map((o) => o.name);
  const { bytes } = await windowParquet(source, { window, observables: scalars });
  process.stdout.write(bytes);
} finally {
  await source.close();
}
