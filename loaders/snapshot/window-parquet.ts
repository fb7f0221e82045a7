// One Parquet file of scalar readings for a time window, from any source: what a Framework
// data loader hands a page (src/data/recent.parquet.ts). Same staging path as the per-run
// snapshots, so the same de-duplication and odd-data rules apply.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReadingQuery, Source } from "../sources/source.js";
import { Staging } from "./staging.js";

export async function windowParquet(source: Source, query: ReadingQuery): Promise<{ bytes: Buffer; rows: number }> {
  const dir = mkdtempSync(join(tmpdir(), "runboard-window-"));
  const staging = await Staging.open(dir);
  try {
    // Scalars only, which staging takes without the catalog (it needs one for array shapes),
    // so no second catalog scan of the source here.
    const noCatalog = new Map();
    for await (const chunk of source.readings(query)) if (chunk.kind === "scalar") await staging.append(chunk, noCatalog);
    const { files } = await staging.write(dir, "window", []);
    const scalars = files.find((f) => f.kind === "scalar");
    // An empty window still gives a valid (empty) file, so the page's queries run.
    if (!scalars) return { bytes: await staging.emptyScalarParquet(join(dir, "empty.parquet")), rows: 0 };
    return { bytes: readFileSync(scalars.file), rows: scalars.rows };
  } finally {
    staging.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
