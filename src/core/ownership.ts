// Who may write what. A source (a DAQ's `source` name, or `bluesky`) owns the runs and
// observables it created. A source token writes as its source and may change only what that
// source owns: not another DAQ's run (its stop, its metadata), nor another's observables (their
// declaration, their readings). A source may write readings of its own observables into any
// run: the run control creates the run, the subsystems fill it.
import type { IngestBatch } from "./ingest.js";
import type { FieldError } from "./validation.js";

/**
 * Who writes a batch. `owner` is the source that owns the runs and observables the batch creates
 * (null: none, written with the ingest token and no source); `restricted` writers (source tokens)
 * may write only what their source owns.
 */
export interface WriteAccess {
  owner: string | null;
  restricted: boolean;
  /** The only name prefixes new observables may have (the token's reserved names); any when absent. */
  prefixes?: readonly string[];
}

/** The owner of a run or an observable: a source, null for none, undefined when it does not exist. */
export interface Owners {
  run(id: number): string | null | undefined;
  observable(name: string): string | null | undefined;
}

/** At most this many refusals are listed; one is enough to know the batch is refused. */
const MAX_LISTED = 20;

const whose = (owner: string | null) =>
  owner === null ? "was written without a source (with the ingest token)" : `belongs to source ${owner}`;

/** Every part of `batch` a restricted writer may not write, each naming its field (a 403). */
export function ownershipErrors(
  batch: Pick<IngestBatch, "runs" | "observables" | "readings" | "owners">,
  access: { owner: string | null; restricted: boolean; prefixes?: readonly string[] },
  owners: Owners,
): FieldError[] {
  if (!access.restricted) return [];
  const errors: FieldError[] = [];
  if (batch.owners)
    errors.push({ field: "owners", message: "only the ingest token or an admin may give runs and observables new owners" });
  const as = access.owner === null ? "this token" : `this token writes as ${access.owner}`;
  const refuse = (field: string, what: string, owner: string | null) => {
    if (errors.length < MAX_LISTED) errors.push({ field, message: `${what} ${whose(owner)}; ${as}` });
  };
  const foreign = (owner: string | null | undefined): owner is string | null => owner !== undefined && owner !== access.owner;
  batch.runs.forEach((r, i) => {
    const owner = owners.run(r.id);
    if (foreign(owner)) refuse(`runs[${i}].id`, `run ${r.id}`, owner);
  });
  const prefixes = access.prefixes;
  batch.observables.forEach((o, i) => {
    const owner = owners.observable(o.name);
    if (foreign(owner)) refuse(`observables[${i}].name`, o.name, owner);
    // A new name outside the token's reserved prefixes: another source's to take.
    else if (owner === undefined && prefixes && !prefixes.some((p) => o.name.startsWith(p)) && errors.length < MAX_LISTED)
      errors.push({
        field: `observables[${i}].name`,
        message: `${o.name}: this token may create only observables named ${prefixes.map((p) => `${p}…`).join(", ")}`,
      });
  });
  const refusedNames = new Set<string>();
  batch.readings.forEach((r, i) => {
    const owner = owners.observable(r.observable);
    if (!foreign(owner)) return;
    // One error per observable is enough: a camera batch holds thousands of its readings.
    if (refusedNames.has(r.observable)) return;
    refusedNames.add(r.observable);
    refuse(`readings[${i}].observable`, r.observable, owner);
  });
  return errors;
}
