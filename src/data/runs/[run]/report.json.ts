// Framework data loader, one file per run (`--run=<id>`): what a run report says besides its
// readings: the run, its observables, its flags, and where its data came from (provenance).
import { manifestRun, readBuildSnapshot, runFlags, runParam } from "../../../../loaders/build-data.js";

const run = runParam();
const snapshot = readBuildSnapshot();
const entry = manifestRun(snapshot, run);
const info = snapshot.runs.find((r) => r.id === run) ?? null;
const report = {
  run: info ?? { id: run, start: entry.start, stop: entry.stop, status: entry.status, meta: {} },
  observables: snapshot.observables,
  flags: runFlags(snapshot, run),
  provenance: {
    source: snapshot.manifest?.source ?? null,
    query: entry.query,
    rows: entry.rows,
    stats: entry.stats,
    writtenAt: entry.writtenAt,
    files: entry.files.map((f) => ({ kind: f.kind, rows: f.rows, bytes: f.bytes, sha256: f.sha256 })),
  },
};
process.stdout.write(JSON.stringify(report));
