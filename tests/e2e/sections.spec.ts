// Tabs and rows (schema 4): a version-3 dashboard opens migrated; an editor adds a row and a tab
// with widgets in them, saves, and after a reload the tabs and rows are as left; a folded row's
// widget is not drawn until the row is opened; another tab shows its own widgets only.
import { INGEST_TOKEN, expect, test } from "./fixtures.js";

const auth = { Authorization: `Bearer ${INGEST_TOKEN}` };

test("a version-3 dashboard gains a row and a tab, saved and reloaded, folded and opened", async ({ page, request }) => {
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: {
      schemaVersion: 3,
      title: "Shift with sections",
      elements: { rate: { kind: "stat", title: "Rate", series: [{ observable: "trigger.rate", channel: 0 }] } },
      layout: { items: [{ element: "rate", x: 0, y: 0, w: 3, h: 3 }] },
    },
  });
  expect(saved.status()).toBe(201);
  const id = ((await saved.json()) as { id: string }).id;
  const stored = (await (await request.get(`/api/dashboards/${id}`)).json()) as {
    dashboard: { schemaVersion: number; layout: unknown };
  };
  expect(stored.dashboard.schemaVersion).toBe(4);
  expect(stored.dashboard.layout).toMatchObject({ rows: [], tabs: [] });

  await page.goto(`/d/${id}?edit`);
  await expect(page.getByLabel("Rate value")).toBeVisible();
  // A row "HV" with a widget in it.
  await page.getByLabel("Row or tab title").fill("HV");
  await page.getByRole("button", { name: "Add row" }).click();
  const row = page.getByRole("region", { name: "Row HV" });
  await expect(row).toBeVisible();
  await page.getByLabel("New widgets go to").selectOption({ label: "row HV" });
  await page.getByLabel("Observable").selectOption("camera.humidity");
  await page.getByLabel("Chart type").selectOption("stat");
  await page.getByLabel("Widget title").fill("Humidity");
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(row.getByLabel("Humidity value")).toBeVisible();
  // A tab "Trigger" with its own widget; the first tab keeps what was there.
  await page.getByLabel("Row or tab title").fill("Trigger");
  await page.getByRole("button", { name: "Add tab" }).click();
  await expect(page.getByRole("tab", { name: "Trigger" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByLabel("Rate value")).toHaveCount(0);
  await page.getByLabel("Observable").selectOption("trigger.rate");
  await page.getByLabel("Chart type").selectOption("timeseries");
  await page.getByLabel("Widget title").fill("Rate over time");
  await page.getByRole("button", { name: "Add widget" }).click();
  await expect(page.getByRole("region", { name: "Rate over time" }).locator("[aria-label*='points drawn']")).toBeVisible();
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("status").first()).toContainText("Saved");

  await page.goto(`/d/${id}`);
  await expect(page.getByRole("tab", { name: "Main" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByLabel("Rate value")).toBeVisible();
  await expect(page.getByRole("region", { name: "Row HV" }).getByLabel("Humidity value")).toBeVisible();
  await expect(page.getByRole("region", { name: "Rate over time" })).toHaveCount(0);
  // Folded, the row's widget is not drawn (nor read); opened, it is again.
  await page.getByRole("button", { name: "▾ HV" }).click();
  await expect(page.getByRole("button", { name: "▸ HV" })).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByLabel("Humidity value")).toHaveCount(0);
  await page.getByRole("button", { name: "▸ HV" }).click();
  await expect(page.getByLabel("Humidity value")).toBeVisible();
  await page.getByRole("tab", { name: "Trigger" }).click();
  await expect(page.getByRole("region", { name: "Rate over time" }).locator("[aria-label*='points drawn']")).toBeVisible();
  await expect(page.getByLabel("Rate value")).toHaveCount(0);
  // The tab shown is in the address: a link opens it.
  await expect(page).toHaveURL(/[?&]tab=t2/);
  await page.reload();
  await expect(page.getByRole("tab", { name: "Trigger" })).toHaveAttribute("aria-selected", "true");
  // A reader folding a row in view mode has changed nothing of the dashboard.
  await expect(page.getByRole("status").first()).not.toContainText("Unsaved changes");

  // A widget placed at the top moves into the row from its settings.
  await page.goto(`/d/${id}?edit`);
  await page.getByRole("button", { name: "Settings of Rate" }).click();
  const settings = page.getByRole("dialog", { name: "Settings of Rate" });
  await settings.getByLabel("Place in").selectOption({ label: "row HV (tab Main)" });
  await settings.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("region", { name: "Row HV" }).getByLabel("Rate value")).toBeVisible();
});

