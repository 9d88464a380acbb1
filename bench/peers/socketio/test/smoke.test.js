// Smoke test: the peer as a child process, 100 raw-frame clients and one
// official socket.io-client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { io as ioClient } from "socket.io-client";
import { mintToken } from "../auth.js";
import { RawClient } from "./rawclient.js";

const secret = "smoke-secret-smoke-secret-smoke-secret-01";
const apiKey = "smoke-api-key-0123456789";
let server;
let base;

before(async () => {
  const script = fileURLToPath(new URL("../server.js", import.meta.url));
  server = spawn(process.execPath, [script, "--addr", "127.0.0.1:0", "--token-secret", secret, "--api-key", apiKey, "--ping-interval", "300"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  base = await new Promise((resolve, reject) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = /^listening on (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
});

after(() => {
  server.kill("SIGTERM");
});

async function api(method, body, key = apiKey) {
  const res = await fetch(`${base}/api/${method}`, { method: "POST", headers: { "X-API-Key": key }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function until(what, cond, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("100 raw clients: join, API publish, chat, ping", async () => {
  const clients = [];
  for (let i = 0; i < 100; i++) clients.push(new RawClient(base, mintToken(secret, `user-${i}`)));
  await Promise.all(clients.map((c) => c.connected));
  assert.deepEqual(clients[0].open.upgrades, []);
  const joins = await Promise.all(clients.map((c) => c.emit("join", "room:x")));
  assert.ok(joins.every((j) => j.ok === true));

  const first = await api("publish", { channel: "room:x", data: { n: 1 } });
  assert.equal(first.status, 200);
  assert.equal(first.body.offset, 1);
  const chat = await clients[7].emit("chat", { room: "room:x", data: { n: 2 } });
  assert.equal(chat.offset, 2);
  await until("two publications everywhere", () => clients.every((c) => c.pubs.length === 2));
  for (const c of clients) {
    assert.deepEqual(c.pubs, [
      { channel: "room:x", offset: 1, data: { n: 1 } },
      { channel: "room:x", offset: 2, data: { n: 2 } },
    ]);
  }
  await until("a ping answered by every client", () => clients.every((c) => c.pings >= 1), 3000);

  const info = await api("info", {});
  assert.deepEqual([info.body.nodes[0].clients, info.body.nodes[0].subscriptions], [100, 100]);
  clients.forEach((c) => c.close());
});

test("refusals: bad token, someone else's personal room, chat outside a room, API key", async () => {
  const bad = new RawClient(base, "not.a.token");
  await assert.rejects(bad.connected, /malformed token/);
  bad.close();

  const c = new RawClient(base, mintToken(secret, "alice"));
  await c.connected;
  assert.equal((await c.emit("join", "personal:bob")).error.code, 103);
  assert.equal((await c.emit("join", "nope:x")).error.code, 102);
  assert.ok((await c.emit("join", "personal:alice")).ok);
  assert.equal((await c.emit("chat", { room: "room:y", data: 1 })).error.code, 103);
  c.close();

  assert.equal((await api("publish", { channel: "room:x", data: 1 }, "wrong-key-wrong-key")).status, 401);
  assert.equal((await api("publish", { channel: "room:x", data: 1, extra: true })).status, 400);
});

test("official socket.io-client, WebSocket only", async () => {
  const socket = ioClient(base, { transports: ["websocket"], auth: { token: mintToken(secret, "dora") }, reconnection: false });
  const got = [];
  socket.on("pub", (p) => got.push(p));
  await new Promise((resolve, reject) => {
    socket.on("connect", resolve);
    socket.on("connect_error", reject);
  });
  assert.deepEqual(await socket.emitWithAck("join", "room:official"), { ok: true });
  await api("publish", { channel: "room:official", data: "hello" });
  await until("the publication", () => got.length === 1);
  assert.deepEqual(got[0], { channel: "room:official", offset: 1, data: "hello" });
  socket.close();
});
