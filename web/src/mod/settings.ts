// The console's room settings form and its audit log (live, filterable).
import type { Centrifuge, Subscription } from "centrifuge";
import { byId, el, type Flash } from "../dom";
import { explain } from "../errors";
import { Names } from "../chat/names";
import { call, clockTime, type AuditEntry, type ChatSettings, type ChatTerm } from "../chat/wire";

interface SettingsResult {
  settings: ChatSettings;
  terms: ChatTerm[];
}

// What the form showed when the settings were last read or saved: a save
// sends only what the moderator changed since, so two moderators saving at
// once keep each other's changes to other settings (and to the term
// filter, unless both changed it: then the last save wins).
interface Shown {
  settings: ChatSettings;
  terms: string;
}

export class SettingsPanel {
  private readonly form = byId<HTMLFormElement>("settings-form");
  private shown: Shown | undefined;

  constructor(
    private readonly client: Centrifuge,
    private readonly room: string,
    private readonly note: Flash,
  ) {
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.save();
    });
  }

  async load(): Promise<void> {
    try {
      this.show(await call<SettingsResult>(this.client, "chat.settings", { room: this.room }));
    } catch (e) {
      this.note.show(`could not read the settings: ${explain(e, "reload")}`, "error");
    }
  }

  private show(r: SettingsResult): void {
    byId<HTMLInputElement>("s-slow").value = String(r.settings.slow_mode);
    byId<HTMLInputElement>("s-auto").checked = r.settings.auto_slow;
    byId<HTMLInputElement>("s-autosec").value = String(r.settings.auto_slow_seconds || 5);
    byId<HTMLInputElement>("s-members").checked = r.settings.members_only;
    byId<HTMLSelectElement>("s-links").value = r.settings.links;
    byId<HTMLTextAreaElement>("s-terms").value = r.terms.map((t) => `${t.action}: ${t.term}`).join("\n");
    const terms = this.terms();
    this.shown = { settings: this.settings(), terms: JSON.stringify(terms ?? []) };
  }

  /** The settings as the form has them. */
  private settings(): ChatSettings {
    return {
      slow_mode: Number(byId<HTMLInputElement>("s-slow").value || 0),
      auto_slow: byId<HTMLInputElement>("s-auto").checked,
      auto_slow_seconds: Number(byId<HTMLInputElement>("s-autosec").value || 5),
      members_only: byId<HTMLInputElement>("s-members").checked,
      links: byId<HTMLSelectElement>("s-links").value,
    };
  }

  /** The term filter as the form has it; undefined (and said) when a line is not a term. */
  private terms(): ChatTerm[] | undefined {
    const terms: ChatTerm[] = [];
    for (const line of byId<HTMLTextAreaElement>("s-terms").value.split("\n")) {
      const m = /^\s*(block|hold|mask)\s*:\s*(.+?)\s*$/i.exec(line);
      if (m) terms.push({ action: (m[1] ?? "").toLowerCase(), term: m[2] ?? "" });
      else if (line.trim()) {
        this.note.show(`term line "${line.trim()}" is not "block: …", "hold: …" or "mask: …"`, "error");
        return undefined;
      }
    }
    return terms;
  }

  private async save(): Promise<void> {
    const terms = this.terms();
    if (!terms) return;
    const now = this.settings();
    const set: Partial<ChatSettings> = {};
    for (const key of Object.keys(now) as (keyof ChatSettings)[]) {
      if (!this.shown || now[key] !== this.shown.settings[key]) Object.assign(set, { [key]: now[key] });
    }
    // Switching automatic slow mode on needs its seconds, which the form
    // fills in (5) when the room has none.
    if (set.auto_slow) set.auto_slow_seconds = now.auto_slow_seconds;
    const req: { room: string; set?: Partial<ChatSettings>; terms?: ChatTerm[] } = { room: this.room };
    if (Object.keys(set).length > 0) req.set = set;
    if (!this.shown || JSON.stringify(terms) !== this.shown.terms) req.terms = terms;
    try {
      this.show(await call<SettingsResult>(this.client, "chat.settings", req));
      this.note.show(req.set || req.terms ? "settings saved: the room sees them now" : "nothing changed", "info", 4000);
    } catch (e) {
      this.note.show(`settings not saved: ${explain(e, "save")}`, "error");
    }
  }
}

export class AuditPanel {
  private readonly sub: Subscription;
  private readonly list = byId<HTMLOListElement>("audit");
  private readonly names: Names;

  constructor(
    private readonly client: Centrifuge,
    private readonly room: string,
    private readonly note: Flash,
  ) {
    this.names = new Names(client, room);
    this.sub = client.newSubscription(`audit:chat.${room}`);
    this.sub.on("publication", (ctx) => {
      const e = ctx.data as AuditEntry;
      if (this.matches(e)) this.list.prepend(this.entry({ ...e, offset: ctx.offset ?? 0 }));
      byId("audit-empty").hidden = this.list.childElementCount > 0;
    });
    byId<HTMLFormElement>("audit-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void this.load();
    });
  }

  start(): void {
    this.sub.subscribe();
  }

  private filter(): { moderator: string; target: string } {
    return { moderator: byId<HTMLInputElement>("a-mod").value.trim(), target: byId<HTMLInputElement>("a-target").value.trim() };
  }

  private matches(e: AuditEntry): boolean {
    const f = this.filter();
    return (!f.moderator || e.actor === f.moderator) && (!f.target || e.user === f.target);
  }

  async load(): Promise<void> {
    try {
      const res = await call<{ entries: AuditEntry[] }>(this.client, "chat.audit", { room: this.room, limit: 200, ...this.filter() });
      this.list.textContent = "";
      for (const e of res.entries) this.list.append(this.entry(e));
      byId("audit-empty").hidden = res.entries.length > 0;
    } catch (e) {
      this.note.show(`could not read the audit log: ${explain(e, "reload")}`, "error");
    }
  }

  private entry(e: AuditEntry): HTMLLIElement {
    const li = el("li", "card audit");
    li.dataset["action"] = e.action;
    const meta = el("p", "meta", `${clockTime(e.at)} · `);
    const actor = el("span", "author", e.actor ? this.names.label(e.actor) : "server API");
    if (e.actor) actor.dataset["user"] = e.actor;
    meta.append(actor);
    const text = el("p", "text", `${e.action} `);
    if (e.user) {
      const target = el("span", "target", this.names.label(e.user));
      target.dataset["user"] = e.user;
      text.append("→ ", target, " ");
    }
    if (e.detail) text.append(`(${e.detail})`);
    li.append(meta, text);
    if (e.reason) li.append(el("p", "reason", `reason: ${e.reason}`));
    return li;
  }
}
