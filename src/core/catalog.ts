// The shared data model: what an observable is, what a run is, what one reading holds.
// Pure types and schemas, used by the server, the loaders and the browser alike.
import { z } from "zod";

/** Observable names are dotted identifiers, e.g. `camera.hv`; they appear in URLs and SQL parameters. */
export const observableName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, "must be a dotted identifier such as camera.hv")
  .max(128);

export const shapeSchema = z.enum(["scalar", "1d", "2d"]);
export type Shape = z.infer<typeof shapeSchema>;

export const observableSchema = z
  .object({
    name: observableName,
    unit: z.string().max(32).default(""),
    shape: shapeSchema,
    /** How many channels (e.g. camera pixels) report this observable; 1 for a single value. */
    channels: z.number().int().min(1).max(100_000).default(1),
    /** Array dimensions: [n] for 1d, [rows, cols] for 2d, [] for scalars. */
    dims: z.array(z.number().int().min(1).max(65_536)).max(2).default([]),
    description: z.string().max(500).default(""),
    healthy: z
      .object({ min: z.number(), max: z.number() })
      .refine((r) => r.min <= r.max, { message: "min must not exceed max" })
      .optional(),
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
  });
export type ObservableInfo = z.infer<typeof observableSchema>;

export interface RunInfo {
  id: number;
  /** Epoch milliseconds. */
  start: number;
  /** Epoch milliseconds, or null while the run is still going. */
  stop: number | null;
  meta: Record<string, unknown>;
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
