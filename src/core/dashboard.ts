// The saved dashboard document. It is what users keep, share by URL and export to layouts/,
// so it is versioned (`schemaVersion`) and every older version has a migration step below.
//
// Shape (after Grafana's schema): `elements` holds the widgets by name, `layout.items` places
// them on a 12-column grid by referring to those names. Widget content is described, never
// stored as HTML.
import { z } from "zod";
import { observableName } from "./catalog.js";
import { type FieldError, type Parsed, fieldErrors } from "./validation.js";

export const CURRENT_SCHEMA_VERSION = 1;
export const GRID_COLUMNS = 12;

export const widgetKinds = ["timeseries", "stat"] as const;
export const widgetKindSchema = z.enum(widgetKinds);
export type WidgetKind = z.infer<typeof widgetKindSchema>;

export const widgetSchema = z
  .object({
    kind: widgetKindSchema,
    spec: z
      .object({
        title: z.string().trim().min(1, "a widget needs a title").max(120),
        observable: observableName,
        /** Which channel of a per-channel observable; 0 for single-channel ones. */
        channel: z.number().int().min(0).max(100_000).default(0),
      })
      .strict(),
  })
  .strict();
export type Widget = z.infer<typeof widgetSchema>;

const elementName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, - or _");

export const layoutItemSchema = z
  .object({
    element: elementName,
    x: z
      .number()
      .int()
      .min(0)
      .max(GRID_COLUMNS - 1),
    y: z.number().int().min(0).max(10_000),
    w: z.number().int().min(1).max(GRID_COLUMNS),
    h: z.number().int().min(1).max(100),
  })
  .strict();
export type LayoutItem = z.infer<typeof layoutItemSchema>;

/** Which data the widgets show: the newest run as it happens, or one chosen run. */
export const runSelectionSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("latest") }).strict(),
  z.object({ mode: z.literal("run"), run: z.number().int().min(0) }).strict(),
]);
export type RunSelection = z.infer<typeof runSelectionSchema>;

export const dashboardSchema = z
  .object({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    title: z.string().trim().min(1, "a dashboard needs a title").max(200),
    description: z.string().max(2000).default(""),
    runSelection: runSelectionSchema.default({ mode: "latest" }),
    /** How much history the time-series widgets show, in seconds. */
    windowSeconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 24 * 3600)
      .default(3600),
    elements: z.record(elementName, widgetSchema),
    layout: z.object({ items: z.array(layoutItemSchema).max(200) }).strict(),
  })
  .strict()
  .superRefine((d, ctx) => {
    const placed = new Set<string>();
    d.layout.items.forEach((item, i) => {
      if (!(item.element in d.elements)) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", "items", i, "element"],
          message: `no element named "${item.element}"`,
        });
      }
      if (placed.has(item.element)) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", "items", i, "element"],
          message: `"${item.element}" is placed twice`,
        });
      }
      placed.add(item.element);
      if (item.x + item.w > GRID_COLUMNS) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", "items", i, "w"],
          message: `x + w must be at most ${GRID_COLUMNS}`,
        });
      }
    });
  });
export type Dashboard = z.infer<typeof dashboardSchema>;

/**
 * One step per schema change: `migrations[n]` turns a version-n document into version n+1.
 * Each step gets its own test. Version 1 is the first saved format, so there are none yet;
 * add `1: (doc) => ({...doc, schemaVersion: 2, ...})` next to the schema change that needs it.
 */
type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;
export const migrations: Readonly<Record<number, Migration>> = {};

export function migrateDashboard(
  input: unknown,
  steps: Readonly<Record<number, Migration>> = migrations,
  target: number = CURRENT_SCHEMA_VERSION,
): Parsed<Record<string, unknown>> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: "(body)", message: "a dashboard must be a JSON object" }] };
  }
  let doc = input as Record<string, unknown>;
  const version = doc.schemaVersion;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    return { ok: false, errors: [{ field: "schemaVersion", message: "must be a positive integer" }] };
  }
  if (version > target) {
    return {
      ok: false,
      errors: [
        {
          field: "schemaVersion",
          message: `version ${version} is newer than this runboard understands (${target}); upgrade runboard`,
        },
      ],
    };
  }
  for (let v = version; v < target; v++) {
    const step = steps[v];
    if (!step) return { ok: false, errors: [{ field: "schemaVersion", message: `no migration from version ${v}` }] };
    doc = step(doc);
  }
  return { ok: true, value: doc };
}

/** Migrate then validate: the one way any saved or submitted dashboard enters runboard. */
export function parseDashboard(input: unknown): Parsed<Dashboard> {
  const migrated = migrateDashboard(input);
  if (!migrated.ok) return migrated;
  const result = dashboardSchema.safeParse(migrated.value);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrors(result.error) };
}

/** A fresh, empty dashboard for the editor. */
export function emptyDashboard(title = "My dashboard"): Dashboard {
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    title,
    description: "",
    runSelection: { mode: "latest" },
    windowSeconds: 3600,
    elements: {},
    layout: { items: [] },
  };
}

/** Picks an element name not used yet: `w1`, `w2`, ... */
export function nextElementName(dashboard: Dashboard): string {
  for (let i = 1; ; i++) {
    const name = `w${i}`;
    if (!(name in dashboard.elements)) return name;
  }
}

/** Adds a widget at the first free row below the others (GridStack may move it later). */
export function addWidget(dashboard: Dashboard, widget: Widget, size = { w: 6, h: 4 }): [Dashboard, string] {
  const name = nextElementName(dashboard);
  const bottom = dashboard.layout.items.reduce((max, item) => Math.max(max, item.y + item.h), 0);
  return [
    {
      ...dashboard,
      elements: { ...dashboard.elements, [name]: widget },
      layout: { items: [...dashboard.layout.items, { element: name, x: 0, y: bottom, ...size }] },
    },
    name,
  ];
}

export function removeWidget(dashboard: Dashboard, name: string): Dashboard {
  const elements = { ...dashboard.elements };
  delete elements[name];
  return { ...dashboard, elements, layout: { items: dashboard.layout.items.filter((i) => i.element !== name) } };
}

/** Applies positions reported by the grid; unknown names are ignored, absent ones kept. */
export function applyPositions(
  dashboard: Dashboard,
  positions: ReadonlyArray<Pick<LayoutItem, "element" | "x" | "y" | "w" | "h">>,
): Dashboard {
  const byName = new Map(positions.map((p) => [p.element, p]));
  return {
    ...dashboard,
    layout: {
      items: dashboard.layout.items.map((item) => {
        const p = byName.get(item.element);
        return p ? { element: item.element, x: p.x, y: p.y, w: p.w, h: p.h } : item;
      }),
    },
  };
}

export type { FieldError };

/** A saved revision as the API answers it and the stores keep it (one wire type for both sides). */
export interface DashboardRecord {
  id: string;
  revision: number;
  savedAt: string;
  dashboard: Dashboard;
}
