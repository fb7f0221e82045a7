// A demo beamline beside the camera: three stripe-alignment scans, as a bluesky RunEngine emits
// them (start, descriptor, one event per point, stop). A focused X-ray beam is stepped across a
// copper stripe on silicon; at each point an ion chamber reads the beam (I0), a fluorescence
// detector records its spectrum (`mca`, 128 channels of 0.1 keV), and `det` counts the Cu Kα
// region of that spectrum. Detector against motor shows the stripe; the spectra show why.
//
// The documents go through the same bluesky translation as `POST /api/ingest/bluesky`, so the
// demo's scans are stored exactly as a real beamline's would be. Every value is a pure function
// of (seed, scan, point); the times follow the `before` the caller gives.
import { gauss, round, uniform } from "./simulator.js";

/** The beamline's observables are named apart from the camera's: `beamline.det`, ... */
export const BEAMLINE_PREFIX = "beamline.";
export const MCA_CHANNELS = 128;
/** keV per MCA channel. */
export const MCA_KEV_PER_CHANNEL = 0.1;
/** The Cu Kα region of interest summed into `det`, as MCA channels [first, last]. */
export const CU_ROI: readonly [number, number] = [78, 83];

const POINT_S = 1.5;
const COUNT_S = 1;
const SCAN_GAP_MS = 20 * 60_000;

export interface ScanPlan {
  scanId: number;
  purpose: string;
  /** sample_x from, to (mm) and the number of points. */
  from: number;
  to: number;
  points: number;
  /** Where the stripe really is (mm), its width, and the beam's size (sigma, mm). */
  stripeCenter: number;
  stripeWidth: number;
  beamSigma: number;
  /** The point from which the beam is lost, and the point after which the scan is aborted. */
  beamLostAt?: number;
  abortAfter?: number;
}

/** The one sample every demo scan crosses: a copper stripe on silicon, and the beam's size. */
const SAMPLE = { stripeCenter: 0.12, stripeWidth: 0.8, beamSigma: 0.05 } as const;
/** The fine scans' range: the stripe's edges with margin. */
const FINE = { from: -0.9, to: 1.1, points: 81 } as const;

/** The demo's scans: a coarse one, a fine one, and a fine repeat the beam loss aborts. */
export const DEMO_SCANS: readonly ScanPlan[] = [
  { scanId: 41, purpose: "coarse stripe search", from: -2, to: 2, points: 41, ...SAMPLE },
  { scanId: 42, purpose: "fine stripe edges", ...FINE, ...SAMPLE },
  { scanId: 43, purpose: "fine stripe edges, repeat", ...FINE, ...SAMPLE, beamLostAt: 52, abortAfter: 56 },
];

export type BlueskyDocument = [name: string, doc: Record<string, unknown>];

/** erf, Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7): enough for a demo beam profile. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}

/** The fraction of a Gaussian beam at x that falls on the stripe. */
export function stripeCoverage(plan: ScanPlan, x: number): number {
  const s = Math.SQRT2 * plan.beamSigma;
  const half = plan.stripeWidth / 2;
  return 0.5 * (erf((x - plan.stripeCenter + half) / s) - erf((x - plan.stripeCenter - half) / s));
}

/** A counting measurement: mean `mean`, Poisson-like spread, whole and never negative. */
function counts(mean: number, key: number, a: number, b: number): number {
  return Math.max(0, Math.round(mean + Math.sqrt(Math.max(mean, 0)) * gauss(key, a, b, 11)));
}

const gaussianLine = (e: number, center: number, sigma: number) => Math.exp(-0.5 * ((e - center) / sigma) ** 2);

/** The fluorescence spectrum at one point: Cu Kα/Kβ on the stripe, Si off it, argon, scatter. */
function spectrum(key: number, point: number, coverage: number, beam: number): number[] {
  const out = new Array<number>(MCA_CHANNELS);
  for (let ch = 0; ch < MCA_CHANNELS; ch++) {
    const e = (ch + 0.5) * MCA_KEV_PER_CHANNEL;
    const mean =
      beam *
      (2 +
        1800 * coverage * gaussianLine(e, 8.05, 0.09) +
        250 * coverage * gaussianLine(e, 8.9, 0.1) +
        140 * (1 - coverage) * gaussianLine(e, 1.74, 0.08) +
        60 * gaussianLine(e, 2.96, 0.08) +
        300 * gaussianLine(e, 10, 0.15) +
        110 * gaussianLine(e, 9.6, 0.3));
    out[ch] = counts(mean, key, point, ch);
  }
  return out;
}

