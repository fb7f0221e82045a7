// What changed between two revisions, in words (src/core/dashboard-diff.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  addWidget,
  applyPositions,
  type Dashboard,
  parseDashboard,
  removeWidget,
  type Widget,
} from "../../src/core/dashboard.js";
import { describeChanges, diffDashboards } from "../../src/core/dashboard-diff.js";
import { projectRoot } from "../../loaders/paths.js";

const overview = (): Dashboard => {
  const parsed = parseDashboard(JSON.parse(readFileSync(join(projectRoot, "layouts", "camera-overview.json"), "utf8")));
  assert.ok(parsed.ok);
  return parsed.value;
};

describe("revision diffs", () => {
  it("says there was no change when there was none", () => {
    assert.deepEqual(diffDashboards(overview(), overview()), []);
    assert.equal(describeChanges([]), "no change");
  });

  it("names widgets added, removed, moved, resized and changed, and the dashboard's own settings", () => {
    const before = overview();
    const [first, second] = before.layout.items;
    let after: Dashboard = {
      ...before,
      title: "Night shift",
      window: { kind: "relative", seconds: 6 * 3600 },
      runSelection: { mode: "run", run: 42 },
    };
    [after] = addWidget(after, {
      kind: "stat",
      title: "Humidity now",
      series: [{ observable: "camera.humidity", channel: 0 }],
    } as Widget);
    after = removeWidget(after, second!.element);
    after = applyPositions(
      after,
      after.layout.items.map((i) => (i.element === first!.element ? { ...i, x: i.x + 1, w: i.w - 1 } : i)),
    );
    const title = before.elements[first!.element]!.title;
    after = {
      ...after,
      elements: { ...after.elements, [first!.element]: { ...after.elements[first!.element]!, thresholds: { min: 1, max: 2 } } },
    };
    const changes = diffDashboards(before, after);
    assert.deepEqual(
      changes.map((c) => c.kind),
      ["title", "window", "runs", "changed", "moved", "resized", "added", "removed"],
    );
    const words = describeChanges(changes);
    assert.match(words, /^renamed the dashboard from "Camera overview" to "Night shift"/);
    assert.match(words, /showed the last 6h instead of the last 1h/);
    assert.match(words, /followed run 42 instead of the newest run/);
    assert.match(words, new RegExp(`changed the thresholds of "${title}"`));
    assert.match(
      words,
      new RegExp(`moved "${title}" from column ${first!.x + 1}, row ${first!.y + 1} to column ${first!.x + 2}`),
    );
    assert.match(words, new RegExp(`resized "${title}" from ${first!.w}x${first!.h} to ${first!.w - 1}x${first!.h}`));
    assert.match(words, /; and removed "/);
    assert.match(words, /added "Humidity now" \(stat\)/);
  });
});
