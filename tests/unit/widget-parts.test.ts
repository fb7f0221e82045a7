import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChannelGrid, countOutOfRange, histogram, rasterPixels, robustAxis } from "../../src/core/binning.js";
import { markColumns } from "../../src/core/mark-columns.js";
import {
  ABOVE_RANGE,
  BELOW_RANGE,
  NO_DATA,
  cellColor,
  healthOf,
  positiveExtent,
  ramp,
  scaleFraction,
} from "../../src/core/color-scale.js";
import { formatAge, isStale, medianGap } from "../../src/core/freshness.js";
import { decimationNote } from "../../src/core/m4.js";
import { pairByTime } from "../../src/core/pairing.js";
import { defaultKind, kindChoices, whyKindDoesNotFit, widgetProblem } from "../../src/core/widget-kinds.js";

const camera = { name: "camera.hv", shape: "scalar" as const, channels: 1855 };
const rate = { name: "trigger.rate", shape: "scalar" as const, channels: 1 };
const waveform = { name: "pmt.waveform", shape: "1d" as const, channels: 1 };
const hitmap = { name: "camera.hitmap", shape: "2d" as const, channels: 1 };

describe("widget kinds by shape", () => {
  it("offers the kinds that fit each shape and says why the others do not", () => {
    const fits = (info: Parameters<typeof kindChoices>[0]) =>
      kindChoices(info)
        .filter((c) => !c.why)
        .map((c) => c.kind);
    assert.deepEqual(fits(camera), ["timeseries", "stat", "raster", "histogram", "xy", "table", "alarms"]);
    assert.deepEqual(fits(rate), ["timeseries", "stat", "xy", "table", "alarms"]);
    assert.deepEqual(fits(waveform), ["profile"]);
    assert.deepEqual(fits(hitmap), ["image"]);
    assert.match(whyKindDoesNotFit("raster", rate)!, /trigger.rate is one scalar; a raster needs a per-channel observable/);
    assert.match(whyKindDoesNotFit("timeseries", waveform)!, /pmt.waveform is a 1D array/);
    assert.match(whyKindDoesNotFit("image", camera)!, /1855 channels of scalars; an image draws a 2D array/);
    assert.match(whyKindDoesNotFit("alarms", waveform)!, /alarms are evaluated on scalar readings/);
  });

  it("starts each shape on the kind a shifter wants most", () => {
    assert.equal(defaultKind(camera), "raster");
    assert.equal(defaultKind(rate), "timeseries");
    assert.equal(defaultKind(waveform), "profile");
    assert.equal(defaultKind(hitmap), "image");
  });

  it("names what keeps a saved widget from being drawn", () => {
    const info = (n: string) => [camera, rate, waveform, hitmap].find((o) => o.name === n);
    const widget = (kind: "raster" | "xy", series: { observable: string; channel: number }[]) => ({ kind, title: "t", series });
    assert.equal(widgetProblem(widget("raster", [{ observable: "camera.hv", channel: 0 }]), info), undefined);
    assert.match(widgetProblem(widget("raster", [{ observable: "gone.x", channel: 0 }]), info)!, /not in the catalog/);
    assert.match(
      widgetProblem(widget("raster", [{ observable: "camera.hv", channel: 2000 }]), info)!,
      /channel 2000 does not exist/,
    );
    assert.match(
      widgetProblem(
        widget(
          "xy",
          [rate, waveform].map((o) => ({ observable: o.name, channel: 0 })),
        ),
        info,
      )!,
      /1D array/,
    );
  });
});

