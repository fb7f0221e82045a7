// Framework data loader, one file per run (`--run=<id>`): each scalar observable of the run in
// 400 time buckets (mean, min and max across its channels), for the charts of its report page.
import { EMPTY_SERIES_SQL, SERIES_SQL, writeRunParquet } from "../../../../loaders/build-data.js";

await writeRunParquet("scalar", SERIES_SQL, EMPTY_SERIES_SQL);
