// A FAKE MongoDB database for tests: in-memory arrays behind the `MongoDatabaseLike` interface,
// with the exact filters and pipelines the source sends evaluated by mingo. It checks query
// semantics (does this filter select these documents, does this pipeline group them so), not
// the server: no indexes, no BSON round trip, no 16 MB limits, no type-bracketing subtleties
// (e.g. mingo lets NaN satisfy a range), and only the find options the source uses. One stage
// is not mingo's own: $bucket runs as its documented $group + $switch equivalent (see below).
import { Aggregator, Query } from "mingo";
import { ObjectId } from "mongodb";
import type {
  MongoChangeEvent,
  MongoChangeStreamLike,
  MongoCollectionLike,
  MongoDatabaseLike,
  MongoDocument,
  MongoFindOptions,
} from "../../loaders/sources/mongo-source.js";

const FIND_OPTIONS = new Set(["sort", "projection", "limit", "batchSize", "allowDiskUse"]);
const AGGREGATE_OPTIONS = new Set(["allowDiskUse", "batchSize"]);

/** Copies documents as the driver would hand them out: fresh objects, Dates and ObjectIds kept. */
function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof ObjectId) return new ObjectId(value.toHexString()) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) as T;
  }
  return value;
}

function checkOptions(what: string, options: object | undefined, allowed: Set<string>): void {
  for (const key of Object.keys(options ?? {})) {
    if (!allowed.has(key)) throw new Error(`MingoFakeDatabase: ${what} option ${key} is not supported by the fake`);
  }
}

/**
 * mingo 7.2.7's $bucket puts a value equal to an inner boundary in the lower bucket and emits
 * empty buckets; MongoDB includes the lower bound, excludes the upper one and emits only buckets
 * with documents. So the fake runs $bucket as the $group + $switch that MongoDB documents as its
 * equivalent, which mingo evaluates faithfully.
 */
function bucketAsGroup(stage: MongoDocument): MongoDocument {
  const spec = stage.$bucket as
    { groupBy: unknown; boundaries: unknown[]; default?: unknown; output?: Record<string, unknown> } | undefined;
  if (!spec) return stage;
  const { groupBy, boundaries, output = { count: { $sum: 1 } } } = spec;
  const branches = boundaries.slice(0, -1).map((lower, i) => ({
    case: { $and: [{ $gte: [groupBy, lower] }, { $lt: [groupBy, boundaries[i + 1]] }] },
    then: lower,
  }));
  if (!("default" in spec)) throw new Error("MingoFakeDatabase: $bucket without default is not supported by the fake");
  return { $group: { _id: { $switch: { branches, default: spec.default } }, ...output } };
}

/** Hands out documents in batches with a pause between them, as a streaming cursor would. */
async function* inBatches(docs: MongoDocument[], batchSize = 101): AsyncGenerator<MongoDocument> {
  for (let i = 0; i < docs.length; i++) {
    if (i > 0 && i % batchSize === 0) await new Promise((resolve) => setImmediate(resolve));
    yield copy(docs[i]!);
  }
}

class MingoFakeCollection implements MongoCollectionLike {
  /** A handle, like the driver's: it sees documents inserted after it was made. */
  constructor(private readonly stored: () => MongoDocument[]) {}

  private get docs(): MongoDocument[] {
    return this.stored();
  }

  find(filter: MongoDocument, options: MongoFindOptions = {}): AsyncIterable<MongoDocument> {
    checkOptions("find", options, FIND_OPTIONS);
    let cursor = new Query(filter, {}).find<MongoDocument>(this.docs, options.projection);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.limit) cursor = cursor.limit(options.limit);
    return inBatches(cursor.all(), options.batchSize);
  }

  aggregate(
    pipeline: MongoDocument[],
    options: { allowDiskUse?: boolean; batchSize?: number } = {},
  ): AsyncIterable<MongoDocument> {
    checkOptions("aggregate", options, AGGREGATE_OPTIONS);
    const stages = pipeline.map(bucketAsGroup);
    return inBatches(new Aggregator(stages, {}).run<MongoDocument>(this.docs), options.batchSize);
  }

  async countDocuments(filter: MongoDocument, options: { limit?: number } = {}): Promise<number> {
    const query = new Query(filter, {});
    const count = this.docs.filter((doc) => query.test(doc)).length;
    return options.limit ? Math.min(count, options.limit) : count;
  }
}

