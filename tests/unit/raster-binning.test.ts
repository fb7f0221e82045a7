// The raster's rows binned in the page (queryRaster, where a cell holds a reading or two) must
// give the cells DuckDB's grouped query gave: each cell's extremes, each channel's newest reading.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChannelGrid, binRows, readingsPerCellAtMost } from "../../src/core/binning.js";
import { measureSince } from "../../src/components/timing.js";

describe("binning a raster's rows in the page", () => {
  it("keeps each cell's lowest and highest reading and each channel's newest, in any row order", () => {
    const grid = new ChannelGrid(2, 3, 1000, 10);
    // Channel 0: two readings in column 0 (5 then 9), one in column 2; channel 1 out of order.
    const t = Float64Array.from([1001, 1005, 1025, 1019, 1012, 995, 1031]);
    const v = Float64Array.from([5, 9, 7, 4, 8, 100, 200]);
    const ch = Int32Array.from([0, 0, 0, 1, 1, 1, 0]);
    binRows(grid, { channel: ch, t, lo: v, hi: v, lastT: t, lastV: v });
    assert.deepEqual([grid.min[0], grid.max[0], grid.min[2], grid.max[2]], [5, 9, 7, 7]);
    // Column 1 of channel 1 holds both its readings (1019 and 1012).
    assert.deepEqual([grid.min[4], grid.max[4]], [4, 8]);
    // Before the grid (995) and after it (1031): no cell, but still the channel's newest reading.
    assert.ok(Number.isNaN(grid.min[3]!));
    assert.deepEqual([grid.latest[0], grid.latestT[0], grid.latest[1], grid.latestT[1]], [200, 1031, 4, 1019]);
  });

  it("takes a level-of-detail bucket's extremes for the cell and its last reading for the newest", () => {
    const grid = new ChannelGrid(1, 2, 0, 60_000);
    binRows(grid, {
      channel: [0, 0],
      t: [0, 60_000],
      lo: [1, 3],
      hi: [2, 6],
      lastT: [59_000, 119_000],
      lastV: [1.5, 4],
    });
    assert.deepEqual([...grid.min], [1, 3]);
    assert.deepEqual([...grid.max], [2, 6]);
    assert.deepEqual([grid.latest[0], grid.latestT[0]], [4, 119_000]);
  });

  it("bounds the readings a cell gets from the runs' row counts and their overlap with the window", () => {
    const hour = 3_600_000;
    const runs = [
      { start: 0, stop: hour, rows: 1000 },
      { start: hour, stop: 2 * hour, rows: 3000 },
      { start: 2 * hour, stop: null, rows: 500 },
    ];
    // Half of the first run, the whole second, the running third up to the window's end.
    assert.equal(readingsPerCellAtMost(runs, { from: hour / 2, to: 3 * hour }, 100), (500 + 3000 + 500) / 100);
    assert.equal(readingsPerCellAtMost(runs.slice(0, 2), { from: 5 * hour, to: 6 * hour }, 100), 0);
    assert.equal(readingsPerCellAtMost(runs, { from: 0, to: hour }, 0), Infinity);
  });
});

describe("the benchmarks' timing marks", () => {
  it("keep at most a thousand measures of one name, however long a page draws", () => {
    performance.clearMeasures("test:draw");
    for (let i = 0; i < 2500; i++) measureSince("test:draw", performance.now());
    const kept = performance.getEntriesByName("test:draw").length;
    assert.ok(kept > 0 && kept <= 1000, `kept ${kept}`);
    performance.clearMeasures("test:draw");
  });
});
