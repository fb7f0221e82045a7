// A binary ingest body built by hand, for tests and benchmarks that send malformed ones on
// purpose (encodeBinaryBatch only makes good ones): the magic, a header length (the true one
// unless `declaredHeaderBytes` says otherwise), the header text, padding, and `dataBytes`
// zero bytes of data.
import { BINARY_BATCH_MAGIC, binaryDataStart } from "../../src/core/ingest-binary.js";

export function rawBinaryBody(
  header: string | object,
  options: { dataBytes?: number; declaredHeaderBytes?: number } = {},
): Uint8Array {
  const text = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const body = new Uint8Array(binaryDataStart(text.length) + (options.dataBytes ?? 0));
  body.set(new TextEncoder().encode(BINARY_BATCH_MAGIC));
  new DataView(body.buffer).setUint32(4, options.declaredHeaderBytes ?? text.length, true);
  body.set(text, 8);
  return body;
}
