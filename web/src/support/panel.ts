// Support inside the room: one tap on "Help" opens a panel over the room
// (full screen on a phone, a corner window on a desktop) with a draft; the
// conversation opens, with the room and what the page knows attached, when
// the first message is sent, so a tap alone queues nothing for the agents.
// The user sees where they are (waiting, an agent joined and whether they
// are here, resolved), the agent typing, and messages both ways. An open
// conversation is found again on every load: the Help button is marked
// while one is open (or was resolved and not seen since) and counts the
// agent's messages the user has not seen, also those from before a reload.
import type { Centrifuge } from "centrifuge";
import { el } from "../dom";
import { explain } from "../errors";
import { SupportNames } from "./names";
import { readSeen, seenOffset, writeSeen } from "./seen";
import { Thread } from "./thread";
import { call, codes, newCID, outcomes, type ClientContext, type Conversation, type SupportEvent, type Transcript } from "./wire";

/** The protocol's refusal of a channel or call that is not the caller's. */
const permissionDenied = 103;

export class SupportPanel {
  private readonly names: SupportNames;
  private readonly thread: Thread;
  private readonly button = el("button", "help");
  private readonly unread = el("span", "unread");
  /** Marks the button while there is a conversation to come back to. */
  private readonly mark = el("span", "convmark");
  private readonly panel = el("section", "support");
  private readonly status = el("p", "sstatus");
  private readonly problem = el("p", "sproblem");
  /** The connection, when it is not up: the panel covers the room's badge on a phone. */
  private readonly conn = el("p", "sconn");
  private everConnected = false;
  private readonly form = el("form", "scomposer");
  private readonly input = el("textarea");
  private readonly end = el("button", "secondary", "End conversation");
  private readonly again = el("button", "primary", "Start a new conversation");
  private agentHere = false;
  /** Whether agentHere was read since the conversation was followed. */
  private agentKnown = false;
  /** Whether the conversation's channel is followed now: the status is current, not last known. */
  private agentFresh = false;
  private opening = false;
  /** The newest offset of the followed conversation's events. */
  private newest = 0;
  /** Offsets of the agent's messages the user has not seen in the panel. */
  private readonly unseen = new Set<number>();
  /** Messages written before the conversation exists; the first opens it. */
  private drafts: { text: string; cid: string }[] = [];

  constructor(
    private readonly client: Centrifuge,
    private readonly room: string,
    private readonly me: () => string,
    private readonly context: () => ClientContext,
  ) {
    this.names = new SupportNames(client);
    const list = el("ol", "slog");
    list.setAttribute("role", "log");
    list.setAttribute("aria-live", "polite");
    list.setAttribute("aria-label", "Support conversation");
    list.tabIndex = 0;
    const typing = el("p", "styping");
    typing.setAttribute("aria-live", "polite");
    this.thread = new Thread(client, "user", me, this.names, list, typing, {
      event: (ev) => this.onEvent(ev),
      presence: (online, current) => {
        this.agentHere = !!this.thread.conv?.agent && online.has(this.thread.conv.agent);
        this.agentKnown ||= current;
        this.agentFresh = current;
        this.showStatus();
      },
      lost: () => {
        this.agentFresh = false;
        this.showStatus();
      },
      problem: (text) => this.say(text),
    });
    this.build(list, typing);
  }

  /** Puts the Help button in the header; finds an open conversation. */
  start(header: HTMLElement, before: Element | null): void {
    header.insertBefore(this.button, before);
    document.body.append(this.panel);
    this.client.on("connected", () => {
      this.everConnected = true;
      this.showConnection("");
      void this.resume();
    });
    this.client.on("connecting", () => this.showConnection(""));
    this.client.on("disconnected", (ctx) => this.showConnection(ctx.reason));
    window.addEventListener("online", () => this.showConnection(""));
    window.addEventListener("offline", () => this.showConnection(""));
  }

  /**
   * Says in the panel when the connection is not up, and what that means
   * for the conversation; hidden while connected. reason: why the client
   * stopped for good (a disconnect), or "".
   */
  private showConnection(reason: string): void {
    const state = this.client.state;
    let text = "";
    if (state === "disconnected") {
      text = `disconnected${reason ? `: ${reason}` : ""} — messages cannot be sent; close this panel to see what to do`;
    } else if (state === "connecting" && this.everConnected) {
      text = navigator.onLine
        ? "reconnecting… — the conversation picks up where it was once back"
        : "offline — waiting for the network; the conversation picks up where it was once back";
    }
    this.conn.textContent = text;
    this.conn.dataset["state"] = state;
    this.conn.hidden = text === "";
  }

