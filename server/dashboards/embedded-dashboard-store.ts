// Dashboards in the embedded DuckDB file, next to the readings.
import type { DuckDBConnection } from "@duckdb/node-api";
import { SerialConnection } from "../../loaders/store/serial-connection.js";
import type { Dashboard } from "../../src/core/dashboard.js";
import {
  type DashboardRecord,
  type DashboardStore,
  type DashboardSummary,
  type DeletedSummary,
  type UpdateResult,
  UNDELETE_MS,
  newDashboardId,
  NO_NOTE,
  type RevisionInfo,
  type SaveNote,
  readStoredAccess,
  readStoredDashboard,
} from "./dashboard-store.js";
import type { DashboardAccess } from "../../src/core/access.js";

export class EmbeddedDashboardStore implements DashboardStore {
  readonly kind = "embedded";

  private readonly conn: SerialConnection;
  private readonly db: DuckDBConnection;

  private constructor(db: DuckDBConnection) {
    this.conn = new SerialConnection(db);
    this.db = db;
  }

  static async open(db: DuckDBConnection): Promise<EmbeddedDashboardStore> {
    await db.run(`CREATE TABLE IF NOT EXISTS dashboards (
      id VARCHAR NOT NULL,
      revision INTEGER NOT NULL,
      doc JSON NOT NULL,
      saved_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
      PRIMARY KEY (id, revision))`);
    // Who owns each dashboard and with whom it is shared; none for dashboards from before owners.
    await db.run("CREATE TABLE IF NOT EXISTS dashboard_access (id VARCHAR PRIMARY KEY, access JSON NOT NULL)");
    // Who saved each revision and why; NULL for revisions from before they were kept. No DEFAULT:
    // DuckDB (1.5) fails to replay an ADD COLUMN ... DEFAULT from its WAL after a crash, so the
    // columns are plain and the schema is checkpointed at once, out of the WAL.
    await db.run("ALTER TABLE dashboards ADD COLUMN IF NOT EXISTS saved_by VARCHAR");
    await db.run("ALTER TABLE dashboards ADD COLUMN IF NOT EXISTS message VARCHAR");
    // Deleted dashboards keep their revisions here until restored or purged after 30 days.
    await db.run(`CREATE TABLE IF NOT EXISTS dashboard_deleted (
      id VARCHAR PRIMARY KEY, deleted_at TIMESTAMP NOT NULL, deleted_by VARCHAR NOT NULL)`);
    await db.run(
      "CREATE TABLE IF NOT EXISTS dashboard_favourites (user_name VARCHAR NOT NULL, id VARCHAR NOT NULL, PRIMARY KEY (user_name, id))",
    );
    await db.run("CHECKPOINT");
    return new EmbeddedDashboardStore(db);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    return this.conn.serial(work);
  }

  private rows(sql: string, params: Record<string, string | number | null> = {}) {
    return this.conn.rows(sql, params);
  }

  private async insert(id: string, revision: number, dashboard: Dashboard, note: SaveNote): Promise<DashboardRecord> {
    const [row] = await this.rows(
      `INSERT INTO dashboards (id, revision, doc, saved_by, message) VALUES ($id, $revision, $doc, $author, $message)
       RETURNING strftime(saved_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS saved_at`,
      { id, revision, doc: JSON.stringify(dashboard), author: note.author, message: note.message },
    );
    return { id, revision, savedAt: String(row!.saved_at), dashboard };
  }

