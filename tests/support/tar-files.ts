// A tar archive's files by name, as a reviewer's `tar -x` would see them: 512-byte headers
// (name with its ustar prefix, octal size), contents padded to 512 bytes.
export function tarFiles(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length;) {
    const head = tar.subarray(at, at + 512);
    if (head.every((b) => b === 0)) break;
    const field = (from: number, length: number) =>
      head
        .subarray(from, from + length)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const size = parseInt(field(124, 12).trim() || "0", 8);
    files.set([field(345, 155), field(0, 100)].filter(Boolean).join("/"), tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
