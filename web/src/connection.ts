// The connection badge: derives one visible state from the client's and the
// room subscription's events, and measures the round trip with the "time" RPC.
import { Centrifuge, type Subscription } from "centrifuge";
import { byId } from "./dom";

export type Shown = "connecting" | "connected" | "reconnecting" | "catching-up" | "offline" | "out";

const labels: Record<Shown, string> = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  "catching-up": "catching up…",
  offline: "offline",
  out: "not in the room",
};

/** How often the round trip is measured while connected. */
const rttEveryMs = 5000;

export class ConnectionBadge {
  private everConnected = false;
  private catchingUp = false;
  private lastReason = "";
  private rtt: number | null = null;
  private offset = 0;
  private timer: number | undefined;
  private shown: Shown = "connecting";
  private readonly badge = byId<HTMLButtonElement>("badge");
  private readonly text = byId("badge-text");
  private readonly rttText = byId("rtt");
  private readonly details = byId("details");
  private readonly announce = byId("conn-announce");

  constructor(
    private readonly client: Centrifuge,
    private readonly room: Subscription,
  ) {
    client.on("connecting", (ctx) => {
      if (this.everConnected) this.lastReason = ctx.reason;
      this.update();
    });
    client.on("connected", (ctx) => {
      this.everConnected = true;
      byId("d-client").textContent = ctx.client;
      byId("d-transport").textContent = ctx.transport;
      this.update();
      void this.measure();
    });
    client.on("disconnected", (ctx) => {
      this.lastReason = ctx.reason;
      this.update();
    });
    room.on("state", () => this.update());
    window.addEventListener("online", () => this.update());
    window.addEventListener("offline", () => this.update());
    this.badge.addEventListener("click", () => this.toggleDetails());
    this.update();
  }

  /** Server clock minus local clock, in ms (0 until measured). */
  clockOffset(): number {
    return this.offset;
  }

  /** Marks a history reload in progress, which counts as catching up. */
  setCatchingUp(on: boolean): void {
    this.catchingUp = on;
    this.update();
  }

  private derive(): Shown {
    const state = this.client.state;
    if (state === Centrifuge.State.Disconnected) return "offline";
    if (state === Centrifuge.State.Connecting) {
      if (!navigator.onLine) return "offline";
      return this.everConnected ? "reconnecting" : "connecting";
    }
    // The server ended the room's subscription (a ban) or refused it: the
    // connection is up, but nothing is being caught up.
    if (this.room.state === Centrifuge.SubscriptionState.Unsubscribed) return "out";
    if (this.room.state !== Centrifuge.SubscriptionState.Subscribed || this.catchingUp) return "catching-up";
    return "connected";
  }

  private update(): void {
    const next = this.derive();
    const changed = next !== this.shown;
    this.shown = next;
    this.badge.dataset["state"] = next;
    document.body.dataset["conn"] = next;
    this.text.textContent = labels[next];
    const showRtt = next === "connected" && this.rtt !== null;
    this.rttText.textContent = showRtt ? `${this.rtt} ms` : "";
    this.badge.setAttribute(
      "aria-label",
      `Connection: ${labels[next]}${showRtt ? `, round trip ${this.rtt} milliseconds` : ""}. Show details`,
    );
    byId("d-state").textContent = labels[next];
    byId("d-reason").textContent = this.lastReason || "—";
    if (changed && this.everConnected) this.announce.textContent = `Connection ${labels[next]}`;
    window.clearTimeout(this.timer);
    if (this.client.state === Centrifuge.State.Connected) {
      this.timer = window.setTimeout(() => void this.measure(), rttEveryMs);
    }
  }

  /** One round trip of the "time" RPC: the RTT and the server clock offset. */
  private async measure(): Promise<void> {
    window.clearTimeout(this.timer);
    const t0 = performance.now();
    const wall0 = Date.now();
    try {
      const res = await this.client.rpc("time", {});
      const rtt = performance.now() - t0;
      const server = Number((res.data as { time?: unknown }).time);
      this.rtt = Math.max(1, Math.round(rtt));
      if (Number.isFinite(server)) this.offset = Math.round(server - (wall0 + rtt / 2));
      byId("d-rtt").textContent = `${this.rtt} ms`;
      byId("d-offset").textContent = `${this.offset > 0 ? "+" : ""}${this.offset} ms`;
    } catch {
      /* a lost round trip shows as the state change that follows */
    }
    this.update();
  }

  private toggleDetails(): void {
    const open = this.details.hidden;
    this.details.hidden = !open;
    this.badge.setAttribute("aria-expanded", String(open));
  }
}
