// Framework data loader, one file per run (`--run=<id>`): each scalar observable of the run in
// 400 time buckets (mean, min and max across its channels), for the charts of its report page.
import {
  EMPTY_SERIES_SQL,
  SERIES_SQL,
  parquetOf,
  readBuildSnapshot,
  runFiles,
  runParam,
} from "../../../../loaders/build-data.js";

const files = runFiles(readBuildSnapshot(), runParam(), "scalar");
process.stdout.write(await parquetOf(SERIES_SQL, files, EMPTY_SERIES_SQL));
