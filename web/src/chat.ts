// The chat list: messages in offset order, each once; pending copies of
// one's own messages; auto-scroll unless the reader scrolled up.
import { byId, el } from "./dom";
import type { ChatMessage } from "./message";

/** Most messages kept on the page; older ones are dropped from the top. */
const keep = 300;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** A pending message the page can confirm or mark as refused. */
export interface Pending {
  li: HTMLLIElement;
  sent(): void;
  /**
   * Marks it refused, with why, a Retry and a Discard. With retryAt (local
   * Unix ms) Retry counts down and is enabled only once that time came.
   */
  fail(reason: string, retry: () => void, retryAt?: number): void;
  /** Keeps it on the page with a state and a note ("pending review"). */
  mark(state: string, note: string): void;
}

/** Adds controls and live parts to a rendered message (see chat/room.ts). */
export type Decorate = (li: HTMLLIElement, m: ChatMessage, mine: boolean) => void;

/**
 * Counts down on a refused message until retryAt (local Unix ms): the
 * reason says how long is left, Retry is disabled and says so too; then
 * Retry is enabled. Stops when the message leaves the page.
 */
function countdown(retryAt: number, li: HTMLElement, why: HTMLElement, again: HTMLButtonElement, reason: string): void {
  const tick = (): void => {
    if (!li.isConnected) return; // retried or discarded meanwhile
    const ms = retryAt - Date.now();
    if (ms <= 0) {
      why.textContent = `${reason} — you can retry now`;
      again.disabled = false;
      again.textContent = "Retry";
      delete li.dataset["retryAt"];
      return;
    }
    const left = Math.ceil(ms / 1000);
    why.textContent = `${reason} — you can retry in ${left} s`;
    again.disabled = true;
    again.textContent = `Retry in ${left} s`;
    // The next whole second of the count (a little after, not before).
    window.setTimeout(tick, ms - (left - 1) * 1000 + 20);
  };
  // The machine-readable end of the wait, for tools and tests.
  li.dataset["retryAt"] = String(retryAt);
  tick();
}

export class ChatLog {
  private readonly log = byId<HTMLOListElement>("log");
  private readonly pill = byId<HTMLButtonElement>("pill");
  /** Offsets on the page, to keep each message once. */
  private readonly offsets = new Set<number>();
  /** Own messages not yet seen back from the server, by cid. */
  private readonly pending = new Map<string, HTMLLIElement>();
  private unseen = 0;
  /** Live or recovered publications that were already on the page. */
  duplicates = 0;

  /** Whether the reader is at the newest message (kept there on resize). */
  private stuck = true;
  /** Called for every rendered message. */
  decorate: Decorate | null = null;

  constructor(private readonly myClient: () => string) {
    this.log.addEventListener("scroll", () => {
      this.stuck = this.atBottom();
      if (this.stuck) this.hidePill();
    });
    new ResizeObserver(() => {
      if (this.stuck) this.scrollToEnd();
    }).observe(this.log);
    this.pill.addEventListener("click", () => {
      this.scrollToEnd();
      this.hidePill();
    });
  }

  /** Adds a message at its offset; false when it was already shown. */
  add(m: ChatMessage, fromHistory = false): boolean {
    if (this.offsets.has(m.offset)) {
      if (!fromHistory) {
        this.duplicates++;
        this.log.dataset["duplicates"] = String(this.duplicates);
      }
      return false;
    }
    const stick = this.stuck || this.atBottom();
    const pend = m.cid ? this.pending.get(m.cid) : undefined;
    const mine = pend !== undefined || (m.client !== "" && m.client === this.myClient());
    if (pend) {
      this.pending.delete(m.cid);
      pend.remove();
    }
    this.offsets.add(m.offset);
    this.insert(this.render(m, mine));
    this.trim();
    if (stick || mine) this.scrollToEnd();
    else if (!fromHistory) this.showPill();
    return true;
  }

  /** Shows own text as pending until the server confirms or refuses it. */
  addPending(text: string, cid: string, name: string, at: number): Pending {
    const li = this.render({ text, cid, at, offset: -1, user: "", name, client: "" }, true);
    li.dataset["state"] = "pending";
    this.pending.set(cid, li);
    this.log.append(li);
    this.scrollToEnd();
    const state = li.querySelector(".state");
    return {
      li,
      sent: () => {
        if (li.isConnected && state) state.textContent = "sent";
      },
      mark: (st, note) => {
        li.dataset["state"] = st;
        if (state) state.textContent = note;
      },
      fail: (reason, retry, retryAt = 0) => {
        // Kept in pending: a publish whose reply was lost may still arrive.
        li.dataset["state"] = "failed";
        if (state) state.textContent = "not sent";
        const why = el("p", "why", reason);
        const again = el("button", "retry", "Retry");
        again.type = "button";
        if (retryAt > Date.now()) countdown(retryAt, li, why, again, reason);
        again.addEventListener("click", () => {
          this.pending.delete(cid);
          li.remove();
          retry();
        });
        const drop = el("button", "retry", "Discard");
        drop.type = "button";
        drop.addEventListener("click", () => {
          this.pending.delete(cid);
          li.remove();
        });
        li.append(why, again, drop);
      },
    };
  }

