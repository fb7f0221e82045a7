import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lockfileProblems } from "../../scripts/check-lockfile.js";

const manifest = { dependencies: { duck: "^1.0.0" } };
const root = { dependencies: { duck: "^1.0.0" } };

describe("the lock file check (npm ci)", () => {
  it("names an optional platform build the lock file lacks", () => {
    const lock = {
      packages: {
        "": root,
        "node_modules/duck": {
          version: "1.0.0",
          optionalDependencies: { "duck-darwin-arm64": "1.0.0", "duck-linux-x64": "1.0.0" },
        },
        "node_modules/duck-linux-x64": { version: "1.0.0" },
      },
    };
    assert.deepEqual(lockfileProblems(manifest, lock), [
      "node_modules/duck needs duck-darwin-arm64, which the lock file does not hold",
    ]);
  });

  it("resolves nested copies up the tree, skips optional peers, and compares package.json with the lock", () => {
    const lock = {
      packages: {
        "": { dependencies: { duck: "^2.0.0" } },
        "node_modules/duck": {
          version: "1.0.0",
          dependencies: { arrow: "1" },
          peerDependencies: { x: "1" },
          peerDependenciesMeta: { x: { optional: true } },
        },
        "node_modules/duck/node_modules/arrow": { version: "1.0.0", dependencies: { duck: "1" } },
      },
    };
    assert.deepEqual(lockfileProblems(manifest, lock), ["dependencies.duck: package.json says ^1.0.0, the lock file ^2.0.0"]);
  });
});
