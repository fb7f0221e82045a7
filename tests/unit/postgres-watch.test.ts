// Rows as the watch trigger queues them (to_jsonb) mapped onto readings, and the trigger SQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig, type PostgresSourceConfig } from "../../loaders/config.js";
import { installStatements, jsonTime, mapRows } from "../../server/watch/postgres-watch.js";

const config = parseConfig({
  source: {
    kind: "postgres",
    url: "postgres://x@127.0.0.1/db",
    runs: { table: "run list", id: "id", start: "start" },
    tables: [
      {
        layout: "long",
        table: "readings",
        run: "run",
        observable: "name",
        channel: "ch",
        time: "t",
        value: "v",
        arrayValue: "a",
      },
      { layout: "wide", table: "calib", run: "run", prefix: "calib.", exclude: ["operator"] },
    ],
  },
}).source as PostgresSourceConfig;
const [long, wide] = config.tables;

describe("jsonTime", () => {
  it("reads to_jsonb times, taking those without a zone as UTC", () => {
    assert.equal(jsonTime("2026-11-22T10:00:00.25"), Date.parse("2026-11-22T10:00:00.250Z"));
    assert.equal(jsonTime("2026-11-22T11:00:00.25+01:00"), Date.parse("2026-11-22T10:00:00.250Z"));
    assert.equal(jsonTime("2026-11-22T10:00:00Z"), Date.parse("2026-11-22T10:00:00Z"));
    assert.equal(jsonTime("not a time"), undefined);
    assert.equal(jsonTime(null), undefined);
  });
});

describe("mapRows", () => {
  const noRuns = () => undefined;
  it("maps a long table's scalars and arrays, and leaves out NULL, NaN and rows without a run", () => {
    const mapped = mapRows(
      long!,
      [
        { run: 3, name: "hv", ch: 2, t: "2026-11-22T10:00:00", v: 1.5, a: null },
        { run: 3, name: "spectrum", ch: 0, t: "2026-11-22T10:00:00", v: null, a: [1, 2, 3] },
        { run: 3, name: "hv", ch: 1, t: "2026-11-22T10:00:00", v: "NaN", a: null },
        { run: 3, name: "hv", ch: 1, t: "2026-11-22T10:00:00", v: null, a: null },
        { run: null, name: "hv", ch: 1, t: "2026-11-22T10:00:00", v: 2 },
        {
          run: 3,
          name: "image",
          ch: 0,
          t: "2026-11-22T10:00:01",
          v: null,
          a: [
            [1, 2],
            [3, "Infinity"],
          ],
        },
      ],
      noRuns,
    );
    const t = Date.parse("2026-11-22T10:00:00Z");
    assert.deepEqual(mapped.readings, [
      { observable: "hv", run: 3, t, channel: 2, value: 1.5 },
      { observable: "spectrum", run: 3, t, channel: 0, value: [1, 2, 3] },
    ]);
    assert.equal(mapped.skipped, 4);
  });

  it("maps each numeric column of a wide row to a prefixed observable, at the run's start without a time column", () => {
    const mapped = mapRows(wide!, [{ run: 7, gain: 1.25, offsets: [0.5, 0.25], operator: 4, note: "ok" }], (run) =>
      run === 7 ? 1000 : undefined,
    );
    assert.deepEqual(mapped.readings, [
      { observable: "calib.gain", run: 7, t: 1000, channel: 0, value: 1.25 },
      { observable: "calib.offsets", run: 7, t: 1000, channel: 0, value: [0.5, 0.25] },
    ]);
    assert.equal(mapRows(wide!, [{ run: 8, gain: 1 }], noRuns).skipped, 1, "no time for an unknown run");
  });
});

describe("installStatements", () => {
  it("quotes every table name and gives the runs table an INSERT and an UPDATE trigger", () => {
    const sql = installStatements(config).join(";\n");
    assert.match(sql, /AFTER INSERT ON "public"\."readings"/);
    assert.match(sql, /AFTER INSERT ON "public"\."run list"/);
    assert.match(sql, /AFTER UPDATE ON "public"\."run list"/);
    assert.doesNotMatch(sql, /AFTER UPDATE ON "public"\."readings"/);
  });
});
