// Your own loader, as the notebook how-to (src/pages/notebooks/your-own-loader.md) shows it: a
// query of the configured PostgreSQL, on the config's connection (the password stays in the
// environment: DATABASE_URL, or the config's `urlEnv`), into a Parquet file a notebook reads
// with DuckDB-WASM. Here: per run and observable of the first mapped long table of scalars,
// how many readings and their mean. With another source it writes the same columns, no rows.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { connectionUrl, loadConfig } from "../../loaders/config.js";

type Row = { run: number; observable: string; readings: number; mean: number | null };

async function query(): Promise<Row[]> {
  const config = loadConfig(process.env.RUNBOARD_CONFIG || undefined);
  if (config.source.kind !== "postgres") return [];
  const table = config.source.tables.find((t) => t.layout === "long" && t.value !== undefined);
  if (!table || table.layout !== "long") return [];
  const client = new pg.Client({ connectionString: connectionUrl(config.source, "DATABASE_URL") });
  await client.connect();
  try {
    // Names from the config, quoted as identifiers; nothing from a request goes into SQL.
    const id = (name: string) => client.escapeIdentifier(name);
    const { rows } = await client.query<{ run: number; observable: string; readings: string; mean: number | null }>(
      `SELECT ${id(table.run)}::int AS run, ${id(table.observable)}::text AS observable,
              count(*) AS readings, avg(${id(table.value!)})::float8 AS mean
         FROM ${id(table.schema)}.${id(table.table)} GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    return rows.map((r) => ({ ...r, readings: Number(r.readings) }));
  } finally {
    await client.end();
  }
}

/** The rows as a Parquet file, through DuckDB (JSON in, Parquet out). */
async function parquet(rows: Row[]): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "runboard-own-loader-"));
  const instance = await DuckDBInstance.create(":memory:");
  const db = await instance.connect();
  try {
    const input = join(dir, "rows.json");
    writeFileSync(input, JSON.stringify(rows));
    const out = join(dir, "out.parquet");
    await db.run(
      `COPY (SELECT * FROM read_json($input, columns = {run: 'INTEGER', observable: 'VARCHAR',
                   readings: 'BIGINT', mean: 'DOUBLE'})) TO '${out.replaceAll("'", "''")}' (FORMAT parquet)`,
      { input },
    );
    return readFileSync(out);
  } finally {
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(await parquet(await query()));
