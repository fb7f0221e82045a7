// User Timing measures that the benchmarks read (bench/browser.ts: DuckDB-WASM's start, each
// query, each widget's drawing, each raster paint). A browser keeps every measure until it is
// cleared, and a wall screen draws at 10 Hz for days: each name keeps its latest thousand.
const KEPT = 1000;
const counts = new Map<string, number>();

/** Measures from `start` (a performance.now()) to now under `name`. */
export function measureSince(name: string, start: number): void {
  performance.measure(name, { start });
  const n = (counts.get(name) ?? 0) + 1;
  if (n <= KEPT) return void counts.set(name, n);
  performance.clearMeasures(name);
  counts.set(name, 0);
}
