// Framework data loader, one file per run (`--run=<id>`): each scalar observable of the run in
// one row (channels, readings, min, mean, max, last), computed by DuckDB from the run's snapshot
// files, for the table of its report page.
import { EMPTY_SUMMARY_SQL, SUMMARY_SQL, writeRunParquet } from "../../../../loaders/build-data.js";

await writeRunParquet("scalar", SUMMARY_SQL, EMPTY_SUMMARY_SQL);
