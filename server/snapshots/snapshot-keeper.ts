// Keeps the snapshot directory fresh while the server runs: the configured source (PostgreSQL,
// MongoDB) plus what came into the embedded store by ingest, bluesky or the simulator, written
// by the same takeSnapshot the CLI and the site build use. Refreshes run one at a time: on a
// schedule, when a watcher reports new rows, and when asked (POST /api/snapshots/refresh, the
// "Re-fetch runs" control, `runboard snapshot` while a server runs). Each is incremental.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import { type CatalogConflict, type CatalogEntry, mergeCatalogs, mergeRuns } from "../../src/core/origins.js";
import { type DataSelection, resolveSelection } from "../../src/core/time-window.js";
import type { RunboardConfig } from "../../loaders/config.js";
import type { EmbeddedStore } from "../../loaders/store/embedded-store.js";
import { type SourcePart, combineSources } from "../../loaders/sources/composite-source.js";
import { EmbeddedSource } from "../../loaders/sources/embedded-source.js";
import type { Source, SourceProblem } from "../../loaders/sources/source.js";
import {
  NoRunsError,
  type SnapshotResult,
  applyOverrides,
  readManifest,
  takeSnapshot,
} from "../../loaders/snapshot/take-snapshot.js";

export interface RefreshRequest {
  /** Which runs (default: the config's snapshot.select). */
  selection?: DataSelection;
  /** Rewrite the selected runs even when unchanged. */
  force?: boolean;
  /** Who asked, for the log: "schedule", "watcher", "api", ... */
  reason: string;
}

export interface RefreshOutcome {
  written: number[];
  unchanged: number[];
  failed: SnapshotResult["failed"];
  rows: number;
  seconds: number;
  updatedAt: string;
  note?: string;
}

export interface RefreshProgress {
  state: "idle" | "running";
  reason?: string;
  /** Runs written so far, of how many to write. */
  done: number;
  total: number;
  startedAt?: string;
  last?: RefreshOutcome & { reason: string };
  lastError?: string;
  /** Runs with no snapshot, or an old one, because writing them failed (the manifest's errors). */
  failedRuns: { run: number; message: string; hasOlderFiles: boolean }[];
}

/**
 * Scalar readings of a run the server's refresh sorts in JavaScript; a larger run is sorted by
 * DuckDB off the event loop. The CLI sorts up to 1.5 M in memory (faster in all); here ingest
 * must keep being answered: 950 k readings held the event loop for 350 ms, 200 k for under 100.
 */
const SERVER_IN_MEMORY_ROWS = 200_000;

export interface KeeperOptions {
  dir: string;
  config: RunboardConfig;
  store: EmbeddedStore;
  /** The configured PostgreSQL or MongoDB source; undefined when the embedded store is the source. */
  source?: Source;
  /** What a refresh that names no runs covers (the config's snapshot.select). */
  defaultSelection: DataSelection;
  /** The schedule; 0 turns it off. */
  intervalMs: number;
  log: (line: string) => void;
  /** Called after each refresh that wrote or dropped something. */
  onUpdated?: (outcome: RefreshOutcome) => void;
}

export class SnapshotKeeper {
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  /** Refreshes asked for and not yet finished (waiting or running). */
  private unfinished = 0;
  private timer: NodeJS.Timeout | undefined;
  private nudged: NodeJS.Timeout | undefined;
  private closed = false;
  private progressNow: RefreshProgress = { state: "idle", done: 0, total: 0, failedRuns: [] };
  /** The configured source's catalog and runs as last read (empty until the first read). */
  private sourceCatalog: ObservableInfo[] = [];
  private sourceRuns: RunInfo[] = [];
  private sourceNames = new Set<string>();
  /** What the source's catalog left out or found wrong in the mapping, as last read. */
  private sourceProblems: SourceProblem[] = [];
  /** When each selection (by its JSON) was last brought up to date without a failure. */
  private readonly refreshedAt = new Map<string, number>();

  constructor(private readonly options: KeeperOptions) {
    // A batch from another road that declares a name the source owns is refused (origins.ts).
    options.store.claimedElsewhere = (name) =>
      this.sourceNames.has(name) ? `the configured source (${options.source!.description})` : undefined;
  }

