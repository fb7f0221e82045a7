// `runboard watch install|uninstall`: the PostgreSQL trigger that lets a server see new rows live.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, connectionUrl, loadConfig, type PostgresSourceConfig } from "../loaders/config.js";

const WATCH_USAGE = `Usage: runboard watch install|uninstall [--config <file>]

install    Adds a statement-level trigger to each table the config maps (and its runs
           table): every INSERT (and runs UPDATE) is queued in runboard_watch.changes and
           announced with NOTIFY. A server started with RUNBOARD_WATCH_CONFIG=<file> ingests
           the queue and deletes what it stored. Needs CREATE rights on the database and
           ownership of the tables (run it as the tables' owner).
uninstall  Drops those triggers and the runboard_watch schema (with anything still queued).

Options:
  --config <file>    Config file (default: RUNBOARD_CONFIG, else ./runboard.config.json);
                     its source must be PostgreSQL
  -h, --help         Show this help
`;

export async function watchCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    err(`runboard watch: ${(error as Error).message}\n\n${WATCH_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    out(WATCH_USAGE);
    return 0;
  }
  const [action, ...extra] = args.positionals;
  if ((action !== "install" && action !== "uninstall") || extra.length > 0) {
    err(`runboard watch: say install or uninstall\n\n${WATCH_USAGE}`);
    return 2;
  }
  const file = args.values.config ?? process.env.RUNBOARD_CONFIG ?? "runboard.config.json";
  try {
    const config = loadConfig(file);
    if (config.source.kind !== "postgres") {
      err(`runboard watch: source.kind: the trigger is for PostgreSQL sources; this config's source is ${config.source.kind}`);
      return 2;
    }
    await runStatements(config.source, action);
    const tables = [...config.source.tables, ...(config.source.runs ? [config.source.runs] : [])];
    out(
      action === "install"
        ? `watching ${tables.map((t) => `${t.schema}.${t.table}`).join(", ")}: start the server with RUNBOARD_WATCH_CONFIG=${resolve(file)}`
        : `removed the runboard_watch triggers and queue`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      err(error.message);
      return 2;
    }
    err(`runboard watch ${action}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** The trigger's statements, in one transaction, as the tables' owner. */
async function runStatements(source: PostgresSourceConfig, action: "install" | "uninstall"): Promise<void> {
  const { installStatements, uninstallStatements } = await import("../server/watch/postgres-watch.js");
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: connectionUrl(source, "DATABASE_URL") });
  await client.connect();
  try {
    await client.query("BEGIN");
    const statements = action === "install" ? installStatements(source) : uninstallStatements(source);
    for (const sql of statements) await client.query(sql);
    await client.query("COMMIT");
  } finally {
    await client.end();
  }
}
