// Benchmark peer for liveroom: a minimal Socket.IO server (WebSocket
// transport only, no per-message compression) that broadcasts to rooms.
//
//   taskset -c 0 node server.js --addr 127.0.0.1:0 --data-dir DIR
//
// See README.md for the wire frames a client speaks.
import { createServer } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { parseArgs } from "node:util";
import { Server } from "socket.io";
import { loadOrCreateSecrets, minSecretLength } from "./auth.js";
import { Rooms } from "./rooms.js";

const maxBody = 1 << 20;

function options(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      addr: { type: "string", default: "127.0.0.1:8080" },
      "data-dir": { type: "string" },
      "token-secret": { type: "string", default: env.SOCKETIO_PEER_TOKEN_SECRET ?? "" },
      "api-key": { type: "string", default: env.SOCKETIO_PEER_API_KEY ?? "" },
      "ping-interval": { type: "string", default: "25000" },
    },
  });
  let tokenSecret = values["token-secret"];
  let apiKey = values["api-key"];
  if (values["data-dir"] && (!tokenSecret || !apiKey)) {
    const s = loadOrCreateSecrets(values["data-dir"]);
    tokenSecret ||= s.tokenSecret;
    apiKey ||= s.apiKey;
  }
  if (!tokenSecret || !apiKey) {
    throw new Error("give --data-dir, or --token-secret and --api-key");
  }
  if (tokenSecret.length < minSecretLength || apiKey.length < 16) {
    throw new Error(`the token secret needs at least ${minSecretLength} bytes, the API key 16 characters`);
  }
  const i = values.addr.lastIndexOf(":");
  const pingInterval = Number(values["ping-interval"]);
  if (i < 0 || !Number.isInteger(pingInterval) || pingInterval <= 0) {
    throw new Error("--addr is host:port, --ping-interval a positive number of milliseconds");
  }
  return { host: values.addr.slice(0, i), port: Number(values.addr.slice(i + 1)), tokenSecret, apiKey, pingInterval };
}

// answer writes a JSON answer with a status.
function answer(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function apiError(res, status, code, message) {
  answer(res, status, { error: { code, message, temporary: false } });
}

function keyMatches(given, want) {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

// api serves POST /api/publish and /api/info like liveroom's server API.
function api(req, res, o, rooms) {
  if (req.url === "/healthz") {
    answer(res, 200, {});
    return;
  }
  if (!req.url.startsWith("/api/")) {
    apiError(res, 404, 104, "not found");
    return;
  }
  if (req.method !== "POST") {
    apiError(res, 405, 107, "use POST");
    return;
  }
  if (!keyMatches(req.headers["x-api-key"], o.apiKey)) {
    apiError(res, 401, 101, "missing or wrong X-API-Key");
    return;
  }
  const chunks = [];
  let size = 0;
  req.on("data", (c) => {
    size += c.length;
    if (size <= maxBody) chunks.push(c);
  });
  req.on("end", () => {
    if (size > maxBody) {
      apiError(res, 413, 106, "body over 1 MiB");
      return;
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch (err) {
      apiError(res, 400, 107, `malformed body: ${err.message}`);
      return;
    }
    switch (req.url) {
      case "/api/publish": {
        const unknown = Object.keys(body).filter((k) => k !== "channel" && k !== "data");
        if (unknown.length > 0 || typeof body.channel !== "string" || !("data" in body)) {
          apiError(res, 400, 107, 'want {"channel": string, "data": any}');
          return;
        }
        answer(res, 200, rooms.publish(body.channel, body.data));
        return;
      }
      case "/api/info":
        answer(res, 200, { nodes: [{ id: "socketio-peer", version: "socket.io", ...rooms.counts() }] });
        return;
      default:
        apiError(res, 404, 104, `unknown method ${req.url.slice(5)}`);
    }
  });
}

function main() {
  let o;
  try {
    o = options(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`socketio-peer: ${err.message}`);
    process.exit(2);
  }
  let rooms;
  const http = createServer((req, res) => api(req, res, o, rooms));
  const io = new Server(http, {
    transports: ["websocket"],
    perMessageDeflate: false,
    serveClient: false,
    pingInterval: o.pingInterval,
  });
  rooms = new Rooms(io, o.tokenSecret);
  http.on("error", (err) => {
    console.error(`socketio-peer: ${err.message}`);
    process.exit(1);
  });
  http.listen(o.port, o.host, () => {
    const { address, port } = http.address();
    const host = address.includes(":") ? `[${address}]` : address;
    process.stdout.write(`listening on http://${host}:${port}\n`);
  });
  const stop = () => {
    io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
