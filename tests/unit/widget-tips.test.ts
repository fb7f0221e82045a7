// What a chart's tooltip says: the nearest reading to the pointer (not a bucket's extreme), a
// histogram bar's range and count, and the edge bins of far outliers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { histogram } from "../../src/core/binning.js";
import { histogramTip, nearestIndex, readingsTip, runAt } from "../../src/components/widget-tips.js";

const runs = [
  { id: 7, start: 1000, stop: 2000, status: "stopped" as const, meta: {} },
  { id: 8, start: 2000, stop: null, status: "running" as const, meta: {} },
];

describe("the nearest reading under the pointer", () => {
  it("finds the reading nearest in time, on either side, at the ends too", () => {
    const t = Float64Array.from([0, 10, 20, 30]);
    assert.equal(nearestIndex(t, 14), 1);
    assert.equal(nearestIndex(t, 16), 2);
    assert.equal(nearestIndex(t, 15), 1, "a tie takes the earlier");
    assert.equal(nearestIndex(t, -5), 0);
    assert.equal(nearestIndex(t, 99), 3);
    assert.equal(nearestIndex(new Float64Array(0), 1), -1);
  });

  it("names the run a time falls in, and none between runs", () => {
    assert.equal(runAt(runs, 1500), "run 7");
    assert.equal(runAt(runs, 2000), "run 8");
    assert.equal(runAt(runs, 500), "");
  });

  it("says the time, the run and each series' value with its unit", () => {
    const lead = { label: "camera.temperature[0]", unit: "°C", observable: "camera.temperature", channel: 0, t: 1500, v: 23.4 };
    const other = { ...lead, label: "camera.temperature[12]", channel: 12, t: 1490, v: 22 };
    const tip = readingsTip([lead, other], runs, lead);
    assert.equal(tip.x, 1500);
    assert.equal(tip.y, 23.4);
    assert.match(tip.lines[0]!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.500 · run 7$/);
    assert.equal(tip.lines[1], "camera.temperature[0]: 23.4 °C");
    assert.match(tip.lines[2]!, /^camera\.temperature\[12\]: 22 °C \(at \d{2}:\d{2}:\d{2}\.490\)$/);
  });
});

describe("a histogram bar under the pointer", () => {
  const values = [...Array.from({ length: 100 }, (_, i) => 1000 + i), 3];
  const h = histogram(values, 10, { min: 900, max: 1300 });
  const width = (h.edges.at(-1)! - h.edges[0]!) / 10;

  it("gives a bar's range and count", () => {
    assert.deepEqual([h.edges[0], h.edges.at(-1)], [1000, 1099], "the axis spans the values, the dead pixel aside");
    const tip = histogramTip(h, 1005, "V", width)!;
    assert.deepEqual(tip.lines, ["1000–1009.9 V", `${h.counts[0]} channels`]);
  });

  it("gives the edge bin of a dead pixel with its value", () => {
    const tip = histogramTip(h, h.edges[0]! - 2 * width, "V", width)!;
    assert.deepEqual(tip.lines, [`below ${h.edges[0]} V: 1 channel`, "furthest 3 V"]);
    assert.equal(histogramTip(h, h.edges.at(-1)! + 2 * width, "V", width), undefined, "no far outlier above");
  });
});
