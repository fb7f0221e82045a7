// What every data source offers runboard: the catalog, the runs, and a stream of readings.
// The embedded store, PostgreSQL and MongoDB each implement this in one file; the snapshot
// writer and the Framework loaders only ever talk to this interface.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import type { TimeWindow } from "../../src/core/time-window.js";

/** Which readings to stream: some runs, or a time window (optionally narrowed to some runs). */
export interface ReadingQuery {
  runs?: readonly number[];
  window?: TimeWindow;
  /** Only these observables; all when omitted. */
  observables?: readonly string[];
}

/**
 * Scalar readings in columns, as a stream delivers them. `observable[i]` indexes `names`, a
 * dictionary that grows during one stream and is shared by all its chunks (a chunk may use
 * names an earlier chunk added). Times are epoch microseconds, so nothing below a millisecond
 * is lost; they are exact in a Float64 until the year 2255.
 */
export interface ScalarChunk {
  kind: "scalar";
  length: number;
  names: readonly string[];
  run: Int32Array;
  observable: Uint16Array;
  channel: Int32Array;
  tMicros: Float64Array;
  /** NaN where the source held NULL (see `isNull`), else the value as stored, NaN and ±Infinity included. */
  value: Float64Array;
  /** 1 where the source held NULL. */
  isNull: Uint8Array;
}

/** An element may be null where the source allows it (PostgreSQL arrays can hold NULL). */
export type ArrayValue = (number | null)[] | (number | null)[][];

/**
 * An array reading's values as flat doubles, as a source that reads DuckDB's vectors hands them
 * on (the embedded store): no JS number per element. A 2d reading lists its rows' lengths.
 */
export interface FlatArray {
  kind: "flat";
  values: Float64Array;
  /** 0 where an element is NULL; null when none is. */
  valid: Uint8Array | null;
  /** 2d: each row's length (values holds the rows one after another); null for 1d. */
  rowLengths: Uint32Array | null;
}

/** Array readings one by one: they are large and few compared with scalars. */
export interface ArrayReading {
  run: number;
  observable: string;
  channel: number;
  tMicros: number;
  /** null where the source held NULL. */
  value: ArrayValue | FlatArray | null;
}

/** How many values an array reading holds (a 2d reading: all its rows). */
export function elementsOf(value: ArrayReading["value"]): number {
  if (value === null) return 0;
  if (!Array.isArray(value)) return value.values.length;
  let n = 0;
  for (const row of value) n += Array.isArray(row) ? row.length : 1;
  return n;
}

export interface ArrayChunk {
  kind: "array";
  readings: ArrayReading[];
}

export type ReadingChunk = ScalarChunk | ArrayChunk;

/** An opaque position in a source's history: `changesSince(cursor)` reports what came after it. */
export type SourceCursor = string;

export interface SourceChanges {
  /** Runs that gained or changed readings (or run records) after the cursor. */
  runs: number[];
  /** Pass this to the next `changesSince`. */
  cursor: SourceCursor;
}

/** Per-run summary used to decide whether a run's snapshot is stale. */
export interface RunFingerprint {
  run: number;
  rows: number;
  /** Epoch microseconds of the first and last reading, null for an empty run. */
  firstMicros: number | null;
  lastMicros: number | null;
  /**
   * What the source says changed in place when rows and span stay the same (an UPDATE of one
   * value): PostgreSQL's newest row version (xmin), the embedded store's newest seq, a checksum
   * MongoDB computes. Undefined where the source cannot tell.
   */
  version?: string;
}

/**
 * What a source noted about runs while streaming them, for `Source.tallied`. Only the source
 * that made it reads it.
 */
export interface ReadingTally {
  /** Runs streamed to the end with this tally. */
  readonly runs: ReadonlySet<number>;
}

/** Something the catalog left out or the mapping names wrongly, with the config field at fault. */
export interface SourceProblem {
  field: string;
  message: string;
}

export interface Source {
  /** Where the data comes from, safe to print and to store in a manifest (no passwords). */
  readonly description: string;
  catalog(): Promise<ObservableInfo[]>;
  /** What the last catalog() left out (colliding names) or found wrong in the mapping. */
  catalogProblems?(): SourceProblem[];
  runs(): Promise<RunInfo[]>;
  /**
   * Streams the readings the query selects, in bounded chunks, so memory does not grow with
   * the size of a run. Order within a run follows the source. A chunk is only valid until the
   * next one is asked for (its arrays may be filled again): copy what you keep. With a tally
   * (from `startTally`, and a query for one run) the source notes that run in it as it goes.
   */
  readings(query: ReadingQuery, tally?: ReadingTally): AsyncIterable<ReadingChunk>;
  /**
   * Optional, for a snapshot that rewrites every run it selects: rather than scanning the whole
   * source for the catalog and fingerprints before reading the runs (and so reading every row
   * twice), it reads the runs with a tally and asks `tallied` afterwards, which scans only the
   * rows outside the tallied runs. Undefined when the catalog is needed while reading (for
   * array dimensions) or the source cannot tally.
   */
  startTally?(): ReadingTally | undefined;
  /** What catalog() and fingerprints(runs) would give now, the tallied runs taken from the tally. */
  tallied?(tally: ReadingTally, runs: readonly number[]): Promise<{ catalog: ObservableInfo[]; fingerprints: RunFingerprint[] }>;
  /** Row counts and time spans of these runs (all runs when omitted). */
  fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]>;
  /** What is new since `cursor` (everything when null). */
  changesSince(cursor: SourceCursor | null): Promise<SourceChanges>;
  /** The text of the query behind `readings(query)`, for provenance. */
  describeQuery(query: ReadingQuery): string;
  close(): Promise<void>;
}

