// The real `centrifuge` client in Node, with no WebSocket available, on the
// fallback transports: it connects over HTTP-streaming (JSON and Protobuf),
// subscribes, publishes and receives; when the server cuts it, or the
// network does, it reconnects and recovers: the publications made while it
// was away arrive exactly once, in order.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Centrifuge as JsonCentrifuge } from "centrifuge";
import { Centrifuge as ProtobufCentrifuge } from "centrifuge/build/protobuf";
import { startServer, apiPublish } from "../lib/server.mjs";
import { startProxy } from "../lib/proxy.mjs";
import { until } from "../lib/browser.mjs";

const fastPings = `
[client]
ping_interval = "2s"
pong_timeout = "1s"
`;

const server = await startServer(fastPings);
after(() => server.stop());

// Newer Node versions have a WebSocket; take it away so only the fallbacks can work.
delete globalThis.WebSocket;
assert.equal(typeof globalThis.WebSocket, "undefined");

async function demoToken(name) {
  const res = await fetch(`${server.url}/demo/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** A client of base (the server or a proxy in front of it) on the fallback transports only. */
async function fallbackClient(Centrifuge, base, name) {
  const { token, user } = await demoToken(name);
  const client = new Centrifuge(
    [
      { transport: "websocket", endpoint: `${base.replace(/^http/, "ws")}/connection/websocket` },
      { transport: "http_stream", endpoint: `${base}/connection/http_stream` },
      { transport: "sse", endpoint: `${base}/connection/sse` },
    ],
    {
      token,
      emulationEndpoint: `${base}/emulation`,
      minReconnectDelay: 100,
      maxReconnectDelay: 1000,
      maxServerPingDelay: 2000,
    },
  );
  client.user = user;
  client.events = [];
  client.on("connected", (ctx) => client.events.push(`connected ${ctx.transport}`));
  client.on("connecting", (ctx) => client.events.push(`connecting ${ctx.code}`));
  client.on("disconnected", (ctx) => client.events.push(`disconnected ${ctx.code} ${ctx.reason}`));
  return client;
}

/** Publication data: JSON values as they are; Protobuf clients get the JSON bytes. */
function decode(data) {
  return data instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(data)) : data;
}

/** Subscribes and records publications (offset, data) and subscribed events. */
function record(client, channel) {
  const sub = client.newSubscription(channel);
  sub.got = [];
  sub.subscribedEvents = [];
  sub.on("publication", (ctx) => sub.got.push({ offset: Number(ctx.offset), n: decode(ctx.data).n }));
  sub.on("subscribed", (ctx) => sub.subscribedEvents.push(ctx));
  sub.subscribe();
  return sub;
}

function assertExactlyOnceInOrder(sub, count) {
  assert.deepEqual(
    sub.got.map((p) => p.n),
    Array.from({ length: count }, (_, i) => i + 1),
    "every publication exactly once, in order",
  );
  assert.deepEqual(
    sub.got.map((p) => p.offset),
    Array.from({ length: count }, (_, i) => i + 1),
    "offsets contiguous from 1",
  );
}

for (const [codec, Centrifuge] of [
  ["json", JsonCentrifuge],
  ["protobuf", ProtobufCentrifuge],
]) {
  test(`${codec}: HTTP-streaming connects, publishes, receives, and recovers after the server cuts it`, async (t) => {
    const channel = `room:node-${codec}-${Date.now()}`;
    const client = await fallbackClient(Centrifuge, server.url, `node-${codec}`);
    // The websocket transport is listed first and unusable: the client must move on.
    t.after(() => client.disconnect());
    const sub = record(client, channel);
    client.connect();
    await sub.ready(10000);
    assert.equal(client.events.find((e) => e.startsWith("connected")), "connected http_stream", client.events.join("; "));

    // Through the emulation endpoint; a Protobuf client sends the JSON bytes.
    await sub.publish(codec === "json" ? { n: 1 } : new TextEncoder().encode(JSON.stringify({ n: 1 })));
    await apiPublish(server, channel, { n: 2 });
    await until(() => sub.got.length >= 2, { message: "own and API publications" });

    // The server cuts the connection (4000: reconnect); publications go on meanwhile.
    const res = await fetch(`${server.url}/api/disconnect`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": server.apiKey },
      body: JSON.stringify({ user: client.user, code: 4000, reason: "cut by the test" }),
    });
    assert.equal(res.status, 200, await res.text());
    for (let n = 3; n <= 7; n++) await apiPublish(server, channel, { n });
    await until(() => sub.got.length >= 7 && client.state === "connected", { message: "recovered after the cut" });
    await apiPublish(server, channel, { n: 8 });
    await until(() => sub.got.length >= 8, { message: "live again" });
    assertExactlyOnceInOrder(sub, 8);
    assert.ok(client.events.some((e) => e.startsWith("connecting 4000")), client.events.join("; "));
    const last = sub.subscribedEvents.at(-1);
    assert.equal(last.wasRecovering, true);
    assert.equal(last.recovered, true);
  });
}

test("a network cut (black hole, then the sockets drop): the missed publications once, in order", async (t) => {
  const proxy = await startProxy(server.port);
  t.after(() => proxy.close());
  const base = `http://127.0.0.1:${proxy.port}`;
  const channel = `room:node-cut-${Date.now()}`;
  const client = await fallbackClient(JsonCentrifuge, base, "node-cut");
  t.after(() => client.disconnect());
  const sub = record(client, channel);
  client.connect();
  await sub.ready(10000);
  await apiPublish(server, channel, { n: 1 });
  await until(() => sub.got.length === 1, { message: "first publication" });

  proxy.blackhole();
  for (let n = 2; n <= 6; n++) await apiPublish(server, channel, { n });
  assert.equal(sub.got.length, 1, "nothing arrives through the black hole");
  // The client notices the missing server pings by itself.
  await until(() => client.state === "connecting", { timeout: 20000, message: "the client notices the cut" });
  proxy.restore();
  await until(() => sub.got.length >= 6 && client.state === "connected", { timeout: 30000, message: "recovered" });
  await apiPublish(server, channel, { n: 7 });
  await until(() => sub.got.length >= 7, { message: "live again" });
  assertExactlyOnceInOrder(sub, 7);
  assert.equal(sub.subscribedEvents.at(-1).recovered, true);
});
