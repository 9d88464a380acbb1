// The room's chat beyond plain messages: it decorates messages (author
// names, replies, reactions, an actions button), applies the room's other
// events (edits, tombstones, reactions, pins, clears, settings, visible
// moderation), sends with replies and edits, and shows the writer's
// standing. Personal notices and typing indicators live in extras.ts.
import type { Centrifuge, PublicationContext } from "centrifuge";
import type { ChatLog } from "../chat";
import { byId, el, type Flash } from "../dom";
import { asServerError, explain } from "../errors";
import { newId, problemWith, type ChatMessage } from "../message";
import { Composer } from "./composer";
import { Names } from "./names";
import { duration, edited, setReaction, systemLine, tombstone } from "./render";
import { Sheets, type Target } from "./sheets";
import { asEvent, call, codes, waitSeconds, withoutWait, type ChatEvent, type ChatState, type SendResult } from "./wire";

export interface Me {
  user: string;
  name: string;
}

export class LiveChat {
  readonly names: Names;
  readonly composer = new Composer();
  private readonly sheets: Sheets;
  /** Offsets of non-message events already applied (history and live overlap). */
  private readonly seen = new Set<number>();
  /** "id emoji" pairs this user reacted with. */
  private readonly reacted = new Set<string>();
  private editWindowMs = 600_000;
  private readonly pinned = byId("pinned");
  /** The id of the message the banner shows; "" when none. */
  private pinnedId = "";
  /** Called with the author of every message shown (typing ends). */
  onMessage: ((user: string) => void) | null = null;

  constructor(
    readonly client: Centrifuge,
    readonly room: string,
    private readonly log: ChatLog,
    readonly feedback: Flash,
    private readonly me: () => Me,
    /** Server clock minus local clock, ms. */
    readonly clockOffset: () => number,
  ) {
    this.names = new Names(client, room);
    this.sheets = new Sheets({
      reply: (t) => this.composer.setMode({ kind: "reply", id: t.id, who: t.who }),
      react: (t, emoji) => void this.react(t.id, emoji),
      edit: (t) => this.composer.setMode({ kind: "edit", id: t.id }, t.text),
      remove: (t) => void this.act("chat.delete", { room, id: t.id }, "delete"),
      report: (t, reason) => void this.report(t, reason),
    });
    log.decorate = (li, m, mine) => this.decorate(li, m, mine);
  }

  /** Local time of a server time. */
  local(serverMs: number): number {
    return serverMs - this.clockOffset();
  }

  /** Learns the names of who is in the room (most speakers are). */
  async learnNames(sub: { presence(): Promise<{ clients: Record<string, { user: string; connInfo?: unknown }> }> }): Promise<void> {
    try {
      const p = await sub.presence();
      for (const c of Object.values(p.clients)) this.names.learn(c.user, c.connInfo);
    } catch {
      /* names then come from profiles */
    }
  }

  /** Reads the room's state: settings, pinned message, one's standing. */
  async refresh(): Promise<void> {
    try {
      const st = await call<ChatState>(this.client, "chat.state", { room: this.room });
      this.editWindowMs = st.limits.edit_window_s * 1000;
      this.composer.setSlowMode(st.slow_mode);
      this.composer.setBanned(st.me.banned === true);
      this.composer.timedOut(st.me.timeout_until ? this.local(st.me.timeout_until) : 0, "");
      // The state is the server's word: without next_at (slow mode turned
      // off or shortened past it) a countdown still running ends now.
      this.composer.waitUntil(st.me.next_at ? this.local(st.me.next_at) : 0);
      this.showPinned(st.pinned ?? null);
      byId("mod-link").hidden = !st.me.moderator;
    } catch {
      /* the badge shows why; the next (re)subscribe asks again */
    }
  }

