// A deterministic demo experiment: a Cherenkov-telescope-like camera of 1855 pixels in 265
// modules, its trigger, a PMT waveform and a hit map. Every value is a pure function of
// (seed, observable, channel, time), so a backfill and a live feed over the same span agree,
// and tests can predict what they will see.
//
// Runs are 20 minutes long and aligned to the clock; readings come at each observable's cadence.
import { SIMULATOR_SOURCE } from "../../src/core/origins.js";
import type { ObservableInfo } from "../../src/core/catalog.js";

export const PIXELS = 1855;
export const MODULES = 265;
export const RUN_MS = 20 * 60 * 1000;
const RUN_EPOCH = Date.UTC(2026, 0, 1);
const WAVEFORM_SAMPLES = 64;
const HITMAP_SIZE = 24;

export const SIMULATED_OBSERVABLES: ObservableInfo[] = [
  {
    name: "trigger.rate",
    unit: "Hz",
    shape: "scalar",
    channels: 1,
    dims: [],
    description: "Camera trigger rate",
    healthy: { min: 100, max: 2000 },
  },
  {
    name: "camera.humidity",
    unit: "%",
    shape: "scalar",
    channels: 1,
    dims: [],
    description: "Relative humidity inside the camera",
    healthy: { min: 0, max: 60 },
  },
  {
    name: "camera.temperature",
    unit: "°C",
    shape: "scalar",
    channels: MODULES,
    dims: [],
    description: "Temperature of each camera module",
    healthy: { min: 15, max: 35 },
  },
  {
    name: "camera.hv",
    unit: "V",
    shape: "scalar",
    channels: PIXELS,
    dims: [],
    description: "High voltage of each pixel",
    healthy: { min: 900, max: 1300 },
    // The camera is built of modules of 7 pixels: a module is how a shifter names a fault.
    groups: { name: "module", size: PIXELS / MODULES },
  },
  {
    name: "camera.anode_current",
    unit: "µA",
    shape: "scalar",
    channels: PIXELS,
    dims: [],
    description: "Anode current of each pixel",
    healthy: { min: 0, max: 100 },
    // The camera is built of modules of 7 pixels: a module is how a shifter names a fault.
    groups: { name: "module", size: PIXELS / MODULES },
  },
  {
    name: "pmt.waveform",
    unit: "mV",
    shape: "1d",
    channels: 1,
    dims: [WAVEFORM_SAMPLES],
    description: "Sampled waveform of the reference PMT",
  },
  {
    name: "camera.hitmap",
    unit: "counts",
    shape: "2d",
    channels: 1,
    dims: [HITMAP_SIZE, HITMAP_SIZE],
    description: "Accumulated hits per camera region",
  },
];

/** Seconds between readings, per observable. */
const CADENCE_S: Record<string, number> = {
  "trigger.rate": 1,
  "camera.humidity": 1,
  "camera.temperature": 10,
  "camera.hv": 30,
  "camera.anode_current": 30,
  "pmt.waveform": 5,
  "camera.hitmap": 30,
};

export function runAt(t: number): { id: number; start: number; stop: number } {
  const index = Math.floor((t - RUN_EPOCH) / RUN_MS);
  const start = RUN_EPOCH + index * RUN_MS;
  return { id: 1000 + index, start, stop: start + RUN_MS };
}

