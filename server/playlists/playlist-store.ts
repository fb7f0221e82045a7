// Playlists, kept where users and sessions are (the embedded DuckDB file for one server,
// PostgreSQL when replicas share state), through the same small SQL adapter. Each save is a new
// revision (a save over someone else's is refused); owned and shared as dashboards are.
import type { DashboardAccess } from "../../src/core/access.js";
import type { Playlist } from "../../src/core/playlist.js";
import type { SqlAdapter } from "../auth/auth-store.js";
import { newDashboardId } from "../dashboards/dashboard-store.js";

export interface PlaylistRecord {
  id: string;
  revision: number;
  savedAt: string;
  savedBy: string;
  playlist: Playlist;
  access: DashboardAccess;
}

export type PlaylistUpdate =
  { ok: true; record: PlaylistRecord } | { ok: false; reason: "missing" } | { ok: false; reason: "conflict"; latest: number };

const toRecord = (r: Record<string, unknown>): PlaylistRecord => ({
  id: String(r.id),
  revision: Number(r.revision),
  savedAt: new Date(Number(r.saved_at)).toISOString(),
  savedBy: String(r.saved_by),
  playlist: JSON.parse(String(r.doc)) as Playlist,
  access: JSON.parse(String(r.access)) as DashboardAccess,
});

export class PlaylistStore {
  private constructor(private readonly sql: SqlAdapter) {}

  static async open(sql: SqlAdapter): Promise<PlaylistStore> {
    await sql.schema([
      `CREATE TABLE IF NOT EXISTS runboard_playlists (
         id VARCHAR PRIMARY KEY, revision INTEGER NOT NULL, doc VARCHAR NOT NULL, access VARCHAR NOT NULL,
         saved_at FLOAT8 NOT NULL, saved_by VARCHAR NOT NULL)`,
    ]);
    return new PlaylistStore(sql);
  }

  async list(): Promise<PlaylistRecord[]> {
    return (await this.sql.query("SELECT * FROM runboard_playlists ORDER BY id")).map(toRecord);
  }

  async get(id: string): Promise<PlaylistRecord | undefined> {
    const [row] = await this.sql.query("SELECT * FROM runboard_playlists WHERE id = $1", [id]);
    return row ? toRecord(row) : undefined;
  }

  async create(playlist: Playlist, access: DashboardAccess, by: string): Promise<PlaylistRecord> {
    const id = newDashboardId();
    const rows = await this.sql.query(
      `INSERT INTO runboard_playlists (id, revision, doc, access, saved_at, saved_by) VALUES ($1, 1, $2, $3, $4, $5) RETURNING *`,
      [id, JSON.stringify(playlist), JSON.stringify(access), Date.now(), by],
    );
    return toRecord(rows[0]!);
  }

  /** A new revision; with `baseRevision`, only if nobody saved since. */
  async update(id: string, playlist: Playlist, baseRevision: number | undefined, by: string): Promise<PlaylistUpdate> {
    const current = await this.get(id);
    if (!current) return { ok: false, reason: "missing" };
    const base = baseRevision ?? current.revision;
    const rows = await this.sql.query(
      `UPDATE runboard_playlists SET revision = revision + 1, doc = $3, saved_at = $4, saved_by = $5
       WHERE id = $1 AND revision = $2 RETURNING *`,
      [id, base, JSON.stringify(playlist), Date.now(), by],
    );
    if (rows.length === 0) return { ok: false, reason: "conflict", latest: (await this.get(id))?.revision ?? current.revision };
    return { ok: true, record: toRecord(rows[0]!) };
  }

  async setAccess(id: string, access: DashboardAccess): Promise<boolean> {
    return (
      (await this.sql.query("UPDATE runboard_playlists SET access = $2 WHERE id = $1 RETURNING id", [id, JSON.stringify(access)]))
        .length === 1
    );
  }

  async remove(id: string): Promise<boolean> {
    return (await this.sql.query("DELETE FROM runboard_playlists WHERE id = $1 RETURNING id", [id])).length === 1;
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
