// The agent console page: signing in as a support agent, and screenshots
// of one section of a console.
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join as joinPath } from "node:path";
import { desktop, phone } from "./browser.mjs";

const artifacts = fileURLToPath(new URL("../artifacts", import.meta.url));

/** Opens the agent console as a new agent named name; waits until it is connected. */
export async function openAgent(browser, baseURL, name, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  await page.goto(`${baseURL}/agent.html`);
  await page.locator("#signin-name").fill(name);
  await page.locator("#signin button[type=submit]").click();
  await page.locator('#conn[data-state="connected"]').waitFor({ timeout: 20000 });
  return page;
}

/**
 * Screenshots of one section of a console page at a phone size (its tab
 * chosen) and a desktop size (scrolled into view), under e2e/artifacts/.
 */
export async function snapSection(page, name, section) {
  await mkdir(artifacts, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of [["phone", phone], ["desktop", desktop]]) {
    await page.setViewportSize(size);
    const tab = page.locator(`#tabs button[data-panel="${section}"]`);
    if (await tab.isVisible()) await tab.click();
    await page.locator(`#${section}`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: joinPath(artifacts, `${name}-${label}.png`) });
  }
  if (before) await page.setViewportSize(before);
}
