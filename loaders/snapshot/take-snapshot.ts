// `takeSnapshot`: a source's runs as Parquet files plus catalog.json and manifest.json, shared by
// the `runboard snapshot` CLI and the Framework loaders. Incremental: a run is rewritten only
// when its source fingerprint (row count, time span, status) changed, its files are missing, or
// the user forces it. Atomic for readers: new files get new names (a content-hash suffix), the
// manifest is swapped in with one rename, and only then are the replaced files removed; a run
// that fails half way leaves its previous files and manifest entry untouched.
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createReadStream } from "node:fs";
import { join, relative } from "node:path";
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import { type DataSelection, resolveSelection } from "../../src/core/time-window.js";
import type { RunboardConfig } from "../config.js";
import { NameClashError, type ReadingTally, type RunFingerprint, type Source } from "../sources/source.js";
import { type Manifest, type ManifestFile, type ManifestRun, MANIFEST_VERSION, parseManifest } from "../../src/core/manifest.js";
import { Staging } from "./staging.js";

export interface SnapshotOptions {
  /** The snapshot directory; created when missing. */
  out: string;
  selection: DataSelection;
  /** Re-fetch runs even when unchanged: true for every selected run, or a narrower selection. */
  force?: boolean | DataSelection;
  lodSeconds: readonly number[];
  /** Units, descriptions and healthy ranges from the config file, keyed by observable name. */
  overrides?: RunboardConfig["observables"];
  now?: number;
  /** The embedded store's seq the files hold (see Manifest.liveSeq). */
  liveSeq?: number;
  /** DuckDB's memory limit while staging; it spills to disk beyond it. */
  memoryLimit?: string;
  /** Scalar readings of one run sorted in memory; larger runs are sorted by DuckDB (tests lower it). */
  inMemoryRows?: number;
  log?: (line: string) => void;
  /** How long files replaced by this update stay readable (default RETIRED_FILES_KEPT_MS). */
  retiredFilesKeptMs?: number;
  /** Told after each run written (or failed): how many of how many. */
  progress?: (done: number, total: number) => void;
}

export interface SnapshotResult {
  manifest: Manifest;
  written: number[];
  unchanged: number[];
  failed: Manifest["errors"];
  /** Readings written, scalar plus array rows. */
  rows: number;
  note?: string;
}

export class SnapshotError extends Error {}
/** The selection matches no run (nothing to write; not a failure of the source). */
export class NoRunsError extends SnapshotError {}

const MANIFEST = "manifest.json";
/** Replaced files a page holding an older manifest may still ask for, with when they were replaced. */
const RETIRED = ".retired.json";
/** How long replaced files stay readable: longer than any page polls its manifest (15 s). */
export const RETIRED_FILES_KEPT_MS = 10 * 60_000;
const CATALOG = "catalog.json";

export async function takeSnapshot(source: Source, options: SnapshotOptions): Promise<SnapshotResult> {
  const { out, now = Date.now(), log = () => undefined } = options;
  mkdirSync(out, { recursive: true });
  const unlock = lockDirectory(out);
  try {
    const chosen = await chooseRuns(source, options, now, log);
    const previous = readPreviousManifest(out, options, log);
    const plan = await planWrites(source, options, chosen, previous, log);
    const writer = new RunWriter(source, options, plan, previous);
    await writer.writeAll();
    const manifest = writeManifest(source, options, now, chosen, previous, writer);
    const { written, failed, rows } = writer;
    const note = chosen.resolved.note;
    return { manifest, written, unchanged: plan.unchanged, failed, rows, ...(note ? { note } : {}) };
  } finally {
    unlock();
  }
}

