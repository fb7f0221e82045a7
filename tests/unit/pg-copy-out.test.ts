// The COPY reader takes PostgreSQL's protocol bytes straight from the socket's reads, and with
// the reused-buffer socket those bytes are overwritten by the next read. These tests feed a
// COPY's messages split at every kind of boundary (inside a message header, inside a row,
// several messages in one read) through one buffer that is scribbled over after each read, and
// check that every row arrives intact and pg gets exactly the bytes after the COPY.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BinaryCopyParser, readInt4, TextCache } from "../../loaders/sources/pg-binary-copy.js";
import { BinaryCopyOut } from "../../loaders/sources/pg-copy-out.js";
import { reusedBufferSocket } from "../../loaders/sources/pg-socket.js";

/** One protocol message: type byte, then its length (counting itself) and body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeUInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

/** A binary COPY row of (int4, text). */
function row(id: number, name: string): Buffer {
  const text = Buffer.from(name, "utf8");
  const b = Buffer.alloc(2 + 4 + 4 + 4 + text.length);
  b.writeInt16BE(2, 0);
  b.writeInt32BE(4, 2);
  b.writeInt32BE(id, 6);
  b.writeInt32BE(text.length, 10);
  text.copy(b, 14);
  return b;
}

const HEADER = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);
/** What follows the COPY's data, for pg: CommandComplete and ReadyForQuery. */
const AFTER = Buffer.concat([message("C", Buffer.from("COPY 500\0")), message("Z", Buffer.from("I"))]);

function copyStream(rows: number): { bytes: Buffer; names: string[] } {
  const names = Array.from({ length: rows }, (_, i) => `observable.${i % 7}${"x".repeat(i % 40)}`);
  const parts = [message("H", Buffer.from([1, 0, 2, 0, 1, 0, 1])), message("d", HEADER)];
  names.forEach((name, i) => parts.push(message("d", row(i, name))));
  parts.push(message("d", TRAILER), message("c", Buffer.alloc(0)), AFTER);
  return { bytes: Buffer.concat(parts), names };
}

/** Feeds `bytes` to a BinaryCopyOut on a reused-buffer socket in reads of the given sizes. */
function feed(bytes: Buffer, sizes: () => number) {
  const socket = reusedBufferSocket();
  const toPg: Buffer[] = [];
  // Kept as given, as pg keeps unparsed bytes: a view into the reused buffer would be scribbled over.
  socket.on("data", (data: Buffer) => toPg.push(data));
  const seen: { id: number; name: string }[] = [];
  const text = new TextCache();
  const parser = new BinaryCopyParser(2, (f) => seen.push({ id: readInt4(f, 0), name: text.read(f, 1) }));
  const copy = new BinaryCopyOut("COPY (SELECT 1) TO STDOUT (FORMAT binary)", parser);
  copy.submit({ stream: socket, query: () => undefined });
  const reused = Buffer.alloc(bytes.length);
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(sizes(), bytes.length - at);
    bytes.copy(reused, 0, at, at + n);
    if (socket.tap) socket.tap(reused.subarray(0, n));
    else socket.emit("data", Buffer.from(reused.subarray(0, n)));
    reused.fill(0xaa, 0, n); // the next read overwrites what this one held
    at += n;
  }
  socket.destroy();
  return { seen, toPg: Buffer.concat(toPg), tapped: socket.tap !== undefined };
}

describe("COPY reader on a reused socket buffer", () => {
  const { bytes, names } = copyStream(500);
  const expected = names.map((name, id) => ({ id, name }));

  for (const [label, sizes] of [
    ["one read", () => bytes.length],
    ["1-byte reads", () => 1],
    ["3-byte reads (inside message headers)", () => 3],
    [
      "reads of 1 to 97 bytes",
      (() => {
        let k = 0;
        return () => 1 + ((k++ * 37) % 97);
      })(),
    ],
  ] as [string, () => number][]) {
    it(`gets every row intact and hands pg the rest: ${label}`, () => {
      const { seen, toPg, tapped } = feed(bytes, sizes);
      assert.deepEqual(seen, expected);
      assert.deepEqual(toPg, AFTER);
      assert.equal(tapped, false, "the socket is given back to pg after the COPY");
    });
  }
});
