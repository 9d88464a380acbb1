// The parts of the room's chat that come from other channels: one's
// personal notices (pending review, timeouts and bans with the reason,
// report confirmations and outcomes) and who is typing.
import type { Subscription } from "centrifuge";
import { byId, type Flash } from "../dom";
import type { LiveChat } from "./live";
import { clockTime, type ChatNotice } from "./wire";

/** How often a typing indicator is sent while typing. */
const typingEveryMs = 3000;

export class Extras {
  private personal: Subscription | null = null;
  private readonly typing: Subscription;
  private readonly typers = new Map<string, number>(); // user → until (local ms)
  private typingTimer: number | undefined;
  private lastTyping = 0;
  private readonly line = byId("typing");
  /** Called when a moderator lifts this user's ban (the room is joined again). */
  unbanned: (() => void) | null = null;

  constructor(
    private readonly chat: LiveChat,
    private readonly note: Flash,
    private readonly me: () => string,
  ) {
    chat.onMessage = (user) => {
      if (this.typers.delete(user)) this.renderTyping();
    };
    this.typing = chat.client.newSubscription(`typing:${chat.room}`);
    this.typing.on("publication", (ctx) => {
      const d = ctx.data as { user?: unknown; until?: unknown } | null;
      if (typeof d?.user !== "string" || typeof d.until !== "number" || d.user === this.me()) return;
      this.typers.set(d.user, chat.local(d.until));
      this.renderTyping();
    });
  }

  start(): void {
    this.typing.subscribe();
    this.follow();
  }

  /** Subscribes to the user's personal channel (again after a new sign-in). */
  follow(): void {
    const user = this.me();
    if (!user || this.personal?.channel === `personal:${user}`) return;
    if (this.personal) this.chat.client.removeSubscription(this.personal);
    this.personal = this.chat.client.newSubscription(`personal:${user}`);
    this.personal.on("publication", (ctx) => {
      const n = ctx.data as ChatNotice | null;
      if (n?.type === "chat.notice" && n.room === this.chat.room) this.onNotice(n);
    });
    this.personal.on("subscribed", () => void this.standingFromHistory());
    this.personal.subscribe();
  }

  /**
   * After a reload the room's state gives when a timeout ends; the reason
   * is in the notice that announced it, still in the personal channel.
   */
  private async standingFromHistory(): Promise<void> {
    try {
      const res = await this.personal?.history({ limit: 50, reverse: true });
      for (const p of res?.publications ?? []) {
        const n = p.data as ChatNotice | null;
        if (n?.type !== "chat.notice" || n.room !== this.chat.room) continue;
        if (n.kind === "untimeout" || n.kind === "unban") return;
        if (n.kind === "timeout" && n.until && this.chat.local(n.until) > Date.now()) {
          this.chat.composer.timedOut(this.chat.local(n.until), n.reason ?? "");
          return;
        }
        if (n.kind === "ban") {
          // The room's state says whether; the notice says why.
          this.note.show(`You were banned from this room${n.reason ? ` — reason: ${n.reason}` : ""}`, "error", 0);
          return;
        }
      }
    } catch {
      /* the room's state still says whether and until when */
    }
  }

  /** Tells the room this user is typing (at most every few seconds). */
  typed(): void {
    const now = Date.now();
    if (now - this.lastTyping < typingEveryMs || this.chat.composer.blocked()) return;
    this.lastTyping = now;
    this.chat.client.rpc("chat.typing", { room: this.chat.room }).catch(() => {
      /* a typing indicator is best effort */
    });
  }

  private renderTyping(): void {
    window.clearTimeout(this.typingTimer);
    const now = Date.now();
    for (const [u, until] of this.typers) if (until <= now) this.typers.delete(u);
    const names = [...this.typers.keys()].map((u) => this.chat.names.label(u));
    this.line.textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
    if (this.typers.size) this.typingTimer = window.setTimeout(() => this.renderTyping(), Math.min(...this.typers.values()) - now + 20);
  }

  private onNotice(n: ChatNotice): void {
    const fb = this.chat.feedback;
    switch (n.kind) {
      case "timeout": {
        const until = this.chat.local(n.until ?? 0);
        this.chat.composer.timedOut(until, n.reason ?? "");
        // Shown until the timeout ends (then the composer frees up too), not for ever.
        this.note.show(`A moderator timed you out until ${clockTime(until)}${n.reason ? ` — reason: ${n.reason}` : ""}`, "error", Math.max(1000, until - Date.now()));
        break;
      }
      case "untimeout":
        this.chat.composer.timedOut(0, "");
        this.note.show("Your timeout was lifted: you can write again", "info", 6000);
        break;
      case "ban":
        this.chat.composer.setBanned(true);
        this.note.show(`You were banned from this room${n.reason ? ` — reason: ${n.reason}` : ""}`, "error", 0);
        break;
      case "unban":
        this.chat.composer.setBanned(false);
        this.note.show("Your ban was lifted: you are back in the room", "info", 8000);
        this.unbanned?.();
        if (this.typing.state === "unsubscribed") this.typing.subscribe();
        break;
      case "rejected":
        fb.show(`A moderator did not approve your message${n.reason ? `: ${n.reason}` : ""}`, "error", 8000);
        for (const li of document.querySelectorAll<HTMLElement>("#log li.msg[data-state=held]")) {
          if (li.dataset["held"] === n.id) li.dataset["state"] = "rejected";
        }
        break;
      case "approved":
        fb.show("A moderator approved your message: everyone sees it now", "info", 5000);
        break;
      case "reported":
        break; // the report's own answer already confirmed it
      case "outcome":
        if (n.outcome === "expired") {
          this.note.show(`Your report could not be reviewed: ${n.reason ?? "the moderators' queue was full"}.`, "info", 15000);
          break;
        }
        this.note.show(
          `Your report was handled: ${n.outcome === "actioned" ? "a moderator took action" : "no action was needed"}${n.reason ? ` — “${n.reason}”` : ""}. Thank you.`,
          "info",
          15000,
        );
        break;
    }
  }
}
