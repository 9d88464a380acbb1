// A Socket.IO client written against the raw Engine.IO v4 / Socket.IO v5
// frames, as the load tool's adapter will speak them (see README.md).
import WebSocket from "ws";

export class RawClient {
  constructor(base, token) {
    this.pubs = [];
    this.pings = 0;
    this.acks = new Map();
    this.nextAck = 1;
    this.ws = new WebSocket(base.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
    this.connected = new Promise((resolve, reject) => {
      this.ws.on("error", reject);
      this.ws.on("message", (data, binary) => {
        if (binary) {
          reject(new Error("unexpected binary frame"));
          return;
        }
        this.#frame(data.toString("utf8"), token, resolve, reject);
      });
    });
  }

  #frame(s, token, resolve, reject) {
    switch (true) {
      case s.startsWith("0{"): // Engine.IO open: answer with the Socket.IO connect
        this.open = JSON.parse(s.slice(1));
        this.ws.send("40" + JSON.stringify({ token }));
        break;
      case s.startsWith("40"): // Socket.IO connected
        resolve(JSON.parse(s.slice(2)));
        break;
      case s.startsWith("44"): // Socket.IO connect error
        reject(new Error(JSON.parse(s.slice(2)).message));
        break;
      case s === "2": // Engine.IO ping: pong at once
        this.pings++;
        this.ws.send("3");
        break;
      case s.startsWith("42"): {
        const [name, payload] = JSON.parse(s.slice(2));
        if (name === "pub") this.pubs.push(payload);
        break;
      }
      case s.startsWith("43"): {
        const m = /^43(\d+)(.*)$/s.exec(s);
        const done = this.acks.get(Number(m[1]));
        this.acks.delete(Number(m[1]));
        done?.(JSON.parse(m[2])[0]);
        break;
      }
    }
  }

  // emit sends an event with an acknowledgement id and resolves with the
  // server's answer.
  emit(name, payload) {
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send(`42${id}` + JSON.stringify([name, payload]));
    });
  }

  close() {
    this.ws.close();
  }
}
