// The snapshot manifest: what a snapshot directory holds and where it came from. Versioned like
// every saved document; `parseManifest` migrates older versions and names the field at fault.
import { z } from "./z.js";
import { parseWith, describeErrors } from "./validation.js";

export const MANIFEST_VERSION = 2;

const fileEntry = z
  .object({
    kind: z.enum(["scalar", "array", "lod"]),
    /** Relative to the snapshot directory, with forward slashes. */
    path: z.string().min(1),
    rows: z.number().int().min(0),
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type ManifestFile = z.infer<typeof fileEntry>;

const runStatus = z.enum(["running", "stopped", "aborted", "failed"]);

const runEntry = z
  .object({
    run: z.number().int(),
    status: runStatus,
    start: z.number(),
    stop: z.number().nullable(),
    /** The source's row count and time span when this run was written; a change means stale. */
    fingerprint: z
      .object({
        rows: z.number().int().min(0),
        firstMicros: z.number().nullable(),
        lastMicros: z.number().nullable(),
        /** The source's in-place change marker (see RunFingerprint.version); null where it has none. */
        version: z.string().nullable(),
      })
      .strict(),
    /** Hash of the catalog (names, shapes) at write time: a new or changed observable means stale. */
    catalogHash: z.string(),
    writtenAt: z.string(),
    query: z.string(),
    rows: z.object({ scalar: z.number().int().min(0), array: z.number().int().min(0) }).strict(),
    stats: z
      .object({
        nulls: z.number().int().min(0),
        nonFinite: z.number().int().min(0),
        noTime: z.number().int().min(0),
        duplicates: z.number().int().min(0),
        ragged: z.number().int().min(0),
      })
      .strict(),
    files: z.array(fileEntry),
    /** Observable -> level-of-detail bucket widths (seconds) present in this run's lod file. */
    lod: z.record(z.string(), z.array(z.number().int().min(1))),
    lodSeconds: z.array(z.number().int().min(1)),
  })
  .strict();
export type ManifestRun = z.infer<typeof runEntry>;

export const manifestSchema = z
  .object({
    format: z.literal("runboard-snapshot"),
    version: z.literal(MANIFEST_VERSION),
    source: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** sha256 over every file's hash, in run order: one value that says whether anything changed. */
    contentHash: z.string(),
    catalog: z.string(),
    /**
     * The embedded store's newest seq that these files hold (readings that came by ingest); a
     * page subscribes to the live feed after it. Null for a snapshot without the store.
     */
    liveSeq: z.number().int().min(0).nullable(),
    runs: z.array(runEntry),
    /**
     * Runs that could not be written (by the last update that tried them); their previous files,
     * if any, are still listed above. A run never written carries its span, so a selection by
     * time finds it too and a review can say it is missing rather than leave it out.
     */
    errors: z.array(
      z
        .object({
          run: z.number().int().nullable(),
          message: z.string(),
          start: z.number().optional(),
          stop: z.number().nullable().optional(),
          status: runStatus.optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

/** Version n -> n+1 upgrades, applied in order; each has its own test. */
export const migrations: Record<number, (m: Record<string, unknown>) => Record<string, unknown>> = {
  // 1 -> 2: fingerprints gain the source's change marker and the manifest the live seq. A run
  // written before has no marker (null), so the next update rewrites it once and records one.
  1: (m) => ({
    ...m,
    version: 2,
    liveSeq: null,
    runs: Array.isArray(m.runs)
      ? m.runs.map((r: Record<string, unknown>) => ({
          ...r,
          fingerprint: { ...(r.fingerprint as Record<string, unknown>), version: null },
        }))
      : m.runs,
  }),
};

export class ManifestError extends Error {}

export function parseManifest(input: unknown, file = "manifest.json"): Manifest {
  let doc = input as Record<string, unknown>;
  if (typeof doc !== "object" || doc === null) throw new ManifestError(`${file}: not a JSON object`);
  let version = typeof doc.version === "number" ? doc.version : NaN;
  if (version > MANIFEST_VERSION) {
    throw new ManifestError(`${file}: version ${version} is newer than this runboard understands (${MANIFEST_VERSION})`);
  }
  while (version < MANIFEST_VERSION && migrations[version]) {
    doc = migrations[version]!(doc);
    version++;
  }
  const parsed = parseWith(manifestSchema, doc);
  if (!parsed.ok) throw new ManifestError(`${file}: ${describeErrors(parsed.errors)}`);
  return parsed.value;
}
