// Playlists: the document with field-named errors, tags expanded into steps, a step's address.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expandItems, parsePlaylist, stepAddress } from "../../src/core/playlist.js";

describe("playlists", () => {
  it("takes the documented shape, an interval as seconds or a duration, and names every wrong field", () => {
    const ok = parsePlaylist({
      title: "Night",
      interval: "2m",
      items: [{ dashboard: "abc123" }, { tag: "hv", run: 1204, window: "6h" }],
    });
    assert.ok(ok.ok);
    assert.equal(ok.value.interval, 120);
    assert.equal(ok.value.schemaVersion, 1);
    const bad = parsePlaylist({
      title: "",
      interval: 2,
      items: [
        { dashboard: "abc123", tag: "hv" },
        { tag: "hv", run: "soon", window: "forever" },
      ],
      extra: 1,
    });
    assert.ok(!bad.ok);
    const fields = bad.errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ["(body)", "interval", "items[0].dashboard", "items[1].run", "items[1].window", "title"].sort());
    assert.ok(!parsePlaylist({ title: "x", interval: 30, items: [] }).ok, "no steps");
  });

  it("expands a tag into every dashboard with it, by title, and keeps a dashboard shown twice", () => {
    const dashboards = [
      { id: "d-hv-2", title: "HV west", tags: ["hv"] },
      { id: "d-hv-1", title: "HV east", tags: ["hv", "night"] },
      { id: "d-trig", title: "Trigger", tags: [] },
    ];
    const steps = expandItems(
      [
        { dashboard: "d-trig", run: "latest" },
        { tag: "hv", window: "6h" },
        { dashboard: "d-trig", window: "night" },
        { dashboard: "gone00" },
      ],
      dashboards,
    );
    assert.deepEqual(
      steps.map((s) => [s.dashboard, s.run ?? "", s.window ?? ""]),
      [
        ["d-trig", "latest", ""],
        ["d-hv-1", "", "6h"],
        ["d-hv-2", "", "6h"],
        ["d-trig", "", "night"],
      ],
    );
  });

  it("opens each step in kiosk, with its runs, window and place in the playlist", () => {
    assert.equal(
      stepAddress({ dashboard: "d-trig", title: "T", run: "last:3", window: "6h" }, "pl1234", 2, { fit: true }),
      "/d/d-trig?kiosk&fit&run=last%3A3&window=6h&playlist=pl1234&step=2",
    );
    assert.equal(
      stepAddress({ dashboard: "d-trig", title: "T" }, "pl1234", 0, { fit: false }),
      "/d/d-trig?kiosk&playlist=pl1234&step=0",
    );
  });
});
