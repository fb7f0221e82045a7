// Colour for dense marks (raster cells, image pixels, table cells). Pure: value in, RGB out, so
// the canvas renderers and their tests agree on what a shifter sees.
//
// Values use a perceptually ordered ramp (dark blue -> green -> yellow, after viridis, which
// reads in grey and for the colour-blind). Health uses its own colours, never on the ramp:
// below the healthy range is magenta, above is red, so a dead pixel cannot be mistaken for a
// low but healthy one.

export type Rgb = readonly [number, number, number];

const RAMP: readonly Rgb[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

export const BELOW_RANGE: Rgb = [220, 40, 200];
export const ABOVE_RANGE: Rgb = [230, 30, 30];
export const NO_DATA: Rgb = [128, 128, 128];

/** The ramp at f in [0, 1] (clamped), linearly between its stops. */
export function ramp(f: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  const u = x - i;
  return [Math.round(a[0] + (b[0] - a[0]) * u), Math.round(a[1] + (b[1] - a[1]) * u), Math.round(a[2] + (b[2] - a[2]) * u)];
}

export type ScaleMode = "linear" | "log";

/**
 * Maps a value to [0, 1] over `domain`; NaN for values a log scale cannot show (<= 0) and for
 * missing ones. A flat domain maps everything to the middle.
 */
export function scaleFraction(domain: readonly [number, number], mode: ScaleMode = "linear"): (v: number) => number {
  if (mode === "log") {
    const lo = Math.log10(Math.max(domain[0], Number.MIN_VALUE));
    const hi = Math.log10(Math.max(domain[1], Number.MIN_VALUE));
    return (v) => (v > 0 && Number.isFinite(v) ? (hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 0.5) : Number.NaN);
  }
  const [lo, hi] = domain;
  return (v) => (Number.isFinite(v) ? (hi > lo ? (v - lo) / (hi - lo) : 0.5) : Number.NaN);
}

/** A log scale's domain: the smallest and largest positive values (undefined when none are). */
export function positiveExtent(values: ArrayLike<number>): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v > 0) || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
}

export type Health = "ok" | "below" | "above" | "missing";

export function healthOf(value: number, range: { min: number; max: number } | undefined): Health {
  if (!Number.isFinite(value)) return "missing";
  if (!range) return "ok";
  return value < range.min ? "below" : value > range.max ? "above" : "ok";
}

/** A cell's colour: health colours outside the range, the ramp inside it. */
export function cellColor(value: number, fraction: (v: number) => number, range: { min: number; max: number } | undefined): Rgb {
  const health = healthOf(value, range);
  if (health === "missing") return NO_DATA;
  if (health === "below") return BELOW_RANGE;
  if (health === "above") return ABOVE_RANGE;
  const f = fraction(value);
  return Number.isNaN(f) ? NO_DATA : ramp(f);
}

export const cssColor = (c: Rgb) => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

/**
 * The span a ramp should cover: the 1st to 99th percentile of the healthy values (inside
 * `range`, when there is one), so the ramp shows how healthy channels differ and one outlier
 * does not flatten it (outliers have their own colours, see cellColor).
 */
export function robustExtent(values: ArrayLike<number>, range?: { min: number; max: number }): [number, number] | undefined {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (!range || (v >= range.min && v <= range.max))) kept.push(v);
  }
  if (kept.length === 0) return range ? [range.min, range.max] : undefined;
  kept.sort((a, b) => a - b);
  const at = (q: number) => kept[Math.min(kept.length - 1, Math.max(0, Math.round(q * (kept.length - 1))))]!;
  const lo = at(0.01);
  const hi = at(0.99);
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}
