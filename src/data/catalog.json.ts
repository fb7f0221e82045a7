// Framework data loader: the catalog of this build's snapshot (observables, their shapes, units
// and healthy ranges, and the runs), for pages of a static site that no server answers.
import { readBuildSnapshot } from "../../loaders/build-data.js";

const { observables, runs } = readBuildSnapshot();
process.stdout.write(JSON.stringify({ observables, runs }));
