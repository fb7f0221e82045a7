// Framework data loader, one file per run (`--run=<id>`): the run's scalar readings from this
// build's snapshot, sorted by observable, channel and time, for its report page.
import { writeRunParquet } from "../../../../loaders/build-data.js";

await writeRunParquet(
  "scalar",
  "SELECT observable, channel, t, value FROM read_parquet($files) ORDER BY observable, channel, t",
  "SELECT ''::VARCHAR AS observable, 0::INTEGER AS channel, now()::TIMESTAMP AS t, 0::DOUBLE AS value LIMIT 0",
);