/** Raised for a source that cannot be reached or answers with an error; the message says which. */
export class SourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
  }
}

/**
 * Two names the naming rule maps to one observable, found only while reading (a first snapshot
 * that tallies the catalog as it goes). The run is read again once the catalog leaves both out.
 */
export class NameClashError extends Error {}

export const SCALAR_CHUNK_ROWS = 2048 * 16;
/** Array chunks end at this many readings or this many elements, whichever comes first. */
export const ARRAY_CHUNK_READINGS = 256;
export const ARRAY_CHUNK_ELEMENTS = 1 << 20;

/** A fresh set of columns for up to `capacity` scalar readings. */
export function scalarChunk(names: readonly string[], capacity = SCALAR_CHUNK_ROWS): ScalarChunk {
  return {
    kind: "scalar",
    length: 0,
    names,
    run: new Int32Array(capacity),
    observable: new Uint16Array(capacity),
    channel: new Int32Array(capacity),
    tMicros: new Float64Array(capacity),
    value: new Float64Array(capacity),
    isNull: new Uint8Array(capacity),
  };
}

/** Appends observable names and hands out their dictionary indexes. */
export class NameDictionary {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  id(name: string): number {
    let id = this.index.get(name);
    if (id === undefined) {
      id = this.names.length;
      if (id > 0xffff) throw new Error("more than 65536 distinct observables in one stream");
      this.names.push(name);
      this.index.set(name, id);
    }
    return id;
  }
}

/**
 * Fills scalar chunks (column arrays) and array chunks for one stream, handing each out when it
 * is full; every source builds its chunks with one of these. Its dictionary is the stream's.
 */
export class ChunkBuilder {
  readonly names = new NameDictionary();
  private scalars: ScalarChunk;
  /** A handed-out chunk its consumer is done with, filled again next instead of a new one. */
  private spare: ScalarChunk | undefined;
  private arrays: ArrayReading[] = [];
  private arrayElements = 0;

  constructor(private readonly capacity = SCALAR_CHUNK_ROWS) {
    this.scalars = scalarChunk(this.names.names, capacity);
  }

  /** Adds one scalar reading; returns the chunk it filled, if it filled one. */
  scalar(run: number, observable: number, channel: number, tMicros: number, value: number | null): ScalarChunk | undefined {
    const c = this.scalars;
    const i = c.length++;
    c.run[i] = run;
    c.observable[i] = observable;
    c.channel[i] = channel;
    c.tMicros[i] = tMicros;
    c.value[i] = value ?? NaN;
    c.isNull[i] = value === null ? 1 : 0;
    if (c.length < this.capacity) return undefined;
    this.scalars = this.fresh();
    return c;
  }

  /**
   * Takes back a chunk the consumer has finished with, to fill it again: at millions of
   * readings a second, allocating every chunk anew keeps the garbage collector busy. Only for
   * streams whose consumers are told a chunk lives until they ask for the next one.
   */
  recycle(chunk: ReadingChunk): void {
    if (chunk.kind === "scalar" && chunk.run.length === this.capacity) this.spare = chunk;
  }

  private fresh(): ScalarChunk {
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return scalarChunk(this.names.names, this.capacity);
    spare.length = 0;
    return spare;
  }

  /** Adds one array reading; returns the chunk it filled, if it filled one. */
  array(reading: ArrayReading): ArrayChunk | undefined {
    this.arrays.push(reading);
    this.arrayElements += elementsOf(reading.value);
    if (this.arrays.length < ARRAY_CHUNK_READINGS && this.arrayElements < ARRAY_CHUNK_ELEMENTS) return undefined;
    return this.takeArrays();
  }

  /** What is held so far (a partial scalar chunk trimmed to its length); the builder stays usable. */
  *rest(): Generator<ReadingChunk> {
    const c = this.scalars;
    if (c.length > 0) {
      const n = c.length;
      this.scalars = this.fresh();
      yield {
        ...c,
        run: c.run.subarray(0, n),
        observable: c.observable.subarray(0, n),
        channel: c.channel.subarray(0, n),
        tMicros: c.tMicros.subarray(0, n),
        value: c.value.subarray(0, n),
        isNull: c.isNull.subarray(0, n),
      };
    }
    if (this.arrays.length > 0) yield this.takeArrays();
  }

  private takeArrays(): ArrayChunk {
    const chunk: ArrayChunk = { kind: "array", readings: this.arrays };
    this.arrays = [];
    this.arrayElements = 0;
    return chunk;
  }
}
