// A whole dashboard in a link: "Copy link" on an unsaved or changed dashboard puts the document
// in the address's fragment (`#dashboard=v1.<deflate, base64url>`), which browsers never send to
// the server, so a colleague sees exactly what the sender saw, marked unsaved. Opening one goes
// through parseDashboard like any submitted document (migrations, field-named errors), and the
// inflated size is bounded before it is parsed. Pure: CompressionStream, btoa and atob exist in
// every browser runboard supports and in Node.
import { type Dashboard, parseDashboard } from "./dashboard.js";
import type { Parsed } from "./validation.js";

export const LINK_PREFIX = "v1.";
/** The longest link runboard makes: longer ones are cut by mail and chat tools, so Save is offered. */
export const MAX_LINK_CHARS = 8000;
/** As for a dashboard sent to the API (1 MB): a small link cannot inflate into more. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

async function through(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
  limit = Infinity,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  void writer
    .write(bytes as Uint8Array<ArrayBuffer>)
    .then(() => writer.close())
    .catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new RangeError(`inflates to more than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export type EncodedLink = { ok: true; fragment: string } | { ok: false; chars: number; message: string };

/** The fragment (without `#dashboard=`) that carries `dashboard`, or why it does not fit in a link. */
export async function encodeDashboardLink(dashboard: Dashboard): Promise<EncodedLink> {
  const json = new TextEncoder().encode(JSON.stringify(dashboard));
  const fragment = LINK_PREFIX + toBase64Url(await through(json, new CompressionStream("deflate-raw")));
  if (fragment.length <= MAX_LINK_CHARS) return { ok: true, fragment };
  return {
    ok: false,
    chars: fragment.length,
    message: `this dashboard needs a link of ${fragment.length} characters (at most ${MAX_LINK_CHARS} survive mail and chat): save it and share /d/<id> instead`,
  };
}

/** The dashboard a fragment carries, checked like any submitted one; errors name `(link)` or the field. */
export async function decodeDashboardLink(fragment: string): Promise<Parsed<Dashboard>> {
  const refuse = (message: string): Parsed<Dashboard> => ({ ok: false, errors: [{ field: "(link)", message }] });
  if (!fragment.startsWith(LINK_PREFIX)) return refuse(`does not start with ${LINK_PREFIX}: not a runboard dashboard link`);
  const body = fragment.slice(LINK_PREFIX.length);
  if (body.length > MAX_LINK_CHARS || !/^[A-Za-z0-9_-]*$/.test(body)) return refuse("is not base64url, or too long: was it cut?");
  let json: string;
  try {
    const bytes = await through(fromBase64Url(body), new DecompressionStream("deflate-raw"), MAX_DOCUMENT_BYTES);
    json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    return refuse(`cannot be unpacked (${(error as Error).message}): was it cut?`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return refuse("does not hold a JSON document");
  }
  return parseDashboard(doc);
}
