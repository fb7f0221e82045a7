import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { healthyBand, valueDomain } from "../../src/core/value-axis.js";

describe("a chart's value axis", () => {
  it("follows the data, not the healthy range, with a little room", () => {
    const domain = valueDomain([1000, 1000.5, NaN, 1001])!;
    assert.ok(domain[0] < 1000 && domain[0] > 999.9 && domain[1] > 1001 && domain[1] < 1001.1, String(domain));
    // The 900-1300 V healthy range is the band inside that axis, not a reason to widen it.
    assert.deepEqual(healthyBand(domain, { min: 900, max: 1300 }), { y1: domain[0], y2: domain[1] });
    assert.equal(healthyBand(domain, { min: 2000, max: 3000 }), undefined);
  });

  it("gives a flat line a span and nothing to an empty series", () => {
    const [lo, hi] = valueDomain([3, 3, 3])!;
    assert.ok(lo < 3 && hi > 3);
    assert.equal(valueDomain([NaN]), undefined);
  });
});
