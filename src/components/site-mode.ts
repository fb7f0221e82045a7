// Whether this page is part of a published review (a frozen folder on a static host, see
// loaders/publish.ts) rather than served by a runboard server. `runboard publish` marks every
// page it copies with <meta name="runboard-mode" content="review">, so a page knows without
// asking a server: a review never requests /api or /ws.
export const REVIEW_MARKER = '<meta name="runboard-mode" content="review">';

export function isPublishedReview(doc: Document = document): boolean {
  return doc.querySelector('meta[name="runboard-mode"]')?.getAttribute("content") === "review";
}
