// Playlists on a real server: saved with field-named errors, revisions that refuse a save over
// someone else's, tags expanded into the dashboards that carry them, and the player's page.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../server/config.js";
import { type RunningServer, startServer } from "../../server/main.js";

const TOKEN = "playlist-test-token-0123456789abcdefgh";
const dataDir = mkdtempSync(join(tmpdir(), "runboard-playlists-"));
let server: RunningServer;

const call = (path: string, method = "GET", body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async <T>(response: Response) => (await response.json()) as T;

async function dashboard(title: string, tags?: string[]): Promise<string> {
  const doc = { schemaVersion: 3, title, ...(tags ? { tags } : {}), elements: {}, layout: { items: [], rows: [], tabs: [] } };
  const made = await call("/api/dashboards", "POST", doc);
  assert.equal(made.status, 201, await made.clone().text());
  return (await json<{ id: string }>(made)).id;
}

describe("playlists", () => {
  before(async () => {
    const env = { PORT: "0", RUNBOARD_DATA_DIR: dataDir, RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN };
    server = await startServer(loadConfig({ ...env, RUNBOARD_SNAPSHOT_DIR: join(dataDir, "snapshots") }), () => undefined);
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("saves a playlist, refuses bad fields by name and a stale save, and expands tags", async () => {
    const trigger = await dashboard("Trigger");
    const west = await dashboard("HV west", ["hv"]);
    const east = await dashboard("HV east", ["hv", "night"]);
    const bad = await call("/api/playlists", "POST", { title: "x", interval: 1, items: [{ tag: "hv", window: "forever" }] });
    assert.equal(bad.status, 400);
    const fields = (await json<{ errors: { field: string }[] }>(bad)).errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ["interval", "items[0].window"]);
    assert.equal((await call("/api/playlists")).status, 200);

    const body = {
      title: "Control room",
      interval: "30s",
      items: [
        { dashboard: trigger, run: "latest" },
        { tag: "hv", window: "6h" },
        { dashboard: trigger, window: "night" },
      ],
    };
    const made = await call("/api/playlists", "POST", body);
    assert.equal(made.status, 201);
    const { id, revision } = await json<{ id: string; revision: number }>(made);
    const steps = await json<{ interval: number; steps: { dashboard: string; window?: string }[] }>(
      await call(`/api/playlists/${id}/steps`),
    );
    assert.equal(steps.interval, 30);
    assert.deepEqual(
      steps.steps.map((s) => s.dashboard),
      [trigger, east, west, trigger],
    );

    const saved = await call(
      `/api/playlists/${id}`,
      "PUT",
      { ...body, title: "Control room B" },
      { "If-Match": `"${revision}"` },
    );
    assert.equal(saved.status, 200);
    const stale = await call(
      `/api/playlists/${id}`,
      "PUT",
      { ...body, title: "Old tab's save" },
      { "If-Match": `"${revision}"` },
    );
    assert.equal(stale.status, 409);
    assert.equal(
      (await json<{ playlist: { title: string } }>(await call(`/api/playlists/${id}`))).playlist.title,
      "Control room B",
    );

    assert.equal((await call(`/api/playlists/${id}`, "DELETE")).status, 200);
    assert.equal((await call(`/api/playlists/${id}/steps`)).status, 404);
  });
});
