// Alarms over HTTP. Viewers see the alarms and their history; editors acknowledge, shelve and
// disable; admins edit the rules (a versioned document: GET gives it with its revision as the
// ETag, PUT with If-Match refuses a save over someone else's). Every action is in the audit log.
import express, { type Request, type Response, Router } from "express";
import { z } from "zod";
import type { ObservableInfo } from "../../src/core/catalog.js";
import { type AlarmRules, parseAlarmRules } from "../../src/core/alarm-rules.js";
import type { AlarmState } from "../../src/core/alarm-state.js";
import { majorSpans } from "../../src/core/alarm-spans.js";
import { type FieldError, fieldErrors } from "../../src/core/validation.js";
import { mayDo, who } from "../auth/auth-routes.js";
import { fail } from "../http-fail.js";
import type { AlarmAction, AlarmService } from "./alarm-service.js";
import type { AlarmStore } from "./alarm-store.js";

export interface AlarmRouteDeps {
  alarms: AlarmService;
  store: AlarmStore;
  catalog: (name: string) => ObservableInfo | undefined;
  audit: (res: Response, action: string, target: string, detail?: Record<string, unknown>) => Promise<void>;
  writes: express.RequestHandler;
  smallJson: express.RequestHandler;
}

const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const shelveSchema = z
  .object({
    for: z.string().regex(DURATION, "a duration such as 1h, 6h, 12h, 1d or 7d").optional(),
    until: z.union([z.number().int().min(0), z.string().datetime({ offset: true })]).optional(),
    oneShot: z.literal(true).optional(),
    reason: z.string().trim().min(1, "say why the alarm is shelved").max(1000),
  })
  .strict()
  .refine((b) => [b.for, b.until, b.oneShot].filter((x) => x !== undefined).length === 1, {
    message: "give one of for, until or oneShot",
    path: ["for"],
  });
