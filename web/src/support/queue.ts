// The agents' live queue: conversations waiting (oldest first) and
// claimed ones, from support.queue and then the queue channel, each
// summary replacing an older one of the same conversation (by offset).
import type { Centrifuge, Subscription } from "centrifuge";
import { byId, el, type Flash } from "../dom";
import { explain } from "../errors";
import { clockTime } from "../chat/wire";
import type { SupportNames } from "./names";
import { call, codes, queueChannel, type Conversation } from "./wire";

/** How often the queue is read again, for waiting times and who is online. */
const refreshMs = 15000;

export class Queue {
  private readonly sub: Subscription;
  private readonly items = new Map<string, Conversation>();
  private readonly list = byId<HTMLOListElement>("queue");
  private timer: number | undefined;
  /** Whether who is online was read since the queue was last (re)joined: else it is last known. */
  private fresh = false;
  /** Number of the newest read of the queue; an older answer does not make it fresh. */
  private asked = 0;

  constructor(
    private readonly client: Centrifuge,
    private readonly names: SupportNames,
    private readonly note: Flash,
    private readonly me: () => string,
    private readonly openConversation: (c: Conversation) => void,
  ) {
    this.sub = client.newSubscription(queueChannel);
    this.sub.on("subscribed", () => void this.load());
    const lose = (): void => {
      this.asked++;
      if (!this.fresh) return;
      this.fresh = false;
      this.render();
    };
    this.sub.on("subscribing", lose);
    this.sub.on("unsubscribed", lose);
    this.sub.on("publication", (ctx) => {
      const ev = ctx.data as { type?: string; conversation?: Conversation };
      if (ev?.type === "conversation" && ev.conversation) this.update(ev.conversation);
    });
    this.sub.on("error", (ctx) => this.note.show(`queue: ${explain(ctx.error, "reload")}`, "error"));
  }

  start(): void {
    this.sub.subscribe();
  }

  async load(): Promise<void> {
    window.clearTimeout(this.timer);
    const n = ++this.asked;
    try {
      const res = await call<{ conversations: Conversation[] }>(this.client, "support.queue", {});
      this.items.clear();
      for (const c of res.conversations) this.items.set(c.id, c);
      if (n === this.asked && this.sub.state === "subscribed") this.fresh = true;
      this.render();
    } catch (e) {
      this.note.show(`could not read the queue: ${explain(e, "reload")}`, "error");
    }
    this.timer = window.setTimeout(() => void this.load(), refreshMs);
  }

  /** A newer summary of one conversation. */
  update(c: Conversation): void {
    const old = this.items.get(c.id);
    if (old && old.offset >= c.offset) return;
    if (c.status === "resolved") this.items.delete(c.id);
    else this.items.set(c.id, { ...c, online: c.online ?? old?.online ?? false });
    this.render();
    // A new conversation: read the queue again soon for whether its user
    // is connected (summaries on the channel do not say).
    if (!old && c.online === undefined) {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => void this.load(), 500);
    }
  }

  private render(): void {
    const all = [...this.items.values()].sort((a, b) =>
      a.status !== b.status ? (a.status === "queued" ? -1 : 1) : a.status === "queued" ? a.opened_at - b.opened_at : (a.claimed_at ?? 0) - (b.claimed_at ?? 0),
    );
    this.list.textContent = "";
    for (const c of all) this.list.append(this.card(c));
    const waiting = all.filter((c) => c.status === "queued").length;
    byId("queue-empty").hidden = all.length > 0;
    byId("queue-count").textContent = waiting ? String(waiting) : "";
  }

  private card(c: Conversation): HTMLLIElement {
    this.names.learn(c.user, c.user_name);
    this.names.learn(c.agent, c.agent_name);
    const li = el("li", "card conv");
    li.dataset["id"] = c.id;
    li.dataset["status"] = c.status;
    li.dataset["mine"] = String(c.agent === this.me());
    const meta = el("p", "meta");
    const dot = el("span", "dot");
    const state = c.online ? "connected" : "not connected";
    dot.dataset["on"] = String(!!c.online);
    dot.title = state;
    meta.append(dot, this.names.span(c.user, "author"), ` · room ${c.room} · since ${clockTime(c.opened_at)}`);
    if (this.fresh) meta.append(el("span", "sr-only", `, ${state}`));
    else {
      // As the room marks its online count: dimmed and called last known
      // until the queue is read again.
      dot.dataset["stale"] = "true";
      dot.title = `last known: ${state} — read again once you are connected`;
      meta.append(el("span", "stale", "last known"), el("span", "sr-only", `, ${state} (last known)`));
    }
    li.append(meta, el("p", "text", c.text || "(no message yet)"));
    const buttons = el("div", "buttons");
    if (c.status === "queued") {
      const b = el("button", "primary", "Claim");
      b.type = "button";
      b.addEventListener("click", () => void this.claim(c, b));
      buttons.append(b);
    } else if (c.agent === this.me()) {
      const b = el("button", "", "Open");
      b.type = "button";
      b.addEventListener("click", () => this.openConversation(c));
      buttons.append(b);
    } else {
      const p = el("p", "reason", "claimed by ");
      p.append(this.names.span(c.agent ?? ""));
      buttons.append(p);
    }
    li.append(buttons);
    return li;
  }

  private async claim(c: Conversation, b: HTMLButtonElement): Promise<void> {
    b.disabled = true;
    b.textContent = "Claiming…";
    try {
      const conv = await call<Conversation>(this.client, "support.claim", { id: c.id });
      this.update(conv);
      this.openConversation(conv);
    } catch (e) {
      const code = (e as { code?: number }).code;
      this.note.show(code === codes.claimed ? `too late: ${(e as Error).message}` : `not claimed: ${explain(e, "claim")}`, "error");
      void this.load();
    }
  }
}
