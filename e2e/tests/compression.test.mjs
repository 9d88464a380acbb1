// Bandwidth for weak networks: the real `centrifuge` npm client in Node
// subscribes with delta: 'fossil' and receives every version of a slowly
// changing state document exactly, across a cut with recovery; Chromium
// negotiates permessage-deflate with the server and the chat still works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Centrifuge } from "centrifuge";
import WebSocket from "ws";
import { startServer, apiPublish } from "../lib/server.mjs";
import { startProxy } from "../lib/proxy.mjs";
import { launch, badge, say, texts, until, snap, phone, desktop } from "../lib/browser.mjs";

const config = `
[client]
ping_interval = "2s"
pong_timeout = "1s"

[[namespaces]]
name = "state"
history_size = 100
recovery = true
subscribe = "authenticated"
delta = "fossil"
`;

let server;
let browser;
before(async () => {
  server = await startServer(config);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A ~2 KiB scoreboard of which one player's score changes per version. */
function board(version) {
  const players = [];
  for (let i = 0; i < 24; i++) {
    players.push({ id: `player-${i}`, name: `Player number ${i}`, score: i * 100 + (i === version % 24 ? version : 0), ready: true });
  }
  return { version, players, note: "ünïcödé stays exact" };
}

async function demoToken(name) {
  const res = await fetch(`${server.url}/demo/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 200, "demo token");
  return (await res.json()).token;
}

/** Reads one sample of the server's /metrics, 0 when absent. */
async function metric(series) {
  const body = await (await fetch(`${server.url}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(series + " "));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test("centrifuge npm client: fossil deltas give exact data over many publications and a recovery", async (t) => {
  const proxy = await startProxy(server.port);
  t.after(() => proxy.close());
  const client = new Centrifuge(`ws://127.0.0.1:${proxy.port}/connection/websocket`, {
    websocket: WebSocket,
    token: await demoToken("Node"),
    minReconnectDelay: 100,
    maxReconnectDelay: 500,
    maxServerPingDelay: 1000,
  });
  t.after(() => client.disconnect());
  const sub = client.newSubscription("state:board", { delta: "fossil" });
  const got = [];
  const subscribed = [];
  sub.on("publication", (ctx) => got.push({ offset: Number(ctx.offset), data: ctx.data }));
  sub.on("subscribed", (ctx) => subscribed.push(ctx));
  sub.subscribe();
  client.connect();
  await until(async () => subscribed.length === 1, { message: "subscribed" });

  const sent = [];
  const publish = async (n) => {
    for (let i = 0; i < n; i++) {
      const doc = board(sent.length + 1);
      await apiPublish(server, "state:board", doc);
      sent.push(doc);
    }
  };
  const expectAll = async (step) => {
    await until(async () => got.length >= sent.length, { timeout: 20000, message: `${step}: ${sent.length} publications` });
    assert.equal(got.length, sent.length, `${step}: no publication twice`);
    got.forEach((p, i) => {
      assert.equal(p.offset, i + 1, `${step}: offset of publication ${i + 1}`);
      assert.deepEqual(p.data, sent[i], `${step}: data of publication ${i + 1}`);
    });
  };

  await publish(30);
  await expectAll("live");
  const live = sub.deltaStats();
  assert.equal(live.numFullPayloads, 1, "only the first publication after subscribe is full");
  assert.equal(live.numDeltaPayloads, 29, "the others are deltas");
  assert.ok(live.compressionRatio > 0.8, `deltas save bytes (ratio ${live.compressionRatio})`);

  // Cut the network: the client notices the missing pings, publications go
  // on, and after the cut it recovers them exactly.
  proxy.blackhole();
  await until(async () => client.state !== "connected", { timeout: 20000, message: "client notices the cut" });
  await publish(10);
  proxy.restore();
  await until(async () => subscribed.length === 2, { timeout: 20000, message: "resubscribed" });
  assert.equal(subscribed[1].recovered, true, "recovered after the cut");
  await publish(10);
  await expectAll("after the cut");
  const after = sub.deltaStats();
  assert.ok(after.numDeltaPayloads > live.numDeltaPayloads, "deltas resume after the recovery");
});

test("Chromium negotiates permessage-deflate and the chat still works", async (t) => {
  const open = async (name, viewport) => {
    const context = await browser.newContext({ viewport });
    t.after(() => context.close());
    const page = await context.newPage();
    page.errors = [];
    page.on("pageerror", (e) => page.errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") page.errors.push(m.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    page.extensions = [];
    cdp.on("Network.webSocketHandshakeResponseReceived", (e) => {
      const h = e.response.headers;
      page.extensions.push(h["Sec-WebSocket-Extensions"] ?? h["sec-websocket-extensions"] ?? "");
    });
    await page.goto(`${server.url}/?room=squeeze`);
    await page.locator("#name-input").fill(name);
    await page.locator("#name-form button[type=submit]").click();
    await badge(page, "connected");
    return page;
  };
  const inBefore = await metric('liveroom_websocket_compressed_messages_total{direction="in"}');
  const outBefore = await metric('liveroom_websocket_compressed_messages_total{direction="out"}');
  const a = await open("Ada", desktop);
  const b = await open("Bob", phone);
  for (const p of [a, b]) {
    assert.equal(p.extensions.length, 1, "one WebSocket handshake");
    assert.match(p.extensions[0], /^permessage-deflate; server_no_context_takeover; client_no_context_takeover$/);
  }
  const long = "a longer message so that the push passes the compression threshold: ".repeat(4).trim();
  await say(a, "hello, compressed world");
  await say(a, long);
  await say(b, "got it");
  const want = ["hello, compressed world", long, "got it"];
  await until(async () => (await texts(a)).length === 3 && (await texts(b)).length === 3, { message: "both pages show 3 messages" });
  assert.deepEqual(await texts(a), want);
  assert.deepEqual(await texts(b), want);
  await snap(b, "compression-chat-B");
  // Chromium compresses what it sends; the long message's push went out
  // compressed, once for both pages.
  assert.ok((await metric('liveroom_websocket_compressed_messages_total{direction="in"}')) > inBefore, "the server inflated Chromium's messages");
  assert.ok((await metric('liveroom_websocket_compressed_messages_total{direction="out"}')) > outBefore, "the server sent compressed messages");
  assert.deepEqual([...a.errors, ...b.errors], []);
});
