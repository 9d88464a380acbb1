// A dropped network costs nothing: page B's connection is cut (bytes stop,
// sockets stay open) while A chats; when it comes back B shows exactly what
// it missed, once, in order, and says so. When the gap is larger than the
// history kept, B reloads history and says that instead.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, apiPublish, apiCall } from "../lib/server.mjs";
import { startProxy } from "../lib/proxy.mjs";
import { launch, join, say, texts, snap, badge, until, phone, desktop } from "../lib/browser.mjs";
import { checkHeader } from "../lib/header.mjs";

// Short server pings so a dead connection is noticed in seconds.
const fastPings = `
[client]
ping_interval = "2s"
pong_timeout = "1s"
`;

// The chat namespace with a history of only 3 events; one backend user may
// send the lost messages quickly (no rate limit or automatic slow mode in
// the way).
const shortHistory = `${fastPings}
[chat]
rate_messages = 1000
auto_slow_seconds = 0

[[namespaces]]
name = "chat"
history_size = 3
recovery = true
presence = true
join_leave = true
`;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Starts a server and a proxy in front of it; B is opened through the proxy. */
async function setUp(config, t) {
  const server = await startServer(config);
  t.after(() => server.stop());
  const proxy = await startProxy(server.port);
  t.after(() => proxy.close());
  return { server, proxy, viaProxy: `http://127.0.0.1:${proxy.port}` };
}

/**
 * The recovery note with text is a line in B's chat log, so it covers
 * nothing and the log (role=log, a polite live region on the page from the
 * start) announces it; no bar is pushed in above the log; the newest
 * message is whole in view and no "new messages" pill hides anything.
 */
async function checkNote(b, text) {
  const note = b.locator("#log li.divider", { hasText: text });
  await note.waitFor({ timeout: 10000 });
  assert.equal(await note.count(), 1, `one "${text}" note`);
  const log = b.locator("#log");
  assert.equal(await log.getAttribute("role"), "log");
  assert.equal(await log.getAttribute("aria-live"), "polite");
  const hiddenFromReaders = await note.evaluate((e) => e.closest("[aria-hidden=true], [hidden]") !== null);
  assert.equal(hiddenFromReaders, false, "the note is not hidden from screen readers");
  assert.equal(await b.locator("#note").isVisible(), false, "no bar above the log");

  const size = b.viewportSize();
  const at = `at ${size.width}×${size.height}`;
  const lb = await log.boundingBox();
  const nb = await note.boundingBox();
  for (const [i, m] of (await b.locator("#log li.msg").all()).entries()) {
    const mb = await m.boundingBox();
    const apart = mb.y + mb.height <= nb.y + 0.5 || nb.y + nb.height <= mb.y + 0.5;
    assert.ok(apart, `the note (${nb.y}..${nb.y + nb.height}) and message ${i} (${mb.y}..${mb.y + mb.height}) do not overlap ${at}`);
  }
  const last = await b.locator("#log li").last().boundingBox();
  assert.ok(
    last.y >= lb.y - 0.5 && last.y + last.height <= lb.y + lb.height + 0.5,
    `the newest line (${last.y}..${last.y + last.height}) is whole in the log (${lb.y}..${lb.y + lb.height}) ${at}`,
  );
  assert.equal(await b.locator("#pill").isVisible(), false, `no "new messages" pill ${at}`);
}

async function cutWhile(proxy, b, fn) {
  proxy.blackhole();
  await fn();
  // B notices the missing server pings by itself.
  await badge(b, "reconnecting", 20000);
}

test("cut and restore: exactly the missed messages, once, in order, with a note", async (t) => {
  const { server, proxy, viaProxy } = await setUp(fastPings, t);
  const a = await join(browser, server.url, "recover", "Ada", desktop);
  t.after(() => a.context().close());
  const b = await join(browser, viaProxy, "recover", "Bob", phone);
  t.after(() => b.context().close());

  await say(a, "before 1");
  await say(b, "before 2");
  await until(async () => (await texts(b)).length === 2, { message: "B sees both early messages" });

  const missed = ["missed 1", "missed 2", "missed 3", "missed 4", "missed 5"];
  await cutWhile(proxy, b, async () => {
    for (const m of missed) await say(a, m);
  });
  assert.deepEqual(await texts(b), ["before 1", "before 2"], "nothing reached B while cut");
  await snap(b, "2-reconnecting-B");

  proxy.restore();
  await badge(b, "connected", 30000);
  await checkNote(b, "caught up: 5 missed messages");
  const want = ["before 1", "before 2", ...missed];
  await until(async () => (await texts(b)).length >= want.length, { message: "B shows the missed messages" });
  assert.deepEqual(await texts(b), want);
  assert.deepEqual(await texts(a), want);
  assert.equal(await b.locator("#log").getAttribute("data-duplicates"), null, "no publication arrived twice");
  const offsets = await b.locator("#log li.msg").evaluateAll((els) => els.map((e) => Number(e.dataset.offset)));
  assert.deepEqual(offsets, [1, 2, 3, 4, 5, 6, 7]);
  await snap(b, "2-caught-up-B");

  // Live delivery still works after the recovery, and nothing is repeated.
  await say(a, "after");
  await until(async () => (await texts(b)).at(-1) === "after", { message: "B gets the next live message" });
  assert.deepEqual(await texts(b), [...want, "after"]);
  assert.deepEqual(b.errors.filter((e) => !/WebSocket|ERR_|net::/.test(e)), []);
});

