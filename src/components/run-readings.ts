// Readings at full resolution, for what a chart says about itself: the nearest reading under the
// pointer where the chart draws thinned level-of-detail points, and the exact readings a widget
// shows for its Download and Inspect data. Straight from the snapshot's Parquet, with DuckDB-WASM.
import type { TimeWindow } from "../core/time-window.js";
import { getDuckDB } from "./duckdb.js";
import { type Snapshot, filesOf, sqlList } from "./run-data.js";

export interface ScalarRow {
  run: number;
  channel: number;
  /** Epoch ms. */
  t: number;
  value: number | null;
}

const runsOf = (snapshot: Snapshot, runs: readonly number[]) =>
  snapshot.runs.filter((r) => runs.includes(r.run) && r.files.some((f) => f.kind === "scalar"));

/**
 * The reading of one channel nearest to `t` within `within` ms either side (a pixel column or
 * two of the chart), from the runs' files; undefined when there is none.
 */
export async function nearestReading(
  snapshot: Snapshot,
  query: { runs: readonly number[]; observable: string; channel: number; t: number; within: number },
): Promise<ScalarRow | undefined> {
  const runs = runsOf(snapshot, query.runs);
  if (runs.length === 0 || !Number.isInteger(query.channel)) return undefined;
  const db = await getDuckDB();
  const names = await filesOf(db, snapshot, runs, "scalar");
  const conn = await db.connect();
  try {
    const statement = await conn.prepare(
      `SELECT run, channel, epoch_ms(t)::DOUBLE AS t, value FROM read_parquet(${sqlList(names)})
        WHERE observable = ? AND channel = ? AND value IS NOT NULL
          AND t BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)
        ORDER BY abs(epoch_ms(t) - ?::DOUBLE), t LIMIT 1`,
    );
    const from = Math.floor(query.t - query.within);
    const to = Math.ceil(query.t + query.within);
    const table = await statement.query(query.observable, query.channel, from, to, query.t);
    await statement.close();
    const row = table.toArray()[0]?.toJSON() as ScalarRow | undefined;
    return row && { run: Number(row.run), channel: Number(row.channel), t: Number(row.t), value: row.value };
  } finally {
    await conn.close();
  }
}

/**
 * Every reading of some channels of one scalar observable in the window, from the given runs,
 * in channel and time order: what a widget's Download and Inspect data give, never thinned.
 */
export async function scalarReadings(
  snapshot: Snapshot,
  query: { runs: readonly number[]; observable: string; channels?: readonly number[]; window: TimeWindow },
): Promise<ScalarRow[]> {
  const runs = runsOf(snapshot, query.runs);
  if (runs.length === 0) return [];
  const channels = query.channels?.filter((c) => Number.isInteger(c) && c >= 0);
  const db = await getDuckDB();
  const names = await filesOf(db, snapshot, runs, "scalar");
  const conn = await db.connect();
  try {
    // Channels are checked integers; names and times are parameters.
    const which = channels ? `AND channel IN (${channels.length ? channels.join(", ") : "NULL"})` : "";
    const statement = await conn.prepare(
      `SELECT run, channel, epoch_ms(t)::DOUBLE AS t, value FROM read_parquet(${sqlList(names)})
        WHERE observable = ? ${which}
          AND t BETWEEN make_timestamp(?::BIGINT * 1000) AND make_timestamp(?::BIGINT * 1000)
        ORDER BY channel, t`,
    );
    const table = await statement.query(query.observable, query.window.from, query.window.to);
    await statement.close();
    const [run, channel, t] = ["run", "channel", "t"].map((c) => table.getChild(c)!.toArray());
    // Read one by one: a NULL value (the source held none) must stay NULL, not become 0.
    const value = table.getChild("value")!;
    return Array.from({ length: table.numRows }, (_, i) => {
      const v = value.get(i) as number | null;
      return { run: Number(run![i]), channel: Number(channel![i]), t: Number(t![i]), value: v === null ? null : Number(v) };
    });
  } finally {
    await conn.close();
  }
}
