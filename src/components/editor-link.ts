// "Copy link": what is on screen, as an address. A saved dashboard without unsaved changes is
// `/d/<id>` plus the run and time choice; anything else carries the whole document in the
// fragment (dashboard-link.ts), so the colleague sees exactly this, marked unsaved. A document
// too big for a link says so and offers Save instead.
import type { Dashboard } from "../core/dashboard.js";
import { encodeDashboardLink } from "../core/dashboard-link.js";
import { el } from "./dom.js";

export interface LinkOptions {
  current: () => Dashboard;
  /** The saved dashboard, if any, and whether what is on screen differs from it. */
  saved: () => { id: string } | undefined;
  dirty: () => boolean;
  /** The address's query for the run and time choice (`?run=...`), or "". */
  query: () => string;
  status: (text: string, isError?: boolean) => void;
  /** Called when the document is too big for a link: the page offers to save it. */
  offerSave?: () => void;
}

/** The link for what is on screen, or why there is none. */
export async function linkFor(
  options: LinkOptions,
): Promise<{ ok: true; url: string; carries: boolean } | { ok: false; message: string }> {
  const saved = options.saved();
  if (saved && !options.dirty()) {
    return { ok: true, url: new URL(`/d/${saved.id}${options.query()}`, location.href).href, carries: false };
  }
  const encoded = await encodeDashboardLink(options.current());
  if (!encoded.ok) return { ok: false, message: `Too big for a link: ${encoded.message}.` };
  return {
    ok: true,
    url: new URL(`/pages/dashboard${options.query()}#dashboard=${encoded.fragment}`, location.href).href,
    carries: true,
  };
}

export function copyLinkControl(options: LinkOptions) {
  const button = el("button", { type: "button", className: "copy-link", textContent: "Copy link" });
  const field = el("input", { type: "text", readOnly: true, className: "link-field", hidden: true });
  field.setAttribute("aria-label", "Link to what is on screen");
  button.addEventListener("click", async () => {
    const link = await linkFor(options);
    if (!link.ok) {
      field.hidden = true;
      options.status(link.message, true);
      options.offerSave?.();
      return;
    }
    field.value = link.url;
    field.hidden = false;
    field.select();
    const what = link.carries
      ? "this unsaved dashboard, whole, in the link"
      : "the saved dashboard with these runs and this window";
    try {
      await navigator.clipboard.writeText(link.url);
      options.status(`Link copied: ${what}.`);
    } catch {
      // No clipboard (an insecure origin, or permission refused): the link is selected to copy by hand.
      options.status(`Copy the selected link (Ctrl+C): ${what}.`);
    }
  });
  return el("span", { className: "copy-link-box" }, button, field);
}
