// Watching a PostgreSQL source: readings a DAQ writes straight into its own tables reach the
// live hub through the same ingest path as pushed ones.
//
// `runboard watch install` puts a statement-level trigger on each mapped table (and the runs
// table). Each INSERT statement's new rows go, as one JSON array, into a queue table
// (`runboard_watch.changes`) in the same transaction, and a NOTIFY names the queue entry. The
// server (RUNBOARD_WATCH_CONFIG) ingests each entry as one batch, source `pg-watch:<install id>`, sequence =
// entry id, then deletes it: a crash in between re-ingests it, and the (source, sequence) check
// stores it once. While runboard is down, entries wait in the queue.
import { coalescingTask } from "../ingest/coalescing-task.js";
import { type PgListener, listenToChannel } from "../ingest/pg-listener.js";
import type { IngestReading } from "../../src/core/ingest.js";
import type { PostgresLongTable, PostgresSourceConfig, PostgresWideTable } from "../../loaders/config.js";
import type { Ingestor } from "../ingest/ingest.js";
import { SourceDeclarations, ingestWatched } from "./declarations.js";
import type { PostgresSource } from "../../loaders/sources/postgres-source.js";

export const WATCH_CHANNEL = "runboard_watch";
/** Batches' source: this prefix and the installation's id. */
export const WATCH_SOURCE_PREFIX = "pg-watch:";
const SCHEMA = "runboard_watch";
const DRAIN_RETRY_MS = 2000;

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const tableRef = (t: { schema: string; table: string }) => `${quote(t.schema)}.${quote(t.table)}`;
/** The name a queue entry carries for its table: schema.table, as TG_TABLE_SCHEMA/NAME give it. */
export const tableKey = (t: { schema: string; table: string }) => `${t.schema}.${t.table}`;

/** The SQL `runboard watch install` runs, one statement each (identifiers quoted, nothing else interpolated). */
export function installStatements(config: PostgresSourceConfig): string[] {
  const statements = [
    `CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`,
    // This installation's name: queue ids start again at 1 after a reinstall, so the batches'
    // source carries it, and (source, sequence) never matches an entry of an earlier install.
    `CREATE TABLE IF NOT EXISTS ${SCHEMA}.install (id text NOT NULL)`,
    `INSERT INTO ${SCHEMA}.install SELECT md5(random()::text || clock_timestamp()::text)
      WHERE NOT EXISTS (SELECT 1 FROM ${SCHEMA}.install)`,
    `CREATE TABLE IF NOT EXISTS ${SCHEMA}.changes (
       id bigserial PRIMARY KEY,
       source_table text NOT NULL,
       rows jsonb NOT NULL,
       captured_at timestamptz NOT NULL DEFAULT now())`,
    // One queue entry per statement, whatever its row count: a 2000-channel readout is one batch.
    `CREATE OR REPLACE FUNCTION ${SCHEMA}.capture() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE entry bigint;
     BEGIN
       INSERT INTO ${SCHEMA}.changes (source_table, rows)
         SELECT TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, jsonb_agg(to_jsonb(n)) FROM new_rows n HAVING count(*) > 0
         RETURNING id INTO entry;
       IF entry IS NOT NULL THEN PERFORM pg_notify('${WATCH_CHANNEL}', entry::text); END IF;
       RETURN NULL;
     END $$`,
  ];
  const watched: { schema: string; table: string; events: string[] }[] = config.tables.map((t) => ({ ...t, events: ["INSERT"] }));
  if (config.runs) watched.push({ ...config.runs, events: ["INSERT", "UPDATE"] });
  for (const t of watched) {
    // A trigger with a transition table takes one event, so INSERT and UPDATE get one each.
    for (const event of t.events) {
      statements.push(
        `CREATE OR REPLACE TRIGGER runboard_watch_${event.toLowerCase()} AFTER ${event} ON ${tableRef(t)}
           REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.capture()`,
      );
    }
  }
  return statements;
}