/** The runs the selection names (and those forced), as the source has them now. */
async function chooseRuns(source: Source, options: SnapshotOptions, now: number, log: (line: string) => void) {
  const allRuns = await source.runs();
  // Open runs end at their newest reading, so one never closed does not claim every later
  // night or window (selections by run number need no such look).
  const byTime = (s: DataSelection | boolean | undefined) =>
    typeof s === "object" && (s.kind === "night" || s.kind === "relative" || s.kind === "absolute");
  const open = byTime(options.selection) || byTime(options.force) ? allRuns.filter((r) => r.stop === null).map((r) => r.id) : [];
  const newest = new Map((open.length > 0 ? await source.fingerprints(open) : []).map((f) => [f.run, f.lastMicros]));
  const lastReading = (run: number) => {
    const micros = newest.get(run);
    return micros === undefined ? undefined : micros === null ? null : micros / 1000;
  };
  const resolved = resolveSelection(allRuns, options.selection, now, lastReading);
  if (!resolved || resolved.runs.length === 0) {
    throw new NoRunsError(
      `no runs match ${JSON.stringify(options.selection)} in ${source.description} (${allRuns.length} runs there)`,
    );
  }
  if (resolved.note) log(resolved.note);
  const forced = new Set<number>(
    options.force === true
      ? resolved.runs.map((r) => r.id)
      : options.force
        ? (resolveSelection(allRuns, options.force, now, lastReading)?.runs.map((r) => r.id) ?? [])
        : [],
  );
  return { allRuns, resolved, forced, ids: resolved.runs.map((r) => r.id) };
}
type ChosenRuns = Awaited<ReturnType<typeof chooseRuns>>;

function readPreviousManifest(out: string, options: SnapshotOptions, log: (line: string) => void): Manifest | undefined {
  try {
    return readManifest(out);
  } catch (error) {
    // A full --force rebuilds everything anyway, so a broken manifest need not stop it.
    if (options.force !== true) throw error;
    log(`${(error as Error).message}; starting a fresh manifest (--force)`);
    return undefined;
  }
}

/** What the source says of the runs: their catalog, fingerprints, and the catalog's hash. */
class SourceFacts {
  catalog: ObservableInfo[] = [];
  fingerprints = new Map<number, RunFingerprint>();
  catalogHash = "";

  constructor(private readonly overrides: RunboardConfig["observables"]) {}

  learn(found: { catalog: ObservableInfo[]; fingerprints: RunFingerprint[] }): void {
    this.catalog = applyOverrides(found.catalog, this.overrides);
    this.fingerprints = new Map(found.fingerprints.map((f) => [f.run, f]));
    this.catalogHash = hashCatalog(this.catalog);
  }
}

/** Which selected runs must be written (changed, forced, missing files) and which are unchanged. */
async function planWrites(
  source: Source,
  options: SnapshotOptions,
  chosen: ChosenRuns,
  previous: Manifest | undefined,
  log: (line: string) => void,
) {
  const { out, lodSeconds } = options;
  const previousRuns = new Map(previous?.runs.map((r) => [r.run, r]));
  const { ids, forced, resolved } = chosen;
  // When every selected run is written anyway (none in the manifest, or forced), nothing needs
  // comparing first: the source tallies catalog and fingerprints while the runs stream, so a
  // first snapshot reads each row once rather than scanning the tables up front as well.
  const tally = ids.every((id) => forced.has(id) || !previousRuns.has(id)) ? source.startTally?.() : undefined;
  const facts = new SourceFacts(options.overrides ?? {});
  if (!tally) {
    // Both scan the source's tables; side by side they overlap on the database's cores.
    const [found, runFingerprints] = await Promise.all([source.catalog(), source.fingerprints(ids)]);
    facts.learn({ catalog: found, fingerprints: runFingerprints });
  }
  const stale = resolved.runs.filter((run) => {
    const before = previousRuns.get(run.id);
    return (
      tally !== undefined ||
      forced.has(run.id) ||
      !before ||
      !sameFingerprint(before.fingerprint, facts.fingerprints.get(run.id)) ||
      before.status !== run.status ||
      before.stop !== run.stop ||
      before.catalogHash !== facts.catalogHash ||
      String(before.lodSeconds) !== String(lodSeconds) ||
      before.files.some((f) => !existsSync(join(out, f.path)))
    );
  });
  const unchanged = resolved.runs.filter((r) => !stale.includes(r)).map((r) => r.id);
  for (const p of source.catalogProblems?.() ?? []) log(`left out: ${p.field}: ${p.message}`);
  log(`${resolved.runs.length} run(s) selected: ${stale.length} to write, ${unchanged.length} unchanged`);
  return { ids, stale, unchanged, tally, facts };
}
type WritePlan = Awaited<ReturnType<typeof planWrites>>;

