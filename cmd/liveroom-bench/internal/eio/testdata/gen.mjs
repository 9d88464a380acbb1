// Writes frames.json: WebSocket frames as Socket.IO 4.8's own encoders
// (socket.io-parser, engine.io-parser) build them, with the values a full
// JSON decode reads from each, for the Go tests of this package.
//
//   node gen.mjs > frames.json    (after npm ci in bench/peers/socketio)
import { createRequire } from "node:module";

const require = createRequire(new URL("../../../../../bench/peers/socketio/", import.meta.url));
const { Encoder, PacketType } = require("socket.io-parser");
const { encodePacket } = require("engine.io-parser");

// frame encodes one Socket.IO packet inside an Engine.IO message packet.
function frame(packet) {
  const [s] = new Encoder().encode(packet); // no binary: one string
  let out;
  encodePacket({ type: "message", data: s }, false, (x) => (out = x));
  return out;
}

function engine(type, data) {
  let out;
  encodePacket({ type, data }, false, (x) => (out = x));
  return out;
}

const channels = ["room:bench", 'a","offset":1,"data":{"ts":2', "名前:\\\"x", "x\\", "line\u2028sep", "ctl\u0001\t"];
const out = [];
const pub = (channel, offset, ts, pad) => {
  const payload = { channel, offset, data: { ts, pad } };
  out.push({
    frame: frame({ type: PacketType.EVENT, nsp: "/", data: ["pub", payload] }),
    kind: "event",
    pub: { ts: String(payload.data.ts), offset: String(payload.offset) },
  });
};
let offset = 1;
for (const c of channels) {
  pub(c, offset++, 1764000000123456789, "xx"); // rounded by JavaScript, as the peer does
  pub(c, 2 ** 53 - 1, 0, "");
}
pub("room:bench", 7, 123, "\"quoted\" \\ pad");
out.push({ frame: engine("open", JSON.stringify({ sid: "abc", upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 })), kind: "open" });
out.push({ frame: engine("ping"), kind: "ping" });
out.push({ frame: engine("pong"), kind: "pong" });
out.push({ frame: engine("close"), kind: "close" });
out.push({ frame: engine("noop"), kind: "noop" });
out.push({ frame: frame({ type: PacketType.CONNECT, nsp: "/", data: { sid: "s1" } }), kind: "connect" });
out.push({ frame: frame({ type: PacketType.CONNECT, nsp: "/", data: { token: "eyJ.a-b_c.d" } }), kind: "connect" });
out.push({ frame: frame({ type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "token expired" } }), kind: "connect_error" });
out.push({ frame: frame({ type: PacketType.DISCONNECT, nsp: "/" }), kind: "disconnect" });
for (const id of [1, 2, 10, 12345678901]) {
  out.push({ frame: frame({ type: PacketType.ACK, nsp: "/", id, data: [{ ok: true }] }), kind: "ack", id, ok: true });
  out.push({ frame: frame({ type: PacketType.ACK, nsp: "/", id, data: [{ error: { code: 103, message: "no" } }] }), kind: "ack", id, failed: true });
  out.push({ frame: frame({ type: PacketType.ACK, nsp: "/", id, data: [{ offset: 9, epoch: "e" }] }), kind: "ack", id });
  out.push({ frame: frame({ type: PacketType.EVENT, nsp: "/", id, data: ["chat", { room: "room:x", data: { ts: 5 } }] }), kind: "event", id });
}
out.push({ frame: frame({ type: PacketType.EVENT, nsp: "/", data: ["join", "room:x"] }), kind: "event" });
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
