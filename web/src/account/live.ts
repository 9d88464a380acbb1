// The account page's live connection: it receives the account notices on
// the user's personal channel and is how the server cuts a revoked device
// off at once (a terminal disconnect code, 4500–4999).
import { Centrifuge, disconnectedCodes, type Subscription } from "centrifuge";
import type { Notice } from "./api";
import type { AccountSession } from "./session";

export type LiveState = "none" | "connecting" | "connected" | "reconnecting" | "signed-out";

export interface LiveHandlers {
  notice(n: Notice): void;
  state(s: LiveState): void;
  /** The server ended this session: code and reason say why. */
  ended(code: number, reason: string): void;
}

/** Whether a disconnect code means "do not come back" (protocol ranges). */
function terminal(code: number): boolean {
  return (code >= 3500 && code < 4000) || (code >= 4500 && code < 5000);
}

export class Live {
  private readonly client: Centrifuge;
  private readonly sub: Subscription;
  private stopped = false;

  constructor(session: AccountSession, user: string, token: string, on: LiveHandlers) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.client = new Centrifuge(`${scheme}//${location.host}/connection/websocket`, {
      token,
      getToken: () => session.token(),
    });
    this.sub = this.client.newSubscription(`personal:${user}`);
    this.sub.on("publication", (ctx) => {
      const n = ctx.data as Notice;
      if (n && typeof n.type === "string" && typeof n.message === "string") on.notice(n);
    });
    let everConnected = false;
    this.client.on("connecting", () => on.state(everConnected ? "reconnecting" : "connecting"));
    this.client.on("connected", () => {
      everConnected = true;
      on.state("connected");
    });
    this.client.on("disconnected", (ctx) => {
      if (this.stopped) return;
      if (terminal(ctx.code) || ctx.code === Number(disconnectedCodes.unauthorized)) {
        this.stopped = true;
        on.state("signed-out");
        on.ended(ctx.code, session.endedReason || ctx.reason);
        return;
      }
      on.state("none");
    });
    this.sub.subscribe();
    this.client.connect();
  }

  /** Closes the connection for good. */
  stop(): void {
    this.stopped = true;
    this.client.disconnect();
  }
}
