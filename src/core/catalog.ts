// The shared data model: what an observable is, what a run is, what one reading holds.
// Pure types and schemas, used by the server, the loaders and the browser alike.
import { z } from "./z.js";

/** Observable names are dotted identifiers, e.g. `camera.hv`; they appear in URLs and SQL parameters. */
export const observableName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, "must be a dotted identifier such as camera.hv")
  .max(128);

export const shapeSchema = z.enum(["scalar", "1d", "2d"]);
export type Shape = z.infer<typeof shapeSchema>;

/** What a physicist may know about an observable beyond its shape; also what a config file may add. */
export const observableFactsSchema = z.object({
  unit: z.string().max(32).default(""),
  description: z.string().max(500).default(""),
  healthy: z
    .object({ min: z.number(), max: z.number() })
    .refine((r) => r.min <= r.max, { message: "min must not exceed max" })
    .optional(),
  groups: z
    .object({
      /** What one group is called ("module"): how a person names it, as in "module 12". */
      name: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must be a word such as module")
        .max(24),
      /** Channels per group, consecutive: group g holds channels g*size to g*size+size-1. */
      size: z.number().int().min(2).max(100_000).optional(),
      /**
       * Groups of different sizes (a detector's irregular modules): the first channel of each,
       * from 0, ascending; group g holds starts[g] up to the next start (the last, to the end).
       */
      starts: z.array(z.number().int().min(0).max(100_000)).min(1).max(100_000).optional(),
    })
    .strict()
    .superRefine((g, ctx) => {
      if ((g.size === undefined) === (g.starts === undefined))
        ctx.addIssue({
          code: "custom",
          path: ["size"],
          message: "give either size (groups of one size) or starts (each group's first channel)",
        });
      if (g.starts && g.starts[0] !== 0)
        ctx.addIssue({ code: "custom", path: ["starts", 0], message: "the first group starts at channel 0" });
      const back = g.starts?.findIndex((s, i) => i > 0 && s <= g.starts![i - 1]!) ?? -1;
      if (back > 0)
        ctx.addIssue({ code: "custom", path: ["starts", back], message: "each group must start after the one before" });
    })
    .optional(),
});

/** Channel groups: the camera's 265 modules of 7 pixels are `{name: "module", size: 7}`. */
export type ChannelGroups = NonNullable<z.infer<typeof observableFactsSchema>["groups"]>;

/** The group a channel is in. */
export function groupOf(groups: ChannelGroups, channel: number): number {
  if (groups.size !== undefined) return Math.floor(channel / groups.size);
  // The last group whose first channel is at or before this one.
  const starts = groups.starts!;
  let [lo, hi] = [0, starts.length - 1];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (starts[mid]! <= channel) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** How many groups `channels` channels make (the last may hold fewer). */
export const groupCount = (groups: ChannelGroups, channels: number): number =>
  groups.size !== undefined ? Math.ceil(channels / groups.size) : groups.starts!.filter((s) => s < channels).length;

/** The channels of group `index`, among `channels` channels. */
export function groupChannels(groups: ChannelGroups, index: number, channels: number): number[] {
  const first = groups.size !== undefined ? index * groups.size : (groups.starts![index] ?? channels);
  const next = groups.size !== undefined ? first + groups.size : (groups.starts![index + 1] ?? channels);
  const end = Math.min(channels, next);
  return Array.from({ length: Math.max(0, end - first) }, (_, i) => first + i);
}

export const observableSchema = z
  .object({
    name: observableName,
    unit: observableFactsSchema.shape.unit,
    shape: shapeSchema,
    /** How many channels (e.g. camera pixels) report this observable; 1 for a single value. */
    channels: z.number().int().min(1).max(100_000).default(1),
    /** Array dimensions: [n] for 1d, [rows, cols] for 2d, [] for scalars. */
    dims: z.array(z.number().int().min(1).max(65_536)).max(2).default([]),
    description: observableFactsSchema.shape.description,
    healthy: observableFactsSchema.shape.healthy,
    /** Channels grouped as the detector is built (modules of pixels); only per-channel scalars. */
    groups: observableFactsSchema.shape.groups,
    /** The source's arrays of this observable do not all have one shape: `dims` is the most common. */
    dimsVary: z.literal(true).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const want = o.shape === "scalar" ? 0 : o.shape === "1d" ? 1 : 2;
    if (o.dims.length !== want) {
      ctx.addIssue({ code: "custom", path: ["dims"], message: `a ${o.shape} observable needs ${want} dims` });
    }
    if (o.shape !== "scalar" && o.channels !== 1) {
      ctx.addIssue({ code: "custom", path: ["channels"], message: "only scalar observables can be per-channel" });
    }
    if (o.groups?.size !== undefined && o.groups.size > o.channels) {
      ctx.addIssue({
        code: "custom",
        path: ["groups", "size"],
        message: `a group cannot hold more than the ${o.channels} channel(s)`,
      });
    }
    const outside = o.groups?.starts?.findIndex((s) => s >= o.channels) ?? -1;
    if (outside >= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["groups", "starts", outside],
        message: `a group must start at one of the ${o.channels} channel(s) (0 to ${o.channels - 1})`,
      });
    }
  });
export type ObservableInfo = z.infer<typeof observableSchema>;

/**
 * `running`: no stop recorded (a run that never stopped stays `running` until its source says
 * otherwise); `stopped`: ended normally; `aborted` / `failed`: ended early, as the source says.
 */
export const runStatuses = ["running", "stopped", "aborted", "failed"] as const;
export type RunStatus = (typeof runStatuses)[number];

export interface RunInfo {
  id: number;
  /** Epoch milliseconds. */
  start: number;
  /** Epoch milliseconds, or null while the run is still going. */
  stop: number | null;
  status: RunStatus;
  meta: Record<string, unknown>;
}

/** The run that holds time `t` (from its start, up to its stop; a running run, from its start on). */
export const runHolding = (runs: readonly RunInfo[], t: number): RunInfo | undefined =>
  runs.find((r) => r.start <= t && (r.stop === null || t < r.stop));

/**
 * A source's own word for how a run ended (bluesky's `exit_status`, a status column), mapped
 * onto runboard's four. Unknown words fall back on whether a stop time exists.
 */
export function runStatusFrom(stop: number | null, said?: unknown): RunStatus {
  const word = typeof said === "string" ? said.trim().toLowerCase() : "";
  if (["abort", "aborted", "cancelled", "canceled"].includes(word)) return "aborted";
  if (["fail", "failed", "error", "crashed"].includes(word)) return "failed";
  if (["running", "active", "ongoing", "open"].includes(word) && stop === null) return "running";
  return stop === null ? "running" : "stopped";
}

export type ReadingValue = number | number[] | number[][];

/** One stored reading. `seq` is assigned by the store, strictly increasing across all readings. */
export interface Reading {
  seq: number;
  run: number;
  observable: string;
  channel: number;
  /** Epoch milliseconds. */
  t: number;
  value: ReadingValue;
}
