// The embedded store (one DuckDB file under the data directory) as a snapshot source. It is what
// `npm start` runs on with no database server: the simulator or /api/ingest fill it.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { EmbeddedStore } from "../../server/store/embedded-store.js";
import {
  type ArrayReading,
  ChunkBuilder,
  type ReadingChunk,
  type ReadingQuery,
  type RunFingerprint,
  SCALAR_CHUNK_ROWS,
  type Source,
  type SourceChanges,
} from "./source.js";

export interface EmbeddedSourceOptions {
  /** Close the store with the source (the CLI opens it just for the snapshot). */
  ownsStore?: boolean;
  /**
   * Only readings up to this seq: a snapshot taken while ingest goes on then holds exactly the
   * readings up to it, and the live feed resumes after it, with no gap and no duplicate.
   */
  maxSeq?: number;
  /** Only these observables (the server leaves out those the configured source owns). */
  observables?: readonly string[];
}

export class EmbeddedSource implements Source {
  readonly description: string;
  private readonly only: Set<string> | undefined;

  constructor(
    private readonly store: EmbeddedStore,
    private readonly options: EmbeddedSourceOptions = {},
  ) {
    // Not the file's path: the description is in the manifest every viewer reads.
    this.description = "the embedded store";
    this.only = options.observables && new Set(options.observables);
  }

  /** The newest seq a snapshot of this source holds. */
  get seqBound(): number {
    return this.options.maxSeq ?? this.store.lastSeq();
  }

  async catalog(): Promise<ObservableInfo[]> {
    return this.store.catalog().filter((o) => !this.only || this.only.has(o.name));
  }

  private observablesOf(query: ReadingQuery): readonly string[] | undefined {
    if (!this.only) return query.observables;
    return (query.observables ?? [...this.only]).filter((n) => this.only!.has(n));
  }

  async runs(): Promise<RunInfo[]> {
    return this.store.runs();
  }

  describeQuery(query: ReadingQuery): string {
    const where = [
      query.runs ? `run IN (${query.runs.join(", ")})` : "",
      query.window ? `t BETWEEN ${new Date(query.window.from).toISOString()} AND ${new Date(query.window.to).toISOString()}` : "",
      query.observables ? `observable IN (${query.observables.join(", ")})` : "",
    ].filter(Boolean);
    return `SELECT run, observable, channel, t, value, value_1d, value_2d FROM readings${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY seq`;
  }

  /** Pages through the readings by seq, so memory stays at a page and a chunk whatever the run's size. */
  async *readings(query: ReadingQuery): AsyncIterable<ReadingChunk> {
    const out = new ChunkBuilder();
    const filter = {
      runs: query.runs,
      observables: this.observablesOf(query),
      from: query.window?.from,
      to: query.window?.to,
      maxSeq: this.options.maxSeq,
    };
    for (let after = 0; ;) {
      const rows = await this.store.readingsPage(filter, after, SCALAR_CHUNK_ROWS);
      if (rows.length === 0) break;
      for (const row of rows) {
        const run = Number(row.run);
        const channel = Number(row.channel);
        const tMicros = Number(row.t_us);
        const array = (row.value_1d ?? row.value_2d) as ArrayReading["value"] | null;
        const full = array
          ? out.array({ run, observable: String(row.observable), channel, tMicros, value: array })
          : out.scalar(
              run,
              out.names.id(String(row.observable)),
              channel,
              tMicros,
              row.value === null ? null : Number(row.value),
            );
        if (full) yield full;
      }
      after = Number(rows[rows.length - 1]!.seq);
    }
    yield* out.rest();
  }

  async fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]> {
    const only = { observables: this.only && [...this.only], maxSeq: this.options.maxSeq };
    const summaries = new Map((await this.store.runSummaries(runs, only)).map((s) => [s.run, s]));
    return (runs ?? this.store.runs().map((r) => r.id)).map((run) => {
      const s = summaries.get(run);
      // Readings are only ever appended, each with a new seq: the newest seq says what changed.
      const version = s ? `seq ${s.seq}` : undefined;
      return { run, rows: s?.rows ?? 0, firstMicros: s?.first ?? null, lastMicros: s?.last ?? null, version };
    });
  }

  /** The cursor is the store's reading sequence number. */
  async changesSince(cursor: string | null): Promise<SourceChanges> {
    const since = cursor === null ? 0 : Number(cursor);
    const runs = (await this.store.runSummaries()).filter((s) => s.seq > since).map((s) => s.run);
    return { runs: runs.sort((a, b) => a - b), cursor: String(this.store.lastSeq()) };
  }

  async close(): Promise<void> {
    if (this.options.ownsStore) this.store.close();
  }
}
