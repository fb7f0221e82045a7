// Finding 1 of the second round of hostile probes, in the browser: array runs that once never
// got a snapshot (16 MB of waveforms, 26 MB of camera images, 8000 waveforms of 2048 samples)
// are snapshotted, in several array files each, and a dashboard draws them from those files.
// The runs are a year old, so no other test's window or "newest run" sees them.
import { BINARY_BATCH_CONTENT_TYPE, encodeBinaryBatch } from "../../src/core/ingest-binary.js";
import { INGEST_TOKEN, expect, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };
const YEAR_AGO = Date.now() - 365 * 24 * 3_600_000;

test("array runs of 16 MB, 26 MB and 8000x2048 are snapshotted and drawn from their files", async ({ page, request }) => {
  test.setTimeout(180_000);
  const ingest = async (data: unknown, binary?: Uint8Array) => {
    const res = await request.post("/api/ingest", {
      headers: { ...auth, ...(binary ? { "Content-Type": BINARY_BATCH_CONTENT_TYPE } : {}) },
      ...(binary ? { data: Buffer.from(binary) } : { data }),
    });
    expect(res.status(), await res.text()).toBe(200);
  };
  await ingest({
    runs: [101, 102, 103].map((id) => ({ id, start: YEAR_AGO, stop: YEAR_AGO + 3_000_000 })),
    observables: [
      { name: "volume.waveform", shape: "1d", dims: [2048], unit: "mV" },
      { name: "volume.image", shape: "2d", dims: [128, 128], unit: "counts" },
    ],
  });
  /** Reading k of a run holds k, k+1, ..., so its peak says which reading was drawn. */
  const send = async (run: number, observable: string, count: number, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const perBatch = Math.floor(3_000_000 / size);
    for (let from = 0; from < count; from += perBatch) {
      const n = Math.min(perBatch, count - from);
      const readings = Array.from({ length: n }, (_, i) => ({ observable, run, t: YEAR_AGO + 1000 + (from + i) * 100 }));
      const arrays = readings.map((_, i) => ({
        reading: i,
        key: "value" as const,
        values: Float64Array.from({ length: size }, (_, j) => from + i + j),
        shape,
      }));
      await ingest(undefined, encodeBinaryBatch({ readings }, arrays));
    }
  };
  await send(101, "volume.waveform", 1000, [2048]);
  await send(102, "volume.image", 200, [128, 128]);
  await send(103, "volume.waveform", 8000, [2048]);
  const refresh = await request.post("/api/snapshots/refresh", { headers: auth, data: { select: "runs:101-103" } });
  const outcome = (await refresh.json()) as { written: number[]; failed: unknown[] };
  expect(outcome.failed).toEqual([]);
  expect(outcome.written).toEqual([101, 102, 103]);
  const manifest = (await (await request.get("/snapshots/manifest.json")).json()) as {
    runs: { run: number; files: { kind: string }[] }[];
  };
  const arrayFiles = (run: number) => manifest.runs.find((r) => r.run === run)!.files.filter((f) => f.kind === "array").length;
  expect(arrayFiles(103)).toBeGreaterThan(1);

  const board = (run: number, element: Record<string, unknown>) =>
    request.post("/api/dashboards", {
      headers: auth,
      data: {
        schemaVersion: 3,
        title: `Run ${run}`,
        runSelection: { mode: "run", run },
        window: { kind: "runs" },
        refreshSeconds: -1,
        elements: { w: element },
        layout: { items: [{ element: "w", x: 0, y: 0, w: 12, h: 6 }] },
      },
    });
  const caption = (title: string) => page.getByRole("region", { name: title }).locator(".widget-caption");

  // The newest waveform of run 103 is reading 7999, in its last array file: its peak is 7999 + 2047.
  const waveforms = await board(103, {
    kind: "profile",
    title: "Big waveforms",
    series: [{ observable: "volume.waveform", channel: 0 }],
  });
  expect(waveforms.status()).toBe(201);
  await page.goto(`/d/${((await waveforms.json()) as { id: string }).id}`);
  await expect(caption("Big waveforms")).toContainText("peak 10046 mV at sample 2047");

  // Run 102's newest image is reading 199: row r, column c holds 199 + 128 r + c.
  expect(arrayFiles(102)).toBeGreaterThan(1);
  const images = await board(102, { kind: "image", title: "Big images", series: [{ observable: "volume.image", channel: 0 }] });
  expect(images.status()).toBe(201);
  await page.goto(`/d/${((await images.json()) as { id: string }).id}`);
  const image = page.getByRole("region", { name: "Big images" }).locator("canvas.image-canvas");
  await expect(image).toHaveAttribute("aria-label", /volume\.image 128×128/);
  const box = (await image.boundingBox())!;
  await image.hover({ position: { x: ((5 + 0.5) * box.width) / 128, y: ((3 + 0.5) * box.height) / 128 } });
  await expect(page.getByRole("region", { name: "Big images" }).locator(".image-readout")).toHaveText(
    `row 3, column 5: ${199 + 128 * 3 + 5} counts`,
  );
});
