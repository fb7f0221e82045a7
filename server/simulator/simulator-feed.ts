// Drives the built-in simulator in real time: once a second, whatever the demo experiment
// produced since the last tick goes through the normal ingest path (and so to the live hub).
import { type Ingestor, ingestBody } from "../ingest/ingest.js";
import { simulate } from "./simulator.js";
import { describeErrors } from "../../src/core/validation.js";

export function startSimulatorFeed(ingestor: Ingestor, seed: number, intervalMs = 1000) {
  let last = Date.now();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return; // a slow tick is caught up by the next one, never run twice at once
    busy = true;
    const now = Date.now();
    ingestBody(ingestor, simulate(seed, last, now))
      .then((outcome) => {
        if (!outcome.ok) console.error(`simulator batch rejected: ${describeErrors(outcome.errors)}`);
        last = now;
      })
      .catch((error: unknown) => console.error("simulator tick failed:", error))
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