/**
 * Writes the stale runs in two staging lanes: each lane takes the next run, streams it in and
 * writes it, then takes another, so the source stays busy while the other lane orders and writes.
 * Keeps what was written, what failed and which files the new entries replace.
 */
class RunWriter {
  readonly entries: Map<number, ManifestRun>;
  readonly written: number[] = [];
  readonly failed: SnapshotResult["failed"] = [];
  readonly replaced: string[] = [];
  rows = 0;
  /** Runs that held colliding names, read again once the catalog is known. */
  private readonly clashed: RunInfo[] = [];
  private readonly queue: RunInfo[];
  private readonly log: (line: string) => void;

  constructor(
    private readonly source: Source,
    private readonly options: SnapshotOptions,
    readonly plan: WritePlan,
    previous: Manifest | undefined,
  ) {
    this.entries = new Map(previous?.runs.map((r) => [r.run, r]));
    this.queue = [...plan.stale];
    this.log = options.log ?? (() => undefined);
  }

  /** The catalog as known before any run is read (empty when the source tallies it as it goes). */
  private byName = new Map<string, ObservableInfo>();

  async writeAll(): Promise<void> {
    const { stale, tally, facts, ids } = this.plan;
    this.byName = new Map(facts.catalog.map((o) => [o.name, o]));
    const spill = mkdtempSync(join(this.options.out, ".staging-"));
    const staging = { memoryLimit: this.options.memoryLimit, inMemoryRows: this.options.inMemoryRows };
    // Nothing to write (the usual refresh): no staging database to open.
    const lanes = stale.length === 0 ? [] : await Staging.openLanes(spill, Math.min(2, stale.length), staging);
    this.tick();
    try {
      await Promise.all(lanes.map((lane) => this.work(lane, tally)));
      if (tally) {
        // Now the catalog and the written runs' fingerprints, from the tally (and a scan of what
        // lies outside the runs read); runs that held colliding names are read again.
        facts.learn(await this.source.tallied!(tally, ids));
        this.queue.push(...this.clashed);
        await Promise.all(lanes.map((lane) => this.work(lane, undefined)));
      }
    } finally {
      for (const lane of lanes) lane.close();
      rmSync(spill, { recursive: true, force: true });
    }
    this.written.sort((a, b) => a - b);
    if (tally) {
      for (const id of this.written) {
        const entry = this.entries.get(id)!;
        entry.catalogHash = facts.catalogHash;
        entry.fingerprint = manifestFingerprint(facts.fingerprints.get(id));
      }
    }
  }

  private async work(lane: Staging, tally: ReadingTally | undefined): Promise<void> {
    const { facts } = this.plan;
    const byName = this.byName;
    for (let run = this.queue.shift(); run; run = this.queue.shift()) {
      const started = Date.now();
      try {
        await stageRun(this.source, lane, run, byName, tally);
        const entry = await finishRun(
          this.source,
          lane,
          run,
          facts.fingerprints.get(run.id),
          this.options.out,
          this.options.lodSeconds,
        );
        this.done(run, entry, started);
      } catch (error) {
        this.fail(run, error);
      }
      this.tick();
    }
  }

  private tick(): void {
    this.options.progress?.(this.written.length + this.failed.length, this.plan.stale.length);
  }

  private fail(run: RunInfo, error: unknown): void {
    // The message goes into the manifest every viewer reads: no paths of this machine in it.
    const message = (error instanceof Error ? error.message : String(error)).replaceAll(this.options.out, "<snapshot directory>");
    if (error instanceof NameClashError && this.plan.tally) {
      this.clashed.push(run);
      this.log(`run ${run.id}: ${message}; read again once the catalog is known`);
      return;
    }
    this.failed.push({ run: run.id, message, start: run.start, stop: run.stop, status: run.status });
    this.log(`run ${run.id}: FAILED, previous files kept: ${message}`);
  }

