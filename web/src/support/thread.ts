// One conversation as either side follows it: its channel (recovered
// after a reconnect, or reloaded from the transcript), the transcript
// list, typing both ways, who of the two is connected, and sending with
// a pending state that ends confirmed or refused with the reason.
import type { Centrifuge, Subscription } from "centrifuge";
import { explain } from "../errors";
import { ConversationLog, type Side } from "./log";
import type { SupportNames } from "./names";
import { TypingLine } from "./typing";
import { asEvent, call, conversationChannel, newCID, type Conversation, type SendResult, type SupportEvent, type Transcript } from "./wire";

export interface ThreadHooks {
  /** A stored event arrived (live or from the transcript). */
  event(ev: SupportEvent, live: boolean): void;
  /**
   * Who is connected to the conversation changed: a presence read, or a
   * join or leave. current: read since the channel was last (re)joined,
   * so not a join or leave applied to a list that is only last known.
   */
  presence(online: Set<string>, current: boolean): void;
  /**
   * The conversation's channel is not followed right now (this side's
   * connection is down, or it is being joined again): who is connected
   * is known only as it last was, until the next presence().
   */
  lost?(): void;
  /** The transcript could not be loaded, with the reason. */
  problem(text: string): void;
}

export class Thread {
  conv: Conversation | null = null;
  readonly log: ConversationLog;
  readonly typing: TypingLine;
  private sub: Subscription | null = null;
  private readonly online = new Map<string, number>(); // user → connections
  /** Whether online was read since the channel was last (re)joined. */
  private current = false;

  constructor(
    private readonly client: Centrifuge,
    side: Side,
    private readonly me: () => string,
    private readonly names: SupportNames,
    list: HTMLOListElement,
    typingLine: HTMLElement,
    private readonly hooks: ThreadHooks,
  ) {
    this.log = new ConversationLog(list, side, me, names);
    this.typing = new TypingLine(client, typingLine, me, names);
  }

  /**
   * Follows conversation conv (another one is left). keepLog: the list
   * holds only what was written before the conversation existed (a draft's
   * first message, pending), which its transcript confirms by cid.
   */
  open(conv: Conversation, keepLog = false): void {
    this.learn(conv);
    if (this.conv?.id === conv.id && this.sub) {
      this.conv = conv;
      return;
    }
    this.close();
    this.conv = conv;
    if (!keepLog) this.log.clear();
    const sub = this.client.newSubscription(conversationChannel(conv.id));
    sub.on("publication", (ctx) => {
      const ev = asEvent(ctx.data, ctx.offset);
      if (ev) this.take(ev, true);
    });
    sub.on("subscribed", (ctx) => {
      if (!(ctx.wasRecovering && ctx.recovered)) void this.reload();
      void this.presence(sub);
    });
    sub.on("subscribing", () => this.lose());
    sub.on("unsubscribed", () => this.lose());
    sub.on("join", (ctx) => this.seen(ctx.info.user, 1, ctx.info.connInfo));
    sub.on("leave", (ctx) => this.seen(ctx.info.user, -1));
    sub.on("error", (ctx) => this.hooks.problem(explain(ctx.error, "reload the page")));
    this.sub = sub;
    sub.subscribe();
    this.typing.follow(conv.id);
  }

  /** Leaves the conversation's channels. */
  close(): void {
    if (this.sub) {
      this.sub.unsubscribe();
      this.client.removeSubscription(this.sub);
      this.sub = null;
    }
    this.typing.follow("");
    this.online.clear();
    this.conv = null;
  }

  learn(conv: Conversation): void {
    this.names.learn(conv.user, conv.user_name);
    this.names.learn(conv.agent, conv.agent_name);
  }

  /** Sends text as a message; the row shows pending, then the outcome. */
  send(text: string, cid = newCID()): void {
    const id = this.conv?.id;
    if (!id) return;
    if (!this.log.pendingExists(cid)) this.log.pending(cid, text);
    void (async () => {
      try {
        const res = await call<SendResult>(this.client, "support.send", { id, text, cid });
        this.log.confirm(cid, res.offset);
      } catch (e) {
        this.log.fail(cid, explain(e, "send"), () => this.send(text, cid));
      }
    })();
  }

  private take(ev: SupportEvent, live: boolean): void {
    this.log.add(ev);
    if (ev.type === "message") this.typing.messageFrom(ev.user, ev.at);
    this.hooks.event(ev, live);
  }

  private async reload(): Promise<void> {
    const id = this.conv?.id;
    if (!id) return;
    try {
      const tr = await call<Transcript>(this.client, "support.transcript", { id });
      if (this.conv?.id !== id) return;
      for (const [u, n] of Object.entries(tr.names ?? {})) this.names.learn(u, n);
      this.conv = tr.conversation;
      this.learn(tr.conversation);
      for (const ev of tr.events) this.take(ev, false);
    } catch (e) {
      this.hooks.problem(`could not load the conversation: ${explain(e, "reload the page")}`);
    }
  }

  private lose(): void {
    this.current = false;
    this.hooks.lost?.();
  }

  private async presence(sub: Subscription): Promise<void> {
    try {
      const res = await sub.presence();
      this.online.clear();
      for (const c of Object.values(res.clients)) this.seen(c.user, 1, c.connInfo, false);
      this.current = sub.state === "subscribed";
      this.hooks.presence(new Set(this.online.keys()), this.current);
    } catch {
      /* join and leave events keep it current */
    }
  }

  private seen(user: string, delta: number, connInfo?: unknown, tell = true): void {
    const name = (connInfo as { name?: unknown } | undefined)?.name;
    if (typeof name === "string") this.names.learn(user, name);
    const n = (this.online.get(user) ?? 0) + delta;
    if (n > 0) this.online.set(user, n);
    else this.online.delete(user);
    if (tell) this.hooks.presence(new Set(this.online.keys()), this.current);
  }
}
