// The console's queue (held messages, reports grouped by target), its live
// chat with actions on each message, and the sanctions in force.
import type { Centrifuge, Subscription } from "centrifuge";
import { byId, el, type Flash } from "../dom";
import { explain } from "../errors";
import { Names } from "../chat/names";
import { asEvent, call, clockTime, type ChatEvent, type ChatQueue } from "../chat/wire";

type Button = [label: string, run: () => Promise<void>, kind?: string];

export class Console {
  private readonly names: Names;
  private readonly chatSub: Subscription;
  private readonly modSub: Subscription;
  private timer: number | undefined;
  private readonly log = byId<HTMLOListElement>("mod-log");

  constructor(
    private readonly client: Centrifuge,
    private readonly room: string,
    private readonly note: Flash,
  ) {
    this.names = new Names(client, room);
    this.chatSub = client.newSubscription(`chat:${room}`);
    this.modSub = client.newSubscription(`chatmod:${room}`);
    this.chatSub.on("publication", (ctx) => this.onRoomEvent(asEvent(ctx.data), ctx.offset ?? 0));
    this.chatSub.on("subscribed", () => void this.history());
    this.modSub.on("publication", () => this.soon());
    for (const s of [this.chatSub, this.modSub]) {
      s.on("error", (ctx) => this.note.show(`${s.channel}: ${explain(ctx.error, "wait")}`, "error"));
    }
    byId<HTMLFormElement>("user-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const user = byId<HTMLInputElement>("user-id").value.trim();
      const [action, arg] = byId<HTMLSelectElement>("user-action").value.split(":");
      const reason = byId<HTMLInputElement>("user-reason").value.trim();
      const extra = action === "timeout" ? { seconds: Number(arg) } : action === "grant" || action === "revoke" ? { role: arg } : {};
      void this.mod(action ?? "", { user, reason, ...extra });
    });
  }

  start(): void {
    this.chatSub.subscribe();
    this.modSub.subscribe();
  }

  /** Runs a moderation action; says what happened. */
  private async mod(action: string, fields: Record<string, unknown>): Promise<boolean> {
    try {
      await call(this.client, "chat.moderate", { room: this.room, action, ...fields });
      this.note.show(`${action}: done`, "info", 3000);
      this.soon();
      return true;
    } catch (e) {
      this.note.show(`${action} failed: ${explain(e, action)}`, "error");
      return false;
    }
  }

  private soon(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), 100);
  }

  private async history(): Promise<void> {
    try {
      const res = await this.chatSub.history({ limit: 100, reverse: true });
      for (const p of [...res.publications].reverse()) this.onRoomEvent(asEvent(p.data), p.offset ?? 0);
    } catch (e) {
      this.note.show(`could not load the chat: ${explain(e, "reload")}`, "error");
    }
  }

  private onRoomEvent(ev: ChatEvent | null, offset: number): void {
    if (!ev) return;
    switch (ev.type) {
      case "message":
        if (!this.log.querySelector(`[data-offset="${offset}"]`)) this.log.prepend(this.messageCard(ev, offset));
        if (ev.held) this.soon();
        break;
      case "delete":
        for (const c of this.log.querySelectorAll<HTMLElement>(`li[data-id="${CSS.escape(ev.id ?? "")}"]`)) {
          c.classList.add("deleted");
          const t = c.querySelector(".text");
          if (t) t.textContent = ev.mod ? "Removed by a moderator" : "Deleted by its author";
          c.querySelector(".buttons")?.remove();
        }
        break;
      case "edit":
        for (const c of this.log.querySelectorAll<HTMLElement>(`li[data-id="${CSS.escape(ev.id ?? "")}"] .text`)) c.textContent = ev.text ?? "";
        break;
      case "clear":
        this.log.textContent = "";
        break;
      case "timeout":
      case "untimeout":
      case "ban":
      case "unban":
      case "role":
        this.soon();
        break;
    }
  }

  private card(cls: string, who: string, text: string, meta: string, buttons: Button[]): HTMLLIElement {
    const li = el("li", `card ${cls}`);
    const head = el("p", "meta");
    const author = el("span", "author", this.names.label(who));
    author.dataset["user"] = who;
    head.append(author, ` · ${meta}`);
    const row = el("div", "buttons");
    for (const [label, run, kind] of buttons) {
      const b = el("button", kind ?? "secondary", label);
      b.type = "button";
      b.addEventListener("click", () => {
        b.disabled = true;
        void run().finally(() => (b.disabled = false));
      });
      row.append(b);
    }
    li.append(head, el("p", "text", text), row);
    return li;
  }

  private messageCard(ev: ChatEvent, offset: number): HTMLLIElement {
    const u = ev.user ?? "";
    const li = this.card("msg", u, ev.text ?? "", `${clockTime(ev.at)} · ${u}`, [
      ["Delete", async () => void (await this.mod("delete", { id: ev.id })), "danger"],
      ["Time out 10 min", async () => void (await this.mod("timeout", { user: u, seconds: 600 }))],
      ["Ban", async () => void (await this.mod("ban", { user: u })), "danger"],
      ["Shadow-ban", async () => void (await this.mod("shadowban", { user: u }))],
      ["Pin", async () => void (await this.mod("pin", { id: ev.id }))],
    ]);
    li.dataset["id"] = ev.id ?? "";
    li.dataset["offset"] = String(offset);
    return li;
  }

  /** Reads the queue and the sanctions in force. */
  async refresh(): Promise<void> {
    let q: ChatQueue;
    try {
      q = await call<ChatQueue>(this.client, "chat.queue", { room: this.room });
    } catch (e) {
      this.note.show(`could not read the queue: ${explain(e, "reload")}`, "error");
      return;
    }
    const held = byId("held");
    held.textContent = "";
    for (const h of q.held) {
      const m = h.message;
      held.append(
        this.card("held", m.user ?? "", m.text ?? "", `held: ${h.reason} · ${clockTime(m.at)}`, [
          ["Approve", async () => void (await this.mod("approve", { id: m.id })), "primary"],
          ["Reject", async () => void (await this.mod("reject", { id: m.id, reason: "not approved" })), "danger"],
        ]),
      );
    }
    byId("held-empty").hidden = q.held.length > 0;
    const reports = byId("reports");
    reports.textContent = "";
    for (const g of q.reports) {
      const u = g.user ?? "";
      const why = g.reports.map((r) => r.reason).join(", ");
      const resolve = (outcome: string): Promise<boolean> => this.mod("resolve", { target: g.target, outcome, reason: outcome === "actioned" ? "a moderator acted" : "" });
      const act = (action: string, fields: Record<string, unknown>) => async () => {
        if (await this.mod(action, fields)) await resolve("actioned");
      };
      const buttons: Button[] = [];
      if (g.message && g.message.type === "message") buttons.push(["Delete message", act("delete", { id: g.message.id, reason: why }), "danger"]);
      if (u) buttons.push(["Time out 10 min", act("timeout", { user: u, seconds: 600, reason: why })], ["Ban", act("ban", { user: u, reason: why }), "danger"]);
      buttons.push(["Dismiss", async () => void (await resolve("dismissed"))]);
      const card = this.card("report", u, g.message?.text ?? `the user ${u}`, `${g.reports.length} report${g.reports.length === 1 ? "" : "s"}: ${why}`, buttons);
      card.dataset["target"] = g.target;
      reports.append(card);
    }
    byId("reports-empty").hidden = q.reports.length > 0;
    const n = q.held.length + q.reports.length;
    byId("queue-count").textContent = n ? String(n) : "";
    this.sanctions(q);
  }

  private sanctions(q: ChatQueue): void {
    const list = byId("sanctions");
    list.textContent = "";
    const add = (user: string, what: string, undo: string): void => {
      list.append(this.card("sanction", user, what, user, [[`Lift`, async () => void (await this.mod(undo, { user }))]]));
    };
    for (const [u, until] of Object.entries(q.timeouts)) add(u, `timed out until ${clockTime(until)}`, "untimeout");
    for (const u of q.bans) add(u, "banned", "unban");
    for (const u of q.shadow_bans) add(u, "shadow-banned", "unshadowban");
    byId("sanctions-empty").hidden = list.childElementCount > 0;
  }
}
