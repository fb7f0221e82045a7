// Whether this page is part of a published review (a frozen folder on a static host, see
// loaders/publish.ts) rather than served by a runboard server. `runboard publish` marks every
// page it copies with <meta name="runboard-mode" content="review">, so a page knows without
// asking a server: a review never requests /api or /ws.
export const REVIEW_MARKER = '<meta name="runboard-mode" content="review">';

export function isPublishedReview(doc: Document = document): boolean {
  return doc.querySelector('meta[name="runboard-mode"]')?.getAttribute("content") === "review";
}

/** The meta tag that gives a review's pages their clock: when the review's data was taken. */
export const REVIEW_CLOCK = "runboard-review-now";
export const reviewClockMeta = (epochMs: number) => `<meta name="${REVIEW_CLOCK}" content="${epochMs}">`;

let frozenNow: number | null | undefined;
/**
 * "Now" for the pages' time windows: the wall clock, except in a published review, which is not
 * live. There it is when the data was taken, so "the last 6 hours" or a run still going when it
 * was published shows what it showed then, however much later the review is opened.
 */
export function siteNow(): number {
  if (frozenNow === undefined) {
    const content = globalThis.document?.querySelector(`meta[name="${REVIEW_CLOCK}"]`)?.getAttribute("content");
    frozenNow = content && Number.isFinite(Number(content)) ? Number(content) : null;
  }
  return frozenNow ?? Date.now();
}

/**
 * The site's icon, inline: a browser asks for /favicon.ico otherwise, which a static host of a
 * review (or the runboard server) answers with a 404 in every page's console.
 */
export const FAVICON_LINK =
  '<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 viewBox=%270 0 16 16%27%3E%3Crect width=%2716%27 height=%2716%27 rx=%273%27 fill=%27%234269d0%27/%3E%3Cpath d=%27M3 12l3-5 3 3 4-7%27 stroke=%27white%27 stroke-width=%271.8%27 fill=%27none%27/%3E%3C/svg%3E">';
