// Typing in a conversation: shows the other side's indicator (from
// supporttyping:<id>) until it expires or their message arrives, and
// sends one's own, at most every 2 s.
import type { Centrifuge, Subscription } from "centrifuge";
import type { SupportNames } from "./names";
import { call, typingChannel, type Typing } from "./wire";

const sendEveryMs = 2000;
/** How long an indicator lasts: the server sends until = sent + 6 s. */
const ttlMs = 6000;

export class TypingLine {
  private sub: Subscription | null = null;
  private id = "";
  private hideTimer: number | undefined;
  private lastSent = 0;
  private who = "";
  private readonly lastMessage = new Map<string, number>(); // user → server time of their last message

  constructor(
    private readonly client: Centrifuge,
    private readonly line: HTMLElement,
    private readonly me: () => string,
    private readonly names: SupportNames,
  ) {}

  /** Follows the typing channel of conversation id ("" stops). */
  follow(id: string): void {
    if (id === this.id) return;
    if (this.sub) {
      this.sub.unsubscribe();
      this.client.removeSubscription(this.sub);
      this.sub = null;
    }
    this.id = id;
    this.hide();
    if (!id) return;
    const existing = this.client.getSubscription(typingChannel(id));
    this.sub = existing ?? this.client.newSubscription(typingChannel(id));
    this.sub.on("publication", (ctx) => {
      const t = ctx.data as Typing;
      if (t?.type !== "typing" || t.user === this.me()) return;
      // Typing and messages travel on different channels: an indicator
      // sent before the author's last message may arrive after it.
      if (t.until - ttlMs <= (this.lastMessage.get(t.user) ?? 0)) return;
      this.show(t.user);
    });
    this.sub.subscribe();
  }

  /** The other side's message (sent at, server clock) arrived: their typing is over. */
  messageFrom(user: string | undefined, at: number): void {
    if (!user) return;
    this.lastMessage.set(user, Math.max(at, this.lastMessage.get(user) ?? 0));
    if (user === this.who) this.hide();
  }

  /** One's own keystroke: tell the other side, now and then. */
  typed(): void {
    const now = Date.now();
    if (!this.id || now - this.lastSent < sendEveryMs) return;
    this.lastSent = now;
    void call(this.client, "support.typing", { id: this.id }).catch(() => {
      /* an indicator that does not go out is not worth a message */
    });
  }

  private show(user: string): void {
    this.who = user;
    this.line.textContent = "";
    this.line.append(this.names.span(user), " is typing…");
    window.clearTimeout(this.hideTimer);
    this.hideTimer = window.setTimeout(() => this.hide(), ttlMs);
  }

  private hide(): void {
    window.clearTimeout(this.hideTimer);
    this.who = "";
    this.line.textContent = "";
  }
}
