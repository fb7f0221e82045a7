// Framework data loader: the runs of this build's snapshot, each with where its data came from
// (the source's query, rows per kind, when it was written) and the address of its report page.
import { readBuildSnapshot } from "../../loaders/build-data.js";

const snapshot = readBuildSnapshot();
const written = new Map((snapshot.manifest?.runs ?? []).map((r) => [r.run, r]));
const runs = snapshot.runs.map((run) => {
  const entry = written.get(run.id);
  return {
    ...run,
    report: entry ? `runs/${run.id}.html` : null,
    rows: entry?.rows ?? null,
    writtenAt: entry?.writtenAt ?? null,
  };
});
// When the snapshot the reports were written from was taken: a live site moves on after its build.
const takenAt = snapshot.manifest?.updatedAt ?? null;
process.stdout.write(JSON.stringify({ source: snapshot.manifest?.source ?? null, takenAt, runs }));
