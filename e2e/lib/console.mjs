// The moderator console page: signing in as a moderator and screenshots.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join as joinPath } from "node:path";
import { desktop, phone } from "./browser.mjs";

const artifacts = fileURLToPath(new URL("../artifacts", import.meta.url));

/** Opens the console of room as a new moderator named name; waits until it is connected. */
export async function openConsole(browser, baseURL, room, name, viewport = desktop) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  await page.goto(`${baseURL}/mod.html?room=${encodeURIComponent(room)}`);
  await page.locator("#signin-name").fill(name);
  await page.locator("#signin button[type=submit]").click();
  await page.locator('#conn[data-state="connected"]').waitFor({ timeout: 20000 });
  return page;
}

/** Screenshots of the console at a phone size and a desktop size. */
export async function snapConsole(page, name) {
  await mkdir(artifacts, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of [["phone", phone], ["desktop", desktop]]) {
    await page.setViewportSize(size);
    await page.locator("body").evaluate((b) => void b.offsetHeight);
    await page.screenshot({ path: joinPath(artifacts, `${name}-${label}.png`) });
  }
  if (before) await page.setViewportSize(before);
}