describe("histogram and out-of-range counts", () => {
  it("bins every finite value, counts those outside the healthy range and the missing ones", () => {
    const values = [1100, 1101, 1102, 1099, 3, Number.NaN, 1400];
    const h = histogram(values, 10, { min: 900, max: 1300 });
    assert.equal(h.total, 6);
    assert.equal(h.missing, 1);
    assert.equal(h.below, 1);
    assert.equal(h.above, 1);
    // The dead pixel at 3 V and the one at 1400 V do not stretch the axis: they are counted in
    // the edge bins, each with its value, and the four healthy ones spread over the ten bins.
    assert.deepEqual(h.under, { count: 1, furthest: 3 });
    assert.deepEqual(h.over, { count: 1, furthest: 1400 });
    assert.equal(
      h.counts.reduce((a, b) => a + b, 0),
      4,
    );
    assert.equal(h.edges.length, 11);
    assert.ok(h.edges[0]! > 1000 && h.edges[10]! < 1200, `axis ${h.edges[0]}-${h.edges[10]}`);
    assert.ok(h.counts.filter((c) => c > 0).length >= 2, "the distribution spreads over more than one bin");
    assert.equal(countOutOfRange(values, { min: 900, max: 1300 }), 2);
    assert.equal(countOutOfRange(values, undefined), 0);
  });

  it("keeps every value on the axis when none is far out", () => {
    const spread = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const h = histogram(spread, 10);
    assert.deepEqual([h.edges[0], h.edges.at(-1), h.under.count, h.over.count], [1000, 1099, 0, 0]);
    // One dead pixel among 1855 near 1100 V: the axis stays near 1100 V, the pixel is said.
    const camera = [...Array.from({ length: 1854 }, (_, i) => 1090 + (i % 21)), 0.1];
    const axis = robustAxis(camera, { min: 900, max: 1300 })!;
    assert.ok(axis[0] > 1000, `axis starts at ${axis[0]}`);
    assert.deepEqual(histogram(camera, 40, { min: 900, max: 1300 }).under, { count: 1, furthest: 0.1 });
  });

  it("gives a flat distribution a bin of width one, and nothing an empty histogram", () => {
    const flat = histogram([5, 5, 5], 4);
    assert.deepEqual([flat.edges[0], flat.edges.at(-1)], [4.5, 5.5]);
    assert.equal(
      flat.counts.reduce((a, b) => a + b, 0),
      3,
    );
    assert.deepEqual(histogram([Number.NaN], 4).counts, []);
  });
});

describe("channel grid (raster)", () => {
  it("keeps each cell's extremes, so one tripped reading in a column still shows", () => {
    const grid = new ChannelGrid(3, 4, 0, 1000);
    grid.add(1, 100, 1100);
    grid.add(1, 200, 3);
    grid.add(1, 900, 1101);
    const range = { min: 900, max: 1300 };
    assert.equal(grid.shown(1, 0, range), 3);
    assert.equal(grid.shown(1, 0, undefined), (3 + 1101) / 2);
    assert.ok(Number.isNaN(grid.shown(0, 0, range)));
    assert.equal(grid.latest[1], 1101);
    assert.deepEqual(grid.flagged(range), { dead: [0, 2], outOfRange: [] });
  });

  it("shifts left when time passes its end, keeping the newer columns", () => {
    const grid = new ChannelGrid(2, 3, 0, 10);
    grid.add(0, 5, 1);
    grid.add(0, 15, 2);
    grid.add(0, 25, 3);
    const painted = grid.changedSince(0).stamp;
    grid.add(0, 35, 4);
    assert.equal(grid.from, 10);
    assert.deepEqual(grid.channelLine(0).lo, [2, 3, 4]);
    const afterShift = grid.changedSince(painted);
    assert.equal(afterShift.all, true);
    grid.add(0, 36, 5);
    assert.deepEqual(grid.changedSince(afterShift.stamp), { all: false, columns: [2], stamp: afterShift.stamp + 1 });
    // A late reading older than the grid changes the latest only if it is the newest, and no cell.
    grid.add(1, 1, 7);
    assert.equal(grid.latest[1], 7);
    assert.deepEqual(grid.channelLine(1).t, []);
  });

  it("draws a dead channel among many that share one pixel row", () => {
    const grid = new ChannelGrid(1855, 12, 0, 100);
    for (let ch = 0; ch < 1855; ch++) grid.add(ch, 10, ch === 25 ? 3 : 1100);
    const range = { min: 900, max: 1300 };
    const colour = (v: number) => cellColor(v, scaleFraction([900, 1300]), range);
    const pixels = rasterPixels(grid, 300, range, colour);
    const rgb = (row: number, col: number) => [...pixels.slice((row * 12 + col) * 4, (row * 12 + col) * 4 + 3)];
    // Channel 25 is in row floor(25 / (1855 / 300)) = 4, column 0.
    assert.deepEqual(rgb(4, 0), [...BELOW_RANGE]);
    assert.deepEqual(rgb(5, 0), [...ramp(0.5)]);
    // The next columns hold the value until the next reading would be due, then fade out.
    assert.deepEqual(rgb(4, 8), [...BELOW_RANGE]);
    assert.equal(pixels[(4 * 12 + 9) * 4 + 3], 40);
  });

  it("takes the exact latest from the snapshot's query over an aggregate's extremes", () => {
    const grid = new ChannelGrid(1, 2, 0, 100);
    grid.add(0, 50, 10, 20);
    assert.ok(Number.isNaN(grid.latest[0]!));
    grid.setLatest(0, 60, 15);
    grid.setLatest(0, 40, 99);
    assert.equal(grid.latest[0], 15);
  });
});

