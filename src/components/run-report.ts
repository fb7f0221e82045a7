// A run report page (src/runs/[run].md) reads the small Parquet files the build's data loaders
// (src/data/runs/[run]/) computed from the run's snapshot, which Framework ships with the page,
// in the page's DuckDB-WASM; the run's whole scalars.parquet is there to download and query.
import * as duckdb from "@duckdb/duckdb-wasm";
import { getDuckDB } from "./duckdb.js";

/** One scalar observable (all its channels) over the run. */
export interface ScalarSummary {
  observable: string;
  channels: number;
  readings: number;
  min: number | null;
  mean: number | null;
  max: number | null;
  /** The newest reading's value (of the lowest channel read at that time). */
  last: number | null;
  lastTime: Date | null;
}

/** A time bucket of one observable: mean, min and max across its channels' readings in it. */
export interface SeriesPoint {
  observable: string;
  t: Date;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface LastArray {
  observable: string;
  channel: number;
  t: Date;
  values1d: number[] | null;
  values2d: number[][] | null;
}

async function query<T>(db: duckdb.AsyncDuckDB, sql: string): Promise<T[]> {
  const connection = await db.connect();
  try {
    return (await connection.query(sql)).toArray().map((row) => row.toJSON() as T);
  } finally {
    await connection.close();
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Registers a shipped file (fetched whole: a run's report files are small) under a name of its own. */
async function registered(db: duckdb.AsyncDuckDB, href: string, name: string): Promise<string> {
  const response = await fetch(href);
  if (!response.ok) throw new Error(`${href}: ${response.status} ${response.statusText}`);
  await db.registerFileBuffer(name, new Uint8Array(await response.arrayBuffer()));
  return name;
}

/** A run's scalar observables, one row each (summary.parquet, computed by the build's loader). */
export async function scalarSummary(href: string, run: number): Promise<ScalarSummary[]> {
  const db = await getDuckDB();
  const file = await registered(db, href, `report-${run}-summary.parquet`);
  const rows = await query<Record<string, unknown>>(
    db,
    `SELECT observable, channels, readings, min, mean, max, last, epoch_ms(last_time) AS last_time
       FROM read_parquet('${file}') ORDER BY observable`,
  );
  return rows.map((r) => ({
    observable: String(r.observable),
    channels: Number(r.channels),
    readings: Number(r.readings),
    min: num(r.min),
    mean: num(r.mean),
    max: num(r.max),
    last: num(r.last),
    lastTime: r.last_time === null ? null : new Date(Number(r.last_time)),
  }));
}

/** Each scalar observable of a run in time buckets (series.parquet, computed by the build's loader). */
export async function scalarSeries(href: string, run: number): Promise<SeriesPoint[]> {
  const db = await getDuckDB();
  const file = await registered(db, href, `report-${run}-series.parquet`);
  const rows = await query<Record<string, unknown>>(
    db,
    `SELECT observable, epoch_ms(t) AS t, mean, min, max FROM read_parquet('${file}') ORDER BY observable, t`,
  );
  return rows.map((r) => ({
    observable: String(r.observable),
    t: new Date(Number(r.t)),
    mean: num(r.mean),
    min: num(r.min),
    max: num(r.max),
  }));
}

/** The run's last 1D and 2D reading of each observable and channel. */
export async function lastArrays(href: string, run: number): Promise<LastArray[]> {
  const db = await getDuckDB();
  const file = await registered(db, href, `report-${run}-arrays.parquet`);
  const rows = await query<Record<string, unknown>>(
    db,
    `SELECT observable, channel, epoch_ms(t) AS t, value_1d, value_2d FROM read_parquet('${file}') ORDER BY observable, channel`,
  );
  const list = (v: unknown) => (v === null || v === undefined ? null : [...(v as Iterable<unknown>)]);
  return rows.map((r) => ({
    observable: String(r.observable),
    channel: Number(r.channel),
    t: new Date(Number(r.t)),
    values1d: list(r.value_1d)?.map((x) => Number(x)) ?? null,
    values2d: list(r.value_2d)?.map((row) => list(row)!.map((x) => Number(x))) ?? null,
  }));
}
