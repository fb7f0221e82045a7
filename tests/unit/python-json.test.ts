import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseJsonAllowingNonFinite } from "../../src/core/python-json.js";

describe("JSON as Python writes it", () => {
  it("takes bare NaN, Infinity and -Infinity as numbers, and leaves strings alone", () => {
    const parsed = parseJsonAllowingNonFinite(
      '{"a": NaN, "b": [1, Infinity, -Infinity], "s": "NaN \\"Infinity\\"", "n": -1.5}',
    ) as {
      a: number;
      b: number[];
      s: string;
      n: number;
    };
    assert.ok(Number.isNaN(parsed.a));
    assert.deepEqual(parsed.b, [1, Infinity, -Infinity]);
    assert.equal(parsed.s, 'NaN "Infinity"');
    assert.equal(parsed.n, -1.5);
  });

  it("still refuses text that is not JSON", () => {
    assert.throws(() => parseJsonAllowingNonFinite('{"a": NaNx}'));
    assert.throws(() => parseJsonAllowingNonFinite("[1,"));
  });
});
