// Framework data loader: the catalog of observables and the runs, from the source the config
// file names (the embedded store by default), through the same library as `runboard snapshot`.
import { loadConfig } from "../../loaders/config.js";
import { openSource } from "../../loaders/sources/open-source.js";

const source = await openSource(loadConfig(process.env.RUNBOARD_CONFIG), {
  seedEmptyStore: true,
  log: (line) => process.stderr.write(`${line}\n`),
});
try {
  const [observables, runs] = await Promise.all([source.catalog(), source.runs()]);
  process.stdout.write(JSON.stringify({ source: source.description, observables, runs }));
} finally {
  await source.close();
}