/** A uniform number in [0, 1) from four integers (a small integer hash, not crypto). */
export function uniform(seed: number, a: number, b: number, c: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const k of [a, b, c]) {
    h = Math.imul(h ^ (k >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h / 4294967296;
}

/** Roughly normal noise (Irwin-Hall of 3), mean 0, sd 1. */
export function gauss(seed: number, a: number, b: number, c: number): number {
  return (uniform(seed, a, b, c) + uniform(seed + 1, a, b, c) + uniform(seed + 2, a, b, c) - 1.5) * 2;
}

export const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;
const DAY_S = 86400;

export interface SimulatedBatch {
  /** Its road (src/core/origins.ts); the sequence is the span's end, so a span is stored once. */
  source: typeof SIMULATOR_SOURCE;
  sequence: number;
  runs: { id: number; start: number; stop: number | null; meta: Record<string, unknown> }[];
  observables: ObservableInfo[];
  readings: { observable: string; run: number; t: number; value?: number | number[] | number[][]; values?: number[] }[];
}

/**
 * Everything the experiment produced in (from, to], in the ingest format.
 * `now` decides whether the run containing `to` is still running (no stop time yet).
 */
export function simulate(seed: number, from: number, to: number, now = to): SimulatedBatch {
  const readings: SimulatedBatch["readings"] = [];
  const runIds = new Set<number>();
  SIMULATED_OBSERVABLES.forEach((info, index) => {
    const stepMs = CADENCE_S[info.name]! * 1000;
    for (let t = Math.floor(from / stepMs) * stepMs + stepMs; t <= to; t += stepMs) {
      const tick = t / stepMs;
      const run = runAt(t).id;
      runIds.add(run);
      const key = seed + index * 7919;
      if (info.channels > 1) {
        const values = new Array<number>(info.channels);
        for (let ch = 0; ch < info.channels; ch++) values[ch] = channelValue(info.name, key, ch, tick, t);
        readings.push({ observable: info.name, run, t, values });
      } else if (info.shape === "scalar") {
        readings.push({ observable: info.name, run, t, value: channelValue(info.name, key, 0, tick, t) });
      } else if (info.shape === "1d") {
        readings.push({ observable: info.name, run, t, value: waveform(key, tick) });
      } else {
        readings.push({ observable: info.name, run, t, value: hitmap(key, tick) });
      }
    }
  });
  // The runs at both ends too, so a batch that crosses a run boundary also stops the old run.
  runIds.add(runAt(from + 1).id);
  runIds.add(runAt(to).id);
  const runs = [...runIds]
    .sort((a, b) => a - b)
    .map((id) => {
      const start = RUN_EPOCH + (id - 1000) * RUN_MS;
      const stop = start + RUN_MS <= now ? start + RUN_MS : null;
      return { id, start, stop, meta: { source: "simulator", seed } };
    });
  return { source: SIMULATOR_SOURCE, sequence: Math.round(to), runs, observables: SIMULATED_OBSERVABLES, readings };
}

function channelValue(name: string, key: number, ch: number, tick: number, t: number): number {
  const dayPhase = (2 * Math.PI * ((t / 1000) % DAY_S)) / DAY_S;
  const offset = gauss(key, ch, 0, 0);
  const noise = gauss(key, ch, tick, 1);
  switch (name) {
    case "trigger.rate":
      // Night-sky background drifts over the day; rare bursts (car headlights, lightning).
      return round(600 + 150 * Math.sin(dayPhase) + 25 * noise + (uniform(key, ch, tick, 2) < 0.002 ? 2500 : 0), 1);
    case "camera.humidity":
      return round(32 + 6 * Math.sin(dayPhase + 1) + 0.4 * noise, 2);
    case "camera.temperature":
      return round(24 + 1.5 * offset + 4 * Math.sin(dayPhase - 0.5) + 0.15 * noise, 2);
    case "camera.hv": {
      // A pixel trips now and then: its HV reads near zero for that reading.
      const tripped = uniform(key, ch, tick, 3) < 0.0005;
      return tripped ? round(5 * Math.abs(noise), 1) : round(1100 + 40 * offset + 0.8 * noise, 1);
    }
    case "camera.anode_current":
      return round(Math.max(0, 12 + 3 * offset + 6 * Math.sin(dayPhase) + 1.2 * noise), 2);
    default:
      return 0;
  }
}

function waveform(key: number, tick: number): number[] {
  const peak = 18 + Math.floor(uniform(key, 0, tick, 4) * 20);
  const amplitude = 40 + 30 * uniform(key, 1, tick, 4);
  const out = new Array<number>(WAVEFORM_SAMPLES);
  for (let i = 0; i < WAVEFORM_SAMPLES; i++) {
    const x = (i - peak) / 3;
    out[i] = round(amplitude * Math.exp(-0.5 * x * x) + 0.8 * gauss(key, i, tick, 5), 2);
  }
  return out;
}

function hitmap(key: number, tick: number): number[][] {
  const c = (HITMAP_SIZE - 1) / 2;
  const cx = c + 4 * (uniform(key, 2, tick, 6) - 0.5);
  const cy = c + 4 * (uniform(key, 3, tick, 6) - 0.5);
  const rows: number[][] = [];
  for (let r = 0; r < HITMAP_SIZE; r++) {
    const row = new Array<number>(HITMAP_SIZE);
    for (let col = 0; col < HITMAP_SIZE; col++) {
      const d2 = (r - cy) ** 2 + (col - cx) ** 2;
      row[col] = Math.round(200 * Math.exp(-d2 / 30) + 10 * uniform(key, r * HITMAP_SIZE + col, tick, 7));
    }
    rows.push(row);
  }
  return rows;
}
