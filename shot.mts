import { chromium } from "@playwright/test";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (const [w, h, theme] of [[1000, 900, "light"], [2560, 1300, "dark"]] as const) {
  const page = await browser.newPage({ viewport: { width: w, height: h } });
  await page.addInitScript((t) => localStorage.setItem("runboard.theme", t), theme);
  for (const path of (process.env.PAGES ?? "").split(",")) {
    await page.goto(`http://127.0.0.1:3399${path}`);
    await page.waitForTimeout(Number(process.env.WAIT ?? 5000));
    await page.screenshot({ path: `/tmp/shot-${path.replace(/\W+/g, "_")}-${w}-${theme}.png` });
  }
  await page.close();
}
await browser.close();
