// The conversation an agent answers: who the user is and whether they
// are connected, the context attached when it opened, the transcript,
// typing both ways, replies, handing back and resolving.
import type { Centrifuge } from "centrifuge";
import { byId, el, type Flash } from "../dom";
import { explain } from "../errors";
import { clockTime } from "../chat/wire";
import type { SupportNames } from "./names";
import { Thread } from "./thread";
import { call, outcomes, type Conversation, type SupportEvent } from "./wire";

export class Desk {
  private readonly thread: Thread;
  private userHere = false;
  private leftAt = 0;
  /** Whether userHere was read since the conversation's channel was last (re)joined. */
  private known = false;
  /** Whether the channel is followed now: userHere is current, not last known. */
  private fresh = false;

  constructor(
    private readonly client: Centrifuge,
    private readonly names: SupportNames,
    private readonly note: Flash,
    private readonly me: () => string,
  ) {
    this.thread = new Thread(client, "agent", me, names, byId<HTMLOListElement>("desk-log"), byId("desk-typing"), {
      event: (ev) => this.onEvent(ev),
      presence: (online, current) => {
        const here = !!this.thread.conv && online.has(this.thread.conv.user);
        // A leave noticed live has a time; one found on reading again
        // after this side was away happened at some unknown moment.
        if (this.userHere && !here) this.leftAt = this.fresh ? Date.now() : 0;
        this.userHere = here;
        this.known ||= current;
        this.fresh = current;
        this.showUser();
      },
      lost: () => {
        this.fresh = false;
        this.showUser();
      },
      problem: (text) => this.note.show(text, "error"),
    });
    const input = byId<HTMLTextAreaElement>("desk-input");
    const form = byId<HTMLFormElement>("desk-form");
    const submit = (): void => {
      const text = input.value.trim();
      if (!text) {
        this.note.show("write a reply first", "warn", 3000);
        return;
      }
      this.thread.send(text);
      input.value = "";
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit();
    });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) {
        ev.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", () => {
      if (input.value.trim()) this.thread.typing.typed();
    });
    byId<HTMLFormElement>("resolve-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.act("support.resolve", {
        outcome: byId<HTMLSelectElement>("resolve-outcome").value,
        note: byId<HTMLInputElement>("resolve-note").value.trim(),
      });
    });
    byId("release").addEventListener("click", () => void this.act("support.release", {}));
  }

  /** Shows conversation c (claimed by this agent). */
  show(c: Conversation): void {
    byId("desk-empty").hidden = true;
    byId("desk").hidden = false;
    if (this.thread.conv?.id !== c.id) {
      this.userHere = false;
      this.leftAt = 0;
      this.known = false;
      this.fresh = false;
      byId("desk-recent").textContent = "";
      byId("desk-client").textContent = "";
      byId<HTMLInputElement>("resolve-note").value = "";
    }
    this.thread.open(c);
    this.showUser();
    this.showStatus();
    byId("desk-input").focus();
  }

  private async act(method: string, extra: object): Promise<void> {
    const id = this.thread.conv?.id;
    if (!id) return;
    try {
      const conv = await call<Conversation>(this.client, method, { id, ...extra });
      this.note.show(method === "support.release" ? "handed back to the queue" : `resolved: ${outcomes[conv.outcome ?? ""] ?? conv.outcome}`, "info", 3000);
      if (method === "support.release") {
        this.thread.close();
        byId("desk").hidden = true;
        byId("desk-empty").hidden = false;
        return;
      }
      this.thread.conv = conv;
      this.showStatus();
    } catch (e) {
      this.note.show(`${method === "support.release" ? "not handed back" : "not resolved"}: ${explain(e, "try")}`, "error");
    }
  }

  private onEvent(ev: SupportEvent): void {
    const conv = this.thread.conv;
    if (!conv) return;
    if (ev.type === "opened" && ev.context) this.showContext(ev);
    if (ev.type === "resolved") this.thread.conv = { ...conv, status: "resolved", outcome: ev.outcome ?? "", note: ev.note ?? "" };
    this.showStatus();
  }

  private showContext(ev: SupportEvent): void {
    const list = byId("desk-recent");
    list.textContent = "";
    for (const m of ev.context?.recent ?? []) {
      const li = el("li");
      li.append(el("span", "", `${clockTime(m.at)} `), this.names.span(m.user, "author"), `: ${m.text}`);
      list.append(li);
    }
    if (!list.childElementCount) list.append(el("li", "", "No recent chat in the room."));
    const cl = ev.context?.client;
    byId("desk-client").textContent = cl
      ? `Reported by the page: ${[cl.connection && `connection ${cl.connection}`, cl.rtt_ms && `round trip ${cl.rtt_ms} ms`, cl.page && `page ${cl.page}`, cl.user_agent]
          .filter(Boolean)
          .join(" · ")}`
      : "";
  }

  private showUser(): void {
    const c = this.thread.conv;
    if (!c) return;
    const who = byId("desk-user");
    who.textContent = "";
    who.append(this.names.span(c.user));
    const state = byId("desk-state");
    state.dataset["on"] = String(this.userHere);
    const shown = this.userHere ? "online" : this.leftAt ? `offline since ${clockTime(this.leftAt)}` : "offline";
    if (!this.known) {
      state.textContent = "checking…";
      state.title = "";
      delete state.dataset["stale"];
    } else if (this.fresh) {
      state.textContent = shown;
      state.title = "";
      delete state.dataset["stale"];
    } else {
      // As the room marks its online count: the value as it last was,
      // dimmed and called so, until it is read again.
      state.textContent = shown;
      state.append(el("span", "stale", " · last known"));
      state.title = `last known: ${shown} — read again once you are connected`;
      state.dataset["stale"] = "true";
    }
    byId("desk-meta").textContent = `from room ${c.room} · opened ${clockTime(c.opened_at)}`;
  }

  private showStatus(): void {
    const c = this.thread.conv;
    const resolved = c?.status === "resolved";
    byId("desk-form").hidden = resolved;
    byId("resolve-form").hidden = resolved;
    const res = byId("desk-resolution");
    res.hidden = !resolved;
    if (resolved && c) res.textContent = `Resolved: ${outcomes[c.outcome ?? ""] ?? c.outcome}${c.note ? ` — ${c.note}` : ""}`;
  }
}
