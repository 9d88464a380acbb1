// The demo served by an edge node: its viewers chat with viewers of the
// core in real time, and the edge keeps no history of its own (it reads and
// writes the core's streams over its leaf link).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startServer } from "../lib/server.mjs";
import { launch, join, say, texts, snap, until, phone, desktop } from "../lib/browser.mjs";

/** A free loopback port for the core's leaf listener. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the demo on an edge node: chat crosses between edge and core both ways", async (t) => {
  const leaf = await freePort();
  const core = await startServer(`node_name = "core"\n[cluster]\nleaf_listen = "127.0.0.1:${leaf}"\n`);
  t.after(() => core.stop());
  const edge = await startServer(`node_name = "edge1"\n[cluster]\nedge = "nats-leaf://127.0.0.1:${leaf}"\n`, { startTimeoutMs: 60000 });
  t.after(() => edge.stop());
  await until(async () => (await fetch(`${edge.url}/readyz`)).status === 200, { timeout: 30000, message: "the edge to be ready" });

  const a = await join(browser, edge.url, "edgeroom", "Edna", phone);
  t.after(() => a.context().close());
  const b = await join(browser, core.url, "edgeroom", "Cora", desktop);
  t.after(() => b.context().close());

  await say(a, "hello from the edge");
  await until(async () => (await texts(b)).includes("hello from the edge"), { message: "the core's viewer sees the edge's message" });
  await say(b, "hello from the core");
  await until(async () => (await texts(a)).includes("hello from the core"), { message: "the edge's viewer sees the core's message" });
  assert.deepEqual(await texts(a), await texts(b), "both pages show the same messages in the same order");
  await snap(a, "edge-1-edge-viewer");
  await snap(b, "edge-2-core-viewer");
});