describe("colour scales", () => {
  it("spans the healthy channels' percentiles, not one outlier", async () => {
    const { robustExtent } = await import("../../src/core/color-scale.js");
    const values = Array.from({ length: 1000 }, (_, i) => 1000 + i / 10);
    values.push(3, 5000, Number.NaN);
    assert.deepEqual(robustExtent(values, { min: 900, max: 1300 }), [1001, 1098.9]);
    assert.deepEqual(robustExtent([Number.NaN], { min: 1, max: 2 }), [1, 2]);
    assert.equal(robustExtent([]), undefined);
  });

  it("maps the ramp's ends and clamps outside them", () => {
    assert.deepEqual(ramp(0), [68, 1, 84]);
    assert.deepEqual(ramp(1), [253, 231, 37]);
    assert.deepEqual(ramp(7), ramp(1));
    assert.deepEqual(ramp(Number.NaN), ramp(0));
  });

  it("scales linearly or logarithmically; a log scale cannot show zero or less", () => {
    const lin = scaleFraction([0, 10]);
    assert.equal(lin(5), 0.5);
    const log = scaleFraction([1, 1000], "log");
    assert.ok(Math.abs(log(10) - 1 / 3) < 1e-12);
    assert.ok(Number.isNaN(log(0)));
    assert.equal(scaleFraction([3, 3])(3), 0.5);
    assert.deepEqual(positiveExtent([0, -1, 5, 2, Number.NaN]), [2, 5]);
    assert.equal(positiveExtent([0, -1]), undefined);
  });

  it("colours health apart from the ramp", () => {
    const range = { min: 900, max: 1300 };
    const f = scaleFraction([900, 1300]);
    assert.equal(healthOf(3, range), "below");
    assert.deepEqual(cellColor(3, f, range), BELOW_RANGE);
    assert.deepEqual(cellColor(1400, f, range), ABOVE_RANGE);
    assert.deepEqual(cellColor(Number.NaN, f, range), NO_DATA);
    assert.deepEqual(cellColor(1100, f, range), ramp(0.5));
  });
});

describe("pairing two series by time", () => {
  it("pairs each y with the newest x at or before it, within the tolerance", () => {
    const motor = { t: [0, 10, 20], value: [1, 2, 3] };
    const detector = { t: [0, 12, 20, 55, -5], value: [100, 200, 300, 400, 500] };
    assert.deepEqual(pairByTime(motor, detector, 5), [
      { x: 1, y: 100, t: 0 },
      { x: 2, y: 200, t: 12 },
      { x: 3, y: 300, t: 20 },
    ]);
  });
});

describe("freshness and decimation notes", () => {
  it("says how old a value is and when it is stale", () => {
    assert.equal(formatAge(4_200), "4 s");
    assert.equal(formatAge(180_000), "3 min");
    assert.equal(formatAge(7_500_000), "2 h 5 min");
    assert.equal(formatAge(3 * 86_400_000), "3 d");
    assert.equal(isStale(0, 61_000, 60), true);
    assert.equal(isStale(0, 59_000, 60), false);
    assert.equal(medianGap([0, 1000, 2000, 9000]), 1000);
  });

  it("says how much M4 thinned a line in a reader's words, and nothing when every reading is drawn", () => {
    assert.equal(decimationNote(380_000, 4000, 1000), "showing 380-point extremes per pixel");
    assert.equal(decimationNote(500, 500, 400), undefined);
  });
});

describe("column extremes (the band around a decimated line)", () => {
  it("keeps each column's lowest and highest value and skips empty columns", async () => {
    const { columnExtremes } = await import("../../src/core/m4.js");
    const x = Float64Array.from([0, 1, 2, 3, 8, 9]);
    const y = Float64Array.from([5, 1, 7, Number.NaN, 2, 4]);
    assert.deepEqual(columnExtremes({ x, y }, 2, 0, 10), { x: [2.5, 7.5], lo: [1, 2], hi: [7, 4] });
    assert.deepEqual(columnExtremes({ x, y }, 5, 0, 10), { x: [1, 3, 9], lo: [1, 7, 2], hi: [5, 7, 4] });
  });
});

