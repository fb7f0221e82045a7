// Flags on runs drawn across a time axis (widgets, the Runs page): bad spans red, reviewed runs a
// faint green, each with its note as the tooltip.
import * as Plot from "@observablehq/plot";

/** A standing flag's span on a time axis. */
export interface FlagBand {
  from: number;
  to: number;
  verdict: "bad" | "reviewed";
  run: number;
  note: string;
}

/**
 * Flags as bands across a time axis: bad spans red, reviewed runs a faint green, each with its
 * note as the tooltip. Clipped to the window.
 */
export function flagMarks(flags: readonly FlagBand[], from: number, to: number): Plot.Markish[] {
  // Overlapping the window, not just touching it: a whole-run flag on the run before ends where
  // this one starts, and would draw as an empty band at the edge.
  const shown = flags
    .filter((f) => f.to > from && f.from < to)
    .map((f) => ({ ...f, x1: new Date(Math.max(f.from, from)), x2: new Date(Math.min(f.to, to)) }));
  if (shown.length === 0) return [];
  return [
    Plot.rectX(shown, {
      x1: "x1",
      x2: "x2",
      fill: (f: FlagBand) => (f.verdict === "bad" ? "#dc2626" : "#16a34a"),
      fillOpacity: (f: FlagBand) => (f.verdict === "bad" ? 0.16 : 0.06),
      title: (f: FlagBand) => `run ${f.run} flagged ${f.verdict}: ${f.note}`,
      className: "flag-bands",
    }),
  ];
}
