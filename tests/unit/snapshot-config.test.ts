import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig, redactUrl } from "../../loaders/config.js";
import { MANIFEST_VERSION, ManifestError, parseManifest } from "../../src/core/manifest.js";
import {
  BinaryCopyParser,
  readFloat8,
  readFloat8Array,
  readInt4,
  readTimestampMicros,
  TextCache,
} from "../../loaders/sources/pg-binary-copy.js";
import { observableNameFor } from "../../src/core/naming.js";

const errorsOf = (input: unknown) => {
  try {
    parseConfig(input, "runboard.config.json");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.errors.map((e) => e.field);
  }
  assert.fail("expected a ConfigError");
};

describe("config file", () => {
  it("defaults to the embedded store", () => {
    const config = parseConfig({});
    assert.equal(config.source.kind, "embedded");
    assert.deepEqual(config.snapshot.lodSeconds, [10, 60, 600]);
  });

  it("names every field at fault", () => {
    assert.deepEqual(errorsOf({ source: { kind: "postgres", tables: [{ layout: "long", table: "r", run: "run" }] } }), [
      "source.tables[0].observable",
      "source.tables[0].time",
    ]);
    assert.deepEqual(errorsOf({ source: { kind: "postgres", tables: [] } }), ["source.tables"]);
    assert.deepEqual(errorsOf({ source: { kind: "mongodb", database: "sc", mapping: { layout: "properties" } } }), [
      "source.mapping",
    ]);
    assert.deepEqual(errorsOf({ source: { kind: "sqlite" } }), ["source.kind"]);
    assert.deepEqual(errorsOf({ snapshot: { lodSeconds: [0] } }), ["snapshot.lodSeconds[0]"]);
    assert.deepEqual(errorsOf({ source: { kind: "postgres", tables: [{ layout: "wide", table: 'a"b', run: "run" }] } }), [
      "source.tables[0].table",
    ]);
    assert.deepEqual(errorsOf({ sorce: {} }), ["(body)"]);
  });

  it("never prints a password", () => {
    assert.equal(redactUrl("postgres://daq:s3cret@db:5432/exp"), "postgres://daq:***@db:5432/exp");
  });

  it("turns column names into dotted observable names", () => {
    assert.equal(observableNameFor("HV Mean", "calib."), "calib.HV_Mean");
    assert.equal(observableNameFor("camera.hv"), "camera.hv");
    assert.equal(observableNameFor("2nd-gain"), "x_2nd_gain");
  });
});

describe("snapshot manifest", () => {
  it("refuses a manifest from a newer runboard and names a broken field", () => {
    assert.throws(() => parseManifest({ format: "runboard-snapshot", version: MANIFEST_VERSION + 1 }), ManifestError);
    assert.throws(
      () =>
        parseManifest({
          format: "runboard-snapshot",
          version: MANIFEST_VERSION,
          source: "x",
          createdAt: "",
          updatedAt: "",
          contentHash: "",
          catalog: "c",
          runs: [{}],
          errors: [],
        }),
      /runs\[0\]\.run/,
    );
  });
});

/** A binary COPY stream as PostgreSQL writes it, for the columns (int4, text, timestamptz, float8, float8[]). */
function copyStream(rows: [number, string, number, number | null, (number | null)[][] | null][]): Buffer {
  const parts: Buffer[] = [Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)];
  const field = (b: Buffer | null) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b ? b.length : -1);
    parts.push(len, ...(b ? [b] : []));
  };
  for (const [id, name, micros, value, array] of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(5);
    parts.push(count);
    const i4 = Buffer.alloc(4);
    i4.writeInt32BE(id);
    field(i4);
    field(Buffer.from(name));
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(BigInt(micros - 946_684_800_000_000));
    field(ts);
    const f8 = Buffer.alloc(8);
    if (value !== null) f8.writeDoubleBE(value);
    field(value === null ? null : f8);
    if (array === null) field(null);
    else {
      const head = Buffer.alloc(12 + 16);
      head.writeInt32BE(2, 0);
      head.writeInt32BE(1, 4);
      head.writeInt32BE(701, 8);
      head.writeInt32BE(array.length, 12);
      head.writeInt32BE(1, 16);
      head.writeInt32BE(array[0]!.length, 20);
      head.writeInt32BE(1, 24);
      const elements = array.flat().map((v) => {
        const b = Buffer.alloc(v === null ? 4 : 12);
        b.writeInt32BE(v === null ? -1 : 8);
        if (v !== null) b.writeDoubleBE(v, 4);
        return b;
      });
      field(Buffer.concat([head, ...elements]));
    }
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  parts.push(trailer);
  return Buffer.concat(parts);
}

describe("binary COPY reader", () => {
  it("reads rows split anywhere across chunks, NULLs and 2d arrays included", () => {
    const rows: Parameters<typeof copyStream>[0] = [
      [1, "camera.hv", 1_767_225_600_123_456, 1000.5, null],
      [2, "camera.hv", 1_767_225_601_000_000, null, null],
      [
        3,
        "hitmap",
        1_767_225_602_000_000,
        Number.NaN,
        [
          [1, null],
          [3, 4],
        ],
      ],
    ];
    const stream = copyStream(rows);
    for (const size of [1, 3, 7, 64, stream.length]) {
      const got: unknown[] = [];
      const text = new TextCache();
      const parser = new BinaryCopyParser(5, (f) =>
        got.push([
          readInt4(f, 0),
          text.read(f, 1),
          readTimestampMicros(f, 2),
          f.length[3]! < 0 ? null : readFloat8(f, 3),
          f.length[4]! < 0 ? null : readFloat8Array(f, 4),
        ]),
      );
      for (let at = 0; at < stream.length; at += size) parser.push(stream.subarray(at, at + size));
      parser.end();
      assert.deepEqual(got, rows, `chunks of ${size} bytes`);
    }
  });

  it("refuses a stream cut in the middle of a row", () => {
    const stream = copyStream([[1, "a", 0, 1, null]]);
    const parser = new BinaryCopyParser(5, () => undefined);
    parser.push(stream.subarray(0, stream.length - 6));
    assert.throws(() => parser.end(), /ended inside a row/);
  });
});
