import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CURRENT_SCHEMA_VERSION,
  addWidget,
  applyPositions,
  emptyDashboard,
  freeSpot,
  inSection,
  migrateDashboard,
  migrations,
  moveToSection,
  sectionOf,
  sectionValue,
  parseDashboard,
  removeWidget,
  sameLayout,
} from "../../src/core/dashboard.js";
import { projectRoot } from "../../loaders/paths.js";

const example = () =>
  JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")) as Record<string, unknown>;
const fields = (input: unknown) => {
  const parsed = parseDashboard(input);
  assert.equal(parsed.ok, false, "expected the dashboard to be rejected");
  return parsed.ok ? [] : parsed.errors.map((e) => e.field);
};

describe("dashboard schema", () => {
  it("a layout in another order is the same layout; a moved item is not", () => {
    const a = {
      items: [
        { element: "a", x: 0, y: 4, w: 6, h: 4 },
        { element: "b", x: 0, y: 0, w: 6, h: 4 },
      ],
    };
    const b = { items: [a.items[1]!, a.items[0]!] };
    assert.equal(sameLayout(a, b), true);
    assert.equal(sameLayout(a, { items: [a.items[0]!, { ...a.items[1]!, x: 6 }] }), false);
    assert.equal(sameLayout(a, { items: [a.items[0]!] }), false);
  });

  it("accepts every layout shipped in layouts/", () => {
    const files = readdirSync(join(projectRoot, "layouts")).filter((f) => f.endsWith(".json"));
    assert.ok(files.length > 0);
    for (const file of files) {
      const parsed = parseDashboard(JSON.parse(readFileSync(join(projectRoot, "layouts", file), "utf8")));
      assert.ok(parsed.ok, `${file}: ${JSON.stringify(!parsed.ok && parsed.errors)}`);
    }
  });

  it("fills defaults for optional fields", () => {
    const doc = example();
    delete doc.window;
    delete doc.runSelection;
    const parsed = parseDashboard(doc);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.window, { kind: "relative", seconds: 3600 });
    assert.deepEqual(parsed.value.runSelection, { mode: "latest" });
    assert.equal(parsed.value.refreshSeconds, 0);
  });

  it("names the field of a layout item that points at no element", () => {
    const doc = example() as { layout: { items: { element: string }[] } };
    doc.layout.items[1]!.element = "nope";
    assert.deepEqual(fields(doc), ["layout.items[1].element"]);
  });

  it("refuses inherited property names as elements and in layout items, and more than 200 elements", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      // The layout names an element that only every object has: it must be missing, not found.
      const placed = example() as { layout: { items: { element: string }[] } };
      placed.layout.items[0]!.element = name;
      assert.deepEqual([...new Set(fields(placed))], ["layout.items[0].element"], name);
      // As text, the way a file or a request brings it (JSON.parse makes "__proto__" an own key).
      const doc = example() as { elements: Record<string, unknown> };
      const text = JSON.stringify(doc).replace(
        '"elements":{',
        `"elements":{"${name}":${JSON.stringify(Object.values(doc.elements)[0])},`,
      );
      const parsed = parseDashboard(JSON.parse(text));
      assert.equal(parsed.ok, false, name);
      assert.ok(!parsed.ok && parsed.errors.some((e) => e.field === `elements.${name}` && /reserved/.test(e.message)), name);
    }
    const many = example() as { elements: Record<string, unknown>; layout: { items: unknown[] } };
    const widget = Object.values(many.elements)[0];
    many.layout.items = [];
    many.elements = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`w${i}`, widget]));
    assert.deepEqual(fields(many), ["elements"]);
    many.elements = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`w${i}`, widget]));
    assert.ok(parseDashboard(many).ok);
  });

  it("rejects an item that sticks out of the 12-column grid", () => {
    const doc = example() as { layout: { items: { x: number; w: number }[] } };
    doc.layout.items[0]!.x = 6;
    doc.layout.items[0]!.w = 8;
    assert.deepEqual(fields(doc), ["layout.items[0].w"]);
  });

  it("rejects a widget without a title, an unknown chart type and unknown keys", () => {
    const doc = example() as { elements: Record<string, Record<string, unknown>> };
    doc.elements.trigger!.title = "  ";
    doc.elements.humidity!.kind = "pie";
    doc.elements.module12!.colour = "red";
    assert.deepEqual(fields(doc).sort(), ["elements.humidity.kind", "elements.module12", "elements.trigger.title"]);
  });

  it("names a kind's series count and options that belong to another kind", () => {
    const doc = example() as { elements: Record<string, Record<string, unknown>> };
    doc.elements.humidity!.series = [
      { observable: "camera.humidity", channel: 0 },
      { observable: "trigger.rate", channel: 0 },
    ];
    doc.elements.trigger!.highlight = 3;
    doc.elements.module12!.yScale = { mode: "fixed", min: 30, max: 20 };
    assert.deepEqual(fields(doc).sort(), [
      "elements.humidity.series",
      "elements.module12.yScale.max",
      "elements.trigger.highlight",
    ]);
  });

  it("migrates a version 2 dashboard's windowSeconds to a relative window, and keeps its runs", () => {
    const v2 = { ...example(), schemaVersion: 2, runSelection: { mode: "run", run: 1003 }, windowSeconds: 6 * 3600 };
    delete (v2 as Record<string, unknown>).window;
    const step = migrateDashboard(v2);
    assert.ok(step.ok);
    assert.equal("windowSeconds" in step.value, false);
    const parsed = parseDashboard(v2);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    assert.equal(parsed.value.schemaVersion, CURRENT_SCHEMA_VERSION);
    assert.deepEqual(parsed.value.window, { kind: "relative", seconds: 6 * 3600 });
    assert.deepEqual(parsed.value.runSelection, { mode: "run", run: 1003 });
    // Without a window it gets the default; a bad one is still named after migrating.
    const bare = { ...v2 };
    delete (bare as Record<string, unknown>).windowSeconds;
    assert.deepEqual((parseDashboard(bare) as { value: { window: unknown } }).value.window, { kind: "relative", seconds: 3600 });
    assert.deepEqual(fields({ ...v2, windowSeconds: 5 }), ["window.seconds"]);
  });

  it("accepts every run selection and window, and names what is wrong with a bad one", () => {
    const ok = (extra: Record<string, unknown>) => {
      const parsed = parseDashboard({ ...example(), ...extra });
      assert.ok(parsed.ok, `${JSON.stringify(extra)}: ${JSON.stringify(!parsed.ok && parsed.errors)}`);
    };
    ok({ runSelection: { mode: "range", from: 1000, to: 1010 } });
    ok({ runSelection: { mode: "last", count: 5 }, window: { kind: "runs" } });
    ok({ window: { kind: "absolute", from: 1_700_000_000_000, to: 1_700_000_360_000 } });
    ok({ window: { kind: "night", day: "2026-03-10" }, refreshSeconds: -1 });
    assert.deepEqual(fields({ ...example(), runSelection: { mode: "range", from: 10, to: 9 } }), ["runSelection.to"]);
    assert.deepEqual(fields({ ...example(), runSelection: { mode: "last", count: 0 } }), ["runSelection.count"]);
    assert.deepEqual(fields({ ...example(), window: { kind: "absolute", from: 5, to: 5 } }), ["window.to"]);
    assert.deepEqual(fields({ ...example(), window: { kind: "night", day: "tonight" } }), ["window.day"]);
    assert.deepEqual(fields({ ...example(), refreshSeconds: 7200 }), ["refreshSeconds"]);
  });

  it("migrates a version 1 dashboard to version 2, keeping every widget's series and place", () => {
    const v1 = {
      schemaVersion: 1,
      title: "Old shift view",
      elements: {
        rate: { kind: "timeseries", spec: { title: "Rate", observable: "trigger.rate", channel: 0 } },
        hv: { kind: "stat", spec: { title: "Pixel 7 HV", observable: "camera.hv", channel: 7 } },
        bare: { kind: "stat", spec: { title: "Humidity", observable: "camera.humidity" } },
      },
      layout: { items: [{ element: "rate", x: 0, y: 0, w: 6, h: 4 }] },
    };
    const step = migrateDashboard(v1);
    assert.ok(step.ok);
    assert.deepEqual(step.value.elements, {
      rate: { kind: "timeseries", title: "Rate", series: [{ observable: "trigger.rate", channel: 0 }] },
      hv: { kind: "stat", title: "Pixel 7 HV", series: [{ observable: "camera.hv", channel: 7 }] },
      bare: { kind: "stat", title: "Humidity", series: [{ observable: "camera.humidity" }] },
    });
    const parsed = parseDashboard(v1);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    assert.equal(parsed.value.schemaVersion, CURRENT_SCHEMA_VERSION);
    assert.deepEqual(parsed.value.elements.bare!.series, [{ observable: "camera.humidity", channel: 0 }]);
    assert.deepEqual(parsed.value.layout, { ...v1.layout, rows: [], tabs: [] });
  });

  it("still names a bad field of a version 1 widget after migrating it", () => {
    const v1 = {
      schemaVersion: 1,
      title: "Old",
      elements: { a: { kind: "stat", spec: { title: "A", observable: "not a name!", channel: 0, colour: "red" } } },
      layout: { items: [] },
    };
    assert.deepEqual(fields(v1).sort(), ["elements.a", "elements.a.series[0].observable"]);
  });

  it("rejects versions it does not know, saying so", () => {
    const newer = parseDashboard({ ...example(), schemaVersion: CURRENT_SCHEMA_VERSION + 1 });
    assert.ok(!newer.ok && newer.errors[0]!.field === "schemaVersion" && /newer/.test(newer.errors[0]!.message));
    assert.deepEqual(fields({ ...example(), schemaVersion: undefined }), ["schemaVersion"]);
    assert.deepEqual(fields([1, 2]), ["(body)"]);
  });

  it("migrates a version 3 dashboard to rows and tabs: one grid, no rows, no tabs, items kept", () => {
    const v3 = { ...example(), schemaVersion: 3 } as unknown as { layout: { items: unknown[] } };
    const parsed = parseDashboard(v3);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    assert.equal(parsed.value.schemaVersion, 4);
    assert.deepEqual(parsed.value.layout.rows, []);
    assert.deepEqual(parsed.value.layout.tabs, []);
    assert.deepEqual(parsed.value.layout.items, v3.layout.items);
    assert.deepEqual(migrations[3]!({ schemaVersion: 3, layout: { items: [] } }), {
      schemaVersion: 4,
      layout: { rows: [], tabs: [], items: [] },
    });
  });

  it("keeps tabs and rows, and names a row or tab an item points at that does not exist", () => {
    const widget = { kind: "stat", title: "A", series: [{ observable: "trigger.rate", channel: 0 }] };
    const base = {
      schemaVersion: 4,
      title: "Shift",
      elements: { a: widget, b: widget, c: widget },
      layout: {
        tabs: [
          { id: "t1", title: "Camera" },
          { id: "t2", title: "Trigger" },
        ],
        rows: [{ id: "hv", title: "HV", collapsed: true, tab: "t1" }],
        items: [
          { element: "a", x: 0, y: 0, w: 4, h: 3 },
          { element: "b", x: 0, y: 0, w: 4, h: 3, row: "hv" },
          { element: "c", x: 0, y: 0, w: 4, h: 3, tab: "t2" },
        ],
      },
    };
    const parsed = parseDashboard(base);
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
    assert.equal(parsed.value.layout.rows[0]!.collapsed, true);
    const bad = structuredClone(base) as { layout: { items: Record<string, unknown>[]; rows: Record<string, unknown>[] } };
    bad.layout.items[1]!.row = "nope";
    bad.layout.items[2]!.tab = "t9";
    bad.layout.rows.push({ id: "hv", title: "Again", collapsed: false, tab: "t1" });
    assert.deepEqual(fields(bad).sort(), ["layout.items[1].row", "layout.items[2].tab", "layout.rows[1].id"]);
    const untitled = { ...base, layout: { ...base.layout, rows: [{ id: "hv", title: " " }] } };
    assert.deepEqual(fields(untitled), ["layout.rows[0].title"]);
  });

  it("runs migration steps in order up to the target version", () => {
    const steps = {
      1: (d: Record<string, unknown>) => ({ ...d, schemaVersion: 2, a: 1 }),
      2: (d: Record<string, unknown>) => ({ ...d, schemaVersion: 3, b: (d.a as number) + 1 }),
    };
    const migrated = migrateDashboard({ schemaVersion: 1 }, steps, 3);
    assert.deepEqual(migrated, { ok: true, value: { schemaVersion: 3, a: 1, b: 2 } });
    const gap = migrateDashboard({ schemaVersion: 1 }, { 2: steps[2] }, 3);
    assert.ok(!gap.ok && /no migration from version 1/.test(gap.errors[0]!.message));
  });
});

