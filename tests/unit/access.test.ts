// The permission rules pages and the API share (src/core/access.ts), written out case by case.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DashboardAccess, dashboardRight, LEGACY_DASHBOARD_ACCESS, maySite, type Principal } from "../../src/core/access.js";

const user = (name: string, role: Principal["role"]): Principal => ({ name, role, via: "session" });
const [admin, owner, editor, viewer] = [user("ada", "admin"), user("eve", "editor"), user("ed", "editor"), user("vic", "viewer")];

describe("who may do what", () => {
  it("gives a dashboard's owner and admins everything, others what it is shared as, capped by their role", () => {
    const cases: [DashboardAccess, (string | null)[]][] = [
      // [access, rights of ada, eve, ed, vic]
      [{ owner: "eve", site: "none", users: {} }, ["share", "share", null, null]],
      [{ owner: "eve", site: "viewer", users: {} }, ["share", "share", "view", "view"]],
      [{ owner: "eve", site: "editor", users: {} }, ["share", "share", "edit", "view"]],
      [{ owner: "eve", site: "none", users: { ed: "editor", vic: "editor" } }, ["share", "share", "edit", "view"]],
      [{ owner: "eve", site: "editor", users: { ed: "viewer" } }, ["share", "share", "edit", "view"]],
      [LEGACY_DASHBOARD_ACCESS, ["share", "edit", "edit", "view"]],
    ];
    for (const [access, rights] of cases) {
      assert.deepEqual(
        [admin, owner, editor, viewer].map((who) => dashboardRight(who, access)),
        rights,
        JSON.stringify(access),
      );
    }
  });

  it("keeps users and tokens for admins, dashboards for editors, reading for all", () => {
    assert.deepEqual(
      [admin, owner, viewer].map((who) => [maySite(who, "read"), maySite(who, "create-dashboard"), maySite(who, "manage-users")]),
      [
        [true, true, true],
        [true, true, false],
        [true, false, false],
      ],
    );
  });
});
