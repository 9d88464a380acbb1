// Display names in support, looked up with support.names (events carry
// user ids only). Elements with data-sname get their name when it
// arrives.
import type { Centrifuge } from "centrifuge";
import { call } from "./wire";

export class SupportNames {
  private readonly known = new Map<string, string>();
  private readonly wanted = new Set<string>();
  private timer: number | undefined;

  constructor(private readonly client: Centrifuge) {}

  /** The name to show now (the id until the name is known). */
  label(user: string): string {
    const n = this.known.get(user);
    if (n) return n;
    if (n === undefined && user) this.want(user);
    return user || "someone";
  }

  /** An element showing user's name, updated when it is learned. */
  span(user: string, className = "who"): HTMLSpanElement {
    const s = document.createElement("span");
    s.className = className;
    s.dataset["sname"] = user;
    s.textContent = this.label(user);
    return s;
  }

  /** Learns names from a summary, a transcript or presence. */
  learn(user: string | undefined, name: string | undefined): void {
    if (!user || !name || this.known.get(user) === name) return;
    this.known.set(user, name);
    for (const el of document.querySelectorAll<HTMLElement>(`[data-sname="${CSS.escape(user)}"]`)) el.textContent = name;
  }

  private want(user: string): void {
    this.wanted.add(user);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.fetch(), 50);
  }

  private async fetch(): Promise<void> {
    const users = [...this.wanted].slice(0, 100);
    users.forEach((u) => this.wanted.delete(u));
    if (users.length === 0) return;
    try {
      const res = await call<{ names: Record<string, string> }>(this.client, "support.names", { users });
      for (const u of users) {
        const name = res.names[u];
        if (name) this.learn(u, name);
        else this.known.set(u, ""); // unknown: shown as the id, not asked again
      }
    } catch {
      for (const u of users) this.wanted.add(u); // asked again with the next batch
      this.timer = window.setTimeout(() => void this.fetch(), 2000);
    }
  }
}
