// A source owns the runs and observables it created; a source token writes only what its source
// owns (src/core/ownership.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Owners, ownershipErrors } from "../../src/core/ownership.js";

const owners: Owners = {
  run: (id) => ({ 7: "run-control", 8: null, 9: "daq-b" })[id],
  observable: (name) => ({ "daqb.rate": "daq-b", "trigger.rate": "simulator", "legacy.x": null })[name],
};
const asDaqB = { owner: "daq-b", restricted: true };
const run = (id: number) => ({ id, start: 1, meta: {} });
const reading = (observable: string, r = 7) => ({ observable, run: r, t: 1, channel: 0, value: 1 });

describe("ownership", () => {
  it("lets a source write readings of its own observables into any run, and its own runs", () => {
    const batch = { runs: [run(9), run(10)], observables: [], readings: [reading("daqb.rate", 7), reading("daqb.new", 8)] };
    assert.deepEqual(ownershipErrors(batch, asDaqB, owners), []);
  });

  it("refuses another's run, observable or readings, naming the field and the owner", () => {
    const batch = {
      runs: [run(9), run(7), run(8)],
      observables: [{ name: "trigger.rate", unit: "", shape: "scalar" as const, channels: 1, dims: [], description: "" }],
      readings: [reading("daqb.rate"), reading("trigger.rate"), reading("trigger.rate"), reading("legacy.x")],
    };
    assert.deepEqual(ownershipErrors(batch, asDaqB, owners), [
      { field: "runs[1].id", message: "run 7 belongs to source run-control; this token writes as daq-b" },
      {
        field: "runs[2].id",
        message: "run 8 was written without a source (with the ingest token); this token writes as daq-b",
      },
      { field: "observables[0].name", message: "trigger.rate belongs to source simulator; this token writes as daq-b" },
      { field: "readings[1].observable", message: "trigger.rate belongs to source simulator; this token writes as daq-b" },
      {
        field: "readings[3].observable",
        message: "legacy.x was written without a source (with the ingest token); this token writes as daq-b",
      },
    ]);
  });

  it("holds nothing against the ingest token, and lists at most 20 refusals", () => {
    const batch = { runs: [run(7)], observables: [], readings: [reading("trigger.rate")] };
    assert.deepEqual(ownershipErrors(batch, { owner: null, restricted: false }, owners), []);
    const many = { runs: Array.from({ length: 50 }, () => run(7)), observables: [], readings: [] };
    assert.equal(ownershipErrors(many, asDaqB, owners).length, 20);
  });
});

describe("reserved names and reassignment", () => {
  const none: Owners = { run: () => undefined, observable: () => undefined };
  const declare = (name: string) => ({
    runs: [],
    observables: [{ name, unit: "", shape: "scalar" as const, channels: 1, dims: [], description: "" }],
    readings: [],
  });

  it("lets a token with prefixes create only observables under them", () => {
    const access = { owner: "daq-hall-e", restricted: true, prefixes: ["halle.", "hall-e:"] };
    assert.deepEqual(ownershipErrors(declare("halle.temp"), access, none), []);
    assert.deepEqual(ownershipErrors(declare("hallc.temp"), access, none), [
      { field: "observables[0].name", message: "hallc.temp: this token may create only observables named halle.…, hall-e:…" },
    ]);
    // One that exists and is its own is not a creation.
    const own: Owners = { run: () => undefined, observable: () => "daq-hall-e" };
    assert.deepEqual(ownershipErrors(declare("legacy.temp"), access, own), []);
  });

  it("refuses new owners from a source token, and takes them from the ingest token", () => {
    const batch = { ...declare("halle.temp"), owners: { runs: [{ id: 7, owner: "daq-hall-e" }], observables: [] } };
    assert.deepEqual(
      ownershipErrors(batch, { owner: "daq-hall-e", restricted: true }, none).map((e) => e.field),
      ["owners"],
    );
    assert.deepEqual(ownershipErrors(batch, { owner: null, restricted: false }, none), []);
  });
});
