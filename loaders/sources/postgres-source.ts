// The PostgreSQL source: reads an experiment's existing tables as they are, through `pg`.
// Layouts (declared in the config file, see loaders/config.ts):
//   long  - one row per reading: run, observable, [channel], time, value and/or array value
//   wide  - one column per observable (numbers, float8[] or float8[][]), one row per run or per
//           time; columns added later show up in the catalog at the next call, no restart
//   runs  - an optional runs table: id, start, [stop], [status], other columns become metadata
// Readings leave PostgreSQL by binary COPY and are decoded in place (pg-binary-copy.ts), the
// fastest path this machine has. Identifiers come from the validated config and are quoted with
// pg's escapeIdentifier; values (run ids, times, names) are parameters, or escaped literals in
// COPY, which cannot take parameters.
import type { Duplex } from "node:stream";
import pg from "pg";
import { type ObservableInfo, type RunInfo, runStatusFrom } from "../../src/core/catalog.js";
import { assignNames, observableNameFor } from "../../src/core/naming.js";
import {
  type PostgresLongTable,
  type PostgresRunsTable,
  type PostgresSourceConfig,
  type PostgresWideTable,
  connectionUrl,
  redactUrl,
} from "../config.js";
import {
  BinaryCopyParser,
  readFloat8,
  readFloat8Array,
  readInt4,
  readTimestampMicros,
  type RowFields,
  TextCache,
} from "./pg-binary-copy.js";
import { BinaryCopyOut } from "./pg-copy-out.js";
import { pgSocket } from "./pg-socket.js";
import {
  ChunkBuilder,
  type ReadingChunk,
  type ReadingQuery,
  type ReadingTally,
  type RunFingerprint,
  type Source,
  type SourceChanges,
  NameClashError,
  SourceError,
  type SourceProblem,
} from "./source.js";

const { escapeIdentifier: quote, escapeLiteral: literal } = pg;

interface ColumnInfo {
  name: string;
  dataType: string;
  udtName: string;
  description: string;
}

/** One (run, observable) group of a long table: what catalog() and fingerprints() need. */
interface LongSurveyRow {
  run: number | null;
  name: string | null;
  rows: number;
  channels: number;
  ndims: number | null;
  d1: number | null;
  d2: number | null;
  first: number | null;
  last: number | null;
  /** The newest row version (xmin) in the group: an UPDATE in place gives a newer one. */
  version: number | null;
  /** Arrays of the group do not all have one shape (d1, d2 are the largest). */
  varies?: boolean;
}

/** Survey rows of the runs that readings() streamed with this tally, per long table. */
class LongTally implements ReadingTally {
  readonly runs = new Set<number>();
  readonly rows = new Map<PostgresLongTable, LongSurveyRow[]>();
  /** The database's write marker before the first row was read: what the tally's results are valid for. */
  marker?: Promise<string>;
}

/**
 * `column` outside the given runs, as ranges an index on the run column can serve (NOT IN
 * cannot use one); undefined when the runs leave too many gaps for that to be worth it.
 */
function outsideRuns(column: string, runs: Iterable<number>): string | undefined {
  const sorted = [...new Set(runs)].sort((a, b) => a - b);
  if (sorted.length === 0) return "true";
  const parts = [`${column} IS NULL`, `${column} < ${sorted[0]}`, `${column} > ${sorted.at(-1)}`];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]! > sorted[i - 1]! + 1) parts.push(`(${column} > ${sorted[i - 1]} AND ${column} < ${sorted[i]})`);
  }
  return parts.length > 64 ? undefined : `(${parts.join(" OR ")})`;
}

/** A wide-table column that holds an observable. */
interface WideColumn {
  column: string;
  observable: string;
  isArray: boolean;
}

const NUMERIC_TYPES = new Set(["double precision", "real", "integer", "bigint", "smallint", "numeric"]);
const NUMERIC_ARRAY_UDTS = new Set(["_float8", "_float4", "_int4", "_int8", "_int2", "_numeric"]);

/** More distinct names than this in one long table means the mapping points at the wrong column. */
const MAX_OBSERVABLES_PER_TABLE = 10_000;

/** SQL giving epoch milliseconds for a time column, whatever its type (timestamps or epoch seconds). */
function epochMs(column: string, dataType: string): string {
  return dataType.startsWith("timestamp") || dataType === "date"
    ? `(extract(epoch from ${column}) * 1000)::float8`
    : `(${column}::float8 * 1000)`;
}

/**
 * SQL giving exact epoch microseconds (as float8, exact below 2^53) for a time column, through
 * the same conversion to timestamptz the COPY makes, so a survey's first and last times equal
 * those the readings carry (fingerprints from a tally and from a survey must match).
 */
function epochMicros(column: string, dataType: string): string {
  return `(extract(epoch from ${asTimestamp(`(${column})`, dataType)}) * 1000000)::float8`;
}

/** SQL giving a timestamptz for a time column, for COPY. */
function asTimestamp(column: string, dataType: string): string {
  return dataType.startsWith("timestamp") || dataType === "date" ? `${column}::timestamptz` : `to_timestamp(${column}::float8)`;
}

/** A literal timestamptz for epoch milliseconds (COPY cannot take parameters). */
const timeLiteral = (ms: number) => `to_timestamp(${Number(ms) / 1000})`;

function runList(runs: readonly number[]): string {
  if (!runs.every((r) => Number.isSafeInteger(r))) throw new Error("run ids must be integers");
  return runs.join(", ");
}

