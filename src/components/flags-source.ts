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
  if (!response?.ok) return [];
  const index = (await response.json()) as { flags: RunFlag[]; complete?: boolean; runs?: Record<string, { path: string }> };
  if (index.complete !== false || !index.runs) return index.flags;
  // Many flags: flags.json holds the newest; every run's are in its own file.
  const perRun = await Promise.all(
    Object.values(index.runs).map(async ({ path }) => {
      const own = await fetch(new URL(path, snapshotBase)).catch(() => undefined);
      return own?.ok ? ((await own.json()) as { flags: RunFlag[] }).flags : [];
    }),
  );
  return perRun.flat();
}
