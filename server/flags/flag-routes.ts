// Flags on runs over HTTP: read a run's flags (withdrawn ones included), flag a run or a span
// of it, withdraw a flag (its author or an admin). Every change is in the audit log and in the
// snapshot directory's flags.json, so snapshots and published reviews carry the verdicts.
import express, { type Request, type Response, Router } from "express";
import { z } from "zod";
import type { RunInfo } from "../../src/core/catalog.js";
import { RUN_FILTERS, flagsByRun, newFlagSchema, passesFilter, runVerdict, withdrawSchema } from "../../src/core/flags.js";
import { fieldErrors } from "../../src/core/validation.js";
import { mayDo, who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import { FLAG_ID, type FlagStore } from "./flag-store.js";
import { writeFlagsFile } from "./flags-file.js";

export interface FlagRouteDeps {
  flags: FlagStore;
  runs: () => RunInfo[];
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
  /** Where flags.json is written (the snapshot directory). */
  snapshotDir: string;
}

const flagPageSchema = z
  .object({
    filter: z.enum(RUN_FILTERS).default("all"),
    limit: z.coerce.number().int().min(1).max(1000).default(1000),
    after: z.coerce.number().int().min(-1).default(-1),
  })
  .strict();

/** Slack for a span that ends a moment after a running run's last reading. */
const AHEAD_MS = 60_000;

export { writeFlagsFile };

export function flagRoutes({ flags, runs, audit, writes, smallJson, snapshotDir }: FlagRouteDeps): Router {
  const router = Router();
  // One flags.json write at a time, the last one winning.
  let writing: Promise<void> = Promise.resolve();
  const changed = (run: number) => {
    writing = writing.then(() => writeFlagsFile(flags, snapshotDir, run)).catch(() => undefined);
    return writing;
  };

  const runOf = (res: Response, text: string): RunInfo | undefined => {
    const id = Number(text);
    const run = /^\d{1,10}$/.test(text) ? runs().find((r) => r.id === id) : undefined;
    if (!run) fail(res, 404, "no such run", [{ field: "run", message: `no run ${text} in the catalog` }]);
    return run;
  };

  // Paged by run: `limit` runs (default and most 1000) after run `after`; `next` asks for the rest.
  router.get("/api/flags", async (req, res) => {
    const page = flagPageSchema.safeParse(req.query);
    if (!page.success) return fail(res, 400, "invalid query", fieldErrors(page.error));
    const { filter, limit, after } = page.data;
    const byRun = flagsByRun(await flags.all());
    const now = Date.now();
    const matching = runs().filter((r) => r.id > after && passesFilter(byRun.get(r.id) ?? [], filter, now));
    const listed = matching
      .slice(0, limit)
      .map((r) => ({ run: r.id, verdict: runVerdict(byRun.get(r.id) ?? []), flags: byRun.get(r.id) ?? [] }));
    const next = matching.length > limit ? `?filter=${filter}&limit=${limit}&after=${listed.at(-1)!.run}` : undefined;
    res.json({ filter, runs: listed, ...(next ? { next } : {}) });
  });

  router.get("/api/runs/:run/flags", async (req, res) => {
    const run = runOf(res, String(req.params.run));
    if (!run) return;
    const list = await flags.flagsOf(run.id);
    res.json({ run: run.id, verdict: runVerdict(list), flags: list });
  });

  const context: FlagContext = { flags, audit, runOf, changed };
  router.post("/api/runs/:run/flags", mayDo("flag-runs"), writes, smallJson, (req, res) => addFlag(context, req, res));
  router.post("/api/runs/:run/flags/:flag/withdraw", mayDo("flag-runs"), writes, smallJson, (req, res) =>
    withdrawFlag(context, req, res),
  );

  return router;
}

/** What the flag handlers share: the store, the audit log, the run a path names, and the flags file's update. */
interface FlagContext {
  flags: FlagRouteDeps["flags"];
  audit: FlagRouteDeps["audit"];
  runOf: (res: Response, text: string) => RunInfo | undefined;
  changed: (run: number) => Promise<void>;
}

/** A flag on a run (a span within it, when given); the flags file follows. */
async function addFlag(ctx: FlagContext, req: Request, res: Response): Promise<void> {
  const run = ctx.runOf(res, String(req.params.run));
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
  const saved = await ctx.flags.add(run.id, flag, who(res).name);
  await ctx.audit(res, "run.flag", String(run.id), { id: saved.id, verdict: saved.verdict });
  await ctx.changed(run.id);
  res.status(201).json(saved);
}

/** Withdraws a flag: its author or an admin; the flag stays, marked withdrawn. */
async function withdrawFlag(ctx: FlagContext, req: Request, res: Response): Promise<void> {
  const run = ctx.runOf(res, String(req.params.run));
  if (!run) return;
  const id = String(req.params.flag);
  const body = withdrawSchema.safeParse(req.body ?? {});
  if (!body.success) return fail(res, 400, "invalid withdrawal", fieldErrors(body.error));
  const existing = FLAG_ID.test(id) ? (await ctx.flags.flagsOf(run.id)).find((f) => f.id === id) : undefined;
  if (!existing) return fail(res, 404, "no such flag", [{ field: "flag", message: `run ${run.id} has no flag ${id}` }]);
  const asking = who(res);
  if (existing.author !== asking.name && asking.role !== "admin")
    return fail(res, 403, "you may not withdraw this flag", [
      { field: "(author)", message: `only ${existing.author} (who set it) or an admin may withdraw it` },
    ]);
  if (existing.withdrawn)
    return fail(res, 409, "already withdrawn", [{ field: "flag", message: `withdrawn by ${existing.withdrawn.by}` }]);
  const withdrawn = await ctx.flags.withdraw(run.id, id, asking.name, body.data.reason);
  if (!withdrawn) return fail(res, 409, "already withdrawn", [{ field: "flag", message: "withdrawn in the meantime" }]);
  await ctx.audit(res, "run.flag.withdraw", String(run.id), { id });
  await ctx.changed(run.id);
  res.json(withdrawn);
}