export class PostgresSource implements Source {
  readonly description: string;
  /** Observable name -> its name in the long tables, for filtering by observable. */
  private rawNames = new Map<string, string>();
  /** Mapped columns' types, by schema.table.column (see typeOf). */
  private readonly columnTypes = new Map<string, Promise<string>>();
  private readonly rowVersions = new Map<string, Promise<boolean>>();
  /** Problems the last catalog found (colliding names, config entries that name nothing). */
  private problems: SourceProblem[] = [];
  /** Per long table, raw names left out (they collide with another). */
  private readonly refusedRaw = new Map<PostgresLongTable, Set<string>>();
  /** The observable columns each wide table was last read with, for describeQuery. */
  private readonly wideColumnsRead = new Map<PostgresWideTable, WideColumn[]>();
  /** Results of reads, kept while nothing is written to the database (see unlessWritten). */
  private readonly readCache = new Map<string, { marker: string; value: unknown }>();
  /** Long-table scans in flight, shared by catalog() and fingerprints() (see longSurvey). */
  private readonly surveys = new Map<PostgresLongTable, Promise<LongSurveyRow[]>>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly config: PostgresSourceConfig,
    url: string,
  ) {
    this.description = `postgres ${redactUrl(url)}`;
  }

  /** Connects and checks that every mapped table and column exists; errors name the config field. */
  static async connect(config: PostgresSourceConfig, env: NodeJS.ProcessEnv = process.env): Promise<PostgresSource> {
    const url = connectionUrl(config, "DATABASE_URL", env);
    const pool = new pg.Pool({
      connectionString: url,
      // pg calls this with the connection's settings (its types leave the argument out).
      stream: pgSocket as unknown as () => Duplex,
      max: 3,
      connectionTimeoutMillis: config.connectTimeoutSeconds * 1000,
      statement_timeout: config.statementTimeoutSeconds * 1000,
      // Timestamps without time zone are read as UTC, whatever the server's default.
      options: "-c TimeZone=UTC",
    });
    pool.on("error", () => undefined); // an idle client's error surfaces on the next query instead
    const source = new PostgresSource(pool, config, url);
    try {
      await source.checkMapping();
    } catch (error) {
      await pool.end();
      throw source.wrap(error);
    }
    return source;
  }

  private wrap(error: unknown): Error {
    if (error instanceof SourceError || error instanceof NameClashError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    const hint =
      code === "ECONNREFUSED"
        ? "connection refused (is the server running, and is the port right?)"
        : code === "57014"
          ? `query cancelled after statementTimeoutSeconds (${this.config.statementTimeoutSeconds} s)`
          : message;
    return new SourceError(this.description, hint, { cause: error });
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private async columns(schema: string, table: string): Promise<ColumnInfo[]> {
    return this.query<ColumnInfo>(
      `SELECT c.column_name AS name, c.data_type AS "dataType", c.udt_name AS "udtName",
              coalesce(col_description(format('%I.%I', c.table_schema, c.table_name)::regclass, c.ordinal_position), '') AS description
         FROM information_schema.columns c
        WHERE c.table_schema = $1 AND c.table_name = $2
        ORDER BY c.ordinal_position`,
      [schema, table],
    );
  }

  private async checkMapping(): Promise<void> {
    const problems: string[] = [];
    const check = async (field: string, schema: string, table: string, wanted: Record<string, string | undefined>) => {
      const cols = new Set((await this.columns(schema, table)).map((c) => c.name));
      if (cols.size === 0) {
        problems.push(`${field}.table: no table ${schema}.${table}`);
        return;
      }
      for (const [key, column] of Object.entries(wanted)) {
        if (column !== undefined && !cols.has(column))
          problems.push(`${field}.${key}: ${schema}.${table} has no column ${column}`);
      }
    };
    const runs = this.config.runs;
    if (runs)
      await check("source.runs", runs.schema, runs.table, {
        id: runs.id,
        start: runs.start,
        stop: runs.stop,
        status: runs.status,
      });
    for (const [i, t] of this.config.tables.entries()) {
      const field = `source.tables[${i}]`;
      if (t.layout === "long") {
        await check(field, t.schema, t.table, {
          run: t.run,
          observable: t.observable,
          channel: t.channel,
          time: t.time,
          value: t.value,
          arrayValue: t.arrayValue,
        });
      } else {
        await check(field, t.schema, t.table, { run: t.run, time: t.time, channel: t.channel });
      }
    }
    if (problems.length > 0)
      throw new SourceError(this.description, `the mapping does not match the database: ${problems.join("; ")}`);
  }

  /**
   * Whether rows of this relation carry a version (xmin): tables and materialized views do, a
   * view does not (its changes then show only in row counts and time spans).
   */
  private hasRowVersions(t: { schema: string; table: string }): Promise<boolean> {
    const key = `${t.schema}.${t.table}`;
    let known = this.rowVersions.get(key);
    if (!known) {
      known = this.query<{ kind: string }>(
        `SELECT c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2`,
        [t.schema, t.table],
      ).then(([row]) => ["r", "m", "p"].includes(row?.kind ?? ""));
      known.catch(() => this.rowVersions.delete(key));
      this.rowVersions.set(key, known);
    }
    return known;
  }

  private async versionColumn(t: { schema: string; table: string }): Promise<string> {
    return (await this.hasRowVersions(t)) ? "max(xmin::text::int8)" : "NULL::int8";
  }

  private tableRef(t: { schema: string; table: string }): string {
    return `${quote(t.schema)}.${quote(t.table)}`;
  }

  /**
   * A mapped column's type, looked up once: readings() asks for the time column's type on every
   * run of a snapshot, and information_schema is slow to ask. (Columns added later matter only
   * to wide tables' observable columns, which wideColumns reads afresh.)
   */
  private typeOf(t: { schema: string; table: string }, column: string): Promise<string> {
    const key = `${t.schema}.${t.table}.${column}`;
    let type = this.columnTypes.get(key);
    if (!type) {
      type = this.columns(t.schema, t.table).then((columns) => {
        const col = columns.find((c) => c.name === column);
        if (!col) throw new SourceError(this.description, `${t.schema}.${t.table} has no column ${column}`);
        return col.dataType;
      });
      // A failed lookup (server down) is asked again next time.
      type.catch(() => this.columnTypes.delete(key));
      this.columnTypes.set(key, type);
    }
    return type;
  }

  /**
   * What committed in the database since: the current snapshot (oldest running transaction,
   * next transaction id, those in progress) changes with every transaction that writes, DDL
   * included, and with nothing else. Equal text means the data read before is still the data.
   */
  private async writeMarker(): Promise<string> {
    const [row] = await this.query<{ marker: string }>("SELECT txid_current_snapshot()::text AS marker");
    return row!.marker;
  }

  /**
   * `compute()`, or what it gave last time when nothing was written since: a refresh with
   * nothing new then costs one tiny query instead of scanning every table again.
   */
  private async unlessWritten<T>(key: string, compute: () => Promise<T>): Promise<T> {
    // Taken before the work: a commit while it runs makes the next marker differ (never stale).
    const marker = await this.writeMarker();
    const hit = this.readCache.get(key);
    if (hit && hit.marker === marker) return hit.value as T;
    const value = await compute();
    this.readCache.set(key, { marker, value });
    return value;
  }

  async catalog(): Promise<ObservableInfo[]> {
    return this.unlessWritten("catalog", () => this.readCatalog());
  }

  private async readCatalog(): Promise<ObservableInfo[]> {
    const found = new Map<string, ObservableInfo>();
    this.problems = [];
    for (const [i, t] of this.config.tables.entries()) {
      const field = `source.tables[${i}]`;
      const list = t.layout === "long" ? await this.longCatalog(t, field) : await this.wideCatalog(t, field);
      for (const info of list) if (!found.has(info.name)) found.set(info.name, info);
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** What the last catalog() left out or found wrong in the mapping, each naming its config field. */
  catalogProblems(): SourceProblem[] {
    return [...this.problems];
  }

  /**
   * One scan of a long table, grouped by (run, observable): the catalog and the fingerprints
   * both come from it. When both are asked for at once (as a snapshot does), they share one
   * scan instead of reading the whole table twice; otherwise each call scans afresh, so new
   * observables show up at once.
   */
  private longSurvey(t: PostgresLongTable): Promise<LongSurveyRow[]> {
    let survey = this.surveys.get(t);
    if (!survey) {
      const key = `survey ${this.config.tables.indexOf(t)}`;
      survey = this.unlessWritten(key, () => this.runLongSurvey(t)).finally(() => this.surveys.delete(t));
      this.surveys.set(t, survey);
    }
    return survey;
  }

  private async runLongSurvey(t: PostgresLongTable, where?: string): Promise<LongSurveyRow[]> {
    const arr = t.arrayValue ? quote(t.arrayValue) : null;
    const timeType = t.time ? await this.typeOf(t, t.time) : "double precision";
    const time = t.time ? quote(t.time) : "NULL::float8";
    // Aggregate in the columns' own types and convert the results, not every row.
    const rows = await this.query<LongSurveyRow & { rows: string }>(
      `SELECT run, name, rows, channels, ndims, d1, d2, varies, version::float8 AS version,
              ${epochMicros("first", timeType)} AS first, ${epochMicros("last", timeType)} AS last FROM (
         SELECT ${quote(t.run)}::int4 AS run, ${quote(t.observable)}::text AS name, count(*) AS rows,
                ${await this.versionColumn(t)} AS version,
                ${t.channel ? `coalesce(max(${quote(t.channel)}), 0) + 1` : "1"}::int4 AS channels,
                ${arr ? `max(array_ndims(${arr}))` : "NULL::int4"} AS ndims,
                ${arr ? `max(array_length(${arr}, 1))` : "NULL::int4"} AS d1,
                ${arr ? `max(array_length(${arr}, 2))` : "NULL::int4"} AS d2,
                ${arr ? `min(array_length(${arr}, 1)) IS DISTINCT FROM max(array_length(${arr}, 1)) OR min(array_length(${arr}, 2)) IS DISTINCT FROM max(array_length(${arr}, 2))` : "false"} AS varies,
                min(${time}) AS first, max(${time}) AS last
           FROM ${this.tableRef(t)} ${where ? `WHERE ${where}` : ""} GROUP BY 1, 2) groups`,
    );
    return rows.map((r) => ({ ...r, rows: Number(r.rows) }));
  }

  private async longCatalog(t: PostgresLongTable, field: string): Promise<ObservableInfo[]> {
    const byRaw = new Map<string, { channels: number; ndims: number | null; shapes: Map<string, number> }>();
    for (const r of await this.longSurvey(t)) {
      if (r.name === null) continue;
      const seen = byRaw.get(r.name) ?? { channels: 1, ndims: null, shapes: new Map<string, number>() };
      seen.channels = Math.max(seen.channels, r.channels);
      seen.ndims = maxNullable(seen.ndims, r.ndims);
      if (r.ndims !== null) {
        // Weighted by rows: the shape most readings have. A group of mixed shapes adds a mark.
        const shape = [r.d1 ?? 1, ...(r.ndims === 2 ? [r.d2 ?? 1] : [])].join("x");
        seen.shapes.set(shape, (seen.shapes.get(shape) ?? 0) + r.rows);
        if (r.varies) seen.shapes.set("mixed", 0);
      }
      byRaw.set(r.name, seen);
    }
    if (byRaw.size > MAX_OBSERVABLES_PER_TABLE) {
      throw new SourceError(
        this.description,
        `${field}.observable: column ${t.observable} of ${t.schema}.${t.table} holds ${byRaw.size.toLocaleString("en")} different names, ` +
          `more than the ${MAX_OBSERVABLES_PER_TABLE.toLocaleString("en")} observables a table may have; it should name the quantity ` +
          `(e.g. "hv", "temperature"), not hold values or times: is it the value or time column?`,
      );
    }
    const { names, refused } = assignNames(byRaw.keys(), "", `the names`);
    const skipped = this.refusedRaw.get(t) ?? new Set<string>();
    for (const r of refused) {
      this.problems.push({ field: `${field}.observable`, message: `${t.schema}.${t.table}: ${r.message}` });
      for (const raw of r.raws) skipped.add(raw);
    }
    this.refusedRaw.set(t, skipped);
    return [...names].map(([raw, name]) => {
      const r = byRaw.get(raw)!;
      this.rawNames.set(name, raw);
      if (r.ndims === null) return info(name, "scalar", Math.max(1, r.channels), []);
      return arrayInfo(name, r.ndims === 2 ? "2d" : "1d", r.shapes);
    });
  }

  /** The wide table's observable columns as they are now (new columns included): one catalog query. */
  private async wideColumns(t: PostgresWideTable, problems?: { field: string; list: SourceProblem[] }) {
    const reserved = new Set([t.run, t.time, t.channel, ...t.exclude].filter((c): c is string => c !== undefined));
    const all = await this.columns(t.schema, t.table);
    const numeric = all.filter(
      (c) =>
        !reserved.has(c.name) &&
        (t.include ? t.include.includes(c.name) : true) &&
        (NUMERIC_TYPES.has(c.dataType) || (c.dataType === "ARRAY" && NUMERIC_ARRAY_UDTS.has(c.udtName))),
    );
    const { names, refused } = assignNames(
      numeric.map((c) => c.name),
      t.prefix,
      "the columns",
    );
    if (problems) {
      const here = `${t.schema}.${t.table}`;
      for (const r of refused) problems.list.push({ field: problems.field, message: `${here}: ${r.message}` });
      const columns = new Set(all.map((c) => c.name));
      for (const key of ["exclude", "include"] as const) {
        (t[key] ?? []).forEach((column, i) => {
          if (!columns.has(column)) {
            problems.list.push({ field: `${problems.field}.${key}[${i}]`, message: `${here} has no column ${column}` });
          }
        });
      }
    }
    return numeric
      .filter((c) => names.has(c.name))
      .map((c) => ({
        column: c.name,
        observable: names.get(c.name)!,
        isArray: c.dataType === "ARRAY",
        description: c.description.slice(0, 500),
      }));
  }

  /** What the wide table's columns hold: channels and array dimensions come from the data. */
  private async wideCatalog(t: PostgresWideTable, field: string): Promise<ObservableInfo[]> {
    let channels = 1;
    if (t.channel) {
      const [row] = await this.query<{ n: number }>(
        `SELECT coalesce(max(${quote(t.channel)}), 0)::int4 + 1 AS n FROM ${this.tableRef(t)}`,
      );
      channels = row?.n ?? 1;
    }
    const infos: ObservableInfo[] = [];
    for (const c of await this.wideColumns(t, { field, list: this.problems })) {
      if (!c.isArray) {
        infos.push({ ...info(c.observable, "scalar", channels, []), description: c.description });
        continue;
      }
      // Array dimensions are not part of a PostgreSQL column type; take them from the data: the
      // shapes its rows have, the most common first.
      const shapes = await this.query<{ ndims: number | null; d1: number | null; d2: number | null; n: string }>(
        `SELECT array_ndims(${quote(c.column)}) AS ndims, array_length(${quote(c.column)}, 1) AS d1,
                array_length(${quote(c.column)}, 2) AS d2, count(*) AS n
           FROM ${this.tableRef(t)} WHERE ${quote(c.column)} IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 20`,
      );
      const is2d = shapes.some((d) => d.ndims === 2);
      const counted = new Map<string, number>();
      for (const d of shapes) {
        const key = [d.d1 ?? 1, ...(is2d ? [d.d2 ?? 1] : [])].join("x");
        counted.set(key, (counted.get(key) ?? 0) + Number(d.n));
      }
      const described = arrayInfo(c.observable, is2d ? "2d" : "1d", counted);
      infos.push({ ...described, description: [c.description, described.description].filter(Boolean).join("; ") });
    }
    return infos;
  }

  async runs(): Promise<RunInfo[]> {
    const r = this.config.runs;
    return this.unlessWritten("runs", () => (r ? this.runsFromTable(r) : this.runsFromReadings()));
  }

  private async runsFromTable(r: PostgresRunsTable): Promise<RunInfo[]> {
    const columns = await this.columns(r.schema, r.table);
    const typeOf = (name: string) => columns.find((c) => c.name === name)?.dataType ?? "double precision";
    const named = new Set([r.id, r.start, r.stop, r.status].filter(Boolean));
    const metaColumns = r.meta ?? columns.map((c) => c.name).filter((c) => !named.has(c));
    const rows = await this.query<{
      id: number;
      start: number;
      stop: number | null;
      status: string | null;
      meta: Record<string, unknown>;
    }>(
      `SELECT ${quote(r.id)}::int4 AS id, ${epochMs(quote(r.start), typeOf(r.start))} AS start,
              ${r.stop ? epochMs(quote(r.stop), typeOf(r.stop)) : "NULL::float8"} AS stop,
              ${r.status ? `${quote(r.status)}::text` : "NULL::text"} AS status,
              jsonb_build_object(${metaColumns.map((c) => `${literal(c)}::text, ${quote(c)}`).join(", ")}) AS meta
         FROM ${this.tableRef(r)} WHERE ${quote(r.id)} IS NOT NULL AND ${quote(r.start)} IS NOT NULL ORDER BY 1`,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      start: Number(row.start),
      stop: row.stop === null ? null : Number(row.stop),
      status: runStatusFrom(row.stop === null ? null : Number(row.stop), row.status),
      meta: row.meta ?? {},
    }));
  }

  /** Without a runs table, a run spans its first to its last reading. */
  private async runsFromReadings(): Promise<RunInfo[]> {
    const spans = new Map<number, { start: number; stop: number }>();
    for (const t of this.config.tables) {
      if (!t.time) continue;
      const time = quote(t.time);
      const type = await this.typeOf(t, t.time);
      // Aggregate in the column's own type, convert the two results: converting every row is slow.
      const rows = await this.query<{ run: number; first: number; last: number }>(
        `SELECT run, ${epochMs("first", type)} AS first, ${epochMs("last", type)} AS last FROM (
           SELECT ${quote(t.run)}::int4 AS run, min(${time}) AS first, max(${time}) AS last FROM ${this.tableRef(t)}
            WHERE ${quote(t.run)} IS NOT NULL GROUP BY 1) spans`,
      );
      for (const row of rows) {
        const span = spans.get(row.run);
        spans.set(row.run, {
          start: Math.min(span?.start ?? Infinity, row.first),
          stop: Math.max(span?.stop ?? -Infinity, row.last),
        });
      }
    }
    return [...spans.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, s]) => ({
        id,
        start: s.start,
        stop: s.stop,
        status: "stopped" as const,
        meta: { derived: "first to last reading" },
      }));
  }

  describeQuery(query: ReadingQuery): string {
    // A wide table's statement names the observable columns the last read of it took.
    return this.config.tables
      .map((t) => this.copySql(t, query, t.layout === "wide" ? (this.wideColumnsRead.get(t) ?? []) : undefined))
      .join(";\n");
  }

  /** The COPY statement for one table. For wide tables, `columns` are the observable columns. */
  private copySql(
    t: PostgresLongTable | PostgresWideTable,
    query: ReadingQuery,
    columns?: WideColumn[],
    timeType = "timestamp",
    withVersion = false,
  ): string {
    const where: string[] = [`${quote(t.run)} IS NOT NULL`];
    if (query.runs) where.push(query.runs.length > 0 ? `${quote(t.run)} IN (${runList(query.runs)})` : "false");
    if (query.window && t.time) {
      const tt = asTimestamp(quote(t.time), timeType);
      where.push(`${tt} >= ${timeLiteral(query.window.from)} AND ${tt} <= ${timeLiteral(query.window.to)}`);
    }
    const channel = t.channel ? `${quote(t.channel)}::int4` : "0::int4";
    const time = t.time ? asTimestamp(quote(t.time), timeType) : "NULL::timestamptz";
    let select: string;
    if (t.layout === "long") {
      if (query.observables) {
        const raw = query.observables.map((o) => this.rawNames.get(o) ?? o);
        where.push(raw.length > 0 ? `${quote(t.observable)}::text IN (${raw.map(literal).join(", ")})` : "false");
      }
      select = longFields(t, time, singleRun(query), withVersion).select.join(", ");
    } else {
      const cols = (columns ?? []).map((c) => `${quote(c.column)}::${c.isArray ? "float8[]" : "float8"}`);
      select = [`${quote(t.run)}::int4`, channel, time, ...cols].join(", ");
    }
    return `COPY (SELECT ${select} FROM ${this.tableRef(t)} WHERE ${where.join(" AND ")}) TO STDOUT (FORMAT binary)`;
  }

  /** Tallies are kept for long tables of scalars only: arrays need the catalog's dims while read. */
  startTally(): ReadingTally | undefined {
    return this.config.tables.every((t) => t.layout === "long" && !t.arrayValue) ? new LongTally() : undefined;
  }

  async *readings(query: ReadingQuery, tally?: ReadingTally): AsyncIterable<ReadingChunk> {
    const run = singleRun(query);
    if (tally && (!(tally instanceof LongTally) || run === undefined || query.observables || query.window)) {
      throw new Error("a tally is kept only of a whole single run, with a tally from startTally()");
    }
    const tallied: [PostgresLongTable, LongSurveyRow[]][] = [];
    if (tally instanceof LongTally) tally.marker ??= this.writeMarker();
    // One builder for the whole stream: its name dictionary spans every table.
    const out = new ChunkBuilder();
    let runStarts: Map<number, number> | undefined;
    for (const t of this.config.tables) {
      const timeType = t.time ? await this.typeOf(t, t.time) : "timestamp";
      if (t.layout === "long") {
        if (query.observables && this.rawNames.size === 0) await this.catalog();
        const withVersion = tally !== undefined && (await this.hasRowVersions(t));
        const fields = longFields(t, "", run, withVersion);
        const noted = tally ? new Map<string | null, LongSurveyRow>() : undefined;
        const where = `${t.schema}.${t.table}`;
        const reader = longRowReader(out, fields, noted, this.refusedRaw.get(t) ?? new Set(), where);
        const sql = this.copySql(t, query, undefined, timeType, withVersion);
        yield* this.copyRows(sql, fields.select.length, out, reader);
        if (noted) tallied.push([t, [...noted.values()]]);
        continue;
      }
      // Only the column list here: the catalog's scans for channels and dims are not needed per run.
      const columns = await this.wideColumns(t);
      let wanted = columns;
      if (query.observables) wanted = columns.filter((c) => query.observables!.includes(c.observable));
      this.wideColumnsRead.set(t, wanted);
      if (wanted.length === 0) continue;
      if (!t.time && !runStarts) runStarts = new Map((await this.runs()).map((r) => [r.id, r.start * 1000]));
      yield* this.copyRows(
        this.copySql(t, query, wanted, timeType),
        3 + wanted.length,
        out,
        wideRowReader(out, wanted, runStarts),
      );
    }
    // Only a run read to the end counts as tallied.
    if (tally instanceof LongTally && run !== undefined) {
      for (const [t, rows] of tallied) tally.rows.set(t, [...(tally.rows.get(t) ?? []), ...rows]);
      tally.runs.add(run);
    }
  }

  async tallied(
    tally: ReadingTally,
    runs: readonly number[],
  ): Promise<{ catalog: ObservableInfo[]; fingerprints: RunFingerprint[] }> {
    if (!(tally instanceof LongTally)) throw new Error("not a tally of this source");
    // The tallied runs' survey rows plus a survey of the rest, in place of full surveys.
    const tables = this.config.tables.filter((t): t is PostgresLongTable => t.layout === "long");
    const surveys = new Map(tables.map((t) => [t, this.completeSurvey(t, tally)]));
    for (const [t, survey] of surveys) this.surveys.set(t, survey);
    try {
      const [catalog, fingerprints] = await Promise.all([this.readCatalog(), this.fingerprints(runs)]);
      // Kept as of the marker taken before the tally read its first row, so the next refresh
      // with nothing written in between reads nothing again, and one with a write reads afresh.
      const marker = await tally.marker;
      if (marker !== undefined) {
        this.readCache.set("catalog", { marker, value: catalog });
        for (const [t, survey] of surveys) {
          const i = this.config.tables.indexOf(t);
          const rows = await survey;
          this.readCache.set(`survey ${i}`, { marker, value: rows });
        }
      }
      return { catalog, fingerprints };
    } finally {
      for (const t of tables) this.surveys.delete(t);
    }
  }

  private async completeSurvey(t: PostgresLongTable, tally: LongTally): Promise<LongSurveyRow[]> {
    const outside = outsideRuns(quote(t.run), tally.runs);
    const rest =
      outside === undefined
        ? (await this.runLongSurvey(t)).filter((r) => r.run === null || !tally.runs.has(r.run))
        : await this.runLongSurvey(t, outside);
    return [...(tally.rows.get(t) ?? []), ...rest];
  }

  /** Runs one binary COPY and turns its rows into chunks with `read`, holding at most a few chunks. */
  private async *copyRows(sql: string, columns: number, out: ChunkBuilder, read: RowReader): AsyncIterable<ReadingChunk> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw this.wrap(error);
    });
    const ready: ReadingChunk[] = [];
    let wake: (() => void) | undefined;
    const parser = new BinaryCopyParser(columns, (fields) => {
      const before = ready.length;
      read.row(fields, ready);
      if (ready.length === before) return;
      // Hold the socket while the consumer catches up, so memory stays at a few chunks.
      if (ready.length >= 2) copy.pause();
      wake?.();
    });
    const copy = new BinaryCopyOut(sql, parser);
    let settled = false;
    let failure: unknown;
    void copy.done
      .catch((error: unknown) => (failure = error))
      .finally(() => {
        settled = true;
        wake?.();
      });
    let done = false;
    try {
      client.query(copy);
      for (;;) {
        if (ready.length > 0) {
          const chunk = ready.shift()!;
          yield chunk;
          out.recycle(chunk);
          continue;
        }
        if (settled) break;
        copy.resume();
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure !== undefined) throw this.wrap(failure);
      yield* out.rest();
      done = true;
    } finally {
      // A COPY abandoned half way leaves the connection mid-protocol: throw that client away.
      client.release(done ? undefined : true);
    }
  }

  async fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]> {
    const byRun = new Map<number, RunFingerprint>();
    const wanted = runs && new Set(runs);
    const add = (run: number, rows: number, first: number | null, last: number | null, version: number | null) => {
      const seen = byRun.get(run);
      // Transaction ids only grow: the newest row version of any table says a row was written.
      const newest = maxNullable(seen?.version === undefined ? null : Number(seen.version), version);
      byRun.set(run, {
        run,
        rows: (seen?.rows ?? 0) + rows,
        firstMicros: minNullable(seen?.firstMicros ?? null, first === null ? null : Number(first)),
        lastMicros: maxNullable(seen?.lastMicros ?? null, last === null ? null : Number(last)),
        ...(newest === null ? {} : { version: String(newest) }),
      });
    };
    for (const t of this.config.tables) {
      // A long table's per-run counts come from its survey, which the catalog reads too: one
      // scan for both (and none while nothing is written, see unlessWritten).
      if (t.layout === "long") {
        for (const r of await this.longSurvey(t))
          if (r.run !== null && (!wanted || wanted.has(r.run))) add(r.run, r.rows, r.first, r.last, r.version);
        continue;
      }
      const timeType = t.time ? await this.typeOf(t, t.time) : "double precision";
      const time = t.time ? quote(t.time) : "NULL::float8";
      const key = `spans ${this.config.tables.indexOf(t)} ${runs ? runs.join(",") : "all"}`;
      const version = await this.versionColumn(t);
      const rows = await this.unlessWritten(key, () =>
        this.query<{ run: number; rows: string; first: number | null; last: number | null; version: number }>(
          `SELECT run, rows, version::float8 AS version,
                ${epochMicros("first", timeType)} AS first, ${epochMicros("last", timeType)} AS last FROM (
           SELECT ${quote(t.run)}::int4 AS run, count(*) AS rows, min(${time}) AS first, max(${time}) AS last,
                  ${version} AS version
             FROM ${this.tableRef(t)} WHERE ${quote(t.run)} IS NOT NULL ${runs ? `AND ${quote(t.run)} = ANY($1::int4[])` : ""}
            GROUP BY 1) spans`,
          runs ? [runs] : [],
        ),
      );
      for (const row of rows) add(row.run, Number(row.rows), row.first, row.last, row.version);
    }
    for (const id of runs ?? (await this.runs()).map((r) => r.id)) {
      if (!byRun.has(id)) byRun.set(id, { run: id, rows: 0, firstMicros: null, lastMicros: null });
    }
    return [...byRun.values()].sort((a, b) => a.run - b.run);
  }

  /**
   * The cursor holds, per table, the newest reading time seen (or the highest run for tables
   * without a time column), and the stop times of runs that were still open.
   */
  async changesSince(cursor: string | null): Promise<SourceChanges> {
    const before = cursor ? (JSON.parse(cursor) as { tables: (number | null)[]; open: Record<string, number | null> }) : null;
    const changed = new Set<number>();
    const tables: (number | null)[] = [];
    for (const [i, t] of this.config.tables.entries()) {
      const since = before?.tables[i] ?? null;
      // Compare and aggregate in the column's own type (an index on it then helps); convert once.
      const type = t.time ? await this.typeOf(t, t.time) : "integer";
      const key = t.time ? quote(t.time) : `${quote(t.run)}`;
      const bound = !t.time
        ? "$1::int4"
        : type.startsWith("timestamp") || type === "date"
          ? "to_timestamp($1::float8 / 1e6)"
          : "($1::float8 / 1e6)";
      const rows = await this.query<{ run: number; newest: number }>(
        `SELECT run, ${t.time ? `${epochMs("newest", type)} * 1000` : "newest::float8"} AS newest FROM (
           SELECT ${quote(t.run)}::int4 AS run, max(${key}) AS newest FROM ${this.tableRef(t)}
            WHERE ${quote(t.run)} IS NOT NULL ${since === null ? "" : `AND ${key} > ${bound}`} GROUP BY 1) news`,
        since === null ? [] : [since],
      );
      let newest = since;
      for (const row of rows) {
        changed.add(row.run);
        newest = newest === null ? Number(row.newest) : Math.max(newest, Number(row.newest));
      }
      tables.push(newest);
    }
    const open: Record<string, number | null> = {};
    for (const run of await this.runs()) {
      const was = before?.open[run.id];
      if (before && !(String(run.id) in before.open) && run.stop === null) changed.add(run.id); // a new, open run
      if (was !== undefined && was !== run.stop) changed.add(run.id); // an open run stopped
      if (run.stop === null) open[run.id] = null;
    }
    return { runs: [...changed].sort((a, b) => a - b), cursor: JSON.stringify({ tables, open }) };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function info(name: string, shape: ObservableInfo["shape"], channels: number, dims: number[]): ObservableInfo {
  return { name, unit: "", shape, channels, dims, description: "" };
}

/**
 * An array observable from the shapes its rows (or runs) have, with how often each occurs:
 * the most common shape is its dims; when there are others, it says that the shape varies
 * rather than give dims that match no row.
 */
function arrayInfo(name: string, shape: "1d" | "2d", shapes: ReadonlyMap<string, number>): ObservableInfo {
  const ranked = [...shapes].sort((a, b) => b[1] - a[1]);
  const dims = (ranked[0]?.[0] ?? "1").split("x").map(Number);
  const all = ranked.filter(([s]) => s !== "mixed").map(([s]) => s.replace("x", "×"));
  if (shapes.has("mixed")) all.push("others");
  return {
    ...info(name, shape, 1, shape === "2d" ? [dims[0] ?? 1, dims[1] ?? 1] : [dims[0] ?? 1]),
    ...(ranked.length > 1
      ? { dimsVary: true, description: `shape varies: ${all.slice(0, 5).join(", ")}${all.length > 5 ? ", …" : ""}` }
      : {}),
  };
}

const minNullable = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxNullable = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** The observable id of rows that are not read (no usable name, or a refused one). */
const SKIP = -2;

/** Turns one COPY row into readings; a chunk the builder fills goes into `ready`. */
interface RowReader {
  row(fields: RowFields, ready: ReadingChunk[]): void;
}

/**
 * The fields a long table's COPY selects: run, observable, then only the mapped ones of
 * channel, time, value and array value (a constant NULL column still costs PostgreSQL time on
 * every row). The indexes say where each sits, -1 when absent. When the COPY reads a single
 * run, the run column is left out too: the same number on every row is a field per reading
 * for nothing.
 */
function longFields(t: PostgresLongTable, time: string, run: number | undefined, withVersion = false) {
  const select = run === undefined ? [`${quote(t.run)}::int4`] : [];
  const add = (expression: string | undefined) => (expression === undefined ? -1 : select.push(expression) - 1);
  const observable = add(`${quote(t.observable)}::text`);
  const channel = add(t.channel && `${quote(t.channel)}::int4`);
  const timeField = add(t.time && time);
  const value = add(t.value && `${quote(t.value)}::float8`);
  const array = add(t.arrayValue && `${quote(t.arrayValue)}::float8[]`);
  // A tally needs each row's version (4 bytes of binary xid, no cast per row).
  const version = add(withVersion ? "xmin" : undefined);
  return { select, run, observable, channel, time: timeField, value, array, version };
}

/** The run a query reads, when it reads exactly one. */
const singleRun = (query: ReadingQuery) => (query.runs?.length === 1 ? query.runs[0] : undefined);

/**
 * Long rows, as `longFields` lays them out. With `noted`, each row is also counted into the
 * survey row of its observable (keyed by raw name, null for a NULL name), as the long-table
 * survey would count it.
 */
function longRowReader(
  out: ChunkBuilder,
  fields: ReturnType<typeof longFields>,
  noted: Map<string | null, LongSurveyRow> | undefined,
  refused: ReadonlySet<string>,
  where: string,
): RowReader {
  const text = new TextCache();
  const names = new ObservableIds(out, refused, where);
  const survey = noted && new SurveyTally(noted, fields.version);
  const { run: singleRun, observable: observableAt, channel: channelAt, time: timeAt, value: valueAt, array: arrayAt } = fields;
  return {
    row(f, ready) {
      const raw = text.read(f, observableAt);
      const id = names.idOf(raw);
      const run = singleRun ?? readInt4(f, 0);
      const channel = channelAt < 0 || f.length[channelAt]! < 0 ? 0 : readInt4(f, channelAt);
      const t = timeAt < 0 || f.length[timeAt]! < 0 ? Number.NaN : readTimestampMicros(f, timeAt);
      const full =
        id === SKIP
          ? undefined
          : arrayAt >= 0 && f.length[arrayAt]! >= 0
            ? out.array({ run, observable: out.names.names[id]!, channel, tMicros: t, value: readFloat8Array(f, arrayAt) })
            : out.scalar(run, id, channel, t, valueAt < 0 || f.length[valueAt]! < 0 ? null : readFloat8(f, valueAt));
      if (full) ready.push(full);
      survey?.count(f, f.length[observableAt]! < 0 ? null : raw, run, channel, t);
    },
  };
}

/** Raw observable names to the stream's ids (SKIP for names not read), the last one remembered. */
class ObservableIds {
  private readonly ids = new Map<string, number>();
  /** Observable name -> the raw name that took it in this stream, to see a collision the catalog did not. */
  private readonly owners = new Map<string, string>();
  private lastRaw = "";
  private lastId = -1;

  constructor(
    private readonly out: ChunkBuilder,
    private readonly refused: ReadonlySet<string>,
    private readonly where: string,
  ) {}

  idOf(raw: string): number {
    if (raw === this.lastRaw && this.lastId >= 0) return this.lastId;
    let id = this.ids.get(raw) ?? -1;
    if (id === -1) {
      id = this.firstSeen(raw);
      this.ids.set(raw, id);
    }
    this.lastRaw = raw;
    this.lastId = id;
    return id;
  }

  private firstSeen(raw: string): number {
    const name = observableNameFor(raw);
    // No usable name, or one that collides with another (catalog.ts refused both): not read.
    if (name === undefined || this.refused.has(raw)) return SKIP;
    const owner = this.owners.get(name);
    if (owner !== undefined && owner !== raw) {
      throw new NameClashError(
        `${this.where}: ${JSON.stringify(owner)} and ${JSON.stringify(raw)} both become the observable ${name}; ` +
          `refused, rather than merge them: rename one in the source, or exclude one (the next snapshot leaves both out)`,
      );
    }
    this.owners.set(name, raw);
    return this.out.names.id(name);
  }
}

/** Counts each row into the survey row of its observable, as the long-table survey would. */
class SurveyTally {
  private lastKey: string | null | undefined;
  private entry: LongSurveyRow | undefined;

  constructor(
    private readonly noted: Map<string | null, LongSurveyRow>,
    private readonly versionAt: number,
  ) {}

  count(f: Parameters<RowReader["row"]>[0], key: string | null, run: number, channel: number, t: number): void {
    if (key !== this.lastKey || !this.entry) {
      this.lastKey = key;
      this.entry = this.noted.get(key);
      if (!this.entry) {
        this.entry = {
          run,
          name: key,
          rows: 0,
          channels: 1,
          ndims: null,
          d1: null,
          d2: null,
          first: null,
          last: null,
          version: null,
        };
        this.noted.set(key, this.entry);
      }
    }
    const entry = this.entry;
    entry.rows++;
    if (this.versionAt >= 0) {
      // The raw xid, unsigned, as the survey's xmin::text reads it.
      const version = readInt4(f, this.versionAt) >>> 0;
      if (entry.version === null || version > entry.version) entry.version = version;
    }
    // The survey's coalesce(max(channel), 0) + 1, as the catalog reads it (at least 1).
    if (channel >= entry.channels) entry.channels = channel + 1;
    if (!Number.isNaN(t)) {
      if (entry.first === null || t < entry.first) entry.first = t;
      if (entry.last === null || t > entry.last) entry.last = t;
    }
  }
}

/**
 * Wide rows: run, channel, time, then one field per observable column. A NULL cell means the
 * observable was not recorded in that row (e.g. a column added later), so it yields no reading.
 */
function wideRowReader(out: ChunkBuilder, columns: WideColumn[], runStarts?: Map<number, number>): RowReader {
  const ids = columns.map((c) => out.names.id(c.observable));
  return {
    row(f, ready) {
      const run = readInt4(f, 0);
      const channel = f.length[1]! < 0 ? 0 : readInt4(f, 1);
      const t = f.length[2]! < 0 ? (runStarts?.get(run) ?? Number.NaN) : readTimestampMicros(f, 2);
      for (let k = 0; k < columns.length; k++) {
        const field = 3 + k;
        if (f.length[field]! < 0) continue;
        const full = columns[k]!.isArray
          ? out.array({ run, observable: columns[k]!.observable, channel, tMicros: t, value: readFloat8Array(f, field) })
          : out.scalar(run, ids[k]!, channel, t, readFloat8(f, field));
        if (full) ready.push(full);
      }
    },
  };
}
