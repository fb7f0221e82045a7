// PostgreSQL helpers the stores share: a pool that survives a server restart, and one
// transaction on a connection of its own.
import type { Pool, PoolClient } from "pg";

/** A pool on `url`; `pg` is loaded only here, so the embedded default never loads it. */
export async function openPool(url: string, max: number): Promise<Pool> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
  // An idle connection dropped by a PostgreSQL restart is replaced on next use, not fatal.
  pool.on("error", () => undefined);
  return pool;
}

/** Committed when `work` resolves, rolled back (and the error passed on) when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
