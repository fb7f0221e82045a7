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
      size: z.number().int().min(2).max(100_000),
    })
    .strict()
    .optional(),
});

/** Channel groups: the camera's 265 modules of 7 pixels are `{name: "module", size: 7}`. */
export type ChannelGroups = NonNullable<z.infer<typeof observableFactsSchema>["groups"]>;

/** The group a channel is in. */
export const groupOf = (groups: ChannelGroups, channel: number): number => Math.floor(channel / groups.size);

/** How many groups `channels` channels make (the last may hold fewer). */
export const groupCount = (groups: ChannelGroups, channels: number): number => Math.ceil(channels / groups.size);

/** The channels of group `index`, among `channels` channels. */
export function groupChannels(groups: ChannelGroups, index: number, channels: number): number[] {
  const first = index * groups.size;
  const end = Math.min(channels, first + groups.size);
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
    if (o.groups && o.groups.size > o.channels) {
      ctx.addIssue({
        code: "custom",
        path: ["groups", "size"],
        message: `a group cannot hold more than the ${o.channels} channel(s)`,
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
