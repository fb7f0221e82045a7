import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assignNames, observableNameFor } from "../../src/core/naming.js";

describe("the one naming rule", () => {
  it("makes columns, collections, name values and data keys into the same dotted identifiers", () => {
    assert.equal(observableNameFor("HV Mean", "calib."), "calib.HV_Mean");
    assert.equal(observableNameFor("weather-station.wind speed"), "weather_station.wind_speed");
    assert.equal(observableNameFor("2theta"), "x_2theta");
    assert.equal(observableNameFor("2theta", "motors."), "motors.2theta");
    assert.equal(observableNameFor("a..b."), "a.b");
    assert.equal(observableNameFor("..."), undefined);
    assert.equal(observableNameFor(""), undefined);
  });

  it("refuses two inputs that become one name, naming both, and keeps the rest", () => {
    const { names, refused } = assignNames(["mcp-gain", "hv", "mcp_gain", "mcp gain", "..."], "", "the names");
    assert.deepEqual([...names], [["hv", "hv"]]);
    assert.deepEqual(
      refused.map((r) => [r.name, r.raws.sort()]),
      [
        ["...", ["..."]],
        ["mcp_gain", ["mcp gain", "mcp-gain", "mcp_gain"]],
      ],
    );
    assert.match(refused[1]!.message, /"mcp gain" and "mcp-gain" and "mcp_gain" both become the observable mcp_gain/);
  });
});
