// One gzip stream joined from parts made at different times, as pigz joins its blocks: each part
// is raw deflate ending on a byte boundary with a fresh dictionary (a sync flush), so parts can
// be cached and laid side by side; Parquet, already compressed, goes in as stored blocks, which
// cost no CPU and whose length is known before a byte is read. The CRC of the whole is combined
// from the parts' CRCs (zlib's crc32_combine). The result is one ordinary gzip member: gunzip,
// tar, Python and browsers read it like any other.
import { constants, crc32, deflateRawSync } from "node:zlib";

/** A part already deflated: its bytes, and the CRC and length of what it inflates to. */
export interface DeflatedPart {
  bytes: Buffer;
  crc: number;
  rawLength: number;
}

/** Deflates `raw` into a part that can be followed by any other part. */
export function deflatePart(raw: Buffer, level = 6): DeflatedPart {
  const bytes = deflateRawSync(raw, { level, finishFlush: constants.Z_SYNC_FLUSH });
  return { bytes, crc: crc32(raw), rawLength: raw.length };
}

/** The most a stored block holds. */
export const STORED_BLOCK_MAX = 65_535;

/** The 5-byte head of a stored, not final, block of `length` bytes (at a byte boundary). */
export function storedBlockHead(length: number): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt16LE(length, 1);
  head.writeUInt16LE(~length & 0xffff, 3);
  return head;
}

/** How many bytes `length` bytes take as stored blocks. */
export function storedLength(length: number): number {
  return length + 5 * Math.ceil(length / STORED_BLOCK_MAX);
}

/** A gzip member's head: deflate, no name, dated 0, so the same parts give the same bytes. */
export const GZIP_HEAD = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/** The end: an empty final stored block, then the CRC and length (mod 2^32) of all that was inflated. */
export function gzipTail(crc: number, rawLength: number): Buffer {
  const tail = Buffer.from([1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
  tail.writeUInt32LE(crc >>> 0, 5);
  tail.writeUInt32LE(rawLength % 2 ** 32, 9);
  return tail;
}

const timesMatrix = (matrix: readonly number[], vector: number): number => {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i]!;
  return sum >>> 0;
};
const squared = (matrix: readonly number[]): number[] => matrix.map((row) => timesMatrix(matrix, row));

/**
 * The CRC-32 of A followed by B, from crc(A), crc(B) and B's length: crc(A) is carried through
 * len(B) zero bytes by repeated squaring of the one-zero-bit operator (zlib's crc32_combine).
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0; // B is empty, and so its CRC is 0
  // The operator for one zero bit: the reflected polynomial, then a shift.
  let operator = [0xedb88320, ...Array.from({ length: 31 }, (_, n) => (1 << n) >>> 0)];
  operator = squared(squared(operator)); // four zero bits
  let crc = crcA >>> 0;
  for (let remaining = lengthB; remaining > 0; remaining = Math.floor(remaining / 2)) {
    operator = squared(operator); // one zero byte, then two, four, ...
    if (remaining % 2 === 1) crc = timesMatrix(operator, crc);
  }
  return (crc ^ crcB) >>> 0;
}