/** A uuid-shaped id from the seed (bluesky's uids are uuid4; these are repeatable). */
function uid(seed: number, scanId: number, part: number): string {
  const hex = [0, 1, 2, 3]
    .map((i) =>
      Math.floor(uniform(seed, scanId, part, 20 + i) * 2 ** 32)
        .toString(16)
        .padStart(8, "0"),
    )
    .join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** One scan's documents, starting at `startMs`, in the order the RunEngine emits them. */
export function scanDocuments(seed: number, plan: ScanPlan, startMs: number): BlueskyDocument[] {
  const startUid = uid(seed, plan.scanId, 0);
  const descriptorUid = uid(seed, plan.scanId, 1);
  const at = (seconds: number) => round(startMs / 1000 + seconds, 3);
  const docs: BlueskyDocument[] = [startDocument(plan, startUid, at(0)), descriptorDocument(startUid, descriptorUid, at(0.5))];
  const last = Math.min(plan.points, (plan.abortAfter ?? plan.points - 1) + 1);
  for (let i = 0; i < last; i++) docs.push(eventDocument(seed, plan, i, descriptorUid, at));
  const aborted = last < plan.points;
  docs.push([
    "stop",
    {
      uid: uid(seed, plan.scanId, 2),
      run_start: startUid,
      time: at(1 + last * POINT_S + 0.5),
      exit_status: aborted ? "abort" : "success",
      reason: aborted ? "beam lost (ring dump); scan stopped by the operator" : "",
      num_events: { primary: last },
    },
  ]);
  return docs;
}

function startDocument(plan: ScanPlan, startUid: string, time: number): BlueskyDocument {
  return [
    "start",
    {
      uid: startUid,
      time,
      scan_id: plan.scanId,
      plan_name: "rel_scan",
      plan_args: { detectors: ["det", "I0", "mca"], motor: "sample_x", start: plan.from, stop: plan.to, num: plan.points },
      motors: ["sample_x"],
      detectors: ["det", "I0", "mca"],
      num_points: plan.points,
      sample: "Cu stripe, 0.8 mm, on Si",
      purpose: plan.purpose,
      beamline: "demo beamline",
    },
  ];
}

function descriptorDocument(startUid: string, descriptorUid: string, time: number): BlueskyDocument {
  return [
    "descriptor",
    {
      uid: descriptorUid,
      run_start: startUid,
      time,
      name: "primary",
      data_keys: {
        sample_x: { source: "PV:SAMPLE:X.RBV", dtype: "number", shape: [], units: "mm" },
        sample_x_setpoint: { source: "PV:SAMPLE:X", dtype: "number", shape: [], units: "mm" },
        I0: { source: "PV:IC:I0", dtype: "integer", shape: [], units: "counts" },
        det: { source: "mca ROI Cu Kα (7.8-8.4 keV)", dtype: "integer", shape: [], units: "counts" },
        mca: { source: "PV:MCA1 (128 channels, 0.1 keV each)", dtype: "array", shape: [MCA_CHANNELS], units: "counts" },
      },
    },
  ];
}

/** Point `i` of the scan: the motor moved, then the detectors counted. */
function eventDocument(
  seed: number,
  plan: ScanPlan,
  i: number,
  descriptorUid: string,
  at: (s: number) => number,
): BlueskyDocument {
  const key = seed + plan.scanId * 101;
  const setpoint = round(plan.from + ((plan.to - plan.from) * i) / (plan.points - 1), 4);
  const readback = round(setpoint + 0.0005 * gauss(key, i, 0, 12), 4);
  // The ring's current decays slowly; a lost beam leaves a few percent (scatter, dark current).
  const beam = (1 - 0.0004 * i) * (plan.beamLostAt !== undefined && i >= plan.beamLostAt ? 0.03 : 1);
  const mca = spectrum(key, i, stripeCoverage(plan, readback), beam);
  let roi = 0;
  for (let ch = CU_ROI[0]; ch <= CU_ROI[1]; ch++) roi += mca[ch]!;
  const moved = 1 + i * POINT_S;
  const counted = moved + COUNT_S;
  return [
    "event",
    {
      uid: uid(seed, plan.scanId, 100 + i),
      descriptor: descriptorUid,
      seq_num: i + 1,
      time: at(counted),
      data: { sample_x: readback, sample_x_setpoint: setpoint, I0: counts(1e5 * beam, key, i, 200), det: roi, mca },
      timestamps: { sample_x: at(moved), sample_x_setpoint: at(moved), I0: at(counted), det: at(counted), mca: at(counted) },
      filled: {},
    },
  ];
}

/** The demo's scans, the last of them starting 65 minutes before `before`, 20 minutes apart. */
export function demoScanDocuments(seed: number, before: number): BlueskyDocument[] {
  const last = Math.floor(before / 60_000) * 60_000 - 65 * 60_000;
  return DEMO_SCANS.flatMap((plan, k) => scanDocuments(seed, plan, last - (DEMO_SCANS.length - 1 - k) * SCAN_GAP_MS));
}