const commentSchema = z.object({ comment: z.string().max(1000).default("") }).strict();
const reasonSchema = z.object({ reason: z.string().trim().min(1, "say why").max(1000) }).strict();
const historySchema = z
  .object({
    from: z.coerce.number().int().min(0).optional(),
    to: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

export function alarmRoutes(deps: AlarmRouteDeps): Router {
  const router = Router();
  const show = (s: AlarmState) => deps.alarms.view(s);

  router.get("/api/alarms", (_req, res) => {
    const { rulesRevision } = deps.alarms;
    res.json({ alarms: deps.alarms.list().map(show), counts: deps.alarms.counts(), rulesRevision, at: Date.now() });
  });
  router.get("/api/alarms/history", async (req, res) => {
    const q = historySchema.safeParse(req.query);
    if (!q.success) return fail(res, 400, "invalid query", fieldErrors(q.error));
    const to = q.data.to ?? Date.now();
    res.json({ events: await deps.store.history(q.data.from ?? to - 86_400_000, to, q.data.limit) });
  });
  // The MAJOR spans of the alarms whose rules propose flags, for the runs' flag proposals.
  router.get("/api/alarms/spans", async (req, res) => {
    const q = historySchema.safeParse(req.query);
    if (!q.success) return fail(res, 400, "invalid query", fieldErrors(q.error));
    const to = q.data.to ?? Date.now();
    const from = q.data.from ?? to - 86_400_000;
    // A span that began before `from` is found from the day before.
    const events = await deps.store.history(from - 86_400_000, to, 10_000);
    const spans = majorSpans(events, Math.min(to, Date.now())).flatMap((span) => {
      const rule = deps.alarms.ruleOf(span.id);
      if (!rule?.proposeFlags || span.to < from) return [];
      return [{ ...span, path: rule.path, unit: deps.catalog(span.observable)?.unit ?? "", limits: rule.major ?? null }];
    });
    res.json({ spans });
  });
  router.get("/api/alarms/:id", (req, res) => {
    const alarm = deps.alarms.get(String(req.params.id));
    if (!alarm) return fail(res, 404, "no such alarm", [{ field: "id", message: `no alarm ${String(req.params.id)}` }]);
    res.json(show(alarm));
  });
  const handle = [mayDo("handle-alarms"), deps.writes, deps.smallJson];
  router.post("/api/alarms/:id/:action", ...handle, (req, res) => act(deps, show, req, res));

  router.get("/api/alarm-rules", async (_req, res) => {
    const record = await deps.store.rules();
    res.setHeader("ETag", `"${record.revision}"`);
    res.json(record.doc);
  });
  router.get("/api/alarm-rules/history", async (_req, res) => res.json({ revisions: await deps.store.rulesHistory() }));
  router.get("/api/alarm-rules/revisions/:revision", async (req, res) => {
    const record = /^\d{1,9}$/.test(String(req.params.revision))
      ? await deps.store.rulesRevision(Number(req.params.revision))
      : undefined;
    if (!record)
      return fail(res, 404, "no such revision", [{ field: "revision", message: `no revision ${String(req.params.revision)}` }]);
    res.json(record);
  });
  router.put("/api/alarm-rules", mayDo("edit-alarm-rules"), deps.writes, express.json({ limit: "2mb" }), async (req, res) => {
    await saveRules(deps, req, res);
  });
  return router;
}

/** Parses an operator's action from the path and body; a string is what is wrong. */
function actionOf(name: string, body: unknown): AlarmAction | FieldError[] {
  const parse = <T>(schema: z.ZodType<T>) => {
    const parsed = schema.safeParse(body ?? {});
    return parsed.success ? parsed.data : fieldErrors(parsed.error);
  };
  if (name === "ack") {
    const b = parse(commentSchema);
    return Array.isArray(b) ? b : { kind: "ack", comment: b.comment };
  }
  if (name === "shelve") {
    const b = parse(shelveSchema);
    if (Array.isArray(b)) return b;
    const match = b.for ? DURATION.exec(b.for) : null;
    const until = match
      ? Date.now() + Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
      : b.until !== undefined
        ? new Date(b.until).getTime()
        : null;
    return { kind: "shelve", reason: b.reason, until };
  }
  if (name === "disable") {
    const b = parse(reasonSchema);
    return Array.isArray(b) ? b : { kind: "disable", reason: b.reason };
  }
  if (name === "unshelve" || name === "enable") return { kind: name };
  return [{ field: "action", message: "one of ack, shelve, unshelve, disable, enable" }];
}

async function act(deps: AlarmRouteDeps, show: (s: AlarmState) => unknown, req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const name = String(req.params.action);
  const action = actionOf(name, req.body);
  if (Array.isArray(action)) return fail(res, 400, `invalid ${name}; nothing changed`, action);
  if (!deps.alarms.get(id)) return fail(res, 404, "no such alarm", [{ field: "id", message: `no alarm ${id}` }]);
  const outcome = deps.alarms.act(id, action, who(res).name);
  if (typeof outcome === "string") return fail(res, 409, outcome, [{ field: "id", message: outcome }]);
  await deps.audit(res, `alarm.${name}`, id, action.kind === "ack" ? { comment: action.comment } : { ...action });
  res.json(show(outcome));
}

/** Validates and saves a new revision of the rules; the rules' observables must be in the catalog. */
async function saveRules(deps: AlarmRouteDeps, req: Request, res: Response): Promise<AlarmRules | undefined> {
  const parsed = parseAlarmRules(req.body);
  if (!parsed.ok) return void fail(res, 400, "invalid alarm rules; nothing was saved", parsed.errors);
  const unknown: FieldError[] = parsed.value.rules.flatMap((r, i) =>
    r.observable && !deps.catalog(r.observable)
      ? [{ field: `rules[${i}].observable`, message: `${r.observable} is not in the catalog` }]
      : [],
  );
  if (unknown.length) return void fail(res, 400, "invalid alarm rules; nothing was saved", unknown);
  const match = /^"?(\d+)"?$/.exec(String(req.headers["if-match"] ?? ""));
  const base = match ? Number(match[1]) : undefined;
  const saved = await deps.alarms.setRules(parsed.value, base, who(res).name, String(req.query.message ?? "").slice(0, 500));
  if (!saved.ok)
    return void fail(res, 409, "the rules were saved by someone else meanwhile", [
      { field: "If-Match", message: `the latest revision is ${saved.latest}` },
    ]);
  await deps.audit(res, "alarm-rules.save", String(saved.record.revision), { rules: parsed.value.rules.length });
  res.setHeader("ETag", `"${saved.record.revision}"`);
  res.json(saved.record.doc);
  return saved.record.doc;
}
