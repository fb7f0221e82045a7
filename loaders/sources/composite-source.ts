// Several sources as one, for the server's snapshots: the configured PostgreSQL or MongoDB and
// the embedded store (readings that came by ingest, bluesky or the simulator). Each observable is
// read from exactly one part, the first whose catalog has it, so a name two parts know is never
// mixed into one series; runs are merged, the first part's record winning.
import type { ObservableInfo, RunInfo } from "../../src/core/catalog.js";
import {
  NameDictionary,
  type ReadingChunk,
  type ReadingQuery,
  type RunFingerprint,
  type Source,
  type SourceChanges,
  type SourceProblem,
} from "./source.js";

export interface SourcePart {
  source: Source;
  /** Only these observables of the part (all of its catalog when omitted). */
  observables?: readonly string[];
}

/** A single part is returned as it is, keeping what only it can do (tallies). */
export function combineSources(parts: readonly SourcePart[]): Source {
  if (parts.length === 1 && parts[0]!.observables === undefined) return parts[0]!.source;
  return new CompositeSource(parts);
}

class CompositeSource implements Source {
  readonly description: string;
  /** Observable -> the index of the part that owns it, from the last catalog(). */
  private owners: Map<string, number> | undefined;
  /** Parts that own every name of their catalog: their streams need no observable filter. */
  private ownsAll = new Set<number>();

  constructor(private readonly parts: readonly SourcePart[]) {
    this.description = parts.map((p) => p.source.description).join(" + ");
  }

  async catalog(): Promise<ObservableInfo[]> {
    const owners = new Map<string, number>();
    const merged: ObservableInfo[] = [];
    this.ownsAll = new Set();
    for (const [i, part] of this.parts.entries()) {
      const wanted = part.observables && new Set(part.observables);
      let all = true;
      for (const o of await part.source.catalog()) {
        if (owners.has(o.name) || (wanted && !wanted.has(o.name))) {
          all = false;
          continue;
        }
        owners.set(o.name, i);
        merged.push(o);
      }
      if (all) this.ownsAll.add(i);
    }
    this.owners = owners;
    return merged.sort((a, b) => a.name.localeCompare(b.name));
  }

  catalogProblems(): SourceProblem[] {
    return this.parts.flatMap((p) => p.source.catalogProblems?.() ?? []);
  }

  async runs(): Promise<RunInfo[]> {
    const merged = new Map<number, RunInfo>();
    for (const part of [...this.parts].reverse()) for (const r of await part.source.runs()) merged.set(r.id, r);
    return [...merged.values()].sort((a, b) => a.id - b.id);
  }

  /** The observables a query reads from part `i`: the ones it owns, narrowed by the query. */
  private async partQuery(i: number, query: ReadingQuery): Promise<ReadingQuery | undefined> {
    const owners = this.owners ?? (await this.catalog(), this.owners!);
    if (!query.observables && this.ownsAll.has(i)) return query;
    const owned = [...owners].filter(([, part]) => part === i).map(([name]) => name);
    const names = query.observables ? owned.filter((n) => query.observables!.includes(n)) : owned;
    if (names.length === 0) return undefined;
    return { ...query, observables: names };
  }

  /**
   * Each part's stream in turn. Scalar chunks carry a name dictionary for their whole stream,
   * so the parts' observable ids are renumbered into one dictionary for the combined stream.
   */
  async *readings(query: ReadingQuery): AsyncIterable<ReadingChunk> {
    const names = new NameDictionary();
    for (const i of this.parts.keys()) {
      const partQuery = await this.partQuery(i, query);
      if (!partQuery) continue;
      const renumber: number[] = [];
      for await (const chunk of this.parts[i]!.source.readings(partQuery)) {
        if (chunk.kind === "array") {
          yield chunk;
          continue;
        }
        for (let k = renumber.length; k < chunk.names.length; k++) renumber.push(names.id(chunk.names[k]!));
        const observable = chunk.observable;
        for (let r = 0; r < chunk.length; r++) observable[r] = renumber[observable[r]!]!;
        yield { ...chunk, names: names.names };
      }
    }
  }

  async fingerprints(runs?: readonly number[]): Promise<RunFingerprint[]> {
    const merged = new Map<number, RunFingerprint>();
    for (const part of this.parts) {
      for (const f of await part.source.fingerprints(runs)) {
        const seen = merged.get(f.run);
        merged.set(f.run, seen ? combineFingerprints(seen, f) : f);
      }
    }
    return [...merged.values()].sort((a, b) => a.run - b.run);
  }

  async changesSince(cursor: string | null): Promise<SourceChanges> {
    const before = cursor ? (JSON.parse(cursor) as (string | null)[]) : [];
    const runs = new Set<number>();
    const cursors: string[] = [];
    for (const [i, part] of this.parts.entries()) {
      const changes = await part.source.changesSince(before[i] ?? null);
      for (const r of changes.runs) runs.add(r);
      cursors.push(changes.cursor);
    }
    return { runs: [...runs].sort((a, b) => a - b), cursor: JSON.stringify(cursors) };
  }

  describeQuery(query: ReadingQuery): string {
    const owned = (i: number) => [...(this.owners ?? [])].filter(([, part]) => part === i).map(([name]) => name);
    return this.parts
      .map((p, i) => {
        const names = owned(i).filter((n) => !query.observables || query.observables.includes(n));
        return names.length === 0
          ? ""
          : `-- ${p.source.description}\n${p.source.describeQuery({ ...query, observables: names })}`;
      })
      .filter(Boolean)
      .join(";\n");
  }

  async close(): Promise<void> {
    for (const part of this.parts) await part.source.close();
  }
}

function combineFingerprints(a: RunFingerprint, b: RunFingerprint): RunFingerprint {
  const min = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.min(x, y));
  const max = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
  return {
    run: a.run,
    rows: a.rows + b.rows,
    firstMicros: min(a.firstMicros, b.firstMicros),
    lastMicros: max(a.lastMicros, b.lastMicros),
    version: a.version === undefined && b.version === undefined ? undefined : `${a.version ?? ""}|${b.version ?? ""}`,
  };
}
