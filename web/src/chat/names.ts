// Display names and badges, resolved from profiles (events carry user ids
// only). Lookups are batched; elements with data-user get their name when
// it arrives.
import type { Centrifuge } from "centrifuge";
import { call } from "./wire";

interface Profile {
  name?: string;
  roles?: string[];
}

export class Names {
  private readonly known = new Map<string, Profile>();
  private readonly wanted = new Set<string>();
  private timer: number | undefined;

  constructor(
    private readonly client: Centrifuge,
    private readonly room: string,
  ) {}

  /** The name to show now (the id until the profile is known). */
  label(user: string): string {
    if (user.startsWith("guest:")) return "guest";
    const p = this.known.get(user);
    if (p?.name) return p.name;
    if (!p) this.want(user);
    return user;
  }

  /** Badges of the user in this room ("moderator", "owner"). */
  badges(user: string): string[] {
    return this.known.get(user)?.roles ?? [];
  }

  /** Learns a name from presence or a join (their token's info). */
  learn(user: string | undefined, connInfo: unknown): void {
    const name = (connInfo as { name?: unknown } | null)?.name;
    if (!user || typeof name !== "string" || this.known.get(user)?.name === name) return;
    this.set(user, name);
    for (const el of document.querySelectorAll<HTMLElement>(`[data-user="${CSS.escape(user)}"]`)) el.textContent = name;
  }

  /** Remembers a name seen elsewhere (one's own). */
  set(user: string, name: string): void {
    this.known.set(user, { ...this.known.get(user), name });
  }

  /** Forgets a user's badges so they are asked again (roles changed). */
  refresh(user: string): void {
    this.known.delete(user);
    this.want(user);
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
      const res = await call<{ profiles: Record<string, Profile> }>(this.client, "chat.profiles", { room: this.room, users });
      for (const u of users) this.known.set(u, res.profiles[u] ?? {});
    } catch {
      for (const u of users) this.wanted.add(u); // asked again with the next batch
      return;
    }
    for (const el of document.querySelectorAll<HTMLElement>("[data-user]")) {
      const u = el.dataset["user"] ?? "";
      if (users.includes(u)) {
        el.textContent = this.label(u);
        const badges = this.badges(u);
        if (badges.length) el.dataset["badge"] = badges.includes("owner") ? "owner" : badges[0] ?? "";
      }
    }
    if (this.wanted.size) this.timer = window.setTimeout(() => void this.fetch(), 50);
  }
}