describe("channel lists", () => {
  it("reads single channels, lists and ranges, and names what is wrong", async () => {
    const { parseChannelList } = await import("../../src/core/widget-kinds.js");
    assert.deepEqual(parseChannelList("12", 1855), { ok: true, value: [12] });
    assert.deepEqual(parseChannelList("0, 12 100", 1855), { ok: true, value: [0, 12, 100] });
    assert.deepEqual(parseChannelList("20-23,21", 1855), { ok: true, value: [20, 21, 22, 23] });
    assert.deepEqual(parseChannelList("1855", 1855), { ok: false, error: "channel 1855 does not exist (0 to 1854)" });
    assert.deepEqual(parseChannelList("5-2", 10), { ok: false, error: "5-2: a range goes from low to high" });
    assert.deepEqual(parseChannelList("x", 10), { ok: false, error: '"x" is not a channel or a range such as 20-27' });
    assert.deepEqual(parseChannelList("0-99", 1855, 16), { ok: false, error: "at most 16 channels in one widget" });
    assert.deepEqual(parseChannelList(" ", 10), { ok: false, error: "name at least one channel" });
  });
  it("reads a whole group by name where the channels come in groups (the camera's modules of 7 pixels)", async () => {
    const { parseChannelList } = await import("../../src/core/widget-kinds.js");
    const modules = { name: "module", size: 7 };
    assert.deepEqual(parseChannelList("module 12", 1855, 16, modules), { ok: true, value: [84, 85, 86, 87, 88, 89, 90] });
    assert.deepEqual(parseChannelList("Module 0, 100", 1855, 16, modules), { ok: true, value: [0, 1, 2, 3, 4, 5, 6, 100] });
    // The last group holds what is left.
    assert.deepEqual(parseChannelList("module 1", 10, 16, modules), { ok: true, value: [7, 8, 9] });
    assert.deepEqual(parseChannelList("module 265", 1855, 16, modules), {
      ok: false,
      error: "module 265 does not exist (0 to 264)",
    });
    assert.deepEqual(parseChannelList("module 1, module 2, module 3", 1855, 16, modules), {
      ok: false,
      error: "at most 16 channels in one widget",
    });
    assert.deepEqual(parseChannelList("mod 3", 1855, 16, modules), {
      ok: false,
      error: '"mod" is not a channel, a range such as 20-27 or a module such as "module 12"',
    });
    // Without groups, a group's name means nothing.
    assert.equal(parseChannelList("module 12", 1855).ok, false);
  });
});

describe("channel groups in the catalog", () => {
  it("are declared with a name and a size, checked against the channels, and name a channel's group", async () => {
    const { groupOf, groupChannels, observableSchema } = await import("../../src/core/catalog.js");
    const hv = { name: "camera.hv", unit: "V", shape: "scalar", channels: 1855, groups: { name: "module", size: 7 } };
    assert.equal(observableSchema.safeParse(hv).success, true);
    const tooBig = observableSchema.safeParse({ ...hv, channels: 5 });
    assert.deepEqual(
      tooBig.error?.issues.map((i) => i.path.join(".")),
      ["groups.size"],
    );
    const badName = observableSchema.safeParse({ ...hv, groups: { name: "module 7", size: 7 } });
    assert.deepEqual(
      badName.error?.issues.map((i) => i.path.join(".")),
      ["groups.name"],
    );
    assert.equal(groupOf(hv.groups, 90), 12);
    assert.deepEqual(groupChannels(hv.groups, 264, 1855), [1848, 1849, 1850, 1851, 1852, 1853, 1854]);
  });

  it("may be of different sizes, each named by its first channel, and checked the same way", async () => {
    const { groupOf, groupChannels, groupCount, observableSchema } = await import("../../src/core/catalog.js");
    const { parseChannelList } = await import("../../src/core/widget-kinds.js");
    // A tracker's staves: 4, 6, 3 and the rest of 16 channels.
    const staves = { name: "stave", starts: [0, 4, 10, 13] };
    const adc = { name: "tracker.adc", unit: "", shape: "scalar", channels: 16, groups: staves };
    assert.equal(observableSchema.safeParse(adc).success, true);
    assert.deepEqual(
      [0, 3, 4, 9, 10, 12, 13, 15].map((c) => groupOf(staves, c)),
      [0, 0, 1, 1, 2, 2, 3, 3],
    );
    assert.equal(groupCount(staves, 16), 4);
    assert.deepEqual(groupChannels(staves, 1, 16), [4, 5, 6, 7, 8, 9]);
    assert.deepEqual(groupChannels(staves, 3, 16), [13, 14, 15]);
    assert.deepEqual(parseChannelList("stave 2", 16, 16, staves), { ok: true, value: [10, 11, 12] });
    const refused = (groups: unknown, channels = 16) =>
      observableSchema.safeParse({ ...adc, channels, groups }).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.deepEqual(refused({ name: "stave", starts: [1, 4] }), ["groups.starts.0: the first group starts at channel 0"]);
    assert.deepEqual(refused({ name: "stave", starts: [0, 4, 4] }), [
      "groups.starts.2: each group must start after the one before",
    ]);
    assert.deepEqual(refused({ name: "stave", starts: [0, 4, 10, 13] }, 12), [
      "groups.starts.3: a group must start at one of the 12 channel(s) (0 to 11)",
    ]);
    assert.deepEqual(refused({ name: "stave", size: 4, starts: [0, 4] }), [
      "groups.size: give either size (groups of one size) or starts (each group's first channel)",
    ]);
    assert.deepEqual(refused({ name: "stave" }), [
      "groups.size: give either size (groups of one size) or starts (each group's first channel)",
    ]);
  });
});

