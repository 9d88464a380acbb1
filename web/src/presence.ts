// The online count, shown in the header and on the stage from one value, so
// the two never disagree. A count is fresh only while the room is joined:
// from the moment the page loses the room it is dimmed and, for screen
// readers, called "last known", until the first count asked for after
// joining again replaces it.
import { byId } from "./dom";

export class OnlineCount {
  /** People (distinct users) in the room, or null before the first count. */
  private users: number | null = null;
  private clients = 0;
  private fresh = false;
  /** Number of the newest count asked for; older answers are dropped. */
  private asked = 0;
  private readonly places = [
    { box: byId("online"), count: byId("online-count"), stale: byId("online-stale") },
    { box: byId("stage-watching"), count: byId("stage-online"), stale: byId("stage-stale") },
  ];

  constructor() {
    this.render();
  }

  /** Marks a new request for the count; pass its number to set(). */
  ask(): number {
    return ++this.asked;
  }

  /**
   * A count the server gave in answer to request n while the room is
   * joined. An answer overtaken by a newer request is dropped: answers may
   * come back in another order than they were asked.
   */
  set(n: number, users: number, clients: number): void {
    if (n !== this.asked) return;
    this.users = users;
    this.clients = clients;
    this.fresh = true;
    this.render();
  }

  /** The room is not joined (cut off, or joining again): the count may be out of date. */
  stale(): void {
    this.asked++; // an answer still on its way is stale too
    if (!this.fresh) return;
    this.fresh = false;
    this.render();
  }

  private render(): void {
    const text = this.users === null ? "–" : String(this.users);
    for (const p of this.places) {
      p.count.textContent = text;
      if (this.fresh) delete p.box.dataset["stale"];
      else p.box.dataset["stale"] = "true";
      p.stale.hidden = this.fresh || this.users === null;
    }
    const header = this.places[0]!.box;
    if (this.users === null) header.title = "not in the room yet";
    else if (!this.fresh) header.title = `last known count: ${this.users} online — updated once the room is joined again`;
    else {
      const people = `${this.users} ${this.users === 1 ? "person" : "people"}`;
      header.title = `${people}, ${this.clients} connection${this.clients === 1 ? "" : "s"}`;
    }
  }
}
