// New dashboard ids are safe to type where they are used: in an address and on a command line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DASHBOARD_ID, newDashboardId } from "../../server/dashboards/dashboard-store.js";

describe("newDashboardId", () => {
  it("never begins with a dash or underscore, so `--dashboard <id>` is never read as an option", () => {
    // One base64url character in 32 is "-" or "_": 5000 ids would hold about 156 such starts.
    const ids = Array.from({ length: 5000 }, newDashboardId);
    for (const id of ids) {
      assert.match(id, DASHBOARD_ID);
      assert.match(id, /^[A-Za-z0-9]/, id);
    }
    assert.equal(new Set(ids).size, ids.length);
  });
});
