import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { OWN_PAGES, arrangePages, pageTitle, readPages } from "../../loaders/site-pages.js";
import { projectRoot } from "../../loaders/paths.js";

describe("the sidebar finds notebooks", () => {
  it("names a page by its title, its first heading, or its file", () => {
    assert.equal(pageTitle("---\ntitle: Gain scan\ntoc: false\n---\n# Other", "x"), "Gain scan");
    assert.equal(pageTitle('---\ntitle: "Night of the 10th"\n---\n', "x"), "Night of the 10th");
    assert.equal(pageTitle("Some words\n\n# Beamline scan\n", "x"), "Beamline scan");
    // A heading made by a cell is not a name.
    assert.equal(pageTitle("# ${headline}\n", "run-comparison"), "Run comparison");
  });

  it("puts runboard's pages first, then loose notebooks, then a section per folder", () => {
    const pages = arrangePages([
      { path: "index", text: "# runboard" },
      { path: "pages/runs", text: "# Runs" },
      { path: "pages/zeta", text: "# Zeta study" },
      { path: "pages/alpha", text: "---\ntitle: Alpha scan\n---" },
      { path: "pages/camera/night", text: "# The camera's night" },
      { path: "pages/camera/index", text: "# Camera" },
      // The shipped notebooks' folder and a page a physicist adds share one "Notebooks" section.
      { path: "pages/notebooks/gain-scan", text: "# Gain scan" },
      { path: "components/notes", text: "# not a page of the sidebar" },
    ]);
    assert.deepEqual(pages.slice(0, OWN_PAGES.length), OWN_PAGES);
    assert.deepEqual(pages.slice(OWN_PAGES.length), [
      {
        name: "Notebooks",
        open: true,
        pages: [
          { name: "Alpha scan", path: "/pages/alpha" },
          { name: "Gain scan", path: "/pages/notebooks/gain-scan" },
          { name: "Zeta study", path: "/pages/zeta" },
        ],
      },
      {
        name: "Camera",
        open: true,
        pages: [
          { name: "Camera", path: "/pages/camera/" },
          { name: "The camera's night", path: "/pages/camera/night" },
        ],
      },
    ]);
  });

  it("lists every page of this project, the shipped ones among them", () => {
    const found = readPages(join(projectRoot, "src")).map((p) => p.path);
    for (const own of ["index", "pages/runs", "pages/dashboard", "pages/dashboards", "pages/admin"])
      assert.ok(found.includes(own), own);
  });
});
