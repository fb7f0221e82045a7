// Flags on runs over HTTP: read a run's flags (withdrawn ones included), flag a run or a span
// of it, withdraw a flag (its author or an admin). Every change is in the audit log and in the
// snapshot directory's flags.json, so snapshots and published reviews carry the verdicts.
import express, { type Response, Router } from "express";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunInfo } from "../../src/core/catalog.js";
import {
  RUN_FILTERS,
  type RunFilter,
  flagsByRun,
  newFlagSchema,
  passesFilter,
  runVerdict,
  withdrawSchema,
} from "../../src/core/flags.js";
import { fieldErrors } from "../../src/core/validation.js";
import { mayDo, who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import { FLAG_ID, type FlagStore } from "./flag-store.js";

export interface FlagRouteDeps {
  flags: FlagStore;
  runs: () => RunInfo[];
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
  /** Where flags.json is written (the snapshot directory). */
  snapshotDir: string;
}

/** Slack for a span that ends a moment after a running run's last reading. */
const AHEAD_MS = 60_000;

/** Writes every flag to `<dir>/flags.json`, whole or not at all (write, then rename). */
export async function writeFlagsFile(flags: FlagStore, dir: string): Promise<void> {
  const all = await flags.all();
  const body = { version: 1, updatedAt: new Date().toISOString(), flags: all };
  await mkdir(dir, { recursive: true });
  const path = join(dir, "flags.json");
  await writeFile(`${path}.tmp`, `${JSON.stringify(body, null, 1)}\n`);
  await rename(`${path}.tmp`, path);
}

export function flagRoutes({ flags, runs, audit, writes, smallJson, snapshotDir }: FlagRouteDeps): Router {
  const router = Router();
  // One flags.json write at a time, the last one winning.
  let writing: Promise<void> = Promise.resolve();
  const changed = () => {
    writing = writing.then(() => writeFlagsFile(flags, snapshotDir)).catch(() => undefined);
    return writing;
  };

  const runOf = (res: Response, text: string): RunInfo | undefined => {
    const id = Number(text);
    const run = /^\d{1,10}$/.test(text) ? runs().find((r) => r.id === id) : undefined;
    if (!run) fail(res, 404, "no such run", [{ field: "run", message: `no run ${text} in the catalog` }]);
    return run;
  };

  router.get("/api/flags", async (req, res) => {
    const filter = String(req.query.filter ?? "all") as RunFilter;
    if (!RUN_FILTERS.includes(filter))
      return fail(res, 400, "invalid filter", [{ field: "filter", message: `one of ${RUN_FILTERS.join(", ")}` }]);
    const byRun = flagsByRun(await flags.all());
    const now = Date.now();
    const listed = runs()
      .filter((r) => passesFilter(byRun.get(r.id) ?? [], filter, now))
      .map((r) => ({ run: r.id, verdict: runVerdict(byRun.get(r.id) ?? []), flags: byRun.get(r.id) ?? [] }));
    res.json({ filter, runs: listed });
  });

  router.get("/api/runs/:run/flags", async (req, res) => {
    const run = runOf(res, String(req.params.run));
    if (!run) return;
    const list = await flags.flagsOf(run.id);
    res.json({ run: run.id, verdict: runVerdict(list), flags: list });
  });

  router.post("/api/runs/:run/flags", mayDo("flag-runs"), writes, smallJson, async (req, res) => {
    const run = runOf(res, String(req.params.run));
    if (!run) return;
    const parsed = newFlagSchema.safeParse(req.body ?? {});
    if (!parsed.success) return fail(res, 400, "invalid flag; nothing was saved", fieldErrors(parsed.error));
    const flag = parsed.data;
    const end = (run.stop ?? Date.now()) + AHEAD_MS;
    if (flag.from !== undefined && (flag.from < run.start || flag.from > end))
      return fail(res, 400, "invalid flag; nothing was saved", [
        { field: "from", message: `must lie within run ${run.id} (${new Date(run.start).toISOString()} on)` },
      ]);
    if (flag.to !== undefined && flag.to > end)
      return fail(res, 400, "invalid flag; nothing was saved", [{ field: "to", message: `must lie within run ${run.id}` }]);
    const saved = await flags.add(run.id, flag, who(res).name);
    await audit(res, "run.flag", String(run.id), { id: saved.id, verdict: saved.verdict });
    await changed();
    res.status(201).json(saved);
  });

  router.post("/api/runs/:run/flags/:flag/withdraw", mayDo("flag-runs"), writes, smallJson, async (req, res) => {
    const run = runOf(res, String(req.params.run));
    if (!run) return;
    const id = String(req.params.flag);
    const body = withdrawSchema.safeParse(req.body ?? {});
    if (!body.success) return fail(res, 400, "invalid withdrawal", fieldErrors(body.error));
    const existing = FLAG_ID.test(id) ? (await flags.flagsOf(run.id)).find((f) => f.id === id) : undefined;
    if (!existing) return fail(res, 404, "no such flag", [{ field: "flag", message: `run ${run.id} has no flag ${id}` }]);
    const asking = who(res);
    if (existing.author !== asking.name && asking.role !== "admin")
      return fail(res, 403, "you may not withdraw this flag", [
        { field: "(author)", message: `only ${existing.author} (who set it) or an admin may withdraw it` },
      ]);
    if (existing.withdrawn)
      return fail(res, 409, "already withdrawn", [{ field: "flag", message: `withdrawn by ${existing.withdrawn.by}` }]);
    const withdrawn = await flags.withdraw(run.id, id, asking.name, body.data.reason);
    if (!withdrawn) return fail(res, 409, "already withdrawn", [{ field: "flag", message: "withdrawn in the meantime" }]);
    await audit(res, "run.flag.withdraw", String(run.id), { id });
    await changed();
    res.json(withdrawn);
  });

  return router;
}
