// The staff consoles' connection line (#conn in the header): one state
// derived from the client and the browser's network, said in words that
// tell whether what the console shows is live. Small print while
// connected; a clear warning while offline, reconnecting or closed.
import { Centrifuge } from "centrifuge";
import { byId } from "./dom";

export type ConsoleState = "connecting" | "connected" | "reconnecting" | "offline" | "disconnected";

export class ConsoleConnection {
  private everConnected = false;
  private reason = "";
  private readonly line = byId("conn");

  constructor(
    private readonly client: Centrifuge,
    /** Who is signed in, for "connected as …". */
    private readonly who: () => string,
    /** What the console shows that goes stale while not connected ("the queue"). */
    private readonly what: string,
  ) {
    client.on("connected", () => {
      this.everConnected = true;
      this.reason = "";
      this.update();
    });
    client.on("connecting", () => this.update());
    client.on("disconnected", (ctx) => {
      this.reason = ctx.reason;
      this.update();
    });
    window.addEventListener("online", () => this.update());
    window.addEventListener("offline", () => this.update());
    this.update();
  }

  state(): ConsoleState {
    const s = this.client.state;
    if (s === Centrifuge.State.Connected) return "connected";
    if (s === Centrifuge.State.Disconnected) return this.everConnected || this.reason ? "disconnected" : "connecting";
    if (!navigator.onLine) return "offline";
    return this.everConnected ? "reconnecting" : "connecting";
  }

  private update(): void {
    const state = this.state();
    let text: string;
    switch (state) {
      case "connected":
        text = `connected as ${this.who()}`;
        break;
      case "connecting":
        text = "connecting…";
        break;
      case "reconnecting":
        text = `You are reconnecting… — ${this.what} shows the last known state until you are back`;
        break;
      case "offline":
        text = `You are offline — waiting for the network; ${this.what} shows the last known state`;
        break;
      case "disconnected":
        text = `You are disconnected${this.reason ? `: ${this.reason}` : ""} — reload the page to connect again`;
        break;
    }
    this.line.dataset["state"] = state;
    this.line.textContent = text;
  }
}
