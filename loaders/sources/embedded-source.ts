// The embedded store (one DuckDB file under the data directory) as a snapshot source. It is what
// `npm start` runs on with no database server: the simulator or /api/ingest fill it.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { EmbeddedStore } from "../store/embedded-store.js";
import type { DuckDBDataChunk } from "@duckdb/node-api";
import {
  type DoubleListLists,
  type DoubleLists,
  readDoubleListLists,
  readDoubleLists,
  readDoubles,
  readInts,
  readStrings,
} from "../duckdb/chunk-reader.js";
import {
  ChunkBuilder,
  type FlatArray,
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

  /**
   * Pages through the readings by seq, so memory stays at a page and a chunk whatever the run's
   * size. Columns come straight out of DuckDB's vectors (chunk-reader.ts), and every 2048 rows
   * the event loop is free again: a server refreshing a growing run keeps answering ingest.
   */
  async *readings(query: ReadingQuery): AsyncIterable<ReadingChunk> {
    const out = new ChunkBuilder();
    const filter = {
      runs: query.runs,
      observables: this.observablesOf(query),
      from: query.window?.from,
      to: query.window?.to,
      maxSeq: this.options.maxSeq,
    };
    let limit = FIRST_PAGE_ROWS;
    for (let after = 0; ;) {
      const page = await this.store.readingsPage(filter, after, limit);
      let rows = 0;
      let values = 0;
      for (let chunk = await page.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await page.fetchChunk()) {
        const read = readPageChunk(chunk, out);
        yield* read.full;
        rows += chunk.rowCount;
        values += read.values;
        after = read.lastSeq;
      }
      if (rows === 0) break;
      // The next page holds about PAGE_VALUES values: a page of camera images is a few rows.
      limit = Math.max(1, Math.min(SCALAR_CHUNK_ROWS, Math.floor(PAGE_VALUES / Math.max(1, values / rows))));
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

/** Rows of the first page, before the values a row holds are known. */
const FIRST_PAGE_ROWS = 2048;
/**
 * Values (scalars and array elements) a page aims at: 2 MB of doubles, so what the event loop
 * does with one of its chunks is done in milliseconds.
 */
const PAGE_VALUES = 1 << 18;

/**
 * One result chunk of readingsPage into the builder: scalars into its columns, arrays as flat
 * readings that view this chunk's copy of the values. Returns the chunks it filled, how many
 * values it held and the last seq.
 */
function readPageChunk(chunk: DuckDBDataChunk, out: ChunkBuilder): { full: ReadingChunk[]; values: number; lastSeq: number } {
  const seq = readDoubles(chunk, 0).values;
  const run = readInts(chunk, 1);
  const observable = readStrings(chunk, 2);
  const channel = readInts(chunk, 3);
  const tMicros = readDoubles(chunk, 4).values;
  const scalar = readDoubles(chunk, 5);
  const v1 = readDoubleLists(chunk, 6);
  const v2 = readDoubleListLists(chunk, 7);
  const full: ReadingChunk[] = [];
  let values = 0;
  for (let i = 0; i < chunk.rowCount; i++) {
    const array = flatArrayAt(v1, v2, i);
    const reading = { run: run[i]!, observable: observable[i]!, channel: channel[i]!, tMicros: tMicros[i]! };
    const filled =
      array === undefined
        ? out.scalar(reading.run, out.names.id(reading.observable), reading.channel, reading.tMicros, scalarAt(scalar, i))
        : out.array({ ...reading, value: array });
    values += array ? Math.max(1, array.values.length) : 1;
    if (filled) full.push(filled);
  }
  return { full, values, lastSeq: seq[chunk.rowCount - 1]! };
}

const scalarAt = (c: { values: Float64Array; valid: Uint8Array | null }, i: number) =>
  c.valid && c.valid[i] === 0 ? null : c.values[i]!;

const isValid = (valid: Uint8Array | null, i: number) => !valid || valid[i] === 1;

/** Row i's array (1d from v1, 2d from v2), null for a NULL array, undefined for a scalar row. */
function flatArrayAt(v1: DoubleLists, v2: DoubleListLists, i: number): FlatArray | undefined {
  if (isValid(v1.valid, i)) {
    const from = v1.start[i]!;
    const to = from + v1.length[i]!;
    return {
      kind: "flat",
      values: v1.values.subarray(from, to),
      valid: v1.valuesValid?.subarray(from, to) ?? null,
      rowLengths: null,
    };
  }
  if (!isValid(v2.valid, i)) return undefined;
  const rows = v2.rows;
  const firstRow = v2.start[i]!;
  const rowLengths = new Uint32Array(v2.length[i]!);
  let total = 0;
  for (let r = 0; r < rowLengths.length; r++)
    total += rowLengths[r] = isValid(rows.valid, firstRow + r) ? rows.length[firstRow + r]! : 0;
  const values = new Float64Array(total);
  const valid = rows.valuesValid ? new Uint8Array(total) : null;
  let at = 0;
  for (let r = 0; r < rowLengths.length; r++) {
    const from = rows.start[firstRow + r]!;
    values.set(rows.values.subarray(from, from + rowLengths[r]!), at);
    valid?.set(rows.valuesValid!.subarray(from, from + rowLengths[r]!), at);
    at += rowLengths[r]!;
  }
  return { kind: "flat", values, valid, rowLengths };
}
