// Runs that passed with no alarm, marked reviewed when the next run begins (the PMT monitor
// archived a scan by itself when the next scan started): only where a rule group asks for it
// (`autoReview`), only runs nobody has flagged, and on replicas only by the one that sends the
// alarm notices. The flag says why, and who may withdraw it reads that it was automatic.
import type { RunInfo } from "../../src/core/catalog.js";
import { quietBetween } from "../../src/core/alarm-spans.js";
import { standing } from "../../src/core/flags.js";
import type { FlagStore } from "../flags/flag-store.js";
import type { AlarmService } from "./alarm-service.js";
import type { AlarmStore } from "./alarm-store.js";

const CHECK_MS = 5000;

export interface RunReviewerDeps {
  runs: () => readonly RunInfo[];
  flags: FlagStore;
  alarms: AlarmService;
  store: AlarmStore;
  log: (line: string) => void;
}

/** Marks the run before a new one reviewed if none of the autoReview rules' alarms left OK in it. */
export async function reviewQuietRun(deps: RunReviewerDeps, ended: RunInfo, next: RunInfo): Promise<boolean> {
  if (!deps.alarms.reviewsRuns()) return false;
  if (standing(await deps.flags.flagsOf(ended.id)).length > 0) return false;
  const end = ended.stop ?? next.start;
  const events = await deps.store.history(ended.start - 86_400_000, end, 100_000);
  const watched = (id: string) => deps.alarms.ruleOf(id)?.autoReview ?? false;
  if (!quietBetween(events, ended.start, end, watched)) return false;
  await deps.flags.add(
    ended.id,
    {
      verdict: "reviewed",
      note: `No alarm of the rules that review runs during run ${ended.id}: marked reviewed when run ${next.id} began.`,
      proposedBy: "alarm rules (autoReview)",
    },
    "runboard",
  );
  deps.log(`run ${ended.id} marked reviewed: no alarm while it ran`);
  return true;
}

/** Watches for a new run; returns a stop function. */
export function startRunReviewer(deps: RunReviewerDeps): () => void {
  // The newest run when last looked; undefined before the first look, null when there was none.
  let newest: number | null | undefined;
  let busy = false;
  const check = async () => {
    if (busy || deps.store.leads?.() === false) return;
    const runs = [...deps.runs()].sort((a, b) => a.start - b.start || a.id - b.id);
    const last = runs.at(-1);
    const firstLook = newest === undefined;
    if ((last?.id ?? null) === newest) return;
    newest = last?.id ?? null;
    const ended = runs.at(-2);
    // Only a run that began while the server watched: no verdicts for the runs it found at start.
    if (firstLook || !last || !ended) return;
    busy = true;
    try {
      await reviewQuietRun(deps, ended, last);
    } catch (error) {
      deps.log(`reviewing run ${ended.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), CHECK_MS);
  timer.unref();
  void check();
  return () => clearInterval(timer);
}
