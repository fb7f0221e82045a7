// The built site as a review carries it: only the pages a reviewer can use without a server
// (the overview, the Runs page, the dashboard viewer) and the notebooks chosen with --page. The
// sidebar is written into every page when the site is built, so the pages left out are also
// taken out of each kept page's sidebar, and other links to them become plain text: a review
// has no link that leads nowhere.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { REVIEW_MARKER, reviewClockMeta } from "../src/components/site-mode.js";
import type { ArchiveEntry } from "./tar.js";

/** Where the built overview (index.html) goes in a review: the front page takes its place. */
export const REVIEW_OVERVIEW = "overview.html";
/** The pages every review with a site keeps, besides the chosen notebooks. */
export const REVIEW_PAGES: readonly string[] = [REVIEW_OVERVIEW, "pages/runs.html", "pages/dashboard.html"];
/** Kept, but not offered in the sidebar: without a dashboard to show, the viewer has nothing. */
const NOT_IN_SIDEBAR = new Set(["pages/dashboard.html"]);

/** Whether a file of the built site (a path relative to it) is a page: .html, outside the data and the scripts (`_observablehq/`, `_npm/`, ...). */
const isSitePage = (path: string): boolean => path.endsWith(".html") && !/^(snapshots|_[^/]*)\//.test(path);

/**
 * Where a link on the page at `from` leads, as a path in the site ("pages/runs.html"), or
 * undefined when it leads out of the site's pages (another origin, a fragment, a data file).
 * The overview's links ("../", "./") are to index.html, which a review calls overview.html.
 */
export function linkTarget(from: string, href: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:|^\/\/|^#|^\//i.test(href)) return undefined;
  const path = href.replace(/[?#].*$/, "");
  const joined = posix.join(posix.dirname(from), path === "" ? "." : path).replace(/^\.(\/|$)/, "");
  if (joined.startsWith("..")) return undefined;
  const page = joined === "" || joined.endsWith("/") ? `${joined}index.html` : joined;
  if (page === "index.html") return REVIEW_OVERVIEW;
  return page.endsWith(".html") ? page : undefined;
}

/** The relative link from the page at `from` to the page at `to`. */
function relativeLink(from: string, to: string): string {
  const rel = posix.relative(posix.dirname(from), to);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/**
 * One page's HTML with only links to kept pages: sidebar entries for pages left out are dropped
 * (and a section left empty with them), the overview's entry points to overview.html, and any
 * other link to a page left out is kept as its text. The sidebar's title stays the front page's link.
 */
export function reviewPageHtml(html: string, page: string, kept: ReadonlySet<string>, dataTakenAt: number): string {
  const marked = html.includes(REVIEW_MARKER)
    ? html
    : html.replace("<head>", `<head>\n${REVIEW_MARKER}\n${reviewClockMeta(dataTakenAt)}`);
  const navStart = marked.indexOf('<nav id="observablehq-sidebar">');
  const navEnd = navStart < 0 ? -1 : marked.indexOf("</nav>", navStart);
  let out = marked;
  if (navStart >= 0 && navEnd >= 0) {
    const nav = marked.slice(navStart, navEnd);
    // The first list is the site's title, the review's front page: left as it is.
    const titleEnd = nav.indexOf("</ol>") + "</ol>".length;
    const entries = nav
      .slice(titleEnd)
      .replace(/[ \t]*<li class="observablehq-link[^"]*"><a href="([^"]*)">[^<]*<\/a><\/li>\n?/g, (entry, href: string) => {
        const target = linkTarget(page, href);
        if (target === undefined) return entry;
        if (!kept.has(target) || NOT_IN_SIDEBAR.has(target)) return "";
        return entry.replace(`href="${href}"`, `href="${relativeLink(page, target)}"`);
      })
      .replace(/[ \t]*<details[^>]*>\s*<summary>[^<]*<\/summary>\s*<ol>\s*<\/ol>\s*<\/details>\n?/g, "");
    out = marked.slice(0, navStart) + nav.slice(0, titleEnd) + entries + marked.slice(navEnd);
  }
  // Links in the page itself (the dashboard page's own nav, a notebook's text).
  const bodyStart = out.indexOf("<main");
  if (bodyStart < 0) return out;
  const body = out.slice(bodyStart).replace(/<a href="([^"]*)"([^>]*)>/g, (anchor, href: string, rest: string) => {
    const target = linkTarget(page, href);
    if (target === undefined) return anchor;
    if (!kept.has(target)) return `<a data-not-in-review${rest} title="not part of this review">`;
    return target === REVIEW_OVERVIEW ? `<a href="${relativeLink(page, target)}"${rest}>` : anchor;
  });
  return out.slice(0, bodyStart) + body;
}

/**
 * The built site's files as a review carries them: data (snapshots/) left out, the overview
 * (index.html) as overview.html, and only the review's pages, each rewritten by reviewPageHtml
 * (marked as a review's, its clock stopped at `dataTakenAt`). Scripts and styles are read from
 * the site when the review is written; the pages are made here. `chosen` are the notebooks'
 * built paths ("pages/notebooks/gain-scan.html").
 */
export function reviewSiteEntries(siteDir: string, chosen: readonly string[], dataTakenAt: number): ArchiveEntry[] {
  const kept = keptPages(chosen);
  const entries: ArchiveEntry[] = [];
  const walk = (under: string): void => {
    for (const name of readdirSync(join(siteDir, under)).sort()) {
      const path = under ? `${under}/${name}` : name;
      if (!under && name === "snapshots") continue;
      const full = join(siteDir, path);
      const stat = statSync(full);
      if (stat.isDirectory()) walk(path);
      else if (!isSitePage(path)) entries.push({ path, file: full, bytes: stat.size, mtimeMs: stat.mtimeMs });
      else {
        const asReviewed = path === "index.html" ? REVIEW_OVERVIEW : path;
        if (kept.has(asReviewed))
          entries.push({ path: asReviewed, text: reviewPageHtml(readFileSync(full, "utf8"), asReviewed, kept, dataTakenAt) });
      }
    }
  };
  walk("");
  return entries;
}

/** The pages a review keeps, as the built site names them (its index.html is the overview). */
function keptPages(chosen: readonly string[]): Set<string> {
  return new Set([...REVIEW_PAGES, ...chosen]);
}
