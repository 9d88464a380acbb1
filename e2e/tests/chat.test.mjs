// Two people chat and react in one room; refused actions explain
// themselves; the layout holds at a phone size and a desktop size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { launch, join, say, texts, snap, until, phone, desktop } from "../lib/browser.mjs";

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

test("two pages chat both ways and a reaction floats on the other page", async () => {
  const a = await join(browser, server.url, "duo", "Ada", desktop);
  const b = await join(browser, server.url, "duo", "Bob", phone);
  try {
    await until(async () => (await b.locator("#online-count").textContent()) === "2", { message: "2 online on B" });

    await say(a, "hello from Ada");
    await b.locator("#log li.msg", { hasText: "hello from Ada" }).waitFor();
    // Events carry user ids; the name comes from presence or the profile.
    await b.locator("#log li.msg", { hasText: "hello from Ada" }).locator(".author", { hasText: /^Ada$/ }).waitFor({ timeout: 5000 });

    await say(b, "hi Ada, Bob here");
    await a.locator("#log li.msg", { hasText: "hi Ada, Bob here" }).waitFor();
    assert.deepEqual(await texts(a), ["hello from Ada", "hi Ada, Bob here"]);
    assert.deepEqual(await texts(b), ["hello from Ada", "hi Ada, Bob here"]);

    await a.locator("#reactions button[aria-label='React with fire']").click();
    await b.locator("#floats .float", { hasText: "🔥" }).first().waitFor({ timeout: 5000 });
    await snap(b, "1-chat-reaction-B");
    await snap(a, "1-chat-reaction-A");
    assert.deepEqual([...a.errors, ...b.errors], []);
  } finally {
    await a.context().close();
    await b.context().close();
  }
});

test("a late joiner sees recent history", async () => {
  const c = await join(browser, server.url, "duo", "Cy", phone);
  try {
    await until(async () => (await texts(c)).length === 2, { message: "history on join" });
    assert.deepEqual(await texts(c), ["hello from Ada", "hi Ada, Bob here"]);
  } finally {
    await c.context().close();
  }
});

test("refused actions say why and what to do", async () => {
  const a = await join(browser, server.url, "limits", "Ada", phone);
  try {
    // Reactions are limited to 10/s with a burst of 20 per connection.
    // Thirty taps in one go, faster than the limit refills.
    await a.locator("#reactions button[aria-label='React with love']").evaluate((b) => {
      for (let i = 0; i < 30; i++) b.click();
    });
    const feedback = a.locator("#feedback");
    await feedback.filter({ hasText: /too fast — retry in \d+\.\d s/ }).waitFor({ timeout: 5000 });
    await snap(a, "4-too-fast");

    // A message over the length limit is refused before it is sent, with the next step.
    await a.locator("#composer-input").fill("x".repeat(501));
    await a.keyboard.press("Enter");
    await feedback.filter({ hasText: "message too long: 501 of 500 characters — shorten it" }).waitFor();
    assert.equal(await a.locator("#composer-input").getAttribute("aria-invalid"), "true");
    assert.equal(await a.locator("#log li.msg").count(), 0);
    await snap(a, "4-too-long");
  } finally {
    await a.context().close();
  }
});