  create(dashboard: Dashboard, access: DashboardAccess, note: SaveNote = NO_NOTE): Promise<DashboardRecord> {
    return this.serial(async () => {
      const id = newDashboardId();
      await this.db.run("BEGIN TRANSACTION");
      try {
        const record = await this.insert(id, 1, dashboard, note);
        await this.db.run("INSERT INTO dashboard_access VALUES ($id, $access)", { id, access: JSON.stringify(access) });
        await this.db.run("COMMIT");
        return record;
      } catch (error) {
        await this.db.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  async access(id: string): Promise<DashboardAccess | undefined> {
    const [row] = await this.rows(
      `SELECT a.access FROM (SELECT DISTINCT id FROM dashboards WHERE id = $id
                               AND id NOT IN (SELECT id FROM dashboard_deleted)) d
         LEFT JOIN dashboard_access a USING (id)`,
      { id },
    );
    return row ? readStoredAccess(row.access) : undefined;
  }

  setAccess(id: string, access: DashboardAccess): Promise<boolean> {
    return this.serial(async () => {
      const [exists] = await this.rows("SELECT 1 AS found FROM dashboards WHERE id = $id LIMIT 1", { id });
      if (!exists) return false;
      await this.db.run("INSERT OR REPLACE INTO dashboard_access VALUES ($id, $access)", { id, access: JSON.stringify(access) });
      return true;
    });
  }

  async get(id: string): Promise<DashboardRecord | undefined> {
    const [row] = await this.rows(
      `SELECT revision, doc, strftime(saved_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS saved_at FROM dashboards
        WHERE id = $id ORDER BY revision DESC LIMIT 1`,
      { id },
    );
    if (!row) return undefined;
    const revision = Number(row.revision);
    return { id, revision, savedAt: String(row.saved_at), dashboard: readStoredDashboard(id, revision, row.doc) };
  }

  async revision(id: string, revision: number): Promise<DashboardRecord | undefined> {
    const [row] = await this.rows(
      `SELECT doc, strftime(saved_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS saved_at FROM dashboards WHERE id = $id AND revision = $revision`,
      { id, revision },
    );
    if (!row) return undefined;
    return { id, revision, savedAt: String(row.saved_at), dashboard: readStoredDashboard(id, revision, row.doc) };
  }

  update(id: string, dashboard: Dashboard, baseRevision?: number, note: SaveNote = NO_NOTE): Promise<UpdateResult> {
    return this.serial(async () => {
      const [row] = await this.rows("SELECT max(revision) AS latest FROM dashboards WHERE id = $id", { id });
      if (row?.latest === null || row?.latest === undefined) return { ok: false, reason: "not-found" };
      const latest = Number(row.latest);
      if (baseRevision !== undefined && baseRevision !== latest) return { ok: false, reason: "conflict", latest };
      return { ok: true, record: await this.insert(id, latest + 1, dashboard, note) };
    });
  }

  async list(): Promise<DashboardSummary[]> {
    const rows = await this.rows(
      `SELECT d.id, revision, doc->>'title' AS title, strftime(saved_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS saved_at,
              saved_by, a.access
         FROM dashboards d LEFT JOIN dashboard_access a USING (id)
        WHERE d.id NOT IN (SELECT id FROM dashboard_deleted)
        QUALIFY row_number() OVER (PARTITION BY d.id ORDER BY revision DESC) = 1
        ORDER BY saved_at DESC, d.id`,
    );
    return rows.map((r) => ({
      id: String(r.id),
      title: String(r.title),
      revision: Number(r.revision),
      savedAt: String(r.saved_at),
      author: String(r.saved_by ?? ""),
      access: readStoredAccess(r.access),
    }));
  }

  remove(id: string, by: string): Promise<boolean> {
    return this.serial(async () => {
      if (!(await this.access(id))) return false;
      await this.db.run("INSERT INTO dashboard_deleted VALUES ($id, current_timestamp, $by)", { id, by });
      return true;
    });
  }

  undelete(id: string): Promise<boolean> {
    return this.serial(async () => {
      const rows = await this.rows("DELETE FROM dashboard_deleted WHERE id = $id RETURNING id", { id });
      return rows.length === 1;
    });
  }

  deleted(now = Date.now()): Promise<DeletedSummary[]> {
    return this.serial(async () => {
      const cutoff = new Date(now - UNDELETE_MS).toISOString();
      // Gone for good after 30 days: every revision, the access and the favourites.
      const purge = `(SELECT id FROM dashboard_deleted WHERE deleted_at < $cutoff::TIMESTAMPTZ::TIMESTAMP)`;
      await this.db.run("BEGIN TRANSACTION");
      try {
        for (const table of ["dashboards", "dashboard_access", "dashboard_favourites"])
          await this.db.run(`DELETE FROM ${table} WHERE id IN ${purge}`, { cutoff });
        await this.db.run(`DELETE FROM dashboard_deleted WHERE id IN ${purge}`, { cutoff });
        await this.db.run("COMMIT");
      } catch (error) {
        await this.db.run("ROLLBACK").catch(() => undefined);
        throw error;
      }
      const rows = await this.rows(
        `SELECT x.id, strftime(x.deleted_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS deleted_at, x.deleted_by, a.access,
                (SELECT doc->>'title' FROM dashboards d WHERE d.id = x.id ORDER BY revision DESC LIMIT 1) AS title
           FROM dashboard_deleted x LEFT JOIN dashboard_access a USING (id) ORDER BY x.deleted_at DESC`,
      );
      return rows.map((r) => ({
        id: String(r.id),
        title: String(r.title),
        deletedAt: String(r.deleted_at),
        deletedBy: String(r.deleted_by),
        access: readStoredAccess(r.access),
      }));
    });
  }

  async favourites(user: string): Promise<Set<string>> {
    const rows = await this.rows("SELECT id FROM dashboard_favourites WHERE user_name = $user", { user });
    return new Set(rows.map((r) => String(r.id)));
  }

  setFavourite(user: string, id: string, favourite: boolean): Promise<void> {
    return this.serial(async () => {
      const sql = favourite
        ? "INSERT OR IGNORE INTO dashboard_favourites VALUES ($user, $id)"
        : "DELETE FROM dashboard_favourites WHERE user_name = $user AND id = $id";
      await this.db.run(sql, { user, id });
    });
  }

  async history(id: string): Promise<RevisionInfo[]> {
    const rows = await this.rows(
      `SELECT revision, strftime(saved_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS saved_at, saved_by, message FROM dashboards
        WHERE id = $id ORDER BY revision`,
      { id },
    );
    return rows.map((r) => ({
      revision: Number(r.revision),
      savedAt: String(r.saved_at),
      author: String(r.saved_by ?? ""),
      message: String(r.message ?? ""),
    }));
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}
