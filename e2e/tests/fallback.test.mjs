// Where WebSocket is not available the demo falls back to HTTP-streaming,
// then SSE, and the room still works in real time both ways; a cut on the
// SSE fallback costs nothing: exactly the missed messages, once, in order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { startProxy } from "../lib/proxy.mjs";
import { launch, join, say, texts, snap, badge, until, phone, desktop } from "../lib/browser.mjs";

const fastPings = `
[client]
ping_interval = "2s"
pong_timeout = "1s"
`;

// No WebSocket in this page: the client must use a fallback.
function noWebSocket() {
  delete window.WebSocket;
}
// No WebSocket and no ReadableStream (so no HTTP-streaming either): SSE.
function onlySSE() {
  delete window.WebSocket;
  delete window.ReadableStream;
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function transportOf(page) {
  return (await page.locator("#d-transport").textContent())?.trim();
}

/** Waits until page shows text as a confirmed or received message. */
async function sees(page, text) {
  await page.locator("#log li.msg[data-offset] .text", { hasText: text }).first().waitFor({ timeout: 10000 });
}

test("without WebSocket the room works over HTTP-streaming and SSE, in real time both ways", async (t) => {
  const server = await startServer(fastPings);
  t.after(() => server.stop());
  const ws = await join(browser, server.url, "fallback", "Wes", desktop);
  t.after(() => ws.context().close());
  const hs = await join(browser, server.url, "fallback", "Hana", phone, { initScript: noWebSocket });
  t.after(() => hs.context().close());
  const sse = await join(browser, server.url, "fallback", "Sia", phone, { initScript: onlySSE });
  t.after(() => sse.context().close());

  assert.equal(await hs.evaluate(() => typeof window.WebSocket), "undefined");
  assert.equal(await transportOf(ws), "websocket");
  assert.equal(await transportOf(hs), "http_stream");
  assert.equal(await transportOf(sse), "sse");

  await say(ws, "hello from a websocket");
  await sees(hs, "hello from a websocket");
  await sees(sse, "hello from a websocket");
  await say(hs, "hello from http streaming"); // sent through the emulation endpoint
  await say(sse, "hello from sse");
  const want = ["hello from a websocket", "hello from http streaming", "hello from sse"];
  for (const page of [ws, hs, sse]) {
    await until(async () => (await texts(page)).length >= want.length, { message: "all three messages" });
    assert.deepEqual(await texts(page), want);
  }
  // The round trip is measured over the fallback too (an RPC through the emulation endpoint).
  await until(async () => /\d+ ms/.test((await sse.locator("#rtt").textContent()) ?? ""), { message: "round trip over SSE" });
  await snap(sse, "fallback-1-sse");
  await snap(hs, "fallback-1-http-stream");
  assert.deepEqual([...ws.errors, ...hs.errors, ...sse.errors], []);
});

test("SSE fallback cut and restored: exactly the missed messages, once, in order", async (t) => {
  const server = await startServer(fastPings);
  t.after(() => server.stop());
  const proxy = await startProxy(server.port);
  t.after(() => proxy.close());
  const a = await join(browser, server.url, "sse-cut", "Ada", desktop);
  t.after(() => a.context().close());
  const b = await join(browser, `http://127.0.0.1:${proxy.port}`, "sse-cut", "Bob", phone, { initScript: onlySSE });
  t.after(() => b.context().close());
  assert.equal(await transportOf(b), "sse");

  await say(a, "before");
  await sees(b, "before");
  proxy.blackhole();
  const missed = ["missed 1", "missed 2", "missed 3"];
  for (const m of missed) await say(a, m);
  await badge(b, "reconnecting", 20000); // B notices the missing server pings
  assert.deepEqual(await texts(b), ["before"], "nothing reached B while cut");
  await snap(b, "fallback-2-sse-reconnecting");

  proxy.restore();
  await badge(b, "connected", 30000);
  await b.locator("#log li.divider", { hasText: "caught up: 3 missed messages" }).waitFor({ timeout: 10000 });
  assert.equal(await transportOf(b), "sse");
  const want = ["before", ...missed];
  await until(async () => (await texts(b)).length >= want.length, { message: "B shows the missed messages" });
  assert.deepEqual(await texts(b), want);
  assert.equal(await b.locator("#log").getAttribute("data-duplicates"), null, "no publication arrived twice");
  await say(b, "back over sse");
  await sees(a, "back over sse");
  await snap(b, "fallback-3-sse-caught-up");
});