  /** Removes every confirmed message (before a history reload). */
  clear(): void {
    for (const li of [...this.log.querySelectorAll<HTMLLIElement>("li[data-offset], li.divider")]) li.remove();
    this.offsets.clear();
  }

  /**
   * A note in the log after the message at afterOffset (a recovery note),
   * before the messages that follow. It replaces a note right before it with
   * no message in between, so repeated reconnects do not stack up notes.
   */
  divider(text: string, afterOffset: number, kind: "info" | "warn"): HTMLLIElement {
    const li = el("li", "divider", text);
    li.dataset["after"] = String(afterOffset);
    li.dataset["kind"] = kind;
    const stick = this.stuck || this.atBottom();
    this.insert(li);
    const prev = li.previousElementSibling;
    if (prev?.classList.contains("divider")) prev.remove();
    if (stick) this.scrollToEnd();
    return li;
  }

  /** Puts an element in the log after the message at afterOffset. */
  place(li: HTMLLIElement, afterOffset: number): void {
    li.dataset["after"] = String(afterOffset);
    this.insert(li);
    if (this.stuck) this.scrollToEnd();
  }

  /** The message with id on the page, if any. */
  item(id: string): HTMLLIElement | null {
    return this.log.querySelector<HTMLLIElement>(`li.msg[data-id="${CSS.escape(id)}"]`);
  }

  /** Removes confirmed messages older than offset (a moderator cleared the chat). */
  clearBefore(offset: number): void {
    for (const li of [...this.log.querySelectorAll<HTMLLIElement>("li[data-offset]")]) {
      const o = Number(li.dataset["offset"]);
      if (o < offset) {
        this.offsets.delete(o);
        li.remove();
      }
    }
  }

  /** The newest offset on the page, or -1. */
  lastOffset(): number {
    let max = -1;
    for (const o of this.offsets) if (o > max) max = o;
    return max;
  }

  private sortKey(li: Element): number {
    const h = li as HTMLElement;
    if (h.dataset["offset"]) return Number(h.dataset["offset"]);
    if (h.dataset["after"]) return Number(h.dataset["after"]) + 0.5;
    return Infinity; // pending copies stay last
  }

  private insert(li: HTMLLIElement): void {
    const key = this.sortKey(li);
    let before: Element | null = null;
    for (let c = this.log.lastElementChild; c; c = c.previousElementSibling) {
      if (this.sortKey(c) <= key) break;
      before = c;
    }
    this.log.insertBefore(li, before);
  }

  private render(m: ChatMessage, mine: boolean): HTMLLIElement {
    const li = el("li", "msg");
    if (m.offset >= 0) li.dataset["offset"] = String(m.offset);
    if (m.id) li.dataset["id"] = m.id;
    li.dataset["state"] = "confirmed";
    if (mine) li.classList.add("mine");
    const meta = el("p", "meta");
    meta.append(el("span", "author", m.name));
    if (m.at > 0) {
      const t = el("time", "", timeFormat.format(m.at));
      t.dateTime = new Date(m.at).toISOString();
      meta.append(" ", t);
    }
    if (m.edited) meta.append(" ", el("span", "edited", "(edited)"));
    if (mine) meta.append(" ", el("span", "state", m.offset >= 0 ? "✓ delivered" : "sending…"));
    li.append(meta, el("p", "text", m.text));
    this.decorate?.(li, m, mine);
    if (m.redacted) {
      // The delete that follows says who removed it; until then (or when
      // the page holds no delete, e.g. after a clear) it is a tombstone.
      li.classList.add("deleted");
      li.querySelector(".text")!.textContent = "Message removed";
      li.querySelector(".rx")?.remove();
      li.querySelector(".more")?.remove();
    }
    return li;
  }

  private trim(): void {
    while (this.offsets.size > keep) {
      const first = this.log.querySelector<HTMLLIElement>("li[data-offset]");
      if (!first) return;
      this.offsets.delete(Number(first.dataset["offset"]));
      first.remove();
    }
  }

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 48;
  }

  private scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
    this.stuck = true;
  }

  private showPill(): void {
    this.unseen++;
    this.pill.textContent = `${this.unseen} new message${this.unseen === 1 ? "" : "s"} ↓`;
    this.pill.hidden = false;
  }

  private hidePill(): void {
    this.unseen = 0;
    this.pill.hidden = true;
  }
}