export function uninstallStatements(config: PostgresSourceConfig): string[] {
  const tables = [...config.tables, ...(config.runs ? [config.runs] : [])];
  return [
    ...tables.flatMap((t) =>
      ["insert", "update"].map((event) => `DROP TRIGGER IF EXISTS runboard_watch_${event} ON ${tableRef(t)}`),
    ),
    `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`,
  ];
}

/** A row as to_jsonb gives it: numbers, arrays, ISO time strings, "NaN"/"Infinity" as strings. */
type JsonRow = Record<string, unknown>;

/** Epoch ms of a to_jsonb time (timestamps without a zone are taken as UTC, as snapshots do), or a number. */
export function jsonTime(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const zoned = /([+-]\d\d(:?\d\d)?|Z)$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? ms : undefined;
}

const finiteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");
const arrayValue = (v: unknown): number[] | number[][] | undefined =>
  finiteArray(v) ? v : Array.isArray(v) && v.every(finiteArray) ? (v as number[][]) : undefined;

export interface MappedRows {
  readings: IngestReading[];
  /** Rows (or cells) left out: NULL, NaN or ±Infinity values, rows without a run or time. */
  skipped: number;
}

/**
 * One queue entry's rows as readings, by the table's mapping. `runStart` gives the time of
 * wide tables without a time column (one row per run).
 */
export function mapRows(
  table: PostgresLongTable | PostgresWideTable,
  rows: readonly JsonRow[],
  runStart: (run: number) => number | undefined,
): MappedRows {
  const readings: IngestReading[] = [];
  let skipped = 0;
  for (const row of rows) {
    const run = row[table.run];
    const channel = table.channel === undefined ? 0 : row[table.channel];
    const t = table.time === undefined ? (typeof run === "number" ? runStart(run) : undefined) : jsonTime(row[table.time]);
    if (typeof run !== "number" || typeof channel !== "number" || t === undefined || run < 0 || channel < 0) {
      skipped++;
      continue;
    }
    const values: [string, unknown][] = [];
    if (table.layout === "long") {
      const name = row[table.observable];
      if (typeof name !== "string") {
        skipped++;
        continue;
      }
      const scalar = table.value === undefined ? undefined : row[table.value];
      values.push([name, typeof scalar === "number" ? scalar : table.arrayValue === undefined ? null : row[table.arrayValue]]);
    } else {
      const named = new Set([table.run, table.time, table.channel, ...table.exclude]);
      for (const [column, value] of Object.entries(row)) {
        if (named.has(column) || (table.include && !table.include.includes(column))) continue;
        if (typeof value === "number" || Array.isArray(value) || (value === null && table.include)) {
          values.push([`${table.prefix}${column}`, value]);
        }
      }
    }
    for (const [observable, value] of values) {
      const kept = typeof value === "number" ? value : arrayValue(value);
      if (kept === undefined) {
        skipped++;
        continue;
      }
      readings.push({ observable, run, t, channel, value: kept });
    }
  }
  return { readings, skipped };
}

export interface PostgresWatcher {
  close(): Promise<void>;
}

/**
 * Listens for queue entries and ingests them, oldest first, until closed. The catalog and runs
 * come from the source and are read again when an entry names one runboard does not know yet.
 */
