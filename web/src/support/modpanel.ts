// The moderator console's Support section: the room's support audit log,
// live — who asked for help, which agent claimed, handed back or
// resolved it, and how. Moderators never see what was said: the
// conversations are private to the user and the agent.
import type { Centrifuge, Subscription } from "centrifuge";
import { byId, el, type Flash } from "../dom";
import { explain } from "../errors";
import { clockTime, type AuditEntry } from "../chat/wire";
import { SupportNames } from "./names";
import { outcomes } from "./wire";

export class SupportAudit {
  private readonly sub: Subscription;
  private readonly names: SupportNames;
  private readonly list = byId<HTMLOListElement>("support-audit");

  constructor(
    client: Centrifuge,
    room: string,
    private readonly note: Flash,
  ) {
    this.names = new SupportNames(client);
    this.sub = client.newSubscription(`audit:support.${room}`);
    this.sub.on("subscribed", () => void this.load());
    this.sub.on("publication", (ctx) => this.add(ctx.data as AuditEntry, ctx.offset ?? 0));
    this.sub.on("error", (ctx) => this.note.show(`support log: ${explain(ctx.error, "reload")}`, "error"));
  }

  start(): void {
    this.sub.subscribe();
  }

  private async load(): Promise<void> {
    try {
      const res = await this.sub.history({ limit: 100, reverse: true });
      for (const p of [...res.publications].reverse()) this.add(p.data as AuditEntry, p.offset ?? 0);
    } catch (e) {
      this.note.show(`could not read the support log: ${explain(e, "reload")}`, "error");
    }
  }

  private add(e: AuditEntry, offset: number): void {
    if (!e?.action || this.list.querySelector(`[data-offset="${offset}"]`)) return;
    const li = el("li", "card audit");
    li.dataset["offset"] = String(offset);
    li.dataset["action"] = e.action;
    const actor = e.actor ? this.names.span(e.actor, "author") : el("span", "author", "the backend");
    const user = this.names.span(e.user ?? "");
    const text = el("p", "text");
    switch (e.action) {
      case "support.open":
        text.append(actor, " asked for help");
        break;
      case "support.claim":
        text.append(actor, " (agent) took ", user, "'s conversation");
        break;
      case "support.release":
        text.append(actor, " handed ", user, "'s conversation back to the queue");
        break;
      case "support.resolve":
        text.append(actor, " resolved ", user, `'s conversation: ${outcomes[e.reason ?? ""] ?? e.reason ?? ""}`);
        if (e.detail) text.append(` — ${e.detail}`);
        break;
      default:
        text.append(actor, ` ${e.action}`);
    }
    li.append(el("p", "meta", `${clockTime(e.at)} · conversation ${e.id ?? ""}`), text);
    const after = [...this.list.querySelectorAll<HTMLLIElement>("[data-offset]")].find((x) => Number(x.dataset["offset"]) < offset);
    if (after) this.list.insertBefore(li, after);
    else this.list.append(li);
    byId("support-audit-empty").hidden = true;
  }
}
