// A conversation's transcript as a list: messages both ways, system lines
// (opened, agent joined, handed back, resolved), pending sends confirmed
// or refused with the reason. Rows are keyed by offset, so history and
// live publications never show twice.
import { el } from "../dom";
import { clockTime } from "../chat/wire";
import type { SupportNames } from "./names";
import { outcomes, type SupportEvent } from "./wire";

export type Side = "user" | "agent";

export class ConversationLog {
  constructor(
    private readonly list: HTMLOListElement,
    private readonly side: Side,
    private readonly me: () => string,
    private readonly names: SupportNames,
  ) {}

  clear(): void {
    this.list.textContent = "";
  }

  /** Adds a stored event, in offset order, once. */
  add(ev: SupportEvent): void {
    const off = ev.offset ?? 0;
    if (off && this.list.querySelector(`[data-offset="${off}"]`)) return;
    if (ev.cid) {
      const pending = this.list.querySelector<HTMLLIElement>(`[data-cid="${CSS.escape(ev.cid)}"]:not([data-offset])`);
      if (pending && ev.user === this.me()) {
        this.confirm(ev.cid, off);
        // The first message went with the opening: its line comes first.
        if (ev.type === "opened" && pending.isConnected) {
          for (const line of this.rows({ ...ev, text: "" })) {
            line.dataset["offset"] = String(off);
            this.list.insertBefore(line, pending);
          }
        }
        return;
      }
    }
    const rows = this.rows(ev);
    for (const r of rows) r.dataset["offset"] = String(off);
    const after = [...this.list.querySelectorAll<HTMLLIElement>("[data-offset]")].find((li) => Number(li.dataset["offset"]) > off);
    for (const r of rows) {
      if (after && off) this.list.insertBefore(r, after);
      else this.list.append(r);
    }
    this.list.scrollTop = this.list.scrollHeight;
  }

  private rows(ev: SupportEvent): HTMLLIElement[] {
    const who = (u: string | undefined): HTMLSpanElement => this.names.span(u ?? "");
    switch (ev.type) {
      case "opened": {
        const line = this.system(ev.at, this.side === "user" ? "You asked for help in " : "");
        if (this.side === "agent") line.append(who(ev.user), " asked for help in ");
        line.append(el("strong", "", ev.room ?? ""));
        const out = [line];
        if (ev.text) out.push(this.bubble({ ...ev, from: "user" }));
        return out;
      }
      case "claimed": {
        const line = this.system(ev.at, "");
        line.append(who(ev.agent), this.side === "user" ? " joined — you are talking to an agent now" : " claimed the conversation");
        line.classList.add("joined");
        return [line];
      }
      case "released": {
        const line = this.system(ev.at, "");
        line.append(who(ev.agent), " handed the conversation back; waiting for another agent");
        return [line];
      }
      case "resolved": {
        const line = this.system(ev.at, `Resolved: ${outcomes[ev.outcome ?? ""] ?? ev.outcome ?? ""}`);
        if (ev.note) line.append(` — ${ev.note}`);
        line.classList.add("resolved");
        return [line];
      }
      case "message":
        return [this.bubble(ev)];
    }
    return [];
  }

  private system(at: number, text: string): HTMLLIElement {
    const li = el("li", "sys");
    li.append(el("time", "", clockTime(at)), " ", text);
    return li;
  }

  private bubble(ev: SupportEvent): HTMLLIElement {
    const mine = ev.user === this.me();
    const li = el("li", `bubble ${mine ? "mine" : "theirs"} from-${ev.from ?? "user"}`);
    const meta = el("p", "meta");
    meta.append(mine ? el("span", "who", "You") : this.names.span(ev.user ?? ""), ` · ${clockTime(ev.at)}`);
    li.append(meta, el("p", "text", ev.text ?? ""));
    if (ev.id) li.dataset["id"] = ev.id;
    return li;
  }

  /** Whether a message with this cid is shown already (a retry). */
  pendingExists(cid: string): boolean {
    return this.list.querySelector(`[data-cid="${CSS.escape(cid)}"]`) !== null;
  }

  /** Shows one's own message at once, before the server answers. */
  pending(cid: string, text: string): HTMLLIElement {
    const li = el("li", "bubble mine");
    li.dataset["cid"] = cid;
    li.dataset["state"] = "pending";
    const meta = el("p", "meta", "You · sending…");
    li.append(meta, el("p", "text", text));
    this.list.append(li);
    this.list.scrollTop = this.list.scrollHeight;
    return li;
  }

  /** Marks a pending message stored at offset (a live copy may come first). */
  confirm(cid: string, offset: number): void {
    const li = this.list.querySelector<HTMLLIElement>(`[data-cid="${CSS.escape(cid)}"]`);
    if (!li) return;
    if (offset && this.list.querySelector(`[data-offset="${offset}"]:not([data-cid="${CSS.escape(cid)}"])`)) {
      li.remove(); // the live publication rendered it already
      return;
    }
    li.dataset["offset"] = String(offset);
    li.dataset["state"] = "confirmed";
    const meta = li.querySelector(".meta");
    if (meta) meta.textContent = `You · ${clockTime(Date.now())}`;
    li.querySelector(".why")?.remove();
  }

  /** Marks a pending message refused, with the reason and a retry. */
  fail(cid: string, why: string, retry: () => void): void {
    const li = this.list.querySelector<HTMLLIElement>(`[data-cid="${CSS.escape(cid)}"]`);
    if (!li) return;
    li.dataset["state"] = "failed";
    li.querySelector(".why")?.remove();
    const p = el("p", "why", `not sent: ${why} `);
    const b = el("button", "retry", "Retry");
    b.type = "button";
    b.addEventListener("click", () => {
      li.dataset["state"] = "pending";
      p.remove();
      retry();
    });
    p.append(b);
    li.append(p);
  }
}
