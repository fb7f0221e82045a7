// A chart's value axis follows the data, never the healthy range: a range of 900-1300 V drawn
// around readings that vary by 0.5 V flattens exactly the variation a shifter looks for. The
// healthy range is drawn as a band, clipped to what the axis shows.

/** The data's extent with a little room, or undefined when there is nothing finite to show. */
export function valueDomain(values: ArrayLike<number>, pad = 0.05): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return undefined;
  // A flat line still needs a span: a little around its value.
  const span = hi > lo ? hi - lo : Math.abs(lo) > 0 ? Math.abs(lo) * 0.01 : 1;
  return [lo - span * pad - (hi > lo ? 0 : span), hi + span * pad + (hi > lo ? 0 : span)];
}

/** The part of the healthy range inside the axis, if any. */
export function healthyBand(domain: [number, number], healthy: { min: number; max: number } | undefined) {
  if (!healthy) return undefined;
  const y1 = Math.max(domain[0], healthy.min);
  const y2 = Math.min(domain[1], healthy.max);
  return y1 < y2 ? { y1, y2 } : undefined;
}