test("layout: thumb-reach controls on a phone, a stage beside the chat on a desktop", async () => {
  const a = await join(browser, server.url, "layout", "Ada", phone);
  try {
    for (let i = 1; i <= 12; i++) await say(a, `filler message ${i}`);
    const targets = ["#composer-input", "#composer button[type=submit]", "#badge", "#change-name"];
    const reactions = await a.locator("#reactions button").all();
    assert.equal(reactions.length, 5);
    const check = async (size) => {
      const boxes = [];
      for (const sel of targets) boxes.push([sel, await a.locator(sel).boundingBox()]);
      for (const [i, r] of reactions.entries()) boxes.push([`reaction ${i}`, await r.boundingBox()]);
      for (const [name, box] of boxes) {
        assert.ok(box, `${name} is shown`);
        assert.ok(box.width >= 44 && box.height >= 44, `${name} is ${box.width}×${box.height}, under 44 px`);
        assert.ok(box.y >= 0 && box.y + box.height <= size.height, `${name} is within the viewport at ${size.width}×${size.height}`);
        assert.ok(box.x >= 0 && box.x + box.width <= size.width, `${name} fits across at ${size.width}`);
      }
      const scroll = await a.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
      assert.deepEqual(scroll, [size.width, size.height], "the page itself does not scroll");
    };
    await check(phone);
    const composer = await a.locator("#composer").boundingBox();
    assert.ok(composer.y > phone.height * 0.75, "the composer sits at the bottom, within thumb reach");
    assert.equal(await a.locator(".stage").isVisible(), false);
    await snap(a, "5-layout");

    await a.setViewportSize(desktop);
    await check(desktop);
    assert.equal(await a.locator(".stage").isVisible(), true, "desktop shows the stage");
    const stage = await a.locator(".stage").boundingBox();
    const chat = await a.locator(".chat").boundingBox();
    assert.ok(stage.x < chat.x && stage.width > chat.width, "stage on the left, chat column on the right");
  } finally {
    await a.context().close();
  }
});

test("keyboard and screen reader: a polite log, labelled controls, Enter sends, calm reactions", async () => {
  const context = await browser.newContext({ viewport: phone, reducedMotion: "reduce" });
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/?room=keys`);
    // The name dialog takes focus; the keyboard alone gets through it.
    await page.keyboard.type("Kim");
    await page.keyboard.press("Enter");
    await page.locator('#badge[data-state="connected"]').waitFor();

    const log = page.locator("#log");
    assert.equal(await log.getAttribute("role"), "log");
    assert.equal(await log.getAttribute("aria-live"), "polite");
    for (const b of await page.locator("button:visible").all()) {
      const name = (await b.getAttribute("aria-label")) ?? (await b.textContent()).trim();
      assert.ok(name, "every visible button has an accessible name");
    }

    // Tab from the top: the skip link first, and it leads to the message box.
    await page.locator("body").focus();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.className), "skip");
    await page.keyboard.press("Enter");
    await page.keyboard.type("typed, not clicked");
    await page.keyboard.press("Enter");
    await page.locator("#log li.msg[data-state=confirmed]", { hasText: "typed, not clicked" }).waitFor();

    // Focus is visible on the reaction buttons, and Space reacts.
    const fire = page.locator("#reactions button[aria-label='React with fire']");
    await fire.focus();
    const outline = await fire.evaluate((b) => `${getComputedStyle(b).outlineStyle} ${getComputedStyle(b).outlineWidth}`);
    assert.equal(outline, "solid 3px", "a focused button shows a clear outline");
    await page.keyboard.press("Space");
    const float = page.locator("#floats .float", { hasText: "🔥" }).first();
    await float.waitFor({ timeout: 5000 });
    assert.equal(await float.evaluate((f) => f.classList.contains("still")), true, "no rising motion when reduced");
    assert.equal(await page.locator("#floats").getAttribute("aria-hidden"), "true");
  } finally {
    await context.close();
  }
});

test("a display name the server refuses: the dialog shows the server's reason and the next name gets in", async () => {
  const context = await browser.newContext({ viewport: phone });
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/?room=names`);
    // A zero-width space passes the page's own checks (not empty, 32 at
    // most) but not the server's.
    await page.locator("#name-input").fill("Zed\u200bZed");
    await page.locator("#name-form button[type=submit]").click();
    const why = page.locator("#name-problem", { hasText: "name has a control or invisible character (U+200B) at character 4" });
    await why.waitFor({ timeout: 10000 });
    assert.equal(await page.locator("#name-input").getAttribute("aria-invalid"), "true");
    await page.locator("#name-input").fill("Zed");
    await page.locator("#name-form button[type=submit]").click();
    await page.locator(`#badge[data-state="connected"]`).waitFor({ timeout: 20000 });
  } finally {
    await context.close();
  }
});

