import { writeFileSync, unlinkSync } from "node:fs";
import { loadConfig } from "./server/config.js";
import { startServer } from "./server/main.js";
const TOKEN = "disk-test-token-0123456789";
const server = await startServer(loadConfig({ PORT: "0", RUNBOARD_DATA_DIR: "/tmp/rb-full/data", RUNBOARD_SNAPSHOT_DIR: "/tmp/rb-snap", RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN, RUNBOARD_REFRESH_SECONDS: "0" }), (l) => console.log("LOG", l.slice(0, 200)));
const post = (body: unknown) => fetch(`${server.url}/api/ingest`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
const now = Date.now();
console.log((await post({ runs: [{ id: 1, start: now - 1000 }], observables: [{ name: "x.y", shape: "1d", dims: [2000] }] })).status);
// fill the disk with a file
try { writeFileSync("/tmp/rb-full/filler", Buffer.alloc(38 * 1024 * 1024)); } catch (e) { console.log("filler", (e as Error).message); }
let seq = 0;
for (let i = 0; i < 20; i++) {
  const r = await post({ source: "d", sequence: ++seq, readings: Array.from({ length: 200 }, (_, k) => ({ observable: "x.y", run: 1, t: now, value: Array.from({ length: 2000 }, () => Math.random()) })) });
  console.log(i, r.status, (await r.text()).slice(0, 200));
  if (r.status !== 200) break;
}
unlinkSync("/tmp/rb-full/filler");
for (let i = 0; i < 3; i++) {
  const r = await post({ source: "d", sequence: ++seq, readings: [{ observable: "x.y", run: 1, t: now, value: Array.from({ length: 2000 }, () => 1) }] });
  console.log("after", i, r.status, (await r.text()).slice(0, 300));
}
const h = await (await fetch(`${server.url}/api/health`)).json();
console.log(h);
await server.close();
const again = await startServer(loadConfig({ PORT: "0", RUNBOARD_DATA_DIR: "/tmp/rb-full/data", RUNBOARD_SNAPSHOT_DIR: "/tmp/rb-snap", RUNBOARD_SIMULATOR: "off", RUNBOARD_INGEST_TOKEN: TOKEN, RUNBOARD_REFRESH_SECONDS: "0" }), () => undefined);
console.log("restarted", await (await fetch(`${again.url}/api/health`)).json());
await again.close();
