// Where an observable's readings come from. The catalog a page sees is one list, but its
// observables arrive by different roads: the configured source (a PostgreSQL or MongoDB the
// server snapshots, and its watcher's live rows), ingest over HTTP or the websocket, bluesky
// documents, or the built-in simulator. One name belongs to one road: a second road that claims
// it is refused with a message naming both, so two writers never silently mix in one series.
import type { ObservableInfo, RunInfo } from "./catalog.js";

export const origins = ["source", "ingest", "bluesky", "simulator"] as const;
export type Origin = (typeof origins)[number];

/** Batch sources the watchers of the configured source use (server/watch). */
export const WATCH_SOURCE_PREFIXES = ["pg-watch:", "mongo-watch:"] as const;
export const SIMULATOR_SOURCE = "simulator";
export const BLUESKY_SOURCE_PREFIX = "bluesky:";

/** The road a batch came by, from its `source` (who sent it). */
export function originOfBatch(source: string | undefined): Origin {
  if (source === undefined) return "ingest";
  if (source === SIMULATOR_SOURCE) return "simulator";
  if (source.startsWith(BLUESKY_SOURCE_PREFIX)) return "bluesky";
  if (WATCH_SOURCE_PREFIXES.some((p) => source.startsWith(p))) return "source";
  return "ingest";
}

const ORIGIN_WORDS: Record<Origin, string> = {
  source: "the configured source",
  ingest: "ingest (POST /api/ingest or a websocket publisher)",
  bluesky: "bluesky documents",
  simulator: "the built-in simulator",
};

export function describeOrigin(origin: Origin, detail?: string): string {
  return detail ? `${ORIGIN_WORDS[origin]} (${detail})` : ORIGIN_WORDS[origin];
}

/** An observable as the server lists it: what it is, and where it comes from. */
export type CatalogEntry = ObservableInfo & { origin: Origin };

export interface CatalogConflict {
  name: string;
  /** The origin that keeps the name (the configured source wins, else the first to claim it). */
  kept: Origin;
  refused: Origin;
  message: string;
}

/**
 * One catalog from the configured source's and the embedded store's. A name the store has from
 * the source's own watcher is the source's observable. A name both claim from different roads
 * stays with the source and is reported as a conflict.
 */
export function mergeCatalogs(
  fromSource: readonly ObservableInfo[],
  fromStore: readonly (ObservableInfo & { origin: Origin | null })[],
  sourceDetail = "",
): { observables: CatalogEntry[]; conflicts: CatalogConflict[] } {
  const merged = new Map<string, CatalogEntry>(fromSource.map((o) => [o.name, { ...o, origin: "source" }]));
  const conflicts: CatalogConflict[] = [];
  for (const o of fromStore) {
    const origin = o.origin ?? "ingest";
    const kept = merged.get(o.name);
    if (!kept) {
      merged.set(o.name, { ...o, origin });
      continue;
    }
    if (origin === "source" || (o.origin === null && kept.origin === "source")) continue;
    conflicts.push({
      name: o.name,
      kept: kept.origin,
      refused: origin,
      message: `${o.name} is claimed by ${describeOrigin(kept.origin, sourceDetail)} and by ${describeOrigin(origin)}; the second is left out: rename one of them`,
    });
  }
  return { observables: [...merged.values()].sort((a, b) => a.name.localeCompare(b.name)), conflicts };
}

/** The source's runs, plus those only the store knows (bluesky scans, ingest); the source's record wins. */
export function mergeRuns(fromSource: readonly RunInfo[], fromStore: readonly RunInfo[]): RunInfo[] {
  const merged = new Map(fromStore.map((r) => [r.id, r]));
  for (const r of fromSource) merged.set(r.id, r);
  return [...merged.values()].sort((a, b) => a.id - b.id);
}
