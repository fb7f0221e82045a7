// Runs one `COPY ... TO STDOUT (FORMAT binary)` on a pg client and hands its rows to a
// BinaryCopyParser straight from the socket's buffers. pg itself would turn every row into a
// message object, and a generic COPY stream slices and re-joins every row; at millions of rows
// a second both cost more than decoding the rows. So, like pg-copy-streams, this takes over the
// connection's socket while the COPY runs: it reads the protocol's CopyData messages itself and
// hands everything after them (CopyDone, CommandComplete, ReadyForQuery, or an ErrorResponse)
// back to pg, which finishes the query as usual and reports errors through `handleError`.
import type pg from "pg";
import type { BinaryCopyParser } from "./pg-binary-copy.js";
import { isReusedBufferSocket } from "./pg-socket.js";

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
/** Messages PostgreSQL may interleave with CopyData; they are skipped. */
const IGNORABLE = new Set([0x48 /* H: CopyOutResponse */, 0x4e /* N: notice */, 0x53 /* S: parameter */, 0x41 /* A: notify */]);

/** The part of pg's Connection this needs (not in pg's types). */
interface PgConnection {
  stream: NodeJS.ReadableStream & { listeners(event: "data"): ((chunk: Buffer) => void)[] };
  query(text: string): void;
}

/**
 * A pg "submittable": `client.query(new BinaryCopyOut(sql, parser))`, then `await done`.
 * `pause()`/`resume()` give backpressure: while paused, the socket is not read and PostgreSQL
 * waits once its send buffer is full.
 */
export class BinaryCopyOut implements pg.Submittable {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (error: Error) => void;
  private connection: PgConnection | undefined;
  private pgOnData: ((chunk: Buffer) => void) | undefined;
  /** The pieces (copies) of a message split across socket reads, and its total length once known. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private partialTotal: number | undefined;
  private attached = false;

  constructor(
    private readonly text: string,
    private readonly parser: BinaryCopyParser,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Settled through `done`; an unobserved rejection must not crash the process.
    this.done.catch(() => undefined);
  }

  submit(connection: unknown): void {
    const c = connection as PgConnection;
    this.connection = c;
    if (isReusedBufferSocket(c.stream)) {
      c.stream.tap = this.onData;
      this.attached = true;
      c.query(this.text);
      return;
    }
    const listeners = c.stream.listeners("data");
    if (listeners.length !== 1) throw new Error(`expected pg's one socket listener, found ${listeners.length}`);
    this.pgOnData = listeners[0];
    c.stream.removeListener("data", this.pgOnData!);
    c.stream.on("data", this.onData);
    this.attached = true;
    c.query(this.text);
  }

  pause(): void {
    if (this.attached) this.connection!.stream.pause();
  }

  resume(): void {
    if (this.attached) this.connection!.stream.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      this.consume(chunk);
    } catch (error) {
      // A row the parser cannot read: the rest of this COPY is useless, and the connection is
      // mid-protocol, so the caller must discard the client.
      this.detach(Buffer.alloc(0));
      this.rejectDone(error as Error);
    }
  };

  /** Walks the protocol messages in `input`; CopyData payloads go to the parser in place. */
  private consume(input: Buffer): void {
    let pos = 0;
    if (this.partialBytes > 0) {
      // Finish the message split across reads (usually one row), copying only its own bytes:
      // the input may be a socket's reused buffer.
      if (this.partialTotal === undefined) {
        const head = Buffer.concat([...this.partial, input.subarray(0, 5 - this.partialBytes)]);
        if (head.length < 5) {
          this.partial = [head];
          this.partialBytes = head.length;
          return;
        }
        this.partialTotal = 1 + head.readUInt32BE(1);
      }
      const needed = this.partialTotal - this.partialBytes;
      if (input.length < needed) {
        this.partial.push(Buffer.from(input));
        this.partialBytes += input.length;
        return;
      }
      const joined = Buffer.concat([...this.partial, input.subarray(0, needed)], this.partialTotal);
      pos = needed;
      this.partial = [];
      this.partialBytes = 0;
      this.partialTotal = undefined;
      const finished = this.message(joined, 0);
      if (finished !== undefined) {
        this.detach(Buffer.concat([joined.subarray(finished), input.subarray(pos)]));
        return;
      }
    }
    while (input.length - pos >= 5) {
      const end = pos + 1 + input.readUInt32BE(pos + 1);
      if (end > input.length) break;
      const finished = this.message(input, pos);
      if (finished !== undefined) {
        this.detach(input.subarray(finished));
        return;
      }
      pos = end;
    }
    if (pos < input.length) {
      this.partial = [Buffer.from(input.subarray(pos))];
      this.partialBytes = input.length - pos;
      this.partialTotal = this.partialBytes >= 5 ? 1 + input.readUInt32BE(pos + 1) : undefined;
    }
  }

  /**
   * Handles the message at `pos`. Returns where pg should take over once the COPY's data is
   * over (after CopyDone, or at an ErrorResponse, which pg reads and reports), else undefined.
   */
  private message(buf: Buffer, pos: number): number | undefined {
    const type = buf[pos]!;
    const end = pos + 1 + buf.readUInt32BE(pos + 1);
    if (type === COPY_DATA) {
      this.parser.push(buf, pos + 5, end);
      return undefined;
    }
    if (IGNORABLE.has(type)) return undefined;
    if (type === COPY_DONE) {
      this.parser.end();
      return end;
    }
    if (type === ERROR_RESPONSE) return pos;
    throw new Error(`unexpected message '${String.fromCharCode(type)}' during COPY`);
  }

  /** Gives the socket back to pg, with whatever followed the COPY's data. */
  private detach(rest: Buffer): void {
    if (!this.attached) return;
    this.attached = false;
    const stream = this.connection!.stream;
    if (isReusedBufferSocket(stream)) {
      stream.tap = undefined;
      // A copy: `rest` may lie in the socket's reused buffer, and pg keeps what it cannot parse yet.
      if (rest.length > 0) stream.emit("data", Buffer.from(rest));
    } else {
      stream.removeListener("data", this.onData);
      stream.on("data", this.pgOnData!);
      if (rest.length > 0) this.pgOnData!(rest);
    }
    stream.resume();
  }

  handleError(error: Error): void {
    this.detach(Buffer.alloc(0));
    this.rejectDone(error);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    this.resolveDone();
  }
}
