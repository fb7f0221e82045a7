// The saved dashboard document. It is what users keep, share by URL and export to layouts/,
// so it is versioned (`schemaVersion`) and every older version has a migration step below.
//
// Shape (after Grafana's schema): `elements` holds the widgets by name, `layout.items` places
// them on a 12-column grid by referring to those names. Widget content is described, never
// stored as HTML.
import { z } from "./z.js";
import type { DashboardAccess } from "./access.js";
import { observableName } from "./catalog.js";
import { type FieldError, type Parsed, fieldErrors } from "./validation.js";

export const CURRENT_SCHEMA_VERSION = 4;
export const GRID_COLUMNS = 12;

/** What a widget draws; which ones fit an observable's shape is src/core/widget-kinds.ts. */
export const widgetKinds = ["timeseries", "stat", "raster", "histogram", "profile", "image", "xy", "table", "alarms"] as const;
export const widgetKindSchema = z.enum(widgetKinds);
export type WidgetKind = z.infer<typeof widgetKindSchema>;

/** One series a widget reads: an observable and, for a per-channel one, a channel. */
export const seriesRefSchema = z
  .object({
    observable: observableName,
    /** Which channel of a per-channel observable; 0 for single-channel ones. */
    channel: z.number().int().min(0).max(100_000).default(0),
  })
  .strict();
export type SeriesRef = z.infer<typeof seriesRefSchema>;

export const rangeSchema = z
  .object({ min: z.number(), max: z.number() })
  .strict()
  .refine((r) => r.min <= r.max, { message: "min must not exceed max", path: ["max"] });

/** How the value axis is chosen: from the data (auto), fixed by the user, or logarithmic. */
export const yScaleSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("auto") }).strict(),
  z.object({ mode: z.literal("log") }).strict(),
  z
    .object({ mode: z.literal("fixed"), min: z.number(), max: z.number() })
    .strict()
    .refine((r) => r.min < r.max, { message: "min must be below max", path: ["max"] }),
]);
export type YScale = z.infer<typeof yScaleSchema>;

/** How many series each kind reads, and which options only it has. */
export const KIND_RULES: Readonly<Record<WidgetKind, { series: [number, number]; options: readonly string[] }>> = {
  timeseries: { series: [1, 16], options: ["yScale"] },
  stat: { series: [1, 1], options: ["staleSeconds"] },
  raster: { series: [1, 1], options: ["highlight"] },
  histogram: { series: [1, 1], options: ["bins"] },
  profile: { series: [1, 1], options: ["previous", "runs", "yScale"] },
  image: { series: [1, 1], options: ["colorScale"] },
  xy: { series: [2, 2], options: ["colorBy", "yScale"] },
  table: { series: [1, 64], options: [] },
  alarms: { series: [1, 1], options: ["alarmScope"] },
};

export const widgetSchema = z
  .object({
    kind: widgetKindSchema,
    title: z.string().trim().min(1, "a widget needs a title").max(120),
    /** timeseries/table: the series drawn; xy: [x, y]; the others: the one observable drawn. */
    series: z.array(seriesRefSchema).min(1, "a widget reads at least one series").max(64),
    /** Overrides the catalog's healthy range: drawn as a band and used for alarm colours. */
    thresholds: rangeSchema.optional(),
    yScale: yScaleSchema.optional(),
    /** stat: after this long without a new value the widget says "stale". */
    staleSeconds: z.number().int().min(5).max(86_400).optional(),
    /** raster: the channel drawn as a line and marked in the raster. */
    highlight: z.number().int().min(0).max(100_000).optional(),
    /** histogram: how many bins. */
    bins: z.number().int().min(5).max(200).optional(),
    /** profile: how many earlier readings are drawn faded behind the newest. */
    previous: z.number().int().min(0).max(20).optional(),
    /** profile: overlay the last reading of each of these runs instead of the newest few. */
    runs: z.array(z.number().int().min(0)).min(1).max(10).optional(),
    /** image: the colour scale. */
    colorScale: z.enum(["linear", "log"]).optional(),
    /** xy: colour the points by run or by time. */
    colorBy: z.enum(["run", "time"]).optional(),
    /** alarms: the observable's alarms (default), or every alarm of the site. */
    alarmScope: z.enum(["observable", "all"]).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const rule = KIND_RULES[w.kind];
    const [least, most] = rule.series;
    if (w.series.length < least || w.series.length > most) {
      const want = least === most ? `exactly ${least}` : `${least} to ${most}`;
      ctx.addIssue({ code: "custom", path: ["series"], message: `a ${w.kind} widget reads ${want} series` });
    }
    for (const option of [
      "yScale",
      "staleSeconds",
      "highlight",
      "bins",
      "previous",
      "runs",
      "colorScale",
      "colorBy",
      "alarmScope",
    ] as const) {
      if (w[option] !== undefined && !rule.options.includes(option)) {
        ctx.addIssue({ code: "custom", path: [option], message: `not an option of a ${w.kind} widget` });
      }
    }
  });
