// Where a page reads the runs' flags: the runboard server's /api/flags when it is served by one,
// else the snapshot's own flags.json (a published review, a static copy). Empty when neither has any.
import type { RunFlag } from "../core/flags.js";
import { isPublishedReview } from "./site-mode.js";

export async function loadRunFlags(snapshotBase: URL, api: URL | null): Promise<RunFlag[]> {
  if (api && !isPublishedReview()) {
    try {
      const response = await fetch(api);
      if (response.ok) return ((await response.json()) as { runs: { flags: RunFlag[] }[] }).runs.flatMap((r) => r.flags);
    } catch {
      // Not served by runboard: the snapshot's copy below.
    }
  }
  const response = await fetch(new URL("flags.json", snapshotBase)).catch(() => undefined);
  return response?.ok ? ((await response.json()) as { flags: RunFlag[] }).flags : [];
}
