// The README's example notebook is shipped as src/pages/notebooks/hv-of-one-module.md, so a
// browser test runs it: the two must say the same (only the import path differs, one folder deeper).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { projectRoot } from "../../loaders/paths.js";

describe("the README's example notebook", () => {
  it("is the shipped hv-of-one-module notebook, word for word", () => {
    const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
    const block = /````md\n(---\ntitle: HV of one module\n[\s\S]*?)````\n/.exec(readme)?.[1];
    assert.ok(block, "the README has the example");
    const shipped = readFileSync(join(projectRoot, "src/pages/notebooks/hv-of-one-module.md"), "utf8");
    assert.equal(shipped, block.replace('from "../components/notebook.js"', 'from "../../components/notebook.js"'));
  });
});
