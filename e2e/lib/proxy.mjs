// A TCP proxy the test controls: it forwards bytes to a target port, and
// can black-hole every connection (nothing forwarded either way, nothing
// closed), then restore forwarding.
import net from "node:net";

export async function startProxy(targetPort) {
  const conns = new Set(); // { client, upstream }
  let holed = false;

  const server = net.createServer((client) => {
    const conn = { client, upstream: null };
    conns.add(conn);
    client.on("error", () => {});
    client.on("close", () => {
      conns.delete(conn);
      conn.upstream?.destroy();
    });
    if (holed) {
      client.pause(); // accepted, never answered: a dead network
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    conn.upstream = upstream;
    upstream.on("error", () => {});
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: server.address().port,
    /** Stops forwarding in both directions; sockets stay open. */
    blackhole() {
      holed = true;
      for (const { client, upstream } of conns) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    /** Forwards new connections again; the ones held while black-holed are dropped. */
    restore() {
      holed = false;
      for (const { client, upstream } of [...conns]) {
        client.destroy();
        upstream?.destroy();
      }
    },
    async close() {
      for (const { client, upstream } of conns) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