test("a late joiner sees the recent messages even when reactions to them fill the newest history", async () => {
  const room = "busy-reactions";
  const api = async (method, body) => {
    const r = await fetch(`${server.url}/api/${method}`, {
      method: "POST",
      headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    assert.equal(r.status, 200, `${method}: ${text}`);
    return JSON.parse(text);
  };
  const sent = [];
  for (let i = 0; i < 12; i++) sent.push((await api("chat_send", { room, as: `writer-${i}`, text: `message ${i}` })).id);
  // A crowd reacts to the last message: 120 reaction events, newer than
  // every message and more than a page of history.
  for (let i = 0; i < 120; i++) await api("chat_react", { room, as: `fan-${i}`, id: sent[11], emoji: "🔥", on: true });

  const late = await join(browser, server.url, room, "Lia", phone);
  try {
    await until(async () => (await texts(late)).length === 12, { timeout: 5000, message: "the 12 messages on the late joiner's page" });
    assert.deepEqual(await texts(late), sent.map((_, i) => `message ${i}`));
    await late.locator("#log li.msg", { hasText: "message 11" }).locator(".rx", { hasText: "🔥" }).locator("text=120").waitFor({ timeout: 5000 });
    assert.deepEqual(late.errors, []);
  } finally {
    await late.context().close();
  }
});

test("the message rate limit counts down, and Retry waits for it", async (t) => {
  const limited = await startServer(`
[chat]
rate_messages = 3
rate_window = "6s"
`);
  t.after(() => limited.stop());
  const a = await join(browser, limited.url, "rate", "Ada", phone);
  t.after(() => a.context().close());
  for (const n of ["one", "two", "three"]) await say(a, `message ${n}`);

  // The fourth is refused: the server says how long to wait, and the page
  // counts it down instead of offering Retry at once.
  await a.locator("#composer-input").fill("message four");
  await a.keyboard.press("Enter");
  const row = a.locator("#log li.msg[data-state=failed]", { hasText: "message four" });
  const retry = row.getByRole("button", { name: /^Retry/ });
  await row.locator(".why", { hasText: /^too many messages: 3 in 6 s is the limit — you can retry in [1-6] s$/ }).waitFor({ timeout: 5000 });
  assert.equal(await retry.isDisabled(), true, "Retry waits for the limit");
  assert.match(await retry.innerText(), /^Retry in [1-6] s$/);
  await a.locator("#standing", { hasText: /^Too many messages: 3 in 6 s is the limit — you can send again in [1-6] s$/ }).waitFor();
  assert.equal(await a.locator("#send").getAttribute("aria-disabled"), "true");
  await snap(a, "4-rate-limit-countdown");

  // Sending meanwhile says how long to wait; nothing is sent.
  await a.locator("#composer-input").fill("message five");
  await a.keyboard.press("Enter");
  await a.locator("#feedback", { hasText: /^too many messages: wait [1-6] s$/ }).waitFor();
  assert.equal(await a.locator("#log li.msg", { hasText: "message five" }).count(), 0);

  // The count goes down, and Retry is enabled when it ends, not before.
  const first = Number(/in (\d) s/.exec(await retry.innerText())?.[1]);
  await until(async () => {
    const m = /in (\d) s/.exec(await retry.innerText());
    return m && Number(m[1]) < first;
  }, { timeout: 3000, interval: 50, message: "the countdown to go down" });
  const retryAt = Number(await row.getAttribute("data-retry-at"));
  await until(() => retry.isEnabled(), { timeout: 9000, interval: 50, message: "Retry to be enabled" });
  const enabledAt = await a.evaluate(() => Date.now());
  assert.ok(enabledAt >= retryAt, `Retry enabled at ${enabledAt}, not before the wait ended at ${retryAt}`);
  assert.equal(await retry.innerText(), "Retry");
  await row.locator(".why", { hasText: "too many messages: 3 in 6 s is the limit — you can retry now" }).waitFor();
  await a.locator("#standing", { hasText: "Too many messages" }).waitFor({ state: "hidden" });
  assert.equal(await a.locator("#send").getAttribute("aria-disabled"), "false");
  await retry.click();
  await a.locator("#log li.msg.mine[data-state=confirmed][data-offset]", { hasText: "message four" }).waitFor({ timeout: 5000 });
  assert.deepEqual(a.errors, []);
});
