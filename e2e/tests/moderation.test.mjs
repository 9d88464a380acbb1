// Moderation people can see: a deleted message turns into a tombstone on
// every page within a second; a timed-out user is told why and until
// when; a report goes from a viewer's two taps to the moderator's queue
// and back to the reporter as an outcome; a held message waits as
// "pending review" until a moderator approves it; slow mode counts down.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, apiCall } from "../lib/server.mjs";
import { launch, join, say, snap, until, phone, desktop } from "../lib/browser.mjs";
import { openConsole, snapConsole } from "../lib/console.mjs";

let server;
let browser;

before(async () => {
  server = await startServer(`
[chat]
held_terms = ["promo"]
`);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function closeAll(t, ...pages) {
  t.after(async () => {
    for (const p of pages) await p.context().close();
  });
}

test("a moderator deletes a message: the tombstone shows on a viewer's page within 1 s", async (t) => {
  const room = "mod-delete";
  const viewer = await join(browser, server.url, room, "Vic", phone);
  const author = await join(browser, server.url, room, "Ann", desktop);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  closeAll(t, viewer, author, mod);

  // The console says which room it moderates, at both sizes.
  for (const size of [desktop, phone]) {
    await mod.setViewportSize(size);
    // The <h1> clips what overflows it, so its own box is what is seen.
    const heading = mod.locator(".ctop h1");
    const box = await heading.boundingBox();
    assert.ok(box && box.width > 0 && box.x >= 0 && box.x + box.width <= size.width, `the room name's box is in view at ${size.width} px: ${JSON.stringify(box)}`);
    const fits = await heading.evaluate((h) => ({ scroll: h.scrollWidth, client: h.clientWidth }));
    assert.ok(fits.client > 0 && fits.scroll <= fits.client, `the whole room name "${room}" shows at ${size.width} px: ${JSON.stringify(fits)}`);
  }
  await mod.setViewportSize(desktop);

  await say(author, "this will be removed");
  await viewer.locator("#log li.msg", { hasText: "this will be removed" }).waitFor();
  const card = mod.locator("#mod-log li.card", { hasText: "this will be removed" });
  await card.waitFor();
  await snapConsole(mod, "6-console-live-chat");

  const tombstone = viewer.locator("#log li.msg.deleted[data-deleted=moderator]", { hasText: "Message removed by a moderator" });
  const clicked = Date.now();
  await card.getByRole("button", { name: "Delete", exact: true }).click();
  await until(async () => (await tombstone.count()) === 1, { timeout: 1000, interval: 10, message: "the tombstone on the viewer's page within 1 s" });
  const elapsed = Date.now() - clicked;
  assert.ok(elapsed <= 1000, `tombstone after ${elapsed} ms`);
  t.diagnostic(`tombstone on the viewer's page ${elapsed} ms after the click`);
  // The author's page shows it too, and the message is gone, not hidden.
  await author.locator("#log li.msg.deleted", { hasText: "Message removed by a moderator" }).waitFor({ timeout: 5000 });
  assert.equal(await viewer.locator("#log li.msg", { hasText: "this will be removed" }).count(), 0);
  await mod.locator("#audit li.card[data-action=delete]", { hasText: "Mia" }).waitFor({ timeout: 5000 });
  await snap(viewer, "6-tombstone-viewer");
  assert.deepEqual([...viewer.errors, ...mod.errors], []);
});

test("the pin banner follows an edit of the pinned message; deleting it unpins, live and for a viewer who joins later", async (t) => {
  const room = "mod-pin";
  const viewer = await join(browser, server.url, room, "Vic", phone);
  closeAll(t, viewer);
  const sent = await apiCall(server, "chat_send", { room, as: "finn", text: "first msg from Finn" });
  await apiCall(server, "chat_moderate", { room, action: "pin", id: sent.id });
  const banner = viewer.locator("#pinned");
  await banner.filter({ hasText: "first msg from Finn" }).waitFor({ timeout: 5000 });
  // An edit of the pinned message shows in the banner at once.
  await apiCall(server, "chat_edit", { room, as: "finn", id: sent.id, text: "Finn's msg, edited" });
  await banner.filter({ hasText: "Finn's msg, edited" }).waitFor({ timeout: 5000 });
  await apiCall(server, "chat_moderate", { room, action: "delete", id: sent.id, reason: "off topic" });
  await banner.waitFor({ state: "hidden", timeout: 5000 });
  // The edited message is now a tombstone, with no "(edited)" left on it.
  const stone = viewer.locator("#log li.msg.deleted", { hasText: "Message removed by a moderator" });
  await stone.waitFor({ timeout: 5000 });
  assert.equal(await stone.locator(".edited").count(), 0, "a tombstone shows no (edited)");
  // A page that joins afterwards replays the pin (served redacted) and the
  // delete from history: no banner, and no empty one.
  const late = await join(browser, server.url, room, "Lou", desktop);
  closeAll(t, late);
  await late.locator("#log li.msg.deleted").first().waitFor({ timeout: 5000 });
  assert.equal(await late.locator("#pinned").isHidden(), true, "no pin banner for the late joiner");
  assert.deepEqual([...viewer.errors, ...late.errors], []);
});

test("a timed-out user sees why and until when, and keeps reading", async (t) => {
  const room = "mod-timeout";
  const tim = await join(browser, server.url, room, "Tim", phone);
  const other = await join(browser, server.url, room, "Oda", desktop);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  closeAll(t, tim, other, mod);

  await say(tim, "I will be loud");
  const card = mod.locator("#mod-log li.card", { hasText: "I will be loud" });
  await card.waitFor();
  const user = await card.locator(".author").getAttribute("data-user");
  await mod.locator("#user-id").fill(user);
  await mod.locator("#user-action").selectOption("timeout:600");
  await mod.locator("#user-reason").fill("too many caps");
  const start = Date.now();
  await mod.locator("#user-form button[type=submit]").click();

  // The room's event and the personal notice (which carries the reason)
  // arrive in either order: wait for both to have landed.
  const standing = tim.locator("#standing", { hasText: "reason: too many caps" });
  await standing.waitFor({ timeout: 5000 });
  const text = await standing.textContent();
  assert.match(text, /You are timed out until/);
  assert.match(text, /You can read meanwhile/);
  const until = Number(await standing.getAttribute("data-until"));
  assert.ok(Math.abs(until - (start + 600_000)) < 5_000, `the timeout ends ${until - start} ms after it started; want 10 min`);
  const clock = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(until);
  assert.ok(text.includes(clock), `"${text}" says until ${clock}`);
  await tim.locator("#note", { hasText: "A moderator timed you out until" }).waitFor();
  assert.equal(await tim.locator("#send").getAttribute("aria-disabled"), "true", "the send button is off while timed out");

  // Trying anyway says why, and nothing is sent.
  await tim.locator("#composer-input").fill("let me speak");
  await tim.locator("#composer-input").press("Enter");
  await tim.locator("#feedback", { hasText: "You are timed out until" }).waitFor();
  assert.equal(await tim.locator("#log li.msg", { hasText: "let me speak" }).count(), 0);
  // The room sees that moderation happened.
  // …by the name people know, not the user id.
  await other.locator("#log li.system", { hasText: "Tim was timed out by a moderator for 10 min" }).waitFor();
  // Reading goes on.
  await say(other, "you can still read this");
  await tim.locator("#log li.msg", { hasText: "you can still read this" }).waitFor();
  // Both the room's event and the notice have landed by now, in whichever
  // order: the reason is still shown.
  await tim.locator("#log li.system", { hasText: "You were timed out by a moderator" }).waitFor();
  assert.match(await standing.textContent(), /reason: too many caps/);
  await snap(tim, "7-timed-out");

  // After a reload the page still says why and until when.
  await tim.reload();
  await tim.locator('#badge[data-state="connected"]').waitFor();
  const again = tim.locator("#standing", { hasText: "reason: too many caps" });
  await again.waitFor({ timeout: 5000 });
  // The same end, give or take the page's new estimate of the server clock.
  assert.ok(Math.abs(Number(await again.getAttribute("data-until")) - until) < 1000);
});

test("report flow: two taps, grouped in the queue, acted on, outcome to the reporters", async (t) => {
  const room = "mod-report";
  const troll = await join(browser, server.url, room, "Troll", desktop);
  const rita = await join(browser, server.url, room, "Rita", phone);
  const rex = await join(browser, server.url, room, "Rex", desktop);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  closeAll(t, troll, rita, rex, mod);

  await say(troll, "buy cheap followers at my site");
  for (const [page, reason] of [[rita, "Spam or scam"], [rex, "Harassment or bullying"]]) {
    const msg = page.locator("#log li.msg", { hasText: "buy cheap followers" });
    await msg.waitFor();
    await msg.getByRole("button", { name: /Actions for the message/ }).click();
    await page.locator("#msg-sheet").getByRole("button", { name: "Report…" }).click(); // tap 1
    if (page === rita) await snap(page, "8-report-sheet");
    await page.locator("#report-sheet").getByRole("button", { name: reason }).click(); // tap 2
    await page.locator("#feedback", { hasText: "Report sent" }).waitFor();
  }

  const group = mod.locator("#reports li.card.report", { hasText: "buy cheap followers" });
  await group.locator(".meta", { hasText: "2 reports: spam, harassment" }).waitFor({ timeout: 5000 });
  assert.equal(await mod.locator("#reports li.card").count(), 1, "both reports in one group");
  await snapConsole(mod, "8-console-reports");

  await group.getByRole("button", { name: "Delete message" }).click();
  for (const page of [rita, rex]) {
    await page.locator("#note", { hasText: "Your report was handled: a moderator took action" }).waitFor({ timeout: 5000 });
    await page.locator("#log li.msg.deleted", { hasText: "Message removed by a moderator" }).waitFor();
  }
  await mod.locator("#reports-empty").waitFor({ state: "visible" });
  await mod.locator("#audit li.card[data-action=resolve]").waitFor();
  await snap(rita, "8-report-outcome");
  await snapConsole(mod, "8-console-after");
});

test("a held message waits as pending review until approved; slow mode counts down", async (t) => {
  const room = "mod-held";
  const ada = await join(browser, server.url, room, "Ada", phone);
  const bob = await join(browser, server.url, room, "Bob", desktop);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  closeAll(t, ada, bob, mod);

  await ada.locator("#composer-input").fill("use my promo code");
  await ada.keyboard.press("Enter");
  const mine = ada.locator("#log li.msg.mine[data-state=held]", { hasText: "use my promo code" });
  await mine.locator(".state", { hasText: "pending review" }).waitFor({ timeout: 5000 });
  await snap(ada, "9-pending-review");
  const held = mod.locator("#held li.card", { hasText: "use my promo code" });
  await held.waitFor({ timeout: 5000 });
  assert.equal(await bob.locator("#log li.msg", { hasText: "use my promo code" }).count(), 0, "others do not see it yet");
  await held.getByRole("button", { name: "Approve" }).click();
  await bob.locator("#log li.msg", { hasText: "use my promo code" }).waitFor({ timeout: 5000 });
  await ada.locator("#log li.msg.mine[data-state=confirmed][data-offset]", { hasText: "use my promo code" }).waitFor();
  assert.equal(await ada.locator("#log li.msg", { hasText: "use my promo code" }).count(), 1, "the approved message replaces the pending one");

  // Slow mode: a countdown after each message.
  await mod.locator("#s-slow").fill("5");
  await mod.locator("#settings-form button[type=submit]").click();
  await ada.locator("#standing", { hasText: "Slow mode is on: one message every 5 s" }).waitFor({ timeout: 5000 });
  await say(ada, "first under slow mode");
  await ada.locator("#standing", { hasText: /Slow mode: you can send again in [1-5] s/ }).waitFor();
  assert.equal(await ada.locator("#send").getAttribute("aria-disabled"), "true");
  // Sending during the countdown says how long to wait; nothing is sent.
  await ada.locator("#composer-input").fill("too soon");
  await ada.keyboard.press("Enter");
  await ada.locator("#feedback", { hasText: /slow mode: wait [1-5] s/ }).waitFor();
  assert.equal(await ada.locator("#log li.msg", { hasText: "too soon" }).count(), 0);
  await snap(ada, "9-slow-mode-countdown");
  await ada.locator("#standing", { hasText: "Slow mode is on" }).waitFor({ timeout: 8000 });
  await say(ada, "second after the wait");
});

test("a banned viewer is told why and is out of the room, also after a reload; a lifted ban lets them back in", async (t) => {
  const room = "mod-ban";
  const ben = await join(browser, server.url, room, "Ben", phone);
  const other = await join(browser, server.url, room, "Oda", desktop);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  closeAll(t, ben, other, mod);

  await say(ben, "first from Ben");
  const card = mod.locator("#mod-log li.card", { hasText: "first from Ben" });
  await card.waitFor();
  const user = await card.locator(".author").getAttribute("data-user");
  const act = async (action, reason) => {
    await mod.locator("#user-id").fill(user);
    await mod.locator("#user-action").selectOption(action);
    await mod.locator("#user-reason").fill(reason);
    await mod.locator("#user-form button[type=submit]").click();
  };

  await act("ban", "spamming links");
  // Why, and what it means; the badge does not pretend to be catching up.
  await ben.locator("#note", { hasText: "You were banned from this room — reason: spamming links" }).waitFor({ timeout: 5000 });
  await ben.locator("#standing", { hasText: "You are banned from this room: you can no longer read or write here." }).waitFor();
  await ben.locator('#badge[data-state="out"]', { hasText: "not in the room" }).waitFor({ timeout: 5000 });
  assert.doesNotMatch(await ben.locator("#note").textContent(), /reload/, "reloading does not undo a ban");
  await other.locator("#log li.system", { hasText: "Ben was banned by a moderator" }).waitFor();
  await snap(ben, "10-banned");

  // A reload says the same: the room refuses the subscription.
  await ben.reload();
  await ben.locator("#standing", { hasText: "You are banned from this room" }).waitFor({ timeout: 5000 });
  await ben.locator("#note", { hasText: "reason: spamming links" }).waitFor({ timeout: 5000 });
  await ben.locator('#badge[data-state="out"]').waitFor({ timeout: 5000 });
  assert.equal(await ben.locator("#send").getAttribute("aria-disabled"), "true");
  await ben.locator("#composer-input").fill("am I still here?");
  await ben.locator("#composer-input").press("Enter");
  await ben.locator("#feedback", { hasText: "you are banned from this room" }).waitFor();

  // Lifted: the page joins again by itself, and the chat flows.
  await act("unban", "");
  await ben.locator("#note", { hasText: "Your ban was lifted: you are back in the room" }).waitFor({ timeout: 5000 });
  await ben.locator('#badge[data-state="connected"]').waitFor({ timeout: 5000 });
  await ben.locator("#standing").waitFor({ state: "hidden" });
  await say(other, "welcome back, Ben");
  await ben.locator("#log li.msg", { hasText: "welcome back, Ben" }).waitFor({ timeout: 5000 });
  await say(ben, "thanks, I will behave");
  assert.deepEqual([...ben.errors.filter((e) => !/banned/.test(e)), ...mod.errors], []);
});

test("slow mode turned off during a countdown: the viewer can send at once", async (t) => {
  const room = "mod-slow-off";
  const ada = await join(browser, server.url, room, "Ada", phone);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  closeAll(t, ada, mod);

  await mod.locator("#s-slow").fill("60");
  await mod.locator("#settings-form button[type=submit]").click();
  await ada.locator("#standing", { hasText: "Slow mode is on: one message every 60 s" }).waitFor({ timeout: 5000 });
  await say(ada, "one under slow mode");
  await ada.locator("#standing", { hasText: /Slow mode: you can send again in \d+ s/ }).waitFor();

  await mod.locator("#s-slow").fill("0");
  await mod.locator("#settings-form button[type=submit]").click();
  await ada.locator("#log li.system", { hasText: "slow mode off" }).waitFor({ timeout: 5000 });
  // The countdown ends with the slow mode, not a minute later.
  await ada.locator("#standing").waitFor({ state: "hidden", timeout: 5000 });
  assert.equal(await ada.locator("#send").getAttribute("aria-disabled"), "false");
  await say(ada, "free to talk again");
  assert.equal(await ada.locator("#feedback").isVisible(), false, "no slow-mode refusal");
});

test("a short timeout ends by itself: its notice and the standing go, and the viewer can write", async (t) => {
  const room = "mod-timeout-ends";
  const tia = await join(browser, server.url, room, "Tia", phone);
  closeAll(t, tia);
  const user = await tia.evaluate(() => JSON.parse(localStorage.getItem("liveroom.session")).user);
  const res = await fetch(`${server.url}/api/chat_moderate`, {
    method: "POST",
    headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
    body: JSON.stringify({ room, action: "timeout", user, seconds: 3, reason: "cool down" }),
  });
  assert.equal(res.status, 200, await res.text());
  const note = tia.locator("#note", { hasText: "A moderator timed you out until" });
  await note.waitFor({ timeout: 5000 });
  await tia.locator("#standing", { hasText: "You are timed out until" }).waitFor();
  // Once it is over, nothing on the page still says it is on.
  await tia.locator("#standing").waitFor({ state: "hidden", timeout: 10000 });
  await note.waitFor({ state: "hidden", timeout: 2000 });
  await say(tia, "back after the timeout");
});

test("the console's section tabs are all in view at 360×740; at 1280×800 the sections sit side by side", async (t) => {
  const mod = await openConsole(browser, server.url, "mod-tabs", "Mia", phone);
  closeAll(t, mod);
  const tabs = mod.locator("#tabs");
  const buttons = tabs.locator("button[data-panel]");
  assert.equal(await buttons.count(), 6);
  const bar = await tabs.evaluate((n) => ({ scroll: n.scrollWidth, client: n.clientWidth }));
  assert.ok(bar.scroll <= bar.client, `the tab bar does not overflow sideways: ${JSON.stringify(bar)}`);
  for (const b of await buttons.all()) {
    const name = (await b.innerText()).trim();
    const box = await b.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= phone.width, `tab "${name}" is whole in view: ${box.x}..${box.x + box.width}`);
    assert.ok(box.height >= 44, `tab "${name}" is a thumb-size target: ${box.height} px`);
    const text = await b.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
    assert.ok(text.scroll <= text.client, `tab "${name}" shows its whole label: ${JSON.stringify(text)}`);
  }
  // The last tabs work: Audit log and Support open their sections.
  for (const [label, panel] of [["Audit log", "p-audit"], ["Support", "p-support"]]) {
    await tabs.getByRole("button", { name: label }).click();
    await mod.locator(`#${panel}`).waitFor({ state: "visible" });
    assert.equal(await tabs.getByRole("button", { name: label }).getAttribute("aria-current"), "true");
  }
  const below = await mod.locator("#panels").boundingBox();
  const bar2 = await tabs.boundingBox();
  assert.ok(below.y >= bar2.y + bar2.height - 0.5, "the sections start below the tab bar");
  await snapConsole(mod, "10-console-tabs");

  await mod.setViewportSize(desktop);
  assert.equal(await tabs.isVisible(), false, "no tabs on a desktop");
  for (const id of ["p-queue", "p-chat", "p-users", "p-settings", "p-audit", "p-support"]) {
    const box = await mod.locator(`#${id}`).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= desktop.width, `section ${id} is in view on a desktop`);
  }
  assert.deepEqual(mod.errors, []);
});
