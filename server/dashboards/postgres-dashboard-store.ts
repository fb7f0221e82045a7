// Dashboards in PostgreSQL, for teams that already run one (RUNBOARD_DASHBOARD_STORE=postgres).
// `pg` is imported lazily so the embedded default never loads it.
import type { Pool } from "pg";
import type { Dashboard } from "../../src/core/dashboard.js";
import {
  type DashboardRecord,
  type DashboardStore,
  type DashboardSummary,
  type UpdateResult,
  newDashboardId,
  readStoredDashboard,
} from "./dashboard-store.js";

const UNIQUE_VIOLATION = "23505";

export class PostgresDashboardStore implements DashboardStore {
  readonly kind = "postgres";

  private constructor(private readonly pool: Pool) {}

  static async open(url: string): Promise<PostgresDashboardStore> {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    await pool.query(`CREATE TABLE IF NOT EXISTS runboard_dashboards (
      id text NOT NULL,
      revision integer NOT NULL,
      doc jsonb NOT NULL,
      saved_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (id, revision))`);
    return new PostgresDashboardStore(pool);
  }

  private async insert(id: string, revision: number, dashboard: Dashboard): Promise<DashboardRecord> {
    const { rows } = await this.pool.query<{ saved_at: Date }>(
      "INSERT INTO runboard_dashboards (id, revision, doc) VALUES ($1, $2, $3) RETURNING saved_at",
      [id, revision, JSON.stringify(dashboard)],
    );
    return { id, revision, savedAt: rows[0]!.saved_at.toISOString(), dashboard };
  }

  create(dashboard: Dashboard): Promise<DashboardRecord> {
    return this.insert(newDashboardId(), 1, dashboard);
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

  async update(id: string, dashboard: Dashboard, baseRevision?: number): Promise<UpdateResult> {
    const { rows } = await this.pool.query<{ latest: number | null }>(
      "SELECT max(revision) AS latest FROM runboard_dashboards WHERE id = $1",
      [id],
    );
    const latest = rows[0]?.latest;
    if (latest === null || latest === undefined) return { ok: false, reason: "not-found" };
    if (baseRevision !== undefined && baseRevision !== latest) return { ok: false, reason: "conflict", latest };
    try {
      return { ok: true, record: await this.insert(id, latest + 1, dashboard) };
    } catch (error) {
      // Another writer took revision latest+1 between our read and insert.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, reason: "conflict", latest: latest + 1 };
      throw error;
    }
  }

  async list(): Promise<DashboardSummary[]> {
    const { rows } = await this.pool.query<{ id: string; revision: number; title: string; saved_at: Date }>(
      `SELECT DISTINCT ON (id) id, revision, doc->>'title' AS title, saved_at
         FROM runboard_dashboards ORDER BY id, revision DESC`,
    );
    return rows
      .map((r) => ({ id: r.id, title: r.title, revision: r.revision, savedAt: r.saved_at.toISOString() }))
      .sort((a, b) => b.savedAt.localeCompare(a.savedAt) || a.id.localeCompare(b.id));
  }

  async history(id: string): Promise<{ revision: number; savedAt: string }[]> {
    const { rows } = await this.pool.query<{ revision: number; saved_at: Date }>(
      "SELECT revision, saved_at FROM runboard_dashboards WHERE id = $1 ORDER BY revision",
      [id],
    );
    return rows.map((r) => ({ revision: r.revision, savedAt: r.saved_at.toISOString() }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