test("a gap larger than the history: B reloads history and says it may have missed messages", async (t) => {
  const { server, proxy, viaProxy } = await setUp(shortHistory, t);
  const a = await join(browser, server.url, "gap", "Ada", desktop);
  // A sees the backend's publications live; B, cut off, misses them all.
  t.after(() => a.context().close());
  const b = await join(browser, viaProxy, "gap", "Bob", phone);
  t.after(() => b.context().close());

  await say(a, "early");
  await until(async () => (await texts(b)).length === 1, { message: "B sees the early message" });

  // More than the channel's history (3) and more than a node keeps in memory
  // to recover from (128 publications per channel), sent by a backend on a
  // user's behalf.
  const lost = 130;
  await cutWhile(proxy, b, async () => {
    for (let i = 1; i <= lost; i++) await apiCall(server, "chat_send", { room: "gap", as: "backend", text: `lost ${i}` });
  });
  await a.locator("#log li.msg", { hasText: `lost ${lost}` }).waitFor();

  // A message typed while cut off shows as pending at once, then as refused
  // with the reason and a Retry button; it is not lost in silence.
  await b.locator("#composer-input").fill("from the dark");
  await b.keyboard.press("Enter");
  const mine = b.locator("#log li.msg.mine", { hasText: "from the dark" });
  await mine.locator(".state", { hasText: "sending…" }).waitFor({ timeout: 2000 });
  await mine.and(b.locator("[data-state=failed]")).waitFor({ timeout: 15000 });
  const why = await mine.locator(".why").textContent();
  assert.match(why, /check your connection and send again|send again once the badge says connected/);
  await snap(b, "3-not-sent-B");

  proxy.restore();
  await badge(b, "connected", 30000);
  await b.locator("#log li.divider", { hasText: "you may have missed messages — history reloaded" }).waitFor({ timeout: 10000 });
  // Only the last 3 are kept: B shows them once, in order, after what it had,
  // with the gap marked between the two.
  const want = ["early", `lost ${lost - 2}`, `lost ${lost - 1}`, `lost ${lost}`];
  await until(async () => (await texts(b)).join() === want.join(), { message: "B shows the reloaded history" });
  const order = await b
    .locator("#log li[data-offset], #log li.divider")
    .evaluateAll((els) => els.map((e) => (e.classList.contains("divider") ? "gap" : e.querySelector(".text").textContent)));
  assert.deepEqual(order, ["early", "gap", ...want.slice(1)]);
  assert.equal(await b.locator("#log li.msg[data-offset] .author").last().textContent(), "backend");
  await checkNote(b, "you may have missed messages — history reloaded");
  await snap(b, "3-history-reloaded-B");

  // Retry sends it now: pending, then delivered, on both pages.
  await mine.getByRole("button", { name: "Retry" }).click();
  await b.locator("#log li.msg.mine[data-state=confirmed][data-offset]", { hasText: "from the dark" }).waitFor();
  await a.locator("#log li.msg", { hasText: "from the dark" }).waitFor();
  assert.deepEqual((await texts(b)).slice(-2), [`lost ${lost}`, "from the dark"]);
});

test("a full log at 360×740 and 1280×800: the caught-up note is a line in it, hides nothing, moves nothing", async (t) => {
  const { server, proxy, viaProxy } = await setUp(fastPings, t);
  const a = await join(browser, server.url, "full", "Ada", desktop);
  t.after(() => a.context().close());
  const long = "Bob Marley-Lovelace the Third";
  const b = await join(browser, viaProxy, "full", long, phone);
  t.after(() => b.context().close());

  // More than B's phone screen holds, so its log scrolls and sits at the end.
  const early = Array.from({ length: 14 }, (_, i) => `early ${i + 1}`);
  for (const m of early) await say(a, m);
  await until(async () => (await texts(b)).length === early.length, { message: "B sees the early messages" });
  const overflow = await b.locator("#log").evaluate((log) => log.scrollHeight > log.clientHeight + 100);
  assert.ok(overflow, "B's log is longer than its screen");
  const logBefore = await b.locator("#log").boundingBox();

  const missed = ["missed 1", "missed 2", "missed 3"];
  await cutWhile(proxy, b, async () => {
    for (const m of missed) await say(a, m);
  });
  // The widest badge state with a long name: the header still holds.
  assert.equal((await b.locator("#badge-text").innerText()).trim(), "reconnecting…");
  await checkHeader(b, phone);

  proxy.restore();
  await badge(b, "connected", 30000);
  await checkNote(b, "caught up: 3 missed messages");
  assert.deepEqual(await texts(b), [...early, ...missed]);
  assert.deepEqual(await b.locator("#log").boundingBox(), logBefore, "the log kept its place and size");
  const order = await b
    .locator("#log li[data-offset], #log li.divider")
    .evaluateAll((els) => els.map((e) => (e.classList.contains("divider") ? "note" : e.querySelector(".text").textContent)));
  assert.deepEqual(order, [...early, "note", ...missed], "the note stands where the missed messages start");
  await snap(b, "2-caught-up-full-log-B");

  await b.setViewportSize(desktop);
  await checkNote(b, "caught up: 3 missed messages");
  await b.setViewportSize(phone);

  // The next live message lands in view too, and nothing arrived twice.
  await say(a, "after");
  await until(async () => (await texts(b)).at(-1) === "after", { message: "B gets the next live message" });
  const after = await b.locator("#log li.msg").last().boundingBox();
  const log = await b.locator("#log").boundingBox();
  assert.ok(after.y + after.height <= log.y + log.height + 0.5, "the live message after the recovery is in view");
  assert.equal(await b.locator("#log").getAttribute("data-duplicates"), null, "no publication arrived twice");
});

