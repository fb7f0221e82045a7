// Drives the built-in simulator in real time: once a second, whatever the demo experiment
// produced since the last tick goes through the normal ingest path (and so to the live hub).
import { type Ingestor, ingestBody } from "../ingest/ingest.js";
import { simulate } from "./simulator.js";
import { describeErrors } from "../../src/core/validation.js";

export function startSimulatorFeed(ingestor: Ingestor, seed: number, intervalMs = 1000) {
  let last = Date.now();
  let busy = false;
  let saidAt = 0;
  const timer = setInterval(() => {
    if (busy) return; // a slow tick is caught up by the next one, never run twice at once
    busy = true;
    const now = Date.now();
    ingestBody(ingestor, simulate(seed, last, now))
      .then((outcome) => {
        if (!outcome.ok) console.error(`simulator batch rejected: ${describeErrors(outcome.errors)}`);
        last = now;
      })
      // Not stored (the store short of memory, say): `last` stays, so the next tick sends this
      // span again with the rest and nothing of the demo's history is dropped. Said once a minute.
      .catch((error: unknown) => {
        if (Date.now() - saidAt < 60_000) return;
        saidAt = Date.now();
        console.error(`simulator tick not stored, sent again with the next: ${String(error)}`);
      })
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
