// A flapping channel (a reading crossing a limit ten times a second) would write its every
// change to the history and to every contact point. Each alarm's changes are recorded up to a
// limit per minute; the rest are counted, and the next recorded change says how many were not
// (Phoebus's annunciator and ISA-18.2's "chattering alarm" handling do the same in spirit).
export const FLAP_LIMIT_PER_MINUTE = 30;
const MINUTE = 60_000;

export class FlapLimit {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(private readonly perMinute = FLAP_LIMIT_PER_MINUTE) {}

  /** Whether a change of `id` at `at` is recorded, and how many before it were not. */
  admit(id: string, at: number): { record: boolean; notRecorded: number } {
    let w = this.windows.get(id);
    let notRecorded = 0;
    if (!w || at - w.start >= MINUTE) {
      notRecorded = w?.suppressed ?? 0;
      w = { start: at, count: 0, suppressed: 0 };
      this.windows.set(id, w);
    }
    if (w.count >= this.perMinute) {
      w.suppressed++;
      return { record: false, notRecorded: 0 };
    }
    w.count++;
    // Bounded: windows of alarms quiet for a minute are of no use.
    if (this.windows.size > 20_000) for (const [key, old] of this.windows) if (at - old.start >= MINUTE) this.windows.delete(key);
    return { record: true, notRecorded };
  }
}
