// The Socket.IO side: token check at connect, join/leave/chat events, and
// the room broadcast used by both chat and the HTTP API.
import { randomBytes } from "node:crypto";
import { verifyToken } from "./auth.js";

// A room name is "namespace:rest", as liveroom's channel names.
const namespaces = new Set(["room", "personal", "reactions"]);

export class Rooms {
  constructor(io, tokenSecret) {
    this.io = io;
    // offsets counts publications per room so that clients can spot gaps;
    // Socket.IO itself keeps no history, so there is no recovery.
    this.offsets = new Map();
    this.epoch = randomBytes(6).toString("base64url");
    io.use((socket, next) => {
      try {
        socket.data.user = verifyToken(socket.handshake.auth?.token, tokenSecret).user;
        next();
      } catch (err) {
        next(err);
      }
    });
    io.on("connection", (socket) => this.#connected(socket));
  }

  // publish broadcasts data to every member of room, encoded once.
  publish(room, data) {
    const offset = (this.offsets.get(room) ?? 0) + 1;
    this.offsets.set(room, offset);
    this.io.to(room).emit("pub", { channel: room, offset, data });
    return { offset, epoch: this.epoch };
  }

  // counts reports clients, room memberships and rooms (own-id rooms aside).
  counts() {
    let subscriptions = 0;
    let channels = 0;
    for (const [room, members] of this.io.of("/").adapter.rooms) {
      if (!members.has(room)) {
        subscriptions += members.size;
        channels++;
      }
    }
    return { clients: this.io.engine.clientsCount, subscriptions, channels };
  }

  #connected(socket) {
    socket.on("join", (room, ack) => {
      const refused = checkRoom(room, socket.data.user);
      if (!refused) {
        socket.join(room);
      }
      reply(ack, refused ?? { ok: true });
    });
    socket.on("leave", (room, ack) => {
      socket.leave(room);
      reply(ack, { ok: true });
    });
    socket.on("chat", (msg, ack) => {
      const room = msg?.room;
      if (typeof room !== "string" || !room.startsWith("room:") || !socket.rooms.has(room)) {
        reply(ack, { error: { code: 103, message: "join a room: channel before chatting in it" } });
        return;
      }
      reply(ack, this.publish(room, msg.data ?? null));
    });
  }
}

// checkRoom returns an error answer, or undefined when user may join room.
export function checkRoom(room, user) {
  if (typeof room !== "string") {
    return { error: { code: 107, message: "room must be a string" } };
  }
  const i = room.indexOf(":");
  if (i <= 0 || i === room.length - 1 || !namespaces.has(room.slice(0, i))) {
    return { error: { code: 102, message: `unknown namespace in ${JSON.stringify(room)}` } };
  }
  if (room.startsWith("personal:") && room.slice(i + 1) !== user) {
    return { error: { code: 103, message: `${JSON.stringify(room)} belongs to another user` } };
  }
  return undefined;
}

function reply(ack, answer) {
  if (typeof ack === "function") {
    ack(answer);
  }
}
