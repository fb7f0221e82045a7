// A review as one archive to download: a ustar tar, gzipped, made straight from the files it
// holds (nothing is copied to disk first). Entries are sorted and dated 0, so the same files give
// the same archive. Written here because nothing else needs a tar library, and the format is a
// page long. The gzip is joined from parts (gzip-parts.ts): the site's files are deflated once
// and kept (they change only with a build), Parquet goes in stored, and only the small files
// made for this review are deflated each time, so publishing back to back costs little CPU.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { crc32 } from "node:zlib";
import {
  type DeflatedPart,
  GZIP_HEAD,
  STORED_BLOCK_MAX,
  crc32Combine,
  deflatePart,
  gzipTail,
  storedBlockHead,
  storedLength,
} from "./gzip-parts.js";
import { readFileSync } from "node:fs";

const BLOCK = 512;

/** One file of an archive: made for it (`text`), or read from disk (`file`, `bytes` long). */
export type ArchiveEntry =
  | { path: string; text: string | Buffer }
  | {
      path: string;
      file: string;
      bytes: number;
      mtimeMs: number;
      /** Its content hash, checked as it is read: a file that changed is not archived. */
      sha256?: string;
      /** Already compressed (Parquet): stored, not deflated. */
      compressed?: boolean;
    };

function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  // Names over 100 bytes go in the 155-byte prefix, split at a slash.
  let [prefix, base] = ["", name];
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`${name}: path too long for a tar archive`);
    [prefix, base] = [name.slice(0, cut), name.slice(cut + 1)];
  }
  const field = (text: string, at: number, length: number) => block.write(text, at, length, "utf8");
  const octal = (n: number, at: number, length: number) => field(`${n.toString(8).padStart(length - 1, "0")}\0`, at, length);
  field(base, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(0, 136, 12);
  field("        ", 148, 8); // the checksum counts its own field as spaces
  field("0", 156, 1);
  field("ustar\0", 257, 6);
  field("00", 263, 2);
  field(prefix, 345, 155);
  let sum = 0;
  for (const byte of block) sum += byte;
  field(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return block;
}

/** Paths in the order a sorted walk of their folders gives ("a/x" before "a-b/x"). */
export function byFolderOrder(a: string, b: string): number {
  const [pa, pb] = [a.split("/"), b.split("/")];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    // A file and a folder of the same level: the names decide, as readdir's sort does.
    return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * What the review child keeps between reviews: deflated parts of files that do not change (the
 * site's), by file, size and date, the oldest dropped past the bound; and the data files whose
 * hash it has already checked (a snapshot file is never rewritten in place: a new one gets a new
 * name), so publishing again reads them but does not hash them again.
 */
export class PartCache {
  private readonly parts = new Map<string, DeflatedPart>();
  private bytes = 0;
  readonly verified = new Set<string>();

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  of(file: string, size: number, mtimeMs: number): DeflatedPart {
    const key = `${file}\0${size}\0${mtimeMs}`;
    let part = this.parts.get(key);
    if (part) this.parts.delete(key);
    else {
      part = deflatePart(readFileSync(file));
      this.bytes += part.bytes.length;
    }
    this.parts.set(key, part);
    for (const [old, p] of this.parts) {
      if (this.bytes <= this.maxBytes || old === key) break;
      this.parts.delete(old);
      this.bytes -= p.bytes.length;
    }
    return part;
  }
}

type StoredPart = { path: string; file: string; bytes: number; sha256?: string; mtimeMs: number };
type Part = DeflatedPart | StoredPart;

/** An archive ready to be sent: its parts in order, and its exact length in bytes. */
export interface TarGzPlan {
  parts: Part[];
  bytes: number;
  cache: PartCache;
}

/** Lays out the tar.gz of `entries` under `top/`; only the small pieces are deflated here. */
export function planTarGz(entries: readonly ArchiveEntry[], top: string, cache: PartCache): TarGzPlan {
  const parts: Part[] = [];
  let pending: Buffer[] = [];
  const flush = () => {
    if (pending.length > 0) parts.push(deflatePart(Buffer.concat(pending)));
    pending = [];
  };
  for (const entry of [...entries].sort((a, b) => byFolderOrder(a.path, b.path))) {
    const data = "text" in entry ? Buffer.from(entry.text) : undefined;
    const size = data ? data.length : (entry as { bytes: number }).bytes;
    pending.push(header(`${top}/${entry.path}`, size));
    if (data) pending.push(data);
    else if (!("text" in entry)) {
      flush();
      parts.push(
        entry.compressed
          ? { path: entry.path, file: entry.file, bytes: entry.bytes, sha256: entry.sha256, mtimeMs: entry.mtimeMs }
          : cache.of(entry.file, entry.bytes, entry.mtimeMs),
      );
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) pending.push(Buffer.alloc(pad));
  }
  pending.push(Buffer.alloc(2 * BLOCK));
  flush();
  const length = (p: Part) => ("crc" in p ? p.bytes.length : storedLength(p.bytes));
  const bytes = GZIP_HEAD.length + parts.reduce((n, p) => n + length(p), 0) + gzipTail(0, 0).length;
  return { parts, bytes, cache };
}

/** The archive's bytes, in order; it throws if a file read does not match its size or hash. */
export async function* tarGzBytes(plan: TarGzPlan): AsyncGenerator<Buffer> {
  yield GZIP_HEAD;
  const sum = { crc: 0, length: 0 };
  for (const part of plan.parts) {
    if ("crc" in part) {
      sum.crc = crc32Combine(sum.crc, part.crc, part.rawLength);
      sum.length += part.rawLength;
      yield part.bytes;
    } else yield* storedFile(part, sum, plan.cache.verified);
  }
  yield gzipTail(sum.crc, sum.length);
}

/** A file as stored blocks of at most 64 kB, read a megabyte at a time; its hash checked once. */
async function* storedFile(
  part: StoredPart,
  sum: { crc: number; length: number },
  verified: Set<string>,
): AsyncGenerator<Buffer> {
  const key = `${part.file}\0${part.bytes}\0${part.mtimeMs}\0${part.sha256}`;
  const hash = part.sha256 && !verified.has(key) ? createHash("sha256") : undefined;
  const handle = await open(part.file);
  try {
    for (let done = 0; done < part.bytes;) {
      const want = Math.min(16 * STORED_BLOCK_MAX, part.bytes - done);
      const data = Buffer.allocUnsafe(want);
      for (let got = 0; got < want;) {
        const { bytesRead } = await handle.read(data, got, want - got, done + got);
        if (bytesRead === 0) throw new Error(`${part.path} became shorter while it was archived`);
        got += bytesRead;
      }
      hash?.update(data);
      sum.crc = crc32(data, sum.crc);
      sum.length += want;
      done += want;
      const out: Buffer[] = [];
      for (let at = 0; at < want; at += STORED_BLOCK_MAX) {
        const block = data.subarray(at, Math.min(want, at + STORED_BLOCK_MAX));
        out.push(storedBlockHead(block.length), block);
      }
      yield Buffer.concat(out);
    }
    if (hash && hash.digest("hex") !== part.sha256) throw new Error(`${part.path} changed while it was archived; publish again`);
    if (hash) verified.add(key);
  } finally {
    await handle.close();
  }
}
