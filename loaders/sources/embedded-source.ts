// The embedded store (one DuckDB file under the data directory) as a snapshot source. It is what
// `npm start` runs on with no database server: the simulator or /api/ingest fill it.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { EmbeddedStore } from "../embedded-store.js";
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

export class EmbeddedSource implements Source {
  readonly description: string;

  /** `ownsStore`: close the store with the source (the CLI opens it just for the snapshot). */
  constructor(
    private readonly store: EmbeddedStore,
    private readonly ownsStore = false,
  ) {
    this.description = `embedded ${store.file}`;
  }

  async catalog(): Promise<ObservableInfo[]> {
    return this.store.catalog();
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
    const filter = { runs: query.runs, observables: query.observables, from: query.window?.from, to: query.window?.to };
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
    const summaries = new Map((await this.store.runSummaries(runs)).map((s) => [s.run, s]));
    return (runs ?? this.store.runs().map((r) => r.id)).map((run) => {
      const s = summaries.get(run);
      return { run, rows: s?.rows ?? 0, firstMicros: s?.first ?? null, lastMicros: s?.last ?? null };
    });
  }

  /** The cursor is the store's reading sequence number. */
  async changesSince(cursor: string | null): Promise<SourceChanges> {
    const since = cursor === null ? 0 : Number(cursor);
    const runs = (await this.store.runSummaries()).filter((s) => s.seq > since).map((s) => s.run);
    return { runs: runs.sort((a, b) => a - b), cursor: String(this.store.lastSeq()) };
  }

  async close(): Promise<void> {
    if (this.ownsStore) this.store.close();
  }
}
