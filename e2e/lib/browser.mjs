// Debian's Chromium driven by playwright-core (no browser is downloaded),
// plus the helpers the tests share: joining a room, waiting for a condition,
// and screenshots at a phone and a desktop size.
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join as joinPath } from "node:path";

export const chromiumPath = "/usr/bin/chromium";
export const phone = { width: 360, height: 740 };
export const desktop = { width: 1280, height: 800 };
const artifacts = fileURLToPath(new URL("../artifacts", import.meta.url));

/** Launches headless Chromium. Playwright gives each launch a fresh profile (user data dir). */
export function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--no-sandbox",
      "--disable-dev-shm-usage",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/**
 * Opens the room at baseURL in a new browser context as name, and waits
 * until the page shows it connected. Console errors are collected on
 * page.errors. initScript (a function) runs in the page before its own
 * scripts, e.g. to take WebSocket away.
 */
export async function join(browser, baseURL, room, name, viewport = desktop, { initScript } = {}) {
  const context = await browser.newContext({ viewport });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(m.text());
  });
  await page.goto(`${baseURL}/?room=${encodeURIComponent(room)}`);
  await page.locator("#name-input").fill(name);
  await page.locator("#name-form button[type=submit]").click();
  await badge(page, "connected");
  await until(async () => /^\d+$/.test((await page.locator("#online-count").textContent()) ?? ""), {
    message: "the online count",
  });
  return page;
}

/** Waits until the connection badge shows state. */
export async function badge(page, state, timeout = 20000) {
  await page.locator(`#badge[data-state="${state}"]`).waitFor({ timeout });
}

/** Sends a chat message from the composer and waits until it is delivered. */
export async function say(page, text) {
  await page.locator("#composer-input").fill(text);
  await page.keyboard.press("Enter");
  await page
    .locator("#log li.msg.mine[data-state=confirmed][data-offset]", { hasText: text })
    .last()
    .waitFor({ timeout: 10000 });
}

/** The texts of the chat messages on the page, in order. */
export function texts(page) {
  return page.locator("#log li.msg[data-offset] .text").allTextContents();
}

/** Polls fn until it returns a truthy value or timeout passes (no fixed sleeps). */
export async function until(fn, { timeout = 15000, interval = 100, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Screenshots of the page at a phone size and a desktop size, under e2e/artifacts/. */
export async function snap(page, name) {
  await mkdir(artifacts, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of [["phone", phone], ["desktop", desktop]]) {
    await page.setViewportSize(size);
    await page.locator("#log").evaluate((log) => void log.offsetHeight); // lay out at the new size
    await page.screenshot({ path: joinPath(artifacts, `${name}-${label}.png`) });
  }
  if (before) await page.setViewportSize(before);
}
