// One DuckDB connection used by several callers: DuckDB transactions on one connection must not
// interleave, so work is queued and runs one piece at a time (the dashboard and flag stores).
import type { DuckDBConnection } from "@duckdb/node-api";

export class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly db: DuckDBConnection) {}

  /** Runs `work` after everything queued before it; a failure does not stop the queue. */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  async rows(sql: string, params: Record<string, string | number | null> = {}): Promise<Record<string, unknown>[]> {
    return (await this.db.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Waits for the queue, then closes the connection. */
  async close(): Promise<void> {
    await this.tail;
    this.db.closeSync();
  }
}
