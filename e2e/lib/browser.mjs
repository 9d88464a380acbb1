// Debian's Chromium driven by playwright-core (no browser is downloaded),
// plus the helpers the tests share: joining a room, waiting for a condition,
// and screenshots at a phone and a desktop size.
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";
import assert from "node:assert/strict";
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
  await page.locator("#online:not([data-stale])").waitFor({ timeout: 10000 });
  assert(/^\d+$/.test((await page.locator("#online-count").textContent()) ?? ""), "the online count is a number");
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

/**
 * The fonts the browser really used to draw the text of the first element
 * matching selector, as [{ familyName, glyphCount }], from Chromium's DevTools
 * protocol (CSS.getPlatformFontsForNode): computed styles only say which
 * fonts were asked for, not which one had the glyphs.
 */
export async function platformFonts(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("DOM.enable");
    await cdp.send("CSS.enable");
    const { root } = await cdp.send("DOM.getDocument", { depth: 0 });
    const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
    if (!nodeId) throw new Error(`no element matches ${selector}`);
    const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
    return fonts.map(({ familyName, glyphCount }) => ({ familyName, glyphCount }));
  } finally {
    await cdp.detach();
  }
}

/** Colour emoji fonts of Linux, macOS and Windows. */
const colourEmojiFamilies = ["Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji"];

/**
 * The colour emoji font installed on this machine: draws 😂 in a probe that
 * names only colour emoji families and reads which font was used. Fails
 * when there is none, since then the emoji tests could check nothing.
 */
export async function colourEmojiFont(page) {
  await page.evaluate((families) => {
    const probe = document.createElement("span");
    probe.id = "emoji-probe";
    probe.textContent = "😂";
    probe.style.fontFamily = families.map((f) => `"${f}"`).join(", ");
    document.body.append(probe);
  }, colourEmojiFamilies);
  try {
    const used = (await platformFonts(page, "#emoji-probe")).map((f) => f.familyName);
    const found = used.find((f) => colourEmojiFamilies.includes(f));
    if (!found) {
      throw new Error(`no colour emoji font installed (😂 was drawn with ${used.join(", ")}): apt-get install fonts-noto-color-emoji`);
    }
    return found;
  } finally {
    await page.evaluate(() => document.getElementById("emoji-probe")?.remove());
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
