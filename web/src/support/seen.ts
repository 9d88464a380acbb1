// How far the user has read their support conversation, remembered in
// localStorage across reloads: the conversation's id and the newest offset
// the open panel showed. What came after it (an agent's reply, the
// resolution) is new to the user, and the Help button says so.

const key = "liveroom.support.seen";

export interface Seen {
  id: string;
  offset: number;
}

export function readSeen(): Seen | null {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? "null") as Partial<Seen> | null;
    return v && typeof v.id === "string" && typeof v.offset === "number" ? { id: v.id, offset: v.offset } : null;
  } catch {
    return null; // storage off or unreadable: everything counts as new
  }
}

/** Remembers seen, or forgets (null). */
export function writeSeen(seen: Seen | null): void {
  try {
    if (seen) localStorage.setItem(key, JSON.stringify(seen));
    else localStorage.removeItem(key);
  } catch {
    /* not remembered: the next load flags the conversation again */
  }
}

/** The newest offset of conversation id the user has seen (0: none). */
export function seenOffset(id: string): number {
  const s = readSeen();
  return s?.id === id ? s.offset : 0;
}