  private decorate(li: HTMLLIElement, m: ChatMessage, mine: boolean): void {
    if (!m.id) return; // a pending copy: no actions until it is stored
    this.onMessage?.(m.user);
    const me = this.me();
    const own = m.user === me.user;
    if (own) li.classList.add("mine");
    const author = li.querySelector<HTMLElement>(".author");
    if (author) {
      author.dataset["user"] = m.user;
      author.textContent = own ? me.name : this.names.label(m.user);
    }
    if (m.replyTo) {
      const parent = this.log.item(m.replyTo);
      const who = parent?.querySelector(".author")?.textContent ?? "";
      const quote = parent?.querySelector(".text")?.textContent ?? "an earlier message";
      li.querySelector(".text")?.before(el("p", "reply", `↪ ${who ? `${who}: ` : ""}${quote}`));
    }
    const more = el("button", "more", "⋯");
    more.type = "button";
    more.setAttribute("aria-label", `Actions for the message from ${author?.textContent ?? "someone"}`);
    more.addEventListener("click", () => this.sheets.open(this.target(li, m, own || mine), more));
    li.querySelector(".meta")?.append(more);
    const rx = el("div", "rx");
    rx.setAttribute("role", "group");
    rx.setAttribute("aria-label", "Reactions");
    li.append(rx);
  }

  private target(li: HTMLLIElement, m: ChatMessage, mine: boolean): Target {
    return {
      id: m.id ?? "",
      user: m.user,
      who: li.querySelector(".author")?.textContent ?? m.user,
      text: li.querySelector(".text")?.textContent ?? "",
      mine,
      canEdit: mine && !li.classList.contains("deleted") && Date.now() - this.local(m.at) < this.editWindowMs,
    };
  }

  /** Applies a room event other than a message. */
  onEvent(pub: Pick<PublicationContext, "data" | "offset">, fromHistory: boolean): void {
    const ev = asEvent(pub.data);
    if (!ev) return;
    const off = typeof pub.offset === "number" ? pub.offset : -1;
    if (off >= 0) {
      if (this.seen.has(off)) return;
      this.seen.add(off);
    }
    const li = ev.id ? this.log.item(ev.id) : null;
    const me = this.me().user;
    switch (ev.type) {
      case "edit":
        if (li && ev.text !== undefined) edited(li, ev.text);
        // The pin banner shows the message as it now reads.
        if (ev.id && ev.id === this.pinnedId && ev.text !== undefined) byId("pinned-text").textContent = ev.text;
        break;
      case "delete":
        if (li) tombstone(li, ev.mod === true);
        // Deleting the pinned message unpins it (the room's state does so
        // without an unpin event).
        if (ev.id && ev.id === this.pinnedId) this.showPinned(null);
        break;
      case "react":
      case "unreact": {
        const key = `${ev.id} ${ev.emoji}`;
        const mine = ev.user === me ? ev.type === "react" : null;
        if (mine === true) this.reacted.add(key);
        if (mine === false) this.reacted.delete(key);
        if (li && ev.emoji) setReaction(li, ev.emoji, ev.count ?? 0, mine, (e) => void this.react(ev.id ?? "", e));
        break;
      }
      case "pin":
        // A pin served redacted is of a message deleted or cleared since.
        this.showPinned(ev.redacted === true ? null : (ev.message ?? null));
        break;
      case "unpin":
        this.showPinned(null);
        break;
      case "clear":
        this.showPinned(null); // a clear unpins too
        this.log.clearBefore(off);
        this.system("A moderator cleared the chat", off);
        break;
      case "settings":
      case "slow_auto":
        this.system(this.settingsLine(ev), off);
        if (!fromHistory) void this.refresh();
        break;
      case "timeout":
      case "ban":
        this.standing(ev, me, fromHistory);
        break;
      case "untimeout":
        if (ev.user === me) this.composer.timedOut(0, "");
        break;
      case "unban":
        if (ev.user === me) this.composer.setBanned(false);
        break;
      case "role":
        if (ev.user) this.names.refresh(ev.user);
        break;
    }
  }

  private standing(ev: ChatEvent, me: string, fromHistory: boolean): void {
    const mine = ev.user === me;
    const who = mine ? undefined : { user: ev.user ?? "", name: this.names.label(ev.user ?? "") };
    const line = (text: string): void => this.log.place(systemLine(text, who), this.log.lastOffset());
    if (ev.type === "timeout") {
      line(`${mine ? "You were" : "was"} timed out by a moderator for ${duration((ev.until ?? ev.at) - ev.at)}`);
      if (mine && !fromHistory) this.composer.timedOut(this.local(ev.until ?? 0), "");
    } else {
      line(`${mine ? "You were" : "was"} banned by a moderator`);
      if (ev.user === me) this.composer.setBanned(true);
    }
  }