  /** Reads the source's catalog and runs, then keeps refreshing on the schedule. */
  async start(): Promise<void> {
    await this.readSource();
    if (this.options.intervalMs > 0) {
      this.timer = setInterval(() => this.scheduled("schedule"), this.options.intervalMs);
      this.timer.unref();
    }
  }

  /** A refresh for a reason that needs no answer (schedule, watcher); skipped while one waits. */
  scheduled(reason: string): void {
    if (this.waiting > 0 || this.closed) return;
    this.refresh({ reason }).catch(() => undefined);
  }

  /** A refresh soon, however often this is called meanwhile (a watcher calls it per batch). */
  nudge(reason: string, delayMs = 3000): void {
    if (this.nudged || this.closed) return;
    this.nudged = setTimeout(() => {
      this.nudged = undefined;
      this.scheduled(reason);
    }, delayMs);
    this.nudged.unref();
  }

  /**
   * While a refresh runs or waits, a promise of its end (and of any queued behind it), else
   * undefined: background work (a review's download) holds off meanwhile, since a refresh of a
   * growing run is what sets ingest's slowest moments.
   */
  whenQuiet(): Promise<void> | undefined {
    return this.unfinished > 0 ? this.queue.then(() => undefined) : undefined;
  }

  /** Refreshes asked for and not yet started. */
  waitingCount(): number {
    return this.waiting;
  }

  progress(): RefreshProgress {
    return { ...this.progressNow };
  }

  /**
   * The catalog pages see: the source's observables and the store's, each with its origin; the
   * names two roads claim; and what the mapping or the config names wrongly.
   */
  catalog(): {
    observables: CatalogEntry[];
    conflicts: CatalogConflict[];
    problems: SourceProblem[];
    /** Present when some run has no snapshot, or an old one, because writing it failed. */
    failedRuns?: RefreshProgress["failedRuns"];
  } {
    const stored = applyOverrides(this.options.store.catalogWithOrigins(), this.options.config.observables);
    const merged = mergeCatalogs(this.sourceCatalog, stored, this.options.source?.description);
    const known = new Set(merged.observables.map((o) => o.name));
    const overrides = Object.keys(this.options.config.observables)
      .filter((name) => !known.has(name))
      .map((name) => ({
        field: `observables.${name}`,
        message: `the config describes ${name}, but no source has an observable of that name`,
      }));
    const failedRuns = this.progressNow.failedRuns;
    return { ...merged, problems: [...this.sourceProblems, ...overrides], ...(failedRuns.length > 0 ? { failedRuns } : {}) };
  }

  /** Whether pages may ask for this observable (the live hub's check on every subscribe). */
  knows(name: string): boolean {
    return this.sourceNames.has(name) || this.options.store.catalog().some((o) => o.name === name);
  }

  runs(): RunInfo[] {
    return mergeRuns(this.sourceRuns, this.options.store.runs());
  }

  /**
   * A refresh of `selection` unless one finished less than `withinMs` ago: a review published
   * back to back must not rewrite a growing run each time (each rewrite is work on the server's
   * event loop), and a review says when its data was taken.
   */
  async refreshUnlessRecent(selection: DataSelection, withinMs: number, reason: string): Promise<void> {
    // A refresh already running or waiting (the schedule's, most often) is awaited first: asking
    // for another behind it would rewrite the same growing run twice in a row.
    await this.queue;
    const now = Date.now();
    const recent = (s: DataSelection) => now - (this.refreshedAt.get(JSON.stringify(s)) ?? -Infinity) < withinMs;
    if (recent(selection)) return;
    // The schedule's refresh covers these runs if each of them is in the snapshot.
    if (recent(this.options.defaultSelection) && this.inSnapshot(selection, now)) return;
    await this.refresh({ selection, reason });
  }

  /** Whether every run `selection` names (among the source's runs now) has files in the snapshot. */
  private inSnapshot(selection: DataSelection, now: number): boolean {
    const chosen = resolveSelection(this.runs(), selection, now)?.runs ?? [];
    let manifest;
    try {
      manifest = readManifest(this.options.dir);
    } catch {
      return false;
    }
    const written = new Set(manifest?.runs.map((r) => r.run) ?? []);
    const failed = new Set(manifest?.errors.map((e) => e.run) ?? []);
    return chosen.length > 0 && chosen.every((r) => written.has(r.id) && !failed.has(r.id));
  }