  private done(run: RunInfo, entry: ManifestRun, started: number): void {
    entry.catalogHash = this.plan.facts.catalogHash;
    const before = this.entries.get(run.id);
    if (before) this.replaced.push(...before.files.map((f) => f.path).filter((p) => !entry.files.some((f) => f.path === p)));
    this.entries.set(run.id, entry);
    this.written.push(run.id);
    this.rows += entry.rows.scalar + entry.rows.array;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    this.log(
      `run ${run.id}: ${entry.rows.scalar} scalar + ${entry.rows.array} array readings in ${seconds} s` +
        describeStats(entry.stats),
    );
  }
}

/**
 * The new manifest and catalog, each swapped in with one rename; the files they no longer name
 * are retired (a page that read the previous manifest may still ask for them for a while).
 */
function writeManifest(
  source: Source,
  options: SnapshotOptions,
  now: number,
  chosen: ChosenRuns,
  previous: Manifest | undefined,
  writer: RunWriter,
): Manifest {
  const { out } = options;
  const runs = [...writer.entries.values()].sort((a, b) => a.run - b.run);
  const stamp = new Date(now).toISOString();
  const manifest: Manifest = {
    format: "runboard-snapshot",
    version: MANIFEST_VERSION,
    source: source.description,
    createdAt: previous?.createdAt ?? stamp,
    updatedAt: stamp,
    contentHash: createHash("sha256")
      .update(runs.flatMap((r) => r.files.map((f) => f.sha256)).join("\n"))
      .digest("hex"),
    catalog: CATALOG,
    liveSeq: options.liveSeq ?? null,
    runs,
    // What could not be written (now, or by an earlier update of runs not tried now), and what
    // the catalog left out (colliding names, say).
    errors: manifestErrors(writer.failed, previous, chosen.ids, chosen.allRuns, source.catalogProblems?.() ?? []),
  };
  const listedRuns = new Set(runs.map((r) => r.run));
  // Runs with no files at all are named apart (`missing`), so pages say so instead of
  // showing fewer runs without a word.
  const missing = manifest.errors.filter((e) => e.run !== null && !listedRuns.has(e.run));
  const catalog = writer.plan.facts.catalog;
  const catalogRuns = chosen.allRuns.filter((r) => listedRuns.has(r.id));
  writeAtomically(join(out, CATALOG), JSON.stringify({ observables: catalog, runs: catalogRuns, missing }, null, 1));
  writeAtomically(join(out, MANIFEST), JSON.stringify(manifest, null, 1));
  retireFiles(out, writer.replaced, now, options.retiredFilesKeptMs ?? RETIRED_FILES_KEPT_MS);
  return manifest;
}

/** Streams one run from the source into a staging lane. */
async function stageRun(
  source: Source,
  staging: Staging,
  run: RunInfo,
  catalog: ReadonlyMap<string, ObservableInfo>,
  tally: ReadingTally | undefined,
): Promise<void> {
  await staging.reset();
  for await (const chunk of source.readings({ runs: [run.id] }, tally)) await staging.append(chunk, catalog);
}

/** Writes a staged run's Parquet files and describes them for the manifest. */
async function finishRun(
  source: Source,
  staging: Staging,
  run: RunInfo,
  fingerprint: RunFingerprint | undefined,
  out: string,
  lodSeconds: readonly number[],
): Promise<ManifestRun> {
  const query = { runs: [run.id] };
  const dir = join(out, "runs", String(run.id));
  mkdirSync(dir, { recursive: true });
  // A fresh suffix per write: new files never overwrite what the current manifest lists.
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  let written: Awaited<ReturnType<Staging["write"]>>;
  try {
    written = await staging.write(dir, suffix, lodSeconds);
  } catch (error) {
    // Every file of this write carries the suffix (an array run may have written several parts).
    for (const name of readdirSync(dir)) if (name.includes(`-${suffix}`)) rmSync(join(dir, name), { force: true });
    throw error;
  }
  const files: ManifestFile[] = [];
  for (const f of written.files) {
    files.push({
      kind: f.kind,
      path: relative(out, f.file).split("\\").join("/"),
      rows: f.rows,
      bytes: statSync(f.file).size,
      sha256: await sha256File(f.file),
    });
  }
  return {
    run: run.id,
    status: run.status,
    start: run.start,
    stop: run.stop,
    fingerprint: manifestFingerprint(fingerprint),
    catalogHash: "",
    writtenAt: new Date().toISOString(),
    query: source.describeQuery(query),
    rows: {
      scalar: files.find((f) => f.kind === "scalar")?.rows ?? 0,
      array: files.filter((f) => f.kind === "array").reduce((sum, f) => sum + f.rows, 0),
    },
    stats: { ...staging.stats },
    files,
    lod: written.lod,
    lodSeconds: [...lodSeconds],
  };
}