describe("series lists", () => {
  it("round-trips what the settings panel shows and names a bad entry", async () => {
    const { formatSeriesList, parseSeriesList } = await import("../../src/core/widget-kinds.js");
    const series = [
      { observable: "camera.hv", channel: 25 },
      { observable: "trigger.rate", channel: 0 },
    ];
    assert.equal(formatSeriesList(series), "camera.hv[25], trigger.rate");
    assert.deepEqual(parseSeriesList(formatSeriesList(series)), { ok: true, value: series });
    assert.deepEqual(parseSeriesList("camera.hv[x]"), {
      ok: false,
      error: '"camera.hv[x]" is not an observable such as camera.hv or camera.hv[25]',
    });
    assert.deepEqual(parseSeriesList(""), { ok: false, error: "name at least one series" });
  });
});

describe("gaps in a line", () => {
  it("breaks where readings stopped for longer than several cadences or a pixel column", async () => {
    const { breakingGap, gapStarts } = await import("../../src/core/freshness.js");
    const t = [0, 30, 60, 90, 1290, 1320];
    assert.equal(breakingGap(30, 10), 150);
    assert.equal(breakingGap(30, 400), 400);
    assert.deepEqual(gapStarts(t, breakingGap(30, 10)), [4]);
    assert.deepEqual(gapStarts(t, breakingGap(30, 2000)), []);
    assert.equal(breakingGap(undefined, 0), Number.POSITIVE_INFINITY);
  });
});

describe("the admin page's owners", () => {
  it("lists each source with its runs in words and its observables, no source last", async () => {
    const { ownersOf } = await import("../../src/components/admin-ownership.js");
    assert.deepEqual(
      ownersOf({
        runs: [
          { id: 77, owner: "daq-hall-e" },
          { id: 101, owner: "daq-hall-c" },
          { id: 102, owner: "daq-hall-c" },
          { id: 103, owner: "daq-hall-c" },
          { id: 5, owner: null },
        ],
        observables: [
          { name: "halle.temp", owner: "daq-hall-e" },
          { name: "trigger.rate", owner: null },
        ],
      }),
      [
        { owner: "daq-hall-c", runs: "runs 101–103 (3)", observables: [] },
        { owner: "daq-hall-e", runs: "run 77", observables: ["halle.temp"] },
        { owner: "(no source)", runs: "run 5", observables: ["trigger.rate"] },
      ],
    );
  });
});

describe("flag marks beside a raster", () => {
  it("puts marks of nearby channels side by side, and far ones back in the first column", () => {
    // Channels 40 and 52 of 1855 on a 300 px raster are 2 px apart: they must not cover each other.
    const tops = [40, 52, 900].map((c) => (c / 1855) * 300);
    assert.deepEqual(markColumns(tops, 10), [0, 1, 0]);
  });

  it("spreads over at most four columns, then reuses the one whose last mark is highest", () => {
    assert.deepEqual(markColumns([0, 1, 2, 3, 4, 5], 10), [0, 1, 2, 3, 0, 1]);
  });
});

describe("the run a reading belongs to", () => {
  it("is the run whose span holds its time: from the start, before the stop, or on while running", async () => {
    const { runHolding } = await import("../../src/core/catalog.js");
    const run = (id: number, start: number, stop: number | null) => ({ id, start, stop, status: "stopped" as const, meta: {} });
    const runs = [run(1, 0, 100), run(2, 150, 200), run(3, 300, null)];
    assert.deepEqual(
      [0, 99, 100, 120, 150, 199, 200, 299, 300, 9e12].map((t) => runHolding(runs, t)?.id),
      [1, 1, undefined, undefined, 2, 2, undefined, undefined, 3, 3],
    );
  });
});
