// A review as one archive to download: a ustar tar of a folder, gzipped. Entries are sorted and
// dated 0, so the same folder gives the same archive. Written here because nothing else needs a
// tar library, and the format is a page long.
import { createReadStream, createWriteStream, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gzipSync } from "node:zlib";

const BLOCK = 512;

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

function filesOf(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? filesOf(full) : [full];
    });
}

/** The folder as a gzipped tar, its entries under `top/`. */
export function tarGzFolder(dir: string, top: string): Buffer {
  const parts: Buffer[] = [];
  for (const file of filesOf(dir)) {
    const data = readFileSync(file);
    parts.push(header(`${top}/${relative(dir, file).split("\\").join("/")}`, data.length), data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts));
}

/**
 * The same archive as tarGzFolder, written to `file` as a stream: one file's bytes in memory at
 * a time at most (a review of every run is hundreds of MB).
 */
export async function writeTarGz(dir: string, top: string, file: string): Promise<void> {
  async function* entries(): AsyncGenerator<Buffer> {
    for (const path of filesOf(dir)) {
      const size = statSync(path).size;
      yield header(`${top}/${relative(dir, path).split("\\").join("/")}`, size);
      for await (const chunk of createReadStream(path)) yield chunk as Buffer;
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  // Level 1: a review is mostly Parquet (ZSTD already) and DuckDB-WASM, which gzip barely
  // shrinks; the default level spent seconds of CPU beside the server for a percent or two.
  await pipeline(Readable.from(entries()), createGzip({ level: 1 }), createWriteStream(file));
}