/** What page shows as the online count, in the header and on the stage. */
async function shownCount(page) {
  return page.evaluate(() => {
    const header = document.getElementById("online");
    const stage = document.getElementById("stage-watching");
    return {
      header: document.getElementById("online-count").textContent,
      stage: document.getElementById("stage-online").textContent,
      stale: [header.dataset.stale ?? null, stage.dataset.stale ?? null],
      title: header.title,
    };
  });
}

/** Waits until page shows a fresh count equal to the server's, the same in the header and on the stage. */
async function countAgrees(server, channel, page, who, timeout) {
  let last;
  await until(
    async () => {
      const { num_users: users } = await apiCall(server, "presence_stats", { channel });
      last = { server: users, ...(await shownCount(page)) };
      return last.header === String(users) && last.stage === last.header && last.stale.every((s) => s === null);
    },
    { timeout, message: `${who}'s count to match the server's, fresh, header and stage alike` },
  ).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(last)}`);
  });
  return last.server;
}

test("online counts: one value in header and stage, marked as last known while cut off, fresh at once after the reconnect", async (t) => {
  const { server, proxy, viaProxy } = await setUp(fastPings, t);
  const channel = "chat:counts";
  const a = await join(browser, server.url, "counts", "Ada", desktop);
  t.after(() => a.context().close());
  const b = await join(browser, viaProxy, "counts", "Bob", phone);
  t.after(() => b.context().close());
  assert.equal(await countAgrees(server, channel, a, "A", 5000), 2);
  assert.equal(await countAgrees(server, channel, b, "B", 5000), 2);

  // B is cut off. The server drops B's connection once its pongs stop, and
  // A, still in the room, follows; B's own count is shown as last known.
  proxy.blackhole();
  await badge(b, "reconnecting", 20000);
  await until(async () => (await apiCall(server, "presence_stats", { channel })).num_users === 1, { message: "the server to drop B" });
  assert.equal(await countAgrees(server, channel, a, "A", 5000), 1);
  const cut = await shownCount(b);
  assert.deepEqual(cut.stale, ["true", "true"], "B marks both places as stale");
  assert.equal(cut.header, "2", "B keeps its last known count");
  assert.equal(cut.stage, cut.header);
  assert.match(cut.title, /^last known count: 2 online/);
  assert.equal(await b.locator("#online").ariaSnapshot(), "- paragraph: 2 online (last known)", "screen readers hear 'last known'");
  assert.ok(Number(await b.locator("#online").evaluate((e) => getComputedStyle(e).opacity)) < 1, "the stale count is dimmed");
  await snap(b, "9-count-last-known-B");

  // Back: B asks at once on joining again (well before its 15 s refresh),
  // and every page agrees with the server.
  proxy.restore();
  await badge(b, "connected", 30000);
  assert.equal(await countAgrees(server, channel, b, "B", 3000), 2);
  assert.equal(await countAgrees(server, channel, a, "A", 3000), 2);
  assert.equal((await shownCount(b)).title, "2 people, 2 connections");
  assert.equal(await b.locator("#online").ariaSnapshot(), "- paragraph: 2 online");
  await checkHeader(b, phone);
  await snap(b, "9-count-after-reconnect-B");
  await snap(a, "9-count-after-reconnect-A");
  await checkNote(b, "caught up: no missed messages");

  // Once more, with nothing said in between: the counts agree again, and
  // the second note replaces the first rather than stacking under it.
  await b.locator("#log li.divider").evaluate((e) => (e.dataset.first = "yes"));
  proxy.blackhole();
  await badge(b, "reconnecting", 20000);
  assert.deepEqual((await shownCount(b)).stale, ["true", "true"]);
  proxy.restore();
  await badge(b, "connected", 30000);
  assert.equal(await countAgrees(server, channel, b, "B", 3000), 2);
  assert.equal(await countAgrees(server, channel, a, "A", 3000), 2);
  await b.locator("#log li.divider:not([data-first])").waitFor({ timeout: 10000 });
  await checkNote(b, "caught up: no missed messages");
  assert.equal(await b.locator("#log li.divider").count(), 1, "one note after two reconnects with nothing between");
});