export type Widget = z.infer<typeof widgetSchema>;

/**
 * Names every plain object already has (constructor, toString, __proto__, ...): as element names
 * they would find the inherited property instead of a widget, so they are refused.
 */
const INHERITED_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
const elementName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, - or _");
/** The elements' names as given (zod drops a "__proto__" key without a word, so look first). */
const refuseInheritedNames = (raw: unknown, ctx: z.RefinementCtx) => {
  if (!isRecord(raw)) return raw;
  for (const name of Object.keys(raw))
    if (INHERITED_NAMES.has(name))
      ctx.addIssue({ code: "custom", path: [name], message: "is a reserved name (every object has it); choose another" });
  return raw;
};
/** Widgets in one dashboard, and places in its layout: a screen's worth many times over. */
export const MAX_ELEMENTS = 200;

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

/**
 * Rows and tabs (schema 4, after Grafana's schema v2 rows and tabs layouts): a row is a
 * titled, collapsible band of widgets, a tab a page of the dashboard. An item names the row
 * (`row`) or the tab (`tab`) it is in; neither: the first tab's top, above its rows. An item's
 * y counts within its row or tab top. A row is in a tab (`tab`), else in the first.
 */
const sectionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, - or _");
export const placedItemSchema = layoutItemSchema.extend({ row: sectionId.optional(), tab: sectionId.optional() }).strict();
export type PlacedItem = z.infer<typeof placedItemSchema>;
export const layoutRowSchema = z
  .object({
    id: sectionId,
    title: z.string().trim().min(1, "a row needs a title").max(100),
    /** Folded: its widgets are not drawn and read no data until it is opened. */
    collapsed: z.boolean().default(false),
    tab: sectionId.optional(),
  })
  .strict();
export type LayoutRow = z.infer<typeof layoutRowSchema>;
export const layoutTabSchema = z
  .object({ id: sectionId, title: z.string().trim().min(1, "a tab needs a title").max(100) })
  .strict();
export type LayoutTab = z.infer<typeof layoutTabSchema>;
export const MAX_ROWS = 50;
export const MAX_TABS = 20;

/**
 * Which runs the widgets show: the newest as it happens, one chosen run, a range of run ids, or
 * the newest `count` runs (src/core/dashboard-time.ts resolves them, as the Runs page does).
 */
export const runSelectionSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("latest") }).strict(),
  z.object({ mode: z.literal("run"), run: z.number().int().min(0) }).strict(),
  z
    .object({ mode: z.literal("range"), from: z.number().int().min(0), to: z.number().int().min(0) })
    .strict()
    .refine((r) => r.from <= r.to, { message: "the first run must not come after the last", path: ["to"] }),
  z.object({ mode: z.literal("last"), count: z.number().int().min(1).max(500) }).strict(),
]);
export type RunSelection = z.infer<typeof runSelectionSchema>;

