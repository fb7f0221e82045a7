// Dashboards kept in git (layouts/*.json), offered as templates: each checked as any other.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Router } from "express";
import { type Dashboard, parseDashboard } from "../../src/core/dashboard.js";
import { projectRoot } from "../../loaders/paths.js";
import { fail } from "../http-fail.js";

const TEMPLATE_FILE = /^[A-Za-z0-9_-]{1,64}\.json$/;

async function readTemplates(dir: string): Promise<{ name: string; dashboard: Dashboard }[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => TEMPLATE_FILE.test(f)).sort();
  const templates: { name: string; dashboard: Dashboard }[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(join(dir, file), "utf8"));
    } catch {
      continue;
    }
    const parsed = parseDashboard(doc);
    if (parsed.ok) templates.push({ name: file.slice(0, -".json".length), dashboard: parsed.value });
  }
  return templates;
}

export function templateRoutes(layoutsDir = join(projectRoot, "layouts")): Router {
  const router = Router();
  router.get("/api/templates", async (_req, res) => {
    const templates = await readTemplates(layoutsDir);
    res.json({
      templates: templates.map((t) => ({ name: t.name, title: t.dashboard.title, description: t.dashboard.description })),
    });
  });
  router.get("/api/templates/:name", async (req, res) => {
    const name = String(req.params.name);
    const found = (await readTemplates(layoutsDir)).find((t) => t.name === name);
    if (!found) return fail(res, 404, "no such template", [{ field: "name", message: `no valid layouts/${name}.json` }]);
    res.json(found);
  });
  return router;
}
