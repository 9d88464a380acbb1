// A dropped network costs nothing: page B's connection is cut (bytes stop,
// sockets stay open) while A chats; when it comes back B shows exactly what
// it missed, once, in order, and says so. When the gap is larger than the
// history kept, B reloads history and says that instead.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, apiCall } from "../lib/server.mjs";
import { startProxy } from "../lib/proxy.mjs";
import { launch, join, say, texts, snap, badge, until, phone, desktop } from "../lib/browser.mjs";

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
  await b.locator("#note", { hasText: "caught up: 5 missed messages" }).waitFor({ timeout: 10000 });
  const want = ["before 1", "before 2", ...missed];
  await until(async () => (await texts(b)).length >= want.length, { message: "B shows the missed messages" });
  assert.deepEqual(await texts(b), want);
  assert.deepEqual(await texts(a), want);
  assert.equal(await b.locator("#log").getAttribute("data-duplicates"), null, "no publication arrived twice");
  const offsets = await b.locator("#log li.msg").evaluateAll((els) => els.map((e) => Number(e.dataset.offset)));
  assert.deepEqual(offsets, [1, 2, 3, 4, 5, 6, 7]);
  await b.locator("#log li.divider", { hasText: "caught up: 5 missed messages" }).waitFor();
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
  await b.locator("#note", { hasText: "you may have missed messages — history reloaded" }).waitFor({ timeout: 10000 });
  // Only the last 3 are kept: B shows them once, in order, after what it had,
  // with the gap marked between the two.
  const want = ["early", `lost ${lost - 2}`, `lost ${lost - 1}`, `lost ${lost}`];
  await until(async () => (await texts(b)).join() === want.join(), { message: "B shows the reloaded history" });
  const order = await b
    .locator("#log li[data-offset], #log li.divider")
    .evaluateAll((els) => els.map((e) => (e.classList.contains("divider") ? "gap" : e.querySelector(".text").textContent)));
  assert.deepEqual(order, ["early", "gap", ...want.slice(1)]);
  assert.equal(await b.locator("#log li.msg[data-offset] .author").last().textContent(), "backend");
  await snap(b, "3-history-reloaded-B");

  // Retry sends it now: pending, then delivered, on both pages.
  await mine.getByRole("button", { name: "Retry" }).click();
  await b.locator("#log li.msg.mine[data-state=confirmed][data-offset]", { hasText: "from the dark" }).waitFor();
  await a.locator("#log li.msg", { hasText: "from the dark" }).waitFor();
  assert.deepEqual((await texts(b)).slice(-2), [`lost ${lost}`, "from the dark"]);
});