/** The fake. Collections exist once documents are inserted into them (or they are named up front). */
export class MingoFakeDatabase implements MongoDatabaseLike {
  private readonly collections = new Map<string, MongoDocument[]>();
  /** Every insert as a change event, as a replica set's oplog would give them; tokens are indexes. */
  private readonly changes: MongoChangeEvent[] = [];
  private readonly wakeStreams = new Set<() => void>();
  private inserts = 0;

  constructor(docsByCollection: Record<string, MongoDocument[]> = {}) {
    for (const [name, docs] of Object.entries(docsByCollection)) this.insert(name, docs);
  }

  /** Sets fields of the documents whose `field` equals `value` (an in-place rewrite; no change event). */
  update(collection: string, field: string, value: unknown, set: MongoDocument): void {
    for (const doc of this.collections.get(collection) ?? []) {
      const here = doc[field];
      const same = here instanceof Date && value instanceof Date ? here.getTime() === value.getTime() : here === value;
      if (same) Object.assign(doc, copy(set));
    }
  }

  /** Stores copies, with an ObjectId `_id` where a document has none (as the driver adds one). */
  insert(collection: string, docs: readonly MongoDocument[]): void {
    this.inserts++;
    const stored = this.collections.get(collection) ?? [];
    this.collections.set(collection, stored);
    for (const doc of docs) {
      const kept = { _id: new ObjectId(), ...copy(doc) };
      stored.push(kept);
      const n = this.changes.length;
      this.changes.push({
        _id: { _data: `fake-token-${n}` },
        operationType: "insert",
        // One insert call, one cluster time for all its documents (as MongoDB gives a batched
        // insert or a transaction), so nothing may rely on it being unique per document.
        clusterTime: { t: 1_800_000_000 + this.inserts, i: 1 },
        ns: { coll: collection },
        fullDocument: kept,
      });
    }
    for (const wake of this.wakeStreams) wake();
  }

  /**
   * A fake change stream over the inserts: from now, or after a token this fake handed out. The
   * pipeline's $match stages are evaluated by mingo against each event.
   */
  watch(pipeline: MongoDocument[], options: { resumeAfter?: unknown } = {}): MongoChangeStreamLike {
    const matches = pipeline.map((stage) => {
      if (!("$match" in stage) || Object.keys(stage).length !== 1) {
        throw new Error("MingoFakeDatabase: watch supports only $match stages");
      }
      return new Query(stage.$match as MongoDocument, {});
    });
    const token = (options.resumeAfter as { _data?: string } | undefined)?._data;
    let next = token === undefined ? this.changes.length : Number(/^fake-token-(\d+)$/.exec(token)?.[1] ?? NaN) + 1;
    if (!Number.isInteger(next)) throw new Error(`MingoFakeDatabase: resume token ${String(token)} is not one of the fake's`);
    let closed = false;
    let wake: (() => void) | undefined;
    const changes = this.changes;
    const streams = this.wakeStreams;
    async function* events(): AsyncGenerator<MongoChangeEvent> {
      while (!closed) {
        if (next < changes.length) {
          const event = changes[next++]!;
          if (matches.every((m) => m.test(event as unknown as MongoDocument))) yield copy(event);
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          streams.add(resolve);
        });
        streams.delete(wake!);
      }
    }
    const iterator = events();
    return {
      [Symbol.asyncIterator]: () => iterator,
      async close() {
        closed = true;
        wake?.();
      },
    };
  }

  collection(name: string): MongoCollectionLike {
    // Like MongoDB, reading a collection that does not exist finds nothing (and does not create it).
    return new MingoFakeCollection(() => this.collections.get(name) ?? []);
  }

  listCollections(
    filter: MongoDocument,
    options: { nameOnly: true; authorizedCollections?: boolean },
  ): AsyncIterable<{ name: string; type?: string }> {
    checkOptions("listCollections", options, new Set(["nameOnly", "authorizedCollections"]));
    const infos = [...this.collections.keys()].map((name) => ({ name, type: "collection" }));
    return inBatches(new Query(filter, {}).find<MongoDocument>(infos).all()) as AsyncIterable<{ name: string; type?: string }>;
  }
}
