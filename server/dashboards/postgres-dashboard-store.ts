// Dashboards in PostgreSQL, for teams that already run one (RUNBOARD_DASHBOARD_STORE=postgres).
// `pg` is imported lazily so the embedded default never loads it.
import type { Pool } from "pg";
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
import { postgresAdapter } from "../auth/auth-store.js";
import { inTransaction, openPool } from "../pg-transaction.js";

const UNIQUE_VIOLATION = "23505";

export class PostgresDashboardStore implements DashboardStore {
  readonly kind = "postgres";

  private constructor(private readonly pool: Pool) {}

  static async open(url: string): Promise<PostgresDashboardStore> {
    const pool = await openPool(url, 4);
    // Under the schema lock: replicas starting together would race on CREATE ... IF NOT EXISTS.
    await postgresAdapter(pool).schema([
      `CREATE TABLE IF NOT EXISTS runboard_dashboards (
        id text NOT NULL,
        revision integer NOT NULL,
        doc jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, revision))`,
      "CREATE TABLE IF NOT EXISTS runboard_dashboard_access (id text PRIMARY KEY, access jsonb NOT NULL)",
      // Who saved each revision and why; empty for revisions from before they were kept.
      "ALTER TABLE runboard_dashboards ADD COLUMN IF NOT EXISTS saved_by text NOT NULL DEFAULT ''",
      "ALTER TABLE runboard_dashboards ADD COLUMN IF NOT EXISTS message text NOT NULL DEFAULT ''",
      // Deleted dashboards keep their revisions here until restored or purged after 30 days.
      `CREATE TABLE IF NOT EXISTS runboard_dashboard_deleted (
        id text PRIMARY KEY, deleted_at timestamptz NOT NULL DEFAULT now(), deleted_by text NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS runboard_dashboard_favourites (
        user_name text NOT NULL, id text NOT NULL, PRIMARY KEY (user_name, id))`,
    ]);
    return new PostgresDashboardStore(pool);
  }

  private async insert(
    id: string,
    revision: number,
    dashboard: Dashboard,
    note: SaveNote,
    db: Pick<Pool, "query"> = this.pool,
  ): Promise<DashboardRecord> {
    const { rows } = await db.query<{ saved_at: Date }>(
      "INSERT INTO runboard_dashboards (id, revision, doc, saved_by, message) VALUES ($1, $2, $3, $4, $5) RETURNING saved_at",
      [id, revision, JSON.stringify(dashboard), note.author, note.message],
    );
    return { id, revision, savedAt: rows[0]!.saved_at.toISOString(), dashboard };
  }

  async create(dashboard: Dashboard, access: DashboardAccess, note: SaveNote = NO_NOTE): Promise<DashboardRecord> {
    const id = newDashboardId();
    return inTransaction(this.pool, async (client) => {
      const record = await this.insert(id, 1, dashboard, note, client);
      await client.query("INSERT INTO runboard_dashboard_access (id, access) VALUES ($1, $2)", [id, JSON.stringify(access)]);
      return record;
    });
  }

  async access(id: string): Promise<DashboardAccess | undefined> {
    const { rows } = await this.pool.query<{ access: unknown }>(
      `SELECT a.access FROM (SELECT DISTINCT id FROM runboard_dashboards WHERE id = $1
                               AND NOT EXISTS (SELECT 1 FROM runboard_dashboard_deleted x WHERE x.id = $1)) d
         LEFT JOIN runboard_dashboard_access a USING (id)`,
      [id],
    );
    return rows[0] ? readStoredAccess(rows[0].access) : undefined;
  }

  async setAccess(id: string, access: DashboardAccess): Promise<boolean> {
    const { rows } = await this.pool.query(
      `INSERT INTO runboard_dashboard_access (id, access)
         SELECT $1, $2::jsonb WHERE EXISTS (SELECT 1 FROM runboard_dashboards WHERE id = $1)
       ON CONFLICT (id) DO UPDATE SET access = excluded.access RETURNING id`,
      [id, JSON.stringify(access)],
    );
    return rows.length === 1;
  }

  async get(id: string): Promise<DashboardRecord | undefined> {
    const { rows } = await this.pool.query<{ revision: number; doc: unknown; saved_at: Date }>(
      "SELECT revision, doc, saved_at FROM runboard_dashboards WHERE id = $1 ORDER BY revision DESC LIMIT 1",
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id,
      revision: row.revision,
      savedAt: row.saved_at.toISOString(),
      dashboard: readStoredDashboard(id, row.revision, row.doc),
    };
  }

