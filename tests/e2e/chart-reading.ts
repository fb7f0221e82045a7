// Reading a chart in a test as a shifter reads it: the tooltip's time, the chart by its widget's
// title, and the files its Data dialog downloads.
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect } from "./fixtures.js";

/** A local "YYYY-MM-DD HH:MM:SS.mmm" as the tooltip writes it, in epoch ms. */
export function fromTooltip(text: string): number {
  const m = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/.exec(text)!;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

/** A widget's chart, by the widget's title. */
export const plotOf = (page: Page, title: string) =>
  page.getByRole("region", { name: title }).locator("svg[aria-label*='points drawn']");

/** A file a widget's Data dialog downloads (CSV or Parquet), where Playwright saved it. */
export async function download(page: Page, title: string, what: "CSV" | "Parquet"): Promise<string> {
  await page.getByRole("button", { name: `Data of ${title}` }).click();
  const dialog = page.getByRole("dialog", { name: `Data of ${title}` });
  await expect(dialog.getByRole("table", { name: `Readings of ${title}` })).toBeVisible();
  const saving = page.waitForEvent("download");
  await dialog.getByRole("button", { name: `Download ${what}` }).click();
  const path = (await (await saving).path())!;
  await dialog.getByRole("button", { name: "Close" }).click();
  return path;
}

/** The CSV a widget's Data dialog downloads: its provenance lines and its rows. */
export async function downloadCsv(page: Page, title: string) {
  const text = readFileSync(await download(page, title, "CSV"), "utf8");
  const lines = text.trimEnd().split("\n");
  const provenance = lines.filter((l) => l.startsWith("# "));
  const [header, ...rows] = lines.filter((l) => !l.startsWith("# "));
  return { provenance, header, rows: rows.map((r) => r.split(",")) };
}