/**
 * The manifest's errors: this update's failed runs, the earlier failures of runs it did not try
 * (and the source still has), and what the catalog left out.
 */
function manifestErrors(
  failed: Manifest["errors"],
  previous: Manifest | undefined,
  tried: readonly number[],
  allRuns: readonly RunInfo[],
  problems: readonly { field: string; message: string }[],
): Manifest["errors"] {
  const carried = (previous?.errors ?? []).filter(
    (e) => e.run !== null && !tried.includes(e.run) && allRuns.some((r) => r.id === e.run),
  );
  return [...failed, ...carried, ...problems.map((p) => ({ run: null, message: `${p.field}: ${p.message}` }))];
}

function manifestFingerprint(f: RunFingerprint | undefined): ManifestRun["fingerprint"] {
  return {
    rows: f?.rows ?? 0,
    firstMicros: f?.firstMicros ?? null,
    lastMicros: f?.lastMicros ?? null,
    version: f?.version ?? null,
  };
}

/** What the catalog says about shapes: a new observable (e.g. a new wide-table column) changes it. */
function hashCatalog(catalog: readonly ObservableInfo[]): string {
  const shapes = catalog.map((o) => [o.name, o.shape, o.channels, o.dims]);
  return createHash("sha256").update(JSON.stringify(shapes)).digest("hex").slice(0, 16);
}

function sameFingerprint(a: ManifestRun["fingerprint"], b: RunFingerprint | undefined): boolean {
  return (
    !!b &&
    a.rows === b.rows &&
    a.firstMicros === b.firstMicros &&
    a.lastMicros === b.lastMicros &&
    a.version === (b.version ?? null)
  );
}

function describeStats(s: ManifestRun["stats"]): string {
  const parts = Object.entries(s)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

export function applyOverrides<T extends ObservableInfo>(catalog: T[], overrides: RunboardConfig["observables"]): T[] {
  return catalog.map((o) => ({ ...o, ...(overrides[o.name] ?? {}) }));
}

export function readManifest(out: string): Manifest | undefined {
  const file = join(out, MANIFEST);
  if (!existsSync(file)) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new SnapshotError(`${file} is not valid JSON (${(error as Error).message}); move it away to start a fresh snapshot`);
  }
  return parseManifest(input, file);
}

/**
 * Adds `replaced` to the directory's retired files and deletes those retired longer than
 * `keepMs` ago. A missing or unreadable list starts afresh (its files then stay until a
 * forced rewrite; they are listed nowhere, so no reader finds them).
 */
function retireFiles(out: string, replaced: readonly string[], now: number, keepMs: number): void {
  const file = join(out, RETIRED);
  let retired: { path: string; at: number }[] = [];
  try {
    const doc = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (Array.isArray(doc)) retired = doc.filter((r) => typeof r?.path === "string" && typeof r?.at === "number");
  } catch {
    // none yet
  }
  retired.push(...replaced.map((path) => ({ path, at: now })));
  const keep: typeof retired = [];
  for (const r of retired) {
    // Only paths under runs/ are ever retired; anything else in the list is not ours to delete.
    if (!/^runs\/[^/]+\/[^/]+\.parquet$/.test(r.path)) continue;
    if (now - r.at >= keepMs) rmSync(join(out, r.path), { force: true });
    else keep.push(r);
  }
  if (keep.length > 0 || existsSync(file)) writeAtomically(file, JSON.stringify(keep));
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => hash.update(d))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** One snapshot writer per directory at a time; a lock left by a dead process is taken over. */
function lockDirectory(out: string): () => void {
  const lock = join(out, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(lock, "utf8"));
      if (holder && isAlive(holder))
        throw new SnapshotError(`${out} is being written by process ${holder}; wait for it to finish`);
      rmSync(lock, { force: true });
    }
  }
  throw new SnapshotError(`could not lock ${out}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
