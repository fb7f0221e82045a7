// Playlists for wall screens, after Grafana's: a title, how long each step shows, and steps that
// name a dashboard (or every dashboard with a tag), each with its own runs and window, so one
// dashboard can be shown several times (the newest run, then last night). Pure: the schema with
// field-named errors, tags expanded into steps, and a step's address.
import { tagName } from "./dashboard.js";
import { parseRunSelection, parseWindow } from "./dashboard-time.js";
import { parseDuration } from "./time-window.js";
import { type FieldError, fieldErrors } from "./validation.js";
import { z } from "./z.js";

export const PLAYLIST_SCHEMA_VERSION = 1;

const dashboardIdSchema = z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, "must be a dashboard id");

/** The shortest and longest a step shows. */
export const INTERVAL_SECONDS = { min: 5, max: 86_400 } as const;

const intervalSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = typeof value === "number" ? value : parseDuration(value.trim());
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < INTERVAL_SECONDS.min || seconds > INTERVAL_SECONDS.max) {
    ctx.addIssue({ code: "custom", message: "a duration from 5s to 1d, e.g. 30s, 2m or 60 (seconds)" });
    return z.NEVER;
  }
  return Math.round(seconds);
});

const itemSchema = z
  .object({
    dashboard: dashboardIdSchema.optional(),
    tag: tagName.optional(),
    /** As the dashboard's address takes it: 1204, latest, last:3, 1200-1210. */
    run: z.union([z.number().int().min(0), z.string().max(200)]).optional(),
    /** As the dashboard's address takes it: 1h, runs, night, night:2026-03-10. */
    window: z.string().max(200).optional(),
  })
  .strict()
  .superRefine((item, ctx) => {
    if ((item.dashboard === undefined) === (item.tag === undefined))
      ctx.addIssue({ code: "custom", path: ["dashboard"], message: "give a dashboard or a tag (one of them)" });
    const run = item.run === undefined ? undefined : parseRunSelection(String(item.run));
    if (typeof run === "string") ctx.addIssue({ code: "custom", path: ["run"], message: run });
    const window = item.window === undefined ? undefined : parseWindow(item.window);
    if (typeof window === "string") ctx.addIssue({ code: "custom", path: ["window"], message: window });
  });

export const playlistSchema = z
  .object({
    schemaVersion: z.literal(PLAYLIST_SCHEMA_VERSION).default(PLAYLIST_SCHEMA_VERSION),
    title: z.string().trim().min(1, "a playlist needs a title").max(200),
    /** How long each step shows, in seconds (a duration such as "2m" is taken too). */
    interval: intervalSchema,
    items: z.array(itemSchema).min(1, "a playlist needs at least one step").max(100),
  })
  .strict();
export type Playlist = z.output<typeof playlistSchema>;
export type PlaylistItem = Playlist["items"][number];

export function parsePlaylist(body: unknown): { ok: true; value: Playlist } | { ok: false; errors: FieldError[] } {
  const parsed = playlistSchema.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
}

/** One screen of a playlist: a dashboard with its runs and window. */
export interface PlaylistStep {
  dashboard: string;
  title: string;
  run?: string;
  window?: string;
}

/** The steps, in order: a tag gives every dashboard with it (by title); unknown dashboards are left out. */
export function expandItems(
  items: readonly PlaylistItem[],
  dashboards: readonly { id: string; title: string; tags: readonly string[] }[],
): PlaylistStep[] {
  const byId = new Map(dashboards.map((d) => [d.id, d]));
  const byTitle = [...dashboards].sort((a, b) => a.title.localeCompare(b.title) || a.id.localeCompare(b.id));
  return items.flatMap((item) => {
    const found =
      item.dashboard !== undefined
        ? [byId.get(item.dashboard)].filter((d) => d !== undefined)
        : byTitle.filter((d) => d.tags.includes(item.tag!));
    return found.map((d) => ({
      dashboard: d.id,
      title: d.title,
      ...(item.run !== undefined ? { run: String(item.run) } : {}),
      ...(item.window !== undefined ? { window: item.window } : {}),
    }));
  });
}

/** Where step `index` of playlist `id` shows: the dashboard in kiosk, its runs and window, and where it is in the playlist. */
export function stepAddress(step: PlaylistStep, id: string, index: number, screen: { fit: boolean }): string {
  const parts = ["kiosk", ...(screen.fit ? ["fit"] : [])];
  if (step.run !== undefined) parts.push(`run=${encodeURIComponent(step.run)}`);
  if (step.window !== undefined) parts.push(`window=${encodeURIComponent(step.window)}`);
  parts.push(`playlist=${encodeURIComponent(id)}`, `step=${index}`);
  return `/d/${encodeURIComponent(step.dashboard)}?${parts.join("&")}`;
}
