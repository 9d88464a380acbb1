// Two browser contexts are two devices of one user. Device A creates the
// account, device B (a phone) signs in: A is told at once. A signs B out
// from its device list: B's page says why within a second, and B can
// neither reconnect nor refresh its session. Screens at a phone size and
// a desktop size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { launch, until, phone, desktop } from "../lib/browser.mjs";

const androidUA =
  "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36";
const linuxUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the account page on a new device (browser context). */
async function device(viewport, userAgent) {
  const context = await browser.newContext({ viewport, userAgent });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    // A refused refresh is an expected 401, which Chromium logs as a
    // failed resource; anything else is a bug.
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 40[13]/.test(m.text())) {
      page.errors.push(m.text());
    }
  });
  await page.goto(`${server.url}/account.html`);
  return page;
}

const artifacts = fileURLToPath(new URL("../artifacts", import.meta.url));

/** Screenshots of the page at a phone size and a desktop size, under e2e/artifacts/. */
async function snap(page, name) {
  await mkdir(artifacts, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of [["phone", phone], ["desktop", desktop]]) {
    await page.setViewportSize(size);
    await page.evaluate(() => void document.body.offsetHeight); // lay out at the new size
    await page.screenshot({ path: `${artifacts}/${name}-${label}.png`, fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** The device names listed on the page. */
function deviceNames(page) {
  return page.locator("#devices .acct-device-name").allTextContents();
}

test("a device signed out from another one is cut off at once and says why", async () => {
  const a = await device(desktop, linuxUA);
  const b = await device(phone, androidUA);
  try {
    // A: create the account.
    await a.locator("#auth:not([hidden])").waitFor();
    await snap(a, "acct-1-sign-in");
    await a.locator("#tab-signup").click();
    await a.locator("#signup-name").fill("Ada");
    await a.locator("#signup-email").fill("ada@example.com");
    await a.locator("#signup-password").fill("correct horse battery");
    await a.locator("#form-signup button[type=submit]").click();
    await a.locator("#account:not([hidden])").waitFor();
    await a.locator("#acct-conn[data-state=connected]").waitFor();
    assert.equal(await a.locator("#me-name").textContent(), "Ada");
    assert.equal(await a.locator("#me-role").isHidden(), true, "no role tag for a plain user");
    await until(async () => (await deviceNames(a)).length === 1, { message: "A's own device listed" });
    assert.match((await deviceNames(a))[0], /^Chrome on Linux this device$/);

    // B: sign in on the phone. A is told, and lists it.
    await b.locator("#signin-email").fill("ada@example.com");
    await b.locator("#signin-password").fill("correct horse battery");
    await b.locator("#form-signin button[type=submit]").click();
    await b.locator("#account:not([hidden])").waitFor();
    await b.locator("#acct-conn[data-state=connected]").waitFor();
    const notice = a.locator("#notices li[data-type='account.signin']");
    await notice.waitFor({ timeout: 5000 });
    assert.match(await notice.textContent(), /New sign-in on Chrome on Android from 127\.0\.0\.1/);
    await until(async () => (await deviceNames(a)).length === 2, { message: "A lists both devices" });
    assert.deepEqual(await deviceNames(a), ["Chrome on Linux this device", "Chrome on Android"]);
    assert.deepEqual(await deviceNames(b), ["Chrome on Android this device", "Chrome on Linux"]);
    await snap(a, "acct-2-new-sign-in-A");
    await snap(b, "acct-2-devices-B");

    // A signs B out. B shows why within a second.
    const revoke = a.locator("#devices li:not([data-current]) .acct-revoke");
    assert.equal(await revoke.getAttribute("aria-label"), "Sign out Chrome on Android (last active just now)");
    const clicked = Date.now();
    await revoke.click();
    await b.locator("#signed-out:not([hidden])").waitFor({ timeout: 1000 });
    const took = Date.now() - clicked;
    assert.ok(took <= 1000, `B showed the signed-out screen ${took} ms after the click`);
    assert.equal(await b.locator("#signed-out-reason").textContent(), "Session revoked from another device.");
    assert.equal(await b.locator("#acct-conn").getAttribute("data-state"), "signed-out");
    assert.equal(await b.locator("#account").isHidden(), true, "B's account view is gone");
    await snap(b, "acct-3-signed-out-B");

    // A lists one device again and notes the sign-out.
    await until(async () => (await deviceNames(a)).length === 1, { message: "A lists one device" });
    await a.locator("#notices li[data-type='account.session_revoked']").waitFor({ timeout: 5000 });
    await snap(a, "acct-3-after-revoke-A");

    // B cannot refresh its session…
    const refresh = await b.evaluate(async () => {
      const r = await fetch("/account/refresh", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(refresh.status, 401);
    assert.equal(refresh.body.error.code, 1103);
    assert.equal(refresh.body.error.message, "session revoked from another device");
    // …and a reload (the only way back) lands on the same screen, not on
    // a live connection.
    await b.reload();
    await b.locator("#signed-out:not([hidden])").waitFor();
    assert.equal(await b.locator("#signed-out-reason").textContent(), "Session revoked from another device.");
    assert.equal(await b.locator("#acct-conn").getAttribute("data-state"), "none");
    // A is still live.
    assert.equal(await a.locator("#acct-conn").getAttribute("data-state"), "connected");

    // B signs in again from the signed-out screen.
    await b.locator("#signed-out-again").click();
    await b.locator("#signin-email").fill("ada@example.com");
    await b.locator("#signin-password").fill("wrong password");
    await b.locator("#form-signin button[type=submit]").click();
    await b.locator("#auth-problem:not([hidden])", { hasText: "email or password is wrong" }).waitFor();
    await snap(b, "acct-4-wrong-password-B");

    assert.deepEqual([...a.errors, ...b.errors], []);
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test("a guest account, its notices and signing out everywhere else", async () => {
  const a = await device(phone, androidUA);
  try {
    await a.locator("#tab-guest").click();
    await a.locator("#guest-name").fill("Guest Gus");
    await a.locator("#form-guest button[type=submit]").click();
    await a.locator("#account:not([hidden])").waitFor();
    assert.equal(await a.locator("#me-role").textContent(), "guest");
    assert.equal(await a.locator("#upgrade-card").isHidden(), false);
    await a.locator("#acct-conn[data-state=connected]").waitFor();
    await snap(a, "acct-5-guest");
    assert.deepEqual(a.errors, []);
  } finally {
    await a.context().close();
  }
});

test("the live room joins as the signed-in account and says when it is signed out", async () => {
  const a = await device(desktop, linuxUA);
  const b = await device(phone, androidUA);
  try {
    // A creates an account, then follows "← Live room".
    await a.locator("#tab-signup").click();
    await a.locator("#signup-name").fill("Grace");
    await a.locator("#signup-email").fill("grace@example.com");
    await a.locator("#signup-password").fill("correct horse battery");
    const signedUp = a.waitForResponse((r) => r.url().endsWith("/account/signup"));
    await a.locator("#form-signup button[type=submit]").click();
    const grace = (await (await signedUp).json()).user;
    await a.locator("#account:not([hidden])").waitFor();
    await a.locator(".acct-back").click();
    await a.locator("#badge[data-state=connected]").waitFor({ timeout: 10000 });
    assert.equal(await a.locator("#name-dialog").evaluate((d) => d.open), false, "no name prompt for an account");
    assert.equal(await a.locator("#me").textContent(), "Grace");
    assert.equal(await a.evaluate(() => document.body.dataset.account), "signed-in");
    assert.equal(await a.locator("#d-user").textContent(), `${grace.id} (account)`);
    // The server sees the account too: A's message in the log carries its id.
    await a.locator("#composer-input").fill("hello as an account");
    await a.locator("#composer-input").press("Enter");
    // The server's copy, not the pending one the page shows at once.
    const line = a.locator("#log li.msg[data-state=confirmed]", { hasText: "hello as an account" });
    await line.waitFor({ timeout: 5000 });
    assert.equal(await line.locator(`[data-user="${grace.id}"]`).count() > 0, true, "the message's author is the account");

    // B signs in on the phone and opens the room; A signs B out.
    await b.locator("#signin-email").fill("grace@example.com");
    await b.locator("#signin-password").fill("correct horse battery");
    await b.locator("#form-signin button[type=submit]").click();
    await b.locator("#account:not([hidden])").waitFor();
    await b.goto(`${server.url}/`);
    await b.locator("#badge[data-state=connected]").waitFor({ timeout: 10000 });
    assert.equal(await b.locator("#me").textContent(), "Grace");
    await a.goto(`${server.url}/account.html`);
    const revoke = a.locator("#devices li:not([data-current]) .acct-revoke");
    await revoke.waitFor();
    await revoke.click();
    const note = b.locator("#note:not([hidden])", { hasText: "Signed out of your account: Session revoked from another device" });
    await note.waitFor({ timeout: 2000 });
    assert.equal(await b.evaluate(() => document.body.dataset.account), "signed-out");
    assert.equal(await b.locator("#note a").getAttribute("href"), "/account.html");
    await snap(b, "acct-6-room-signed-out-B");

    // B writes anyway: the page knows the connection is closed for good,
    // so the composer refuses at once and says why — no "sending…" that
    // fails seconds later. The text stays in the box.
    const input = b.locator("#composer-input");
    await input.fill("are you still there?");
    const pressed = Date.now();
    await input.press("Enter");
    await b.locator("#feedback:not([hidden])", { hasText: /^not sent: you are signed out — sign in again to write here$/ }).waitFor({ timeout: 1000 });
    const took = Date.now() - pressed;
    assert.ok(took < 1000, `refused within a second (${took} ms)`);
    assert.equal(await b.locator("#log li.msg", { hasText: "are you still there?" }).count(), 0, "no pending copy");
    assert.equal(await input.inputValue(), "are you still there?", "the text is kept");
    // Beside the composer, in full: why, and what to do.
    const why = /^You are signed out \(session revoked from another device\): this page can no longer send — sign in again to write here\.$/;
    await b.locator("#standing:not([hidden])[data-kind=error]", { hasText: why }).waitFor();
    assert.equal(await b.locator("#send").getAttribute("aria-disabled"), "true");
    await snap(b, "acct-7-room-signed-out-send-B");

    assert.deepEqual([...a.errors, ...b.errors], []);
  } finally {
    await a.context().close();
    await b.context().close();
  }
});