export const MAX_WINDOW_SECONDS = 7 * 24 * 3600;
/**
 * Which span of time: the last `seconds` of the chosen runs, the whole of them, a fixed span
 * (epoch ms), or an observing night (12:00 to 12:00 at the site; tonight when `day` is absent,
 * falling back to the last night with data). A fixed span or a night shows the runs in it.
 */
export const timeWindowSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("relative"), seconds: z.number().int().min(10).max(MAX_WINDOW_SECONDS) }).strict(),
  z.object({ kind: z.literal("runs") }).strict(),
  z
    .object({ kind: z.literal("absolute"), from: z.number().int().min(0), to: z.number().int().min(0) })
    .strict()
    .refine((w) => w.from < w.to, { message: "the window must end after it starts", path: ["to"] }),
  z
    .object({
      kind: z.literal("night"),
      day: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2026-03-10")
        .optional(),
    })
    .strict(),
]);
export type DashboardWindow = z.infer<typeof timeWindowSchema>;

/** A dashboard's tag: what a playlist step can name to show every dashboard that has it. */
export const tagName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/, "letters, digits, spaces and . _ - only, at most 40");

export const dashboardSchema = z
  .object({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    title: z.string().trim().min(1, "a dashboard needs a title").max(200),
    description: z.string().max(2000).default(""),
    /** Tags for playlists ("control room", "night shift"); added without a new version: absent is none. */
    tags: z.array(tagName).max(20).optional(),
    runSelection: runSelectionSchema.default({ mode: "latest" }),
    /** The default span of time; the address (?window=) can show another without saving. */
    window: timeWindowSchema.default({ kind: "relative", seconds: 3600 }),
    /**
     * How often the page reads the snapshot again, in seconds: 0 follows the live feed (and
     * checks the snapshot every 15 s); -1 never, and no live feed either (a frozen view for a
     * meeting).
     */
    refreshSeconds: z.number().int().min(-1).max(3600).default(0),
    /** Where a copy came from ("Save a copy"): the dashboard and revision it was made of. */
    forkedFrom: z
      .object({
        id: z.string().regex(/^[A-Za-z0-9_-]{6,40}$/, "must be a dashboard id"),
        revision: z.number().int().min(1),
        title: z.string().max(200),
      })
      .strict()
      .optional(),
    elements: z
      .preprocess(refuseInheritedNames, z.record(elementName, widgetSchema))
      .refine((e) => Object.keys(e).length <= MAX_ELEMENTS, { message: `at most ${MAX_ELEMENTS} elements` }),
    layout: z
      .object({
        items: z.array(placedItemSchema).max(MAX_ELEMENTS),
        rows: z.array(layoutRowSchema).max(MAX_ROWS).default([]),
        tabs: z.array(layoutTabSchema).max(MAX_TABS).default([]),
      })
      .strict(),
  })
  .strict()
  .superRefine((d, ctx) => checkSections(d.layout, ctx))
  .superRefine((d, ctx) => {
    const placed = new Set<string>();
    d.layout.items.forEach((item, i) => {
      if (!Object.hasOwn(d.elements, item.element)) {
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

/** Every row, tab and section an item or row names exists, and no id is used twice. */
function checkSections(layout: { items: PlacedItem[]; rows: LayoutRow[]; tabs: LayoutTab[] }, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path: ["layout", ...path], message });
  const tabs = new Set<string>();
  layout.tabs.forEach((t, i) => (tabs.has(t.id) ? issue(["tabs", i, "id"], `"${t.id}" is used twice`) : tabs.add(t.id)));
  const rows = new Set<string>();
  layout.rows.forEach((r, i) => {
    if (rows.has(r.id)) issue(["rows", i, "id"], `"${r.id}" is used twice`);
    rows.add(r.id);
    if (r.tab !== undefined && !tabs.has(r.tab)) issue(["rows", i, "tab"], `no tab "${r.tab}"`);
  });
  layout.items.forEach((item, i) => {
    if (item.row !== undefined && !rows.has(item.row)) issue(["items", i, "row"], `no row "${item.row}"`);
    if (item.tab !== undefined && !tabs.has(item.tab)) issue(["items", i, "tab"], `no tab "${item.tab}"`);
    if (item.row !== undefined && item.tab !== undefined)
      issue(["items", i, "tab"], "an item in a row is in the row's tab: give row or tab, not both");
  });
}

/**
 * One step per schema change: `migrations[n]` turns a version-n document into version n+1.
 * Each step gets its own test (tests/unit/dashboard.test.ts). A step reshapes what it knows and
 * passes anything else through, so the schema still names a bad field after migrating.
 */
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;
export const migrations: Readonly<Record<number, Migration>> = {
  // 1 -> 2: a widget was `{kind, spec: {title, observable, channel}}` for one series of two
  // kinds; it becomes `{kind, title, series: [{observable, channel}], ...options}`.
  1: (doc) => {
    const elements = doc.elements;
    if (!isRecord(elements)) return { ...doc, schemaVersion: 2 };
    const migrated: Record<string, unknown> = {};
    for (const [name, widget] of Object.entries(elements)) {
      if (!isRecord(widget) || !isRecord(widget.spec)) {
        migrated[name] = widget;
        continue;
      }
      const { spec, ...widgetRest } = widget;
      const { title, observable, channel, ...specRest } = spec;
      const series = { observable, ...(channel === undefined ? {} : { channel }) };
      migrated[name] = { ...widgetRest, title, series: [series], ...specRest };
    }
    return { ...doc, schemaVersion: 2, elements: migrated };
  },
  // 2 -> 3: the window was `windowSeconds` (the last N seconds); it becomes
  // `window: {kind: "relative", seconds}`, beside fixed spans, whole runs and nights.
  2: (doc) => {
    const { windowSeconds, ...rest } = doc;
    return {
      ...rest,
      schemaVersion: 3,
      ...(windowSeconds === undefined ? {} : { window: { kind: "relative", seconds: windowSeconds } }),
    };
  },
  // 3 -> 4: rows and tabs. A version-3 layout is one grid: no rows, no tabs, items as they were.
  3: (doc) => {
    const layout = doc.layout;
    return { ...doc, schemaVersion: 4, ...(isRecord(layout) ? { layout: { rows: [], tabs: [], ...layout } } : {}) };
  },
};

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
    window: { kind: "relative", seconds: 3600 },
    refreshSeconds: 0,
    elements: {},
    layout: { items: [], rows: [], tabs: [] },
  };
}

/** Picks an element name not used yet: `w1`, `w2`, ... */
export function nextElementName(dashboard: Dashboard): string {
  for (let i = 1; ; i++) {
    const name = `w${i}`;
    if (!Object.hasOwn(dashboard.elements, name)) return name;
  }
}

/**
 * The first place (top to bottom, left to right) where a w x h widget overlaps none of
 * `items`: new widgets fill the free space beside others before starting a new row.
 */
export function freeSpot(items: readonly Pick<LayoutItem, "x" | "y" | "w" | "h">[], w: number, h: number) {
  const width = Math.min(GRID_COLUMNS, Math.max(1, w));
  const overlaps = (x: number, y: number) => items.some((i) => x < i.x + i.w && i.x < x + width && y < i.y + i.h && i.y < y + h);
  for (let y = 0; ; y++) {
    for (let x = 0; x + width <= GRID_COLUMNS; x++) if (!overlaps(x, y)) return { x, y, w: width, h };
  }
}

/** Where an item sits: its row, else its tab's top (the first tab's, or "" without tabs). */
export interface SectionRef {
  row?: string;
  tab?: string;
}

/** Whether an item sits in a section (a row, or a tab's top above its rows). */
export function inSection(item: SectionRef, section: SectionRef, layout: Dashboard["layout"]): boolean {
  if (section.row !== undefined) return item.row === section.row;
  if (item.row !== undefined) return false;
  return (item.tab ?? layout.tabs[0]?.id) === (section.tab ?? layout.tabs[0]?.id);
}

/** Adds a widget in the first free space of a section (the first tab's top by default) that holds it. */
export function addWidget(
  dashboard: Dashboard,
  widget: Widget,
  size = { w: 6, h: 4 },
  section: SectionRef = {},
): [Dashboard, string] {
  const name = nextElementName(dashboard);
  const { layout } = dashboard;
  const spot = freeSpot(
    layout.items.filter((i) => inSection(i, section, layout)),
    size.w,
    size.h,
  );
  const where = section.row !== undefined ? { row: section.row } : section.tab !== undefined ? { tab: section.tab } : {};
  return [
    {
      ...dashboard,
      elements: { ...dashboard.elements, [name]: widget },
      layout: { ...layout, items: [...layout.items, { element: name, ...spot, ...where }] },
    },
    name,
  ];
}

/** Moves a placed widget into another section (a row, or a tab's top), below what is there. */
export function moveToSection(dashboard: Dashboard, name: string, section: SectionRef): Dashboard {
  const { layout } = dashboard;
  const item = layout.items.find((i) => i.element === name);
  if (!item) return dashboard;
  const others = layout.items.filter((i) => i.element !== name);
  const spot = freeSpot(
    others.filter((i) => inSection(i, section, layout)),
    item.w,
    item.h,
  );
  const where = section.row !== undefined ? { row: section.row } : section.tab !== undefined ? { tab: section.tab } : {};
  const moved = { element: name, ...spot, ...where };
  return { ...dashboard, layout: { ...layout, items: [...others, moved] } };
}

/** A section as the settings' "Place in" names it ("row:<id>", "tab:<id>", "top") and back. */
export const sectionValue = (item: SectionRef, layout: Dashboard["layout"]): string =>
  item.row !== undefined ? `row:${item.row}` : layout.tabs.length ? `tab:${item.tab ?? layout.tabs[0]!.id}` : "top";
export function sectionOf(value: string): SectionRef {
  const [kind, id] = value.split(/:(.*)/s);
  if (kind === "row" && id) return { row: id };
  if (kind === "tab" && id) return { tab: id };
  return {};
}

export function removeWidget(dashboard: Dashboard, name: string): Dashboard {
  const elements = { ...dashboard.elements };
  delete elements[name];
  return {
    ...dashboard,
    elements,
    layout: { ...dashboard.layout, items: dashboard.layout.items.filter((i) => i.element !== name) },
  };
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
      ...dashboard.layout,
      items: dashboard.layout.items.map((item) => {
        const p = byName.get(item.element);
        return p ? { ...item, x: p.x, y: p.y, w: p.w, h: p.h } : item;
      }),
    },
  };
}

/** Whether two layouts put every element at the same place and size, whatever their order. */
export function sameLayout(a: Pick<Dashboard["layout"], "items">, b: Pick<Dashboard["layout"], "items">): boolean {
  if (a.items.length !== b.items.length) return false;
  const at = new Map(b.items.map((i) => [i.element, i]));
  return a.items.every((i) => {
    const o = at.get(i.element);
    return !!o && o.x === i.x && o.y === i.y && o.w === i.w && o.h === i.h && o.row === i.row && o.tab === i.tab;
  });
}

export type { FieldError };

/** A dashboard in a list, as the stores give it and the API answers (with the asker's right). */
export interface DashboardSummary {
  id: string;
  title: string;
  revision: number;
  savedAt: string;
  /** Who saved the latest revision ("" before authors were kept). */
  author: string;
  /** Who owns it and with whom it is shared. */
  access: DashboardAccess;
}

/** A saved revision as the API answers it and the stores keep it (one wire type for both sides). */
export interface DashboardRecord {
  id: string;
  revision: number;
  savedAt: string;
  dashboard: Dashboard;
}