export async function watchPostgres(
  source: PostgresSource,
  config: PostgresSourceConfig,
  url: string,
  ingestor: Ingestor,
  log: (line: string) => void = console.log,
): Promise<PostgresWatcher> {
  const { default: pg } = await import("pg");
  // Queries on a pool of one; notices on a connection of their own (server/ingest/pg-listener.ts).
  const db = new pg.Pool({ connectionString: url, max: 1 });
  db.on("error", () => undefined); // an idle connection lost is replaced on next use
  const queue = new ChangeQueue(db, config, new SourceDeclarations(source), ingestor, log);
  try {
    await queue.installedSource();
  } catch (error) {
    await db.end();
    throw new Error(
      `the watch trigger is not installed in this database (run: npx runboard watch install --config <file>): ${String(error)}`,
    );
  }
  await queue.declarations.declareAll(ingestor, WATCH_SOURCE_PREFIX, log);
  let retryTimer: NodeJS.Timeout | undefined;
  /** Drains one at a time, woken by notices; a failed one is tried again after DRAIN_RETRY_MS. */
  const draining = coalescingTask(
    () => queue.drainOnce(),
    (error) => {
      log(`watch: ${error instanceof Error ? error.message : String(error)}; trying again in ${DRAIN_RETRY_MS} ms`);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(draining.request, DRAIN_RETRY_MS);
      retryTimer.unref();
    },
  );
  const drain = draining.request;
  let listener: PgListener;
  try {
    listener = await listenToChannel({ url, channel: WATCH_CHANNEL, onNotice: drain, onReady: drain, log, what: "watched rows" });
  } catch (error) {
    await db.end();
    throw error;
  }
  drain(); // what was queued while nobody listened
  log(`watching ${queue.names()} for new rows`);
  return {
    async close() {
      await listener.close();
      await draining.stop();
      clearTimeout(retryTimer);
      await db.end();
    },
  };
}

/** The trigger's queue of changes in the database, taken in and emptied oldest first. */
class ChangeQueue {
  private readonly tables: Map<string, PostgresSourceConfig["tables"][number]>;
  private readonly runsKey: string | undefined;

  constructor(
    private readonly db: import("pg").Pool,
    private readonly config: PostgresSourceConfig,
    readonly declarations: SourceDeclarations,
    private readonly ingestor: Ingestor,
    private readonly log: (line: string) => void,
  ) {
    this.tables = new Map(config.tables.map((t) => [tableKey(t), t]));
    this.runsKey = config.runs ? tableKey(config.runs) : undefined;
  }

  names(): string {
    return [...this.tables.keys(), ...(this.runsKey ? [this.runsKey] : [])].join(", ");
  }

  /** The batches' source for the installation now in place (read again each drain: a reinstall starts ids at 1). */
  async installedSource(): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(`SELECT id FROM ${SCHEMA}.install`);
    if (!rows[0]) throw new Error(`${SCHEMA}.install is empty`);
    return `${WATCH_SOURCE_PREFIX}${rows[0].id.slice(0, 16)}`;
  }

  async drainOnce(): Promise<void> {
    const watchSource = await this.installedSource();
    for (;;) {
      const { rows } = await this.db.query<{ id: string; source_table: string; rows: JsonRow[] }>(
        `SELECT id, source_table, rows FROM ${SCHEMA}.changes ORDER BY id LIMIT 16`,
      );
      for (const row of rows) {
        await this.ingestEntry(watchSource, Number(row.id), row.source_table, row.rows);
        await this.db.query(`DELETE FROM ${SCHEMA}.changes WHERE id = $1`, [row.id]);
      }
      if (rows.length < 16) return;
    }
  }

  private async ingestEntry(watchSource: string, id: number, table: string, rows: JsonRow[]): Promise<void> {
    const { declarations, ingestor, log, config } = this;
    const origin = { source: watchSource, sequence: id };
    const mapping = this.tables.get(table);
    if (!mapping) {
      // The runs table (or a table no longer mapped): bring runboard's runs up to date.
      await declarations.refresh({ runs: true });
      const ids = config.runs ? rows.map((row) => row[config.runs!.id]).filter((v) => typeof v === "number") : [];
      return ingestWatched(ingestor, declarations, declarations.batch(origin, [], ids).batch, `change ${id}`, log);
    }
    let mapped = mapRows(mapping, rows, (run) => declarations.runStart(run));
    if (await declarations.refreshFor(mapped.readings)) mapped = mapRows(mapping, rows, (run) => declarations.runStart(run));
    const { batch, leftOut } = declarations.batch(origin, mapped.readings);
    const skipped = mapped.skipped + leftOut;
    if (skipped > 0)
      log(`watch: left out ${skipped} value(s) of change ${id} (${table}): NULL, non-finite or unknown run/observable`);
    await ingestWatched(ingestor, declarations, batch, `change ${id} (${table})`, log);
  }
}
