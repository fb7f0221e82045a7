// Framework data loader, one file per run (`--run=<id>`): the run's last 1D and 2D reading of
// each observable and channel, from this build's snapshot (a report shows the last waveform and
// the last image; the whole run's arrays stay in the snapshot).
import { writeRunParquet } from "../../../../loaders/build-data.js";

await writeRunParquet(
  "array",
  `SELECT observable, channel, t, value_1d, value_2d FROM read_parquet($files)
      QUALIFY row_number() OVER (PARTITION BY observable, channel ORDER BY t DESC) = 1
      ORDER BY observable, channel`,
  `SELECT ''::VARCHAR AS observable, 0::INTEGER AS channel, now()::TIMESTAMP AS t,
            []::DOUBLE[] AS value_1d, []::DOUBLE[][] AS value_2d LIMIT 0`,
);
