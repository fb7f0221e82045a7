// What a review keeps of the built site: where its links lead, and how a kept page's sidebar
// and text lose the links to pages the review leaves out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REVIEW_OVERVIEW, REVIEW_PAGES, linkTarget, reviewPageHtml } from "../../loaders/review-site.js";
import { REVIEW_MARKER, reviewClockMeta } from "../../src/components/site-mode.js";

const TAKEN = Date.parse("2026-12-01T06:00:00Z");

describe("linkTarget", () => {
  it("resolves a page's links to the site's pages, the overview to overview.html", () => {
    assert.equal(linkTarget("pages/notebooks/gain-scan.html", "../../"), REVIEW_OVERVIEW);
    assert.equal(linkTarget("pages/notebooks/gain-scan.html", "../runs.html"), "pages/runs.html");
    assert.equal(linkTarget("pages/notebooks/gain-scan.html", "./beamline-scan.html"), "pages/notebooks/beamline-scan.html");
    assert.equal(linkTarget("overview.html", "./pages/dashboard?x=1#top"), undefined, "not a built page's name");
    assert.equal(linkTarget("overview.html", "./pages/dashboard.html?id=a"), "pages/dashboard.html");
    assert.equal(linkTarget("pages/runs.html", "../"), REVIEW_OVERVIEW);
  });
  it("leaves alone what is not a page of the site", () => {
    for (const href of [
      "https://example.org/",
      "//cdn/x.js",
      "#section",
      "/api/runs",
      "mailto:a@b",
      "../snapshots/x.json",
      "../../../up.html",
    ])
      assert.equal(linkTarget("pages/runs.html", href), undefined, href);
  });
});

const page = (sidebar: string, main: string) => `<!DOCTYPE html>
<html><head>
<title>t</title></head><body>
<nav id="observablehq-sidebar">
  <ol>
    <li class="observablehq-link"><a href="../../">runboard</a></li>
  </ol>
${sidebar}</nav>
<main id="observablehq-main">${main}</main></body></html>`;

describe("reviewPageHtml", () => {
  const notebook = "pages/notebooks/gain-scan.html";
  const kept = new Set([...REVIEW_PAGES, notebook]);
  const html = page(
    `  <ol>
    <li class="observablehq-link"><a href="../../">Overview</a></li>
    <li class="observablehq-link"><a href="../runs.html">Runs</a></li>
    <li class="observablehq-link"><a href="../dashboard.html">Dashboard editor</a></li>
    <li class="observablehq-link"><a href="../admin.html">Admin</a></li>
  </ol>
  <details open>
    <summary>Notebooks</summary>
    <ol>
    <li class="observablehq-link"><a href="./beamline-scan.html">Beamline scan</a></li>
    <li class="observablehq-link observablehq-link-active"><a href="./gain-scan.html">Gain scan check</a></li>
    </ol>
  </details>
  <details>
    <summary>Operations</summary>
    <ol>
    <li class="observablehq-link"><a href="../admin.html">Tokens</a></li>
    </ol>
  </details>
`,
    `<p>See <a href="../admin.html">the admin page</a>, <a href="../../">the overview</a>, <a href="https://example.org/">elsewhere</a>.</p>`,
  );
  const out = reviewPageHtml(html, notebook, kept, TAKEN);
  const sidebar = out.slice(out.indexOf("<nav"), out.indexOf("</nav>"));
  const links = [...sidebar.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[2], m[1]]);

  it("offers in the sidebar only the kept pages, the overview as overview.html, the title as the front page", () => {
    assert.deepEqual(links, [
      ["runboard", "../../"],
      ["Overview", "../../overview.html"],
      ["Runs", "../runs.html"],
      ["Gain scan check", "./gain-scan.html"],
    ]);
    assert.ok(!sidebar.includes("Operations"), "a section left empty goes with its pages");
    assert.ok(sidebar.includes("Notebooks"));
  });
  it("keeps the text of a link to a page left out, marks the page as a review's, and leaves other links alone", () => {
    assert.match(out, /<a data-not-in-review title="not part of this review">the admin page<\/a>/);
    assert.match(out, /<a href="..\/..\/overview.html">the overview<\/a>/);
    assert.match(out, /<a href="https:\/\/example.org\/">elsewhere<\/a>/);
    assert.ok(out.startsWith(`<!DOCTYPE html>\n<html><head>\n${REVIEW_MARKER}\n${reviewClockMeta(TAKEN)}`));
    assert.equal(reviewPageHtml(out, notebook, kept, TAKEN), out, "trimming twice changes nothing");
  });
});
