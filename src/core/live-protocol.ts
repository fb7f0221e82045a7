// Messages on the /ws websocket. The browser subscribes to observables, optionally from a
// sequence number it already holds (its snapshot's), and the server replays what it missed
// before it streams new readings. Readings with seq <= the client's are never sent twice.
import { z } from "./z.js";
import { observableName } from "./catalog.js";
import type { AlarmCounts, AlarmView } from "./alarm-state.js";

export const MAX_SUBSCRIPTIONS = 100;
/** The largest message from a browser; a publisher that has authorized may send up to MAX_PUBLISH_BYTES. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
export const MAX_PUBLISH_BYTES = 16 * 1024 * 1024;

export const clientMessageSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("subscribe"),
      observables: z.array(observableName).min(1).max(MAX_SUBSCRIPTIONS),
      /** Replay readings with a larger seq than this before streaming live ones. */
      since: z.number().int().min(0).optional(),
      /** Per observable, a later seq the client already got live (after a reconnect); overrides `since`. */
      resume: z
        .record(observableName, z.number().int().min(0))
        .refine((r) => Object.keys(r).length <= MAX_SUBSCRIPTIONS, `at most ${MAX_SUBSCRIPTIONS} observables`)
        .optional(),
      /** Per observable, only these channels (e.g. the pixels a page draws); all when left out. */
      channels: z
        .record(observableName, z.array(z.number().int().min(0).max(1_000_000)).min(1).max(100_000))
        .refine((r) => Object.keys(r).length <= MAX_SUBSCRIPTIONS, `at most ${MAX_SUBSCRIPTIONS} observables`)
        .optional(),
      /** Only readings of this run, or of the newest run (following a new one when it starts); all when left out. */
      run: z.union([z.number().int().min(0), z.literal("newest")]).optional(),
    })
    .strict()
    .superRefine((m, ctx) => {
      for (const name of Object.keys(m.channels ?? {})) {
        if (!m.observables.includes(name)) {
          ctx.addIssue({ code: "custom", path: ["channels", name], message: "not among the observables subscribed to" });
        }
      }
    }),
  z.object({ type: z.literal("unsubscribe"), observables: z.array(observableName).min(1) }).strict(),
  z.object({ type: z.literal("ping") }).strict(),
  /** Alarm news: everything now, then what changed once a second (a heartbeat when nothing did). */
  z.object({ type: z.literal("alarms") }).strict(),
  /** A DAQ publishing over the websocket: first the write token, then batches. */
  z.object({ type: z.literal("auth"), token: z.string().min(1).max(512) }).strict(),
  z
    .object({
      type: z.literal("publish"),
      /** The publisher's own number for the batch, echoed in the ack or error. */
      id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      /** An ingest batch, as POST /api/ingest takes it (checked there). */
      batch: z.unknown(),
    })
    .strict(),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/**
 * Text (JSON) messages from the server. Readings come as binary frames (live-frame.ts): live,
 * replayed (FRAME_FLAG_REPLAY) or coalesced for a slow connection (FRAME_FLAG_COALESCED, with
 * the count of updates merged into it).
 */
export type ServerMessage =
  | { type: "hello"; seq: number }
  /** The client asked to resume from further back than the server replays: refetch the snapshot. */
  | { type: "resync"; reason: string }
  /** Too many replays are being read: nothing was subscribed; send the same subscribe after `retryAfterMs`. */
  | { type: "busy"; retryAfterMs: number; reason: string }
  | { type: "subscribed"; observables: string[] }
  | { type: "pong" }
  | { type: "authorized"; sources: string[] | "all" }
  /** A published batch is durably stored (or was already: duplicate). */
  | { type: "ack"; id: number; stored: number; lastSeq: number; duplicate?: true }
  | { type: "error"; field: string; message: string; id?: number }
  /** `full`: every alarm an operator has to see (on subscribing, or after falling behind); else what changed. */
  | { type: "alarms"; full: boolean; changed: AlarmView[]; counts: AlarmCounts; at: number };