  private settingsLine(ev: ChatEvent): string {
    if (ev.type === "slow_auto") {
      return ev.on ? `The room is busy: slow mode switched on (${ev.seconds ?? 0} s between messages)` : "The room calmed down: automatic slow mode is off";
    }
    const s = ev.settings;
    if (!s) return "A moderator changed the room's settings";
    const parts = [s.slow_mode > 0 ? `slow mode ${s.slow_mode} s` : "slow mode off"];
    if (s.members_only) parts.push("members only");
    return `A moderator changed the room's settings: ${parts.join(", ")}`;
  }

  private system(text: string, offset: number): void {
    this.log.place(systemLine(text), offset >= 0 ? offset : this.log.lastOffset());
  }

  private showPinned(ev: ChatEvent | null): void {
    this.pinned.hidden = ev === null;
    this.pinnedId = ev?.id ?? "";
    if (!ev) return;
    const who = byId("pinned-author");
    who.dataset["user"] = ev.user ?? "";
    who.textContent = this.names.label(ev.user ?? "");
    byId("pinned-text").textContent = ev.text ?? "";
  }

  /** Sends (or edits) from the composer. Returns false when nothing was sent. */
  submit(text: string): boolean {
    const problem = problemWith(text);
    if (problem) {
      this.feedback.show(problem, "error");
      return false;
    }
    const blocked = this.composer.blocked();
    if (blocked) {
      this.feedback.show(blocked, "error");
      return false;
    }
    const wait = this.composer.waitText();
    if (wait) {
      this.feedback.show(wait, "warn", 3000);
      return false;
    }
    const mode = this.composer.mode;
    this.composer.setMode({ kind: "new" });
    if (mode.kind === "edit") {
      void this.act("chat.edit", { room: this.room, id: mode.id, text }, "edit");
      return true;
    }
    this.send(text, newId(), mode.kind === "reply" ? mode.id : "");
    return true;
  }

  private send(text: string, cid: string, replyTo: string): void {
    const p = this.log.addPending(text, cid, this.me().name, Date.now() + this.clockOffset());
    // A retry after the connection closed for good: the client would wait
    // for a connection that is not coming, so refuse now and say why.
    const closed = this.composer.closedReason();
    if (closed) {
      p.fail(closed, () => this.send(text, cid, replyTo));
      return;
    }
    const req = { room: this.room, text, cid, ...(replyTo ? { reply_to: replyTo } : {}) };
    call<SendResult>(this.client, "chat.send", req).then(
      (res) => {
        if (res.status === "held") p.mark("held", "pending review — only you see it until a moderator approves it");
        else p.sent();
        if (res.next_at) this.composer.waitUntil(this.local(res.next_at));
      },
      (e: unknown) => {
        const err = asServerError(e);
        const wait = waitSeconds(err.message);
        const retry = (): void => this.send(text, cid, replyTo);
        if (err.code === codes.timedOut || err.code === codes.banned) void this.refresh();
        const closed = this.composer.closedReason();
        // A limit that says how long to wait: count down to it, beside the
        // composer and on the message's Retry, which waits until then.
        const counted: number[] = [codes.slowMode, codes.rateLimited, codes.mentions];
        if (!closed && wait !== null && counted.includes(err.code)) {
          const until = Date.now() + wait * 1000;
          if (err.code === codes.slowMode) this.composer.waitUntil(until);
          if (err.code === codes.rateLimited) this.composer.limited(until, withoutWait(err.message));
          p.fail(withoutWait(err.message), retry, until);
          return;
        }
        p.fail(closed || explain(e, "send", this.client.state === "connected"), retry);
      },
    );
  }

  private async react(id: string, emoji: string): Promise<void> {
    const on = !this.reacted.has(`${id} ${emoji}`);
    await this.act("chat.react", { room: this.room, id, emoji, on }, "react");
  }

  private async report(t: Target, reason: string): Promise<void> {
    try {
      const res = await call<{ already?: boolean }>(this.client, "chat.report", { room: this.room, id: t.id, reason });
      this.feedback.show(
        res.already ? "You reported this message already: it counts once." : "Report sent. Moderators will look at it, and you will hear what they decided.",
        "info",
        6000,
      );
    } catch (e) {
      this.feedback.show(`report not sent: ${explain(e, "report")}`, "error");
    }
  }

  private async act(method: string, req: object, what: string): Promise<void> {
    try {
      await call(this.client, method, req);
    } catch (e) {
      this.feedback.show(`could not ${what}: ${explain(e, what)}`, "error");
    }
  }
}