describe("dashboard editing", () => {
  it("adds a widget into a row or a tab, below what is already there", () => {
    const widget = { kind: "stat" as const, title: "A", series: [{ observable: "trigger.rate", channel: 0 }] };
    const start = { ...emptyDashboard(), layout: { items: [], rows: [{ id: "hv", title: "HV", collapsed: false }], tabs: [] } };
    const [one] = addWidget(start, widget, { w: 12, h: 3 }, { row: "hv" });
    const [two] = addWidget(one, widget, { w: 12, h: 3 }, { row: "hv" });
    const [three] = addWidget(two, widget, { w: 12, h: 3 });
    assert.deepEqual(
      three.layout.items.map((i) => [i.element, i.row, i.y]),
      [
        ["w1", "hv", 0],
        ["w2", "hv", 3],
        ["w3", undefined, 0],
      ],
    );
    assert.ok(inSection(three.layout.items[2]!, {}, three.layout) && !inSection(three.layout.items[0]!, {}, three.layout));
    // Moved from the top into the row: below the row's two, and no longer at the top.
    const moved = moveToSection(three, "w3", sectionOf("row:hv"));
    assert.deepEqual(
      moved.layout.items.find((i) => i.element === "w3"),
      { element: "w3", x: 0, y: 6, w: 12, h: 3, row: "hv" },
    );
    assert.equal(
      sectionValue(
        moved.layout.items.find((i) => i.element === "w3")!,
        moved.layout,
      ),
      "row:hv",
    );
    assert.equal(sectionValue({}, moved.layout), "top");
    assert.deepEqual(sectionOf("tab:t2"), { tab: "t2" });
  });

  it("adds widgets below the others with fresh names, and removes them with their layout item", () => {
    const [one, first] = addWidget(emptyDashboard(), {
      kind: "timeseries",
      title: "Rate",
      series: [{ observable: "trigger.rate", channel: 0 }],
    });
    const [two, second] = addWidget(
      one,
      { kind: "stat", title: "HV", series: [{ observable: "camera.hv", channel: 3 }] },
      { w: 3, h: 2 },
    );
    assert.notEqual(first, second);
    // The free space beside the first widget, not a new row below it.
    assert.deepEqual(two.layout.items[1], { element: second, x: 6, y: 0, w: 3, h: 2 });
    assert.ok(parseDashboard(two).ok);
    const d = removeWidget(two, first);
    assert.deepEqual(Object.keys(d.elements), [second]);
    assert.deepEqual(
      d.layout.items.map((i) => i.element),
      [second],
    );
  });

  it("fills the grid's width before starting a new row", () => {
    let d = emptyDashboard();
    for (let i = 0; i < 12; i++)
      d = addWidget(d, { kind: "stat", title: `S${i}`, series: [{ observable: "a.b", channel: 0 }] }, { w: 4, h: 3 })[0];
    assert.deepEqual(
      d.layout.items.slice(0, 4).map((i) => [i.x, i.y]),
      [
        [0, 0],
        [4, 0],
        [8, 0],
        [0, 3],
      ],
    );
    assert.equal(Math.max(...d.layout.items.map((i) => i.y + i.h)), 12);
    assert.deepEqual(
      freeSpot(
        [
          { x: 0, y: 0, w: 6, h: 4 },
          { x: 6, y: 2, w: 6, h: 2 },
        ],
        6,
        2,
      ),
      { x: 6, y: 0, w: 6, h: 2 },
    );
  });

  it("applies grid positions by element name and ignores unknown names", () => {
    const parsed = parseDashboard(example());
    assert.ok(parsed.ok);
    const moved = applyPositions(parsed.value, [
      { element: "trigger", x: 4, y: 1, w: 8, h: 5 },
      { element: "ghost", x: 0, y: 0, w: 1, h: 1 },
    ]);
    assert.deepEqual(moved.layout.items[0], { element: "trigger", x: 4, y: 1, w: 8, h: 5 });
    assert.deepEqual(moved.layout.items.slice(1), parsed.value.layout.items.slice(1));
  });
});