  async revision(id: string, revision: number): Promise<DashboardRecord | undefined> {
    const { rows } = await this.pool.query<{ doc: unknown; saved_at: Date }>(
      "SELECT doc, saved_at FROM runboard_dashboards WHERE id = $1 AND revision = $2",
      [id, revision],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { id, revision, savedAt: row.saved_at.toISOString(), dashboard: readStoredDashboard(id, revision, row.doc) };
  }

  async update(id: string, dashboard: Dashboard, baseRevision?: number, note: SaveNote = NO_NOTE): Promise<UpdateResult> {
    const { rows } = await this.pool.query<{ latest: number | null }>(
      "SELECT max(revision) AS latest FROM runboard_dashboards WHERE id = $1",
      [id],
    );
    const latest = rows[0]?.latest;
    if (latest === null || latest === undefined) return { ok: false, reason: "not-found" };
    if (baseRevision !== undefined && baseRevision !== latest) return { ok: false, reason: "conflict", latest };
    try {
      return { ok: true, record: await this.insert(id, latest + 1, dashboard, note) };
    } catch (error) {
      // Another writer took revision latest+1 between our read and insert.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, reason: "conflict", latest: latest + 1 };
      throw error;
    }
  }

  async list(): Promise<DashboardSummary[]> {
    const { rows } = await this.pool.query<{
      id: string;
      revision: number;
      title: string;
      saved_at: Date;
      saved_by: string;
      access: unknown;
    }>(
      `SELECT DISTINCT ON (d.id) d.id, revision, doc->>'title' AS title, saved_at, saved_by, a.access
         FROM runboard_dashboards d LEFT JOIN runboard_dashboard_access a USING (id)
        WHERE NOT EXISTS (SELECT 1 FROM runboard_dashboard_deleted x WHERE x.id = d.id)
        ORDER BY d.id, revision DESC`,
    );
    return rows
      .map((r) => ({
        id: r.id,
        title: r.title,
        revision: r.revision,
        savedAt: r.saved_at.toISOString(),
        author: r.saved_by,
        access: readStoredAccess(r.access),
      }))
      .sort((a, b) => b.savedAt.localeCompare(a.savedAt) || a.id.localeCompare(b.id));
  }

  async remove(id: string, by: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `INSERT INTO runboard_dashboard_deleted (id, deleted_by)
         SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM runboard_dashboards WHERE id = $1)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, by],
    );
    return rows.length === 1;
  }

  async undelete(id: string): Promise<boolean> {
    const { rows } = await this.pool.query("DELETE FROM runboard_dashboard_deleted WHERE id = $1 RETURNING id", [id]);
    return rows.length === 1;
  }

  async deleted(now = Date.now()): Promise<DeletedSummary[]> {
    const cutoff = new Date(now - UNDELETE_MS);
    // Gone for good after 30 days: every revision, the access and the favourites.
    await inTransaction(this.pool, async (client) => {
      const purge = "(SELECT id FROM runboard_dashboard_deleted WHERE deleted_at < $1)";
      for (const table of ["runboard_dashboards", "runboard_dashboard_access", "runboard_dashboard_favourites"])
        await client.query(`DELETE FROM ${table} WHERE id IN ${purge}`, [cutoff]);
      await client.query(`DELETE FROM runboard_dashboard_deleted WHERE id IN ${purge}`, [cutoff]);
    });
    const { rows } = await this.pool.query<{ id: string; deleted_at: Date; deleted_by: string; access: unknown; title: string }>(
      `SELECT x.id, x.deleted_at, x.deleted_by, a.access,
              (SELECT doc->>'title' FROM runboard_dashboards d WHERE d.id = x.id ORDER BY revision DESC LIMIT 1) AS title
         FROM runboard_dashboard_deleted x LEFT JOIN runboard_dashboard_access a USING (id) ORDER BY x.deleted_at DESC`,
    );
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      deletedAt: r.deleted_at.toISOString(),
      deletedBy: r.deleted_by,
      access: readStoredAccess(r.access),
    }));
  }

  async favourites(user: string): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>("SELECT id FROM runboard_dashboard_favourites WHERE user_name = $1", [
      user,
    ]);
    return new Set(rows.map((r) => r.id));
  }

  async setFavourite(user: string, id: string, favourite: boolean): Promise<void> {
    await this.pool.query(
      favourite
        ? "INSERT INTO runboard_dashboard_favourites (user_name, id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        : "DELETE FROM runboard_dashboard_favourites WHERE user_name = $1 AND id = $2",
      [user, id],
    );
  }

  async history(id: string): Promise<RevisionInfo[]> {
    const { rows } = await this.pool.query<{ revision: number; saved_at: Date; saved_by: string; message: string }>(
      "SELECT revision, saved_at, saved_by, message FROM runboard_dashboards WHERE id = $1 ORDER BY revision",
      [id],
    );
    return rows.map((r) => ({ revision: r.revision, savedAt: r.saved_at.toISOString(), author: r.saved_by, message: r.message }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