  private build(list: HTMLOListElement, typing: HTMLElement): void {
    this.button.type = "button";
    this.button.id = "help";
    this.button.setAttribute("aria-controls", "support");
    this.button.setAttribute("aria-expanded", "false");
    this.mark.setAttribute("aria-hidden", "true");
    this.button.append(el("span", "qmark", "?"), el("span", "word", "Help"), this.mark, this.unread);
    this.showButton();
    this.button.addEventListener("click", () => this.toggle());

    this.panel.id = "support";
    this.panel.hidden = true;
    this.panel.setAttribute("role", "dialog");
    this.panel.setAttribute("aria-labelledby", "support-title");
    const head = el("header", "shead");
    const title = el("h2", "", "Support");
    title.id = "support-title";
    const close = el("button", "sclose", "✕");
    close.type = "button";
    close.setAttribute("aria-label", "Close support (the conversation stays open)");
    close.addEventListener("click", () => this.hide());
    head.append(title, this.status, close);
    this.status.setAttribute("role", "status");
    this.problem.hidden = true;
    this.problem.setAttribute("role", "alert");
    this.conn.hidden = true;
    this.conn.setAttribute("role", "status");

    const label = el("label", "sr-only", "Message to support");
    label.htmlFor = "support-input";
    this.input.id = "support-input";
    this.input.rows = 1;
    this.input.placeholder = "Message support…";
    this.input.maxLength = 2000;
    const send = el("button", "send", "Send");
    send.type = "submit";
    this.form.append(label, this.input, send);
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) {
        ev.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => {
      if (this.input.value.trim()) this.thread.typing.typed();
    });
    this.end.type = "button";
    this.end.addEventListener("click", () => void this.withdraw());
    this.again.type = "button";
    this.again.hidden = true;
    this.again.addEventListener("click", () => this.draft());
    const foot = el("div", "sfoot");
    foot.append(this.form, this.end, this.again);
    this.panel.append(head, this.conn, this.problem, list, typing, foot);
    this.panel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") this.hide();
    });
  }

  private toggle(): void {
    if (!this.panel.hidden) {
      this.hide();
      return;
    }
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.markSeen();
    // Without a conversation the panel is a draft: nothing opens until the
    // first message is sent. A resolved one stays in view, with "Start a
    // new conversation".
    this.showStatus();
    this.input.focus();
  }

  private hide(): void {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    this.button.focus();
  }

  /**
   * After (re)connecting: follow the user's open conversation, if any;
   * else the one this browser last showed, if it was resolved after the
   * user last looked (they learn how it ended).
   */
  private async resume(): Promise<void> {
    try {
      const res = await call<{ conversation?: Conversation }>(this.client, "support.current", {});
      if (res.conversation) {
        if (!this.opening) this.follow(res.conversation); // else the open follows it
      } else if (this.thread.conv && this.thread.conv.status !== "resolved") {
        // Signed in as someone else (a new name): that conversation is not theirs.
        this.draft();
      } else if (!this.thread.conv && !this.opening) await this.resumeResolved();
    } catch {
      /* the Help button opens or finds it on tap */
    }
  }

  private async resumeResolved(): Promise<void> {
    const seen = readSeen();
    if (!seen) return;
    try {
      const tr = await call<Transcript>(this.client, "support.transcript", { id: seen.id });
      const conv = tr.conversation;
      if (conv.status === "resolved" && conv.offset > seen.offset && !this.thread.conv && !this.opening) this.follow(conv);
      else if (conv.status === "resolved") writeSeen(null); // seen to its end: nothing to come back to
    } catch (e) {
      // Not this user's (another name in this browser) or gone: forget it.
      const code = (e as { code?: number }).code;
      if (code === permissionDenied || code === codes.noConversation) writeSeen(null);
    }
  }

  /** The panel is open on the conversation: everything in it is seen. */
  private markSeen(): void {
    const conv = this.thread.conv;
    if (this.panel.hidden || !conv) return;
    if (this.newest > seenOffset(conv.id)) writeSeen({ id: conv.id, offset: this.newest });
    this.unseen.clear();
    this.showButton();
  }

  /** The Help button: marked while there is a conversation to come back to, with the agent's unseen messages. */
  private showButton(): void {
    const conv = this.thread.conv;
    let state = "";
    if (conv && conv.status !== "resolved") state = conv.status;
    else if (conv && this.newest > seenOffset(conv.id)) state = "resolved";
    const n = this.unseen.size;
    this.unread.textContent = n ? String(n) : "";
    this.mark.textContent = state === "resolved" ? "resolved" : state ? "open" : "";
    if (state) this.button.dataset["conv"] = state;
    else delete this.button.dataset["conv"];
    let label = "Get help from support";
    if (state === "queued") label = "Help: your support conversation is open, waiting for an agent";
    else if (state === "claimed") label = `Help: your support conversation is open, with ${this.names.label(conv?.agent ?? "")}`;
    else if (state === "resolved") label = "Help: your support conversation was resolved";
    if (n) label += `, ${n} new ${n === 1 ? "message" : "messages"}`;
    this.button.setAttribute("aria-label", label);
    this.button.title = state ? label.replace(/^Help: y/, "Y") : "";
  }

  /** An empty panel to write a new conversation's first message in. */
  private draft(): void {
    this.thread.close();
    this.thread.log.clear();
    this.drafts = [];
    this.newest = 0;
    this.unseen.clear();
    writeSeen(null);
    this.say("");
    this.showStatus();
    if (!this.panel.hidden) this.input.focus();
  }

  /**
   * Opens a conversation with the first draft message as its first text
   * (its cid makes a retried open send nothing twice), then sends the
   * messages written meanwhile. On a refusal each draft says why, with a
   * retry.
   */
  private async open(): Promise<void> {
    const first = this.drafts[0];
    if (this.opening || !first) return;
    this.opening = true;
    this.showStatus();
    try {
      const res = await call<{ conversation: Conversation }>(this.client, "support.open", {
        room: this.room,
        text: first.text,
        cid: first.cid,
        context: this.context(),
      });
      this.opening = false;
      this.follow(res.conversation);
      const rest = this.drafts.slice(1);
      this.drafts = [];
      for (const d of rest) this.thread.send(d.text, d.cid);
    } catch (e) {
      this.opening = false;
      const why = explain(e, "send");
      for (const d of this.drafts) this.thread.log.fail(d.cid, why, () => this.send(d.text, d.cid));
      this.drafts = [];
      this.showStatus();
    }
  }

  private follow(conv: Conversation): void {
    if (conv.id !== this.thread.conv?.id) {
      this.newest = 0;
      this.unseen.clear();
      this.agentKnown = false;
      this.agentFresh = false;
    }
    // Without a conversation the list holds only drafts: keep them, so
    // their rows are confirmed in place.
    this.thread.open(conv, !this.thread.conv);
    this.showStatus();
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) {
      this.say("write a message first");
      return;
    }
    this.say("");
    this.send(text);
    this.input.value = "";
  }

  /** Sends text in the conversation, or, in a draft, opens it with text. */
  private send(text: string, cid = newCID()): void {
    if (this.thread.conv) {
      this.thread.send(text, cid);
      return;
    }
    if (!this.thread.log.pendingExists(cid)) this.thread.log.pending(cid, text);
    this.drafts.push({ text, cid });
    void this.open();
  }

  private async withdraw(): Promise<void> {
    const id = this.thread.conv?.id;
    if (!id) return;
    try {
      const conv = await call<Conversation>(this.client, "support.resolve", { id });
      this.thread.conv = conv;
      this.showStatus();
    } catch (e) {
      this.say(`not ended: ${explain(e, "end it")}`);
    }
  }

  private onEvent(ev: SupportEvent): void {
    const conv = this.thread.conv;
    if (!conv) return;
    const off = ev.offset ?? 0;
    this.newest = Math.max(this.newest, off);
    if (ev.type === "message" && ev.user !== this.me() && off > seenOffset(conv.id)) this.unseen.add(off);
    switch (ev.type) {
      case "claimed":
        this.thread.conv = { ...conv, status: "claimed", agent: ev.agent ?? "" };
        break;
      case "released":
        this.thread.conv = { ...conv, status: "queued", agent: "" };
        this.agentHere = false;
        break;
      case "resolved":
        this.thread.conv = { ...conv, status: "resolved", outcome: ev.outcome ?? "" };
        break;
    }
    this.showStatus();
    this.markSeen();
  }

  private showStatus(): void {
    this.showButton();
    const conv = this.thread.conv;
    const resolved = conv?.status === "resolved";
    this.form.hidden = resolved;
    this.end.hidden = !conv || resolved;
    this.again.hidden = !resolved;
    this.panel.dataset["status"] = conv?.status ?? (this.opening ? "opening" : "draft");
    this.status.textContent = "";
    this.status.title = "";
    delete this.status.dataset["stale"];
    if (!conv) {
      this.status.textContent = this.opening
        ? "opening a conversation…"
        : "write what you need: a support agent sees it once you send it";
      return;
    }
    if (conv.status === "queued") this.status.textContent = "waiting for an agent — you are in the queue";
    else if (conv.status === "claimed") {
      this.status.append(this.names.span(conv.agent ?? ""), this.agentHere ? " · agent, here" : " · agent, away");
    } else this.status.textContent = `resolved: ${outcomes[conv.outcome ?? ""] ?? conv.outcome ?? ""}`;
    if (conv.status !== "resolved" && this.agentKnown && !this.agentFresh) {
      // As the room marks its online count: the state as it last was,
      // dimmed and called so, until the conversation is followed again.
      const shown = this.status.textContent;
      this.status.append(el("span", "stale", " · last known"));
      this.status.title = `last known: ${shown} — read again once you are connected`;
      this.status.dataset["stale"] = "true";
    }
  }

  private say(text: string): void {
    this.problem.textContent = text;
    this.problem.hidden = !text;
  }
}
