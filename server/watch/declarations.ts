// What a watcher has told runboard about a source's catalog and runs, so each batch of new
// readings declares just what is new: an observable seen for the first time, a run that started
// or stopped. Shared by the PostgreSQL and MongoDB watchers.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { IngestBatch, IngestReading } from "../../src/core/ingest.js";
import { describeErrors } from "../../src/core/validation.js";
import { type Ingestor, ingestBody } from "../ingest/ingest.js";

/** Readings of runs or observables the source itself does not list cannot be drawn; they stay in the source. */
export class SourceDeclarations {
  private observables = new Map<string, ObservableInfo>();
  private runs = new Map<number, RunInfo>();
  private readonly declaredObservables = new Set<string>();
  /** Run id -> the run as last declared (JSON), to see when it changes. */
  private readonly declaredRuns = new Map<number, string>();

  constructor(private readonly source: { catalog(): Promise<ObservableInfo[]>; runs(): Promise<RunInfo[]> }) {}

  /**
   * Reads the source's catalog and/or runs again. Only what is asked for: a source's catalog
   * can mean a scan of a whole table, which a new run alone should not cost.
   */
  async refresh(what: { catalog?: boolean; runs?: boolean } = { catalog: true, runs: true }): Promise<void> {
    if (what.catalog) this.observables = new Map((await this.source.catalog()).map((o) => [o.name, o]));
    if (what.runs) this.runs = new Map((await this.source.runs()).map((r) => [r.id, r]));
  }

  /** Reads again what these readings name that is not known yet; says whether it read anything. */
  async refreshFor(readings: readonly { observable: string; run: number }[]): Promise<boolean> {
    const catalog = readings.some((r) => !this.observables.has(r.observable));
    const runs = readings.some((r) => !this.runs.has(r.run));
    if (catalog || runs) await this.refresh({ catalog, runs });
    return catalog || runs;
  }

  runStart(run: number): number | undefined {
    return this.runs.get(run)?.start;
  }

  knows(reading: { observable: string; run: number }): boolean {
    return this.observables.has(reading.observable) && this.runs.has(reading.run);
  }

  /**
   * Declares the whole catalog and the newest 1000 runs, so a page can subscribe before the
   * first new reading arrives.
   */
  async declareAll(ingestor: Ingestor, sourcePrefix: string, log: (line: string) => void): Promise<void> {
    await this.refresh();
    // Declared as the watcher's road (src/core/origins.ts), numbered by time so each start's is new.
    const sequence = Date.now() * 1000;
    const catalog = [...this.observables.values()];
    const recent = [...this.runs.keys()].sort((a, b) => b - a).slice(0, 1000);
    for (let i = 0; i < Math.max(catalog.length, 1); i += 10_000) {
      const batch: IngestBatch = {
        source: `${sourcePrefix}catalog`,
        sequence: sequence + i / 10_000,
        observables: catalog.slice(i, i + 10_000),
        runs: i === 0 ? this.changedRuns(recent) : [],
        readings: [],
      };
      const outcome = await ingestBody(ingestor, batch);
      if (outcome.ok) this.declared(batch);
      else log(`watch: declaring the source's catalog was refused: ${describeErrors(outcome.errors.slice(0, 3))}`);
    }
  }

  /** A batch of these readings (known ones only) with what they need declared, and how many were left out. */
  batch(
    origin: { source?: string; sequence?: number },
    readings: readonly IngestReading[],
    runIds: Iterable<number> = [],
  ): { batch: IngestBatch; leftOut: number } {
    const known = readings.filter((r) => this.knows(r));
    const needed = [...new Set(known.map((r) => r.observable))].filter((name) => !this.declaredObservables.has(name));
    return {
      batch: {
        ...origin,
        runs: this.changedRuns([...runIds, ...known.map((r) => r.run)]),
        observables: needed.map((name) => this.observables.get(name)!),
        readings: known,
      },
      leftOut: readings.length - known.length,
    };
  }

  /** Call once a batch from `batch` is stored. */
  declared(batch: IngestBatch): void {
    for (const o of batch.observables) this.declaredObservables.add(o.name);
    for (const r of batch.runs) this.declaredRuns.set(r.id, JSON.stringify(this.runs.get(r.id)));
  }

  /** These runs as the source has them now, where runboard was told otherwise (or nothing) so far. */
  private changedRuns(ids: Iterable<number>): IngestBatch["runs"] {
    return [...new Set(ids)]
      .map((id) => this.runs.get(id))
      .filter((r): r is RunInfo => r !== undefined && this.declaredRuns.get(r.id) !== JSON.stringify(r))
      .map((r) => ({ id: r.id, start: r.start, stop: r.stop, meta: r.meta }));
  }
}

/**
 * Ingests a watcher's batch. A refusal naming some readings (a channel beyond the declared
 * count, say) stores the rest; a batch refused again (an observable whose shape changed in the
 * source) is left out whole, so the watcher goes on with newer data. What is left out stays in
 * the source (and its snapshots); only the live copy is missing, and the log says so. A store
 * that cannot be reached throws instead: nothing is left out, the caller retries.
 */
export async function ingestWatched(
  ingestor: Ingestor,
  declarations: SourceDeclarations,
  batch: IngestBatch,
  what: string,
  log: (line: string) => void,
): Promise<void> {
  let outcome = await ingestBody(ingestor, batch);
  if (!outcome.ok) {
    const refused = new Set(
      outcome.errors
        .map((e) => /^readings\[(\d+)\]/.exec(e.field)?.[1])
        .filter((i) => i !== undefined)
        .map(Number),
    );
    log(`watch: ${what} refused in part: ${describeErrors(outcome.errors.slice(0, 3))}`);
    batch = { ...batch, readings: batch.readings.filter((_, i) => !refused.has(i)) };
    outcome = await ingestBody(ingestor, batch);
    if (!outcome.ok) {
      log(`watch: ${what} left out of the live feed (still in the source): ${describeErrors(outcome.errors.slice(0, 3))}`);
      return;
    }
  }
  declarations.declared(batch);
}