  refresh(request: RefreshRequest): Promise<RefreshOutcome> {
    this.waiting++;
    this.unfinished++;
    const run = this.queue.then(() => {
      this.waiting--;
      return this.refreshNow(request);
    });
    this.queue = run.catch(() => undefined).finally(() => this.unfinished--);
    return run;
  }

  private async readSource(): Promise<void> {
    const source = this.options.source;
    if (!source) return;
    const [catalog, runs] = await Promise.all([source.catalog(), source.runs()]);
    this.sourceCatalog = applyOverrides(catalog, this.options.config.observables);
    this.sourceRuns = runs;
    this.sourceNames = new Set(catalog.map((o) => o.name));
    const problems = source.catalogProblems?.() ?? [];
    const said = (list: SourceProblem[]) => list.map((p) => `${p.field}: ${p.message}`).join("\n");
    if (said(problems) !== said(this.sourceProblems))
      for (const p of problems) this.options.log(`catalog: ${p.field}: ${p.message}`);
    this.sourceProblems = problems;
  }

  private async refreshNow(request: RefreshRequest): Promise<RefreshOutcome> {
    const started = Date.now();
    const { config, store, log } = this.options;
    this.progressNow = { ...this.progressNow, state: "running", reason: request.reason, done: 0, total: 0 };
    this.progressNow.startedAt = new Date(started).toISOString();
    try {
      await this.readSource();
      // Pinned to the store's seq now: the files then hold exactly the readings up to it.
      const fromStore = new EmbeddedSource(store, {
        maxSeq: store.lastSeq(),
        observables: this.options.source
          ? store
              .catalogWithOrigins()
              .filter((o) => o.origin !== "source" && !this.sourceNames.has(o.name))
              .map((o) => o.name)
          : undefined,
      });
      const parts: SourcePart[] = this.options.source ? [{ source: this.options.source }, { source: fromStore }] : [];
      const source = parts.length > 0 ? combineSources(parts) : fromStore;
      const result = await takeSnapshot(source, {
        out: this.options.dir,
        selection: request.selection ?? this.options.defaultSelection,
        force: request.force ?? false,
        lodSeconds: config.snapshot.lodSeconds,
        overrides: config.observables,
        liveSeq: fromStore.seqBound,
        inMemoryRows: SERVER_IN_MEMORY_ROWS,
        progress: (done, total) => Object.assign(this.progressNow, { done, total }),
      });
      const outcome: RefreshOutcome = {
        written: result.written,
        unchanged: result.unchanged,
        failed: result.failed,
        rows: result.rows,
        seconds: (Date.now() - started) / 1000,
        updatedAt: result.manifest.updatedAt,
        ...(result.note ? { note: result.note } : {}),
      };
      if (result.written.length > 0 || result.failed.length > 0) {
        log(
          `snapshots (${request.reason}): ${result.written.length} run(s) written, ${result.unchanged.length} unchanged, ` +
            `${result.failed.length} failed in ${outcome.seconds.toFixed(1)} s`,
        );
      }
      const listed = new Set(result.manifest.runs.map((r) => r.run));
      const failedRuns = result.manifest.errors.flatMap((e) =>
        e.run === null ? [] : [{ run: e.run, message: e.message, hasOlderFiles: listed.has(e.run) }],
      );
      this.progressNow = { state: "idle", done: 0, total: 0, last: { ...outcome, reason: request.reason }, failedRuns };
      if (result.failed.length === 0)
        this.refreshedAt.set(JSON.stringify(request.selection ?? this.options.defaultSelection), started);
      if (result.written.length > 0) this.options.onUpdated?.(outcome);
      return outcome;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.progressNow = { ...this.progressNow, state: "idle", lastError: message };
      // An empty store has nothing to snapshot yet: not worth a line every minute.
      if (request.reason !== "api" && !(error instanceof NoRunsError)) log(`snapshots (${request.reason}) failed: ${message}`);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.nudged) clearTimeout(this.nudged);
    await this.queue;
  }
}