test("a widget dragged onto another row, a folded row's title or another tab moves there, and stays there after a save", async ({
  page,
  request,
}) => {
  const stat = (title: string, observable: string) => ({ kind: "stat", title, series: [{ observable, channel: 0 }] });
  const saved = await request.post("/api/dashboards", {
    headers: auth,
    data: {
      schemaVersion: 4,
      title: "Widgets dragged across sections",
      elements: {
        rate: stat("Rate", "trigger.rate"),
        humidity: stat("Humidity", "camera.humidity"),
        temp: stat("Temperature", "camera.temperature"),
      },
      layout: {
        tabs: [
          { id: "t1", title: "Main" },
          { id: "t2", title: "Trigger" },
        ],
        rows: [
          { id: "r1", title: "HV", collapsed: false, tab: "t1" },
          { id: "r2", title: "Cold", collapsed: true, tab: "t1" },
        ],
        items: [
          { element: "rate", x: 0, y: 0, w: 3, h: 3, tab: "t1" },
          { element: "humidity", x: 3, y: 0, w: 3, h: 3, tab: "t1" },
          { element: "temp", x: 6, y: 0, w: 3, h: 3, tab: "t1" },
        ],
      },
    },
  });
  expect(saved.status(), await saved.text()).toBe(201);
  const id = ((await saved.json()) as { id: string }).id;
  // A screen tall enough to show the rows below the top's widgets.
  await page.setViewportSize({ width: 1280, height: 2200 });
  await page.goto(`/d/${id}?edit`);
  await expect(page.getByLabel("Rate value")).toBeVisible();
  // As a user drags: toward the target, following it with the eye (the widget's own grid grows
  // under it while it is dragged down, and what is below moves down), until it is marked.
  const dragOnto = async (title: string, target: import("@playwright/test").Locator) => {
    // Where the title bar has come to rest (the grid animates widgets to their places).
    const handle = page.getByLabel(`Move ${title} (arrow keys; Shift+arrows resize)`, { exact: true });
    let from = (await handle.boundingBox())!;
    await expect(async () => {
      const [before, after] = [from, (await handle.boundingBox())!];
      from = after;
      expect(after).toEqual(before);
    }).toPass({ intervals: [100] });
    await page.mouse.move(from.x + 20, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + 40, from.y + from.height / 2 + 10, { steps: 4 });
    const drop = target.locator("xpath=ancestor-or-self::*[@data-drop][1]");
    await expect(async () => {
      const to = (await target.boundingBox())!;
      await page.mouse.move(to.x + to.width / 2, to.y + Math.min(to.height / 2, 12), { steps: 6 });
      // Marked as where the widget would go.
      await expect(drop).toHaveClass(/drop-target/, { timeout: 500 });
    }).toPass({ timeout: 10_000 });
    await page.mouse.up();
  };
  const row = page.getByRole("region", { name: "Row HV" });
  await dragOnto("Rate", row);
  await expect(row.getByLabel("Rate value")).toBeVisible();
  await dragOnto("Temperature", page.getByRole("button", { name: "▸ Cold" }));
  await expect(page.getByLabel("Temperature value")).toHaveCount(0);
  await expect(page.getByRole("region", { name: "Row Cold" })).toContainText("1 widget");
  await dragOnto("Humidity", page.getByRole("tab", { name: "Trigger" }));
  await expect(page.getByLabel("Humidity value")).toHaveCount(0);
  await expect(page.getByRole("status").first()).toContainText("Unsaved changes");
  await page.getByRole("button", { name: "Save dashboard" }).click();
  await expect(page.getByRole("status").first()).toContainText("Saved");

  const stored = (await (await request.get(`/api/dashboards/${id}`)).json()) as {
    dashboard: { layout: { items: { element: string; row?: string; tab?: string }[] } };
  };
  const where = Object.fromEntries(stored.dashboard.layout.items.map((i) => [i.element, i.row ?? i.tab]));
  expect(where).toEqual({ rate: "r1", temp: "r2", humidity: "t2" });
  await page.goto(`/d/${id}?tab=t2`);
  await expect(page.getByLabel("Humidity value")).toBeVisible();
});
