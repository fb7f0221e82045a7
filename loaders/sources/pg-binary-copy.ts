// A streaming reader for PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`).
// Binary COPY is the fastest way out of PostgreSQL: no text formatting on the server and no
// number parsing here. Rows may span the chunks the socket delivers, so a partial row is kept
// until the rest arrives. Field contents are read in place; nothing is allocated per row
// except what the consumer decides to keep.

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_MICROS = 946_684_800_000_000;
const FLOAT8_OID = 701;

/** Where each field of the current row sits in `buffer`; a length of -1 means NULL. */
export interface RowFields {
  buffer: Buffer;
  /** The same bytes as `buffer`, for reading big-endian numbers (V8 compiles these to a load and a swap). */
  view: DataView;
  offset: Int32Array;
  length: Int32Array;
}

export class BinaryCopyParser {
  private pending: Buffer | null = null;
  private headerDone = false;
  private finished = false;
  private readonly fields: RowFields;

  constructor(
    private readonly columns: number,
    private readonly onRow: (fields: RowFields) => void,
  ) {
    const empty = Buffer.alloc(0);
    this.fields = {
      buffer: empty,
      view: new DataView(empty.buffer),
      offset: new Int32Array(columns),
      length: new Int32Array(columns),
    };
  }

  /** Feeds the next piece of the stream: `chunk[start..end)`, read in place. */
  push(chunk: Buffer, start = 0, end = chunk.length): void {
    let buf = chunk;
    let pos = start;
    let limit = end;
    if (this.pending) {
      // Only when a row spans two pieces, which a PostgreSQL message never does.
      buf = Buffer.concat([this.pending, chunk.subarray(start, end)]);
      pos = 0;
      limit = buf.length;
      this.pending = null;
    }
    if (!this.headerDone) {
      if (limit - pos < 19) {
        this.pending = Buffer.from(buf.subarray(pos, limit));
        return;
      }
      if (!buf.subarray(pos, pos + 11).equals(SIGNATURE)) throw new Error("not a PostgreSQL binary COPY stream");
      pos += 19 + buf.readInt32BE(pos + 15);
      this.headerDone = true;
    }
    const { offset, length } = this.fields;
    if (this.fields.buffer !== buf) {
      // Many rows share one socket chunk: one view each.
      this.fields.buffer = buf;
      this.fields.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const n = this.columns;
    while (pos + 2 <= limit) {
      const count = (buf[pos]! << 8) | buf[pos + 1]!;
      if (count === 0xffff) {
        this.finished = true;
        return;
      }
      if (count !== n) throw new Error(`COPY row has ${count} fields, expected ${n}`);
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (p + 4 > limit) {
          complete = false;
          break;
        }
        // Big-endian int32 by hand: this loop runs for every field of every row.
        const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
        p += 4;
        offset[i] = p;
        length[i] = len;
        if (len > 0) p += len;
        if (p > limit) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      this.onRow(this.fields);
      pos = p;
    }
    if (pos < limit) this.pending = Buffer.from(buf.subarray(pos, limit));
  }

  /** Call at the end of the stream; throws when it stopped in the middle of a row. */
  end(): void {
    if (this.pending && this.pending.length > 0 && !this.finished) {
      throw new Error(`COPY stream ended inside a row (${this.pending.length} bytes left)`);
    }
  }
}

export function readInt4(f: RowFields, i: number): number {
  return f.view.getInt32(f.offset[i]!);
}

export function readFloat8(f: RowFields, i: number): number {
  return f.view.getFloat64(f.offset[i]!);
}

/** timestamptz / timestamp as epoch microseconds (exact: two 32-bit halves, no BigInt). */
export function readTimestampMicros(f: RowFields, i: number): number {
  const p = f.offset[i]!;
  return f.view.getInt32(p) * 4294967296 + f.view.getUint32(p + 4) + PG_EPOCH_MICROS;
}

/**
 * Text fields as strings, decoded once per distinct value: a long table repeats a handful of
 * observable names millions of times, so a short hash of the bytes finds the string again.
 */
export class TextCache {
  private readonly byHash = new Map<number, { bytes: Buffer; text: string }[]>();
  /** The last value read: long tables usually repeat one name for many rows in a row. */
  private last: { bytes: Buffer; text: string } | undefined;

  read(f: RowFields, i: number): string {
    const start = f.offset[i]!;
    const length = f.length[i]!;
    const buf = f.buffer;
    const last = this.last;
    if (last && last.bytes.length === length) {
      let k = 0;
      while (k < length && last.bytes[k] === buf[start + k]) k++;
      if (k === length) return last.text;
    }
    const end = start + length;
    let h = 0x811c9dc5;
    for (let p = start; p < end; p++) h = Math.imul(h ^ buf[p]!, 0x01000193);
    let bucket = this.byHash.get(h);
    if (bucket) {
      for (const entry of bucket)
        if (entry.bytes.length === length && buf.compare(entry.bytes, 0, length, start, end) === 0) {
          this.last = entry;
          return entry.text;
        }
    } else {
      bucket = [];
      this.byHash.set(h, bucket);
    }
    const bytes = Buffer.from(buf.subarray(start, end));
    const entry = { bytes, text: bytes.toString("utf8") };
    bucket.push(entry);
    this.last = entry;
    return entry.text;
  }
}

/**
 * A `float8[]` or `float8[][]` field (cast the column to float8[] in the query). NULL elements
 * stay null; an empty array is []. Arrays of more than two dimensions are refused.
 */
export function readFloat8Array(f: RowFields, i: number): (number | null)[] | (number | null)[][] {
  const buf = f.buffer;
  let p = f.offset[i]!;
  const ndim = buf.readInt32BE(p);
  const elementType = buf.readInt32BE(p + 8);
  p += 12;
  if (ndim === 0) return [];
  if (elementType !== FLOAT8_OID) throw new Error(`array elements have type oid ${elementType}; cast the column to float8[]`);
  if (ndim > 2) throw new Error(`a ${ndim}-dimensional array; runboard keeps 1d and 2d arrays`);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) {
    dims.push(buf.readInt32BE(p));
    p += 8; // size, then lower bound
  }
  const readElement = (): number | null => {
    const len = buf.readInt32BE(p);
    p += 4;
    if (len < 0) return null;
    const v = buf.readDoubleBE(p);
    p += 8;
    return v;
  };
  const [rows, cols = 0] = dims as [number, number?];
  if (ndim === 1) {
    const out = new Array<number | null>(rows);
    for (let k = 0; k < rows; k++) out[k] = readElement();
    return out;
  }
  const out = new Array<(number | null)[]>(rows);
  for (let r = 0; r < rows; r++) {
    const row = new Array<number | null>(cols);
    for (let c = 0; c < cols; c++) row[c] = readElement();
    out[r] = row;
  }
  return out;
}
