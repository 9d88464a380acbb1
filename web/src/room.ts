// The room channel: history on join, live messages, exact recovery after a
// reconnect (with a count of what was missed), and the online count.
import { SubscriptionState, type Centrifuge, type PublicationContext, type Subscription, type SubscribedContext } from "centrifuge";
import type { ChatLog } from "./chat";
import type { ConnectionBadge } from "./connection";
import type { Flash } from "./dom";
import { codes } from "./chat/wire";
import { explain } from "./errors";
import { decodeChat } from "./message";
import { OnlineCount } from "./presence";

/** Messages loaded on join and after a failed recovery. */
const historyLimit = 50;
/**
 * Publications read per history page. The room's history interleaves
 * messages with reactions, edits and moderation events, so the page reads
 * back, page by page, until it has historyLimit messages, the history
 * starts, or historyPages pages were read.
 */
const historyPage = 100;
const historyPages = 5;

export class Room {
  readonly sub: Subscription;
  /** Recovered publications counted since the last 'subscribed', or null. */
  private recovering: number | null = null;
  private statsTimer: number | undefined;
  /** The channel's epoch when last subscribed: offsets compare only within one. */
  private epoch = "";
  private readonly online = new OnlineCount();
  /** Gets the room's other events (edits, deletes, reactions, moderation). */
  other: ((pub: { data: unknown; offset?: number }, fromHistory: boolean) => void) | null = null;
  /** Called when the server ends or refuses the room because the user is banned. */
  banned: (() => void) | null = null;

  constructor(
    client: Centrifuge,
    channel: string,
    private readonly chat: ChatLog,
    private readonly note: Flash,
    private readonly feedback: Flash,
  ) {
    this.sub = client.newSubscription(channel);
    this.sub.on("subscribed", (ctx) => this.onSubscribed(ctx));
    this.sub.on("publication", (ctx) => this.onPublication(ctx));
    // Out of the room, the count is no longer known; 'subscribed' asks again.
    this.sub.on("state", (ctx) => {
      if (ctx.newState !== SubscriptionState.Subscribed) this.online.stale();
    });
    this.sub.on("join", () => this.refreshStats(300));
    this.sub.on("leave", () => this.refreshStats(300));
    this.sub.on("error", (ctx) => this.feedback.show(`room: ${explain(ctx.error, "wait")}`, "error"));
    this.sub.on("unsubscribed", (ctx) => {
      if (ctx.code === 0) return;
      // A ban (the server's refusal, or the end of the subscription, whose
      // reason names it): reloading does not help, and the composer's
      // standing and the ban notice say why; a lifted ban rejoins.
      if (ctx.code === codes.banned || /\bbanned\b/.test(ctx.reason)) {
        this.banned?.();
        return;
      }
      this.note.show(`left the room: ${ctx.reason} — reload the page to join again`, "error", 0);
    });
  }

  /** Starts once the badge listens, so it sees every state. */
  start(badge: ConnectionBadge): void {
    this.badge = badge;
    this.sub.subscribe();
  }

  private badge: ConnectionBadge | null = null;

  /** Joins again after the server ended the subscription (a lifted ban). */
  rejoin(): void {
    if (this.sub.state === SubscriptionState.Unsubscribed) this.sub.subscribe();
  }

  private onSubscribed(ctx: SubscribedContext): void {
    // At once on every (re)join: the count from before may be out of date.
    this.refreshStats(0);
    const epoch = ctx.streamPosition?.epoch ?? "";
    const sameEpoch = epoch === this.epoch;
    this.epoch = epoch;
    if (!ctx.wasRecovering) {
      void this.loadHistory(false, false);
      return;
    }
    if (!ctx.recovered) {
      void this.loadHistory(true, !sameEpoch);
      return;
    }
    // Recovered publications are delivered right after this event, in the
    // same task: count them, then report once they are all in.
    const before = this.chat.lastOffset();
    this.recovering = 0;
    // The note goes into the log, where the missed messages start: it moves
    // nothing out of view, and the log (a polite live region) announces it.
    queueMicrotask(() => {
      const n = this.recovering ?? 0;
      this.recovering = null;
      this.chat.divider(`caught up: ${n === 0 ? "no" : n} missed message${n === 1 ? "" : "s"}`, before, "info");
    });
  }

  private onPublication(ctx: PublicationContext): void {
    const m = decodeChat(ctx);
    if (!m) {
      this.other?.(ctx, false);
      return;
    }
    if (this.chat.add(m) && this.recovering !== null) this.recovering++;
  }

  /**
   * Loads the newest messages. After a gap, what is on the page stays when
   * the epoch is the same (a divider marks where the gap starts); a new
   * epoch means the old offsets mean nothing, so the page starts over.
   */
  private async loadHistory(afterGap: boolean, newEpoch: boolean): Promise<void> {
    this.badge?.setCatchingUp(true);
    try {
      const pubs = await this.newestHistory();
      if (newEpoch) this.chat.clear();
      const before = this.chat.lastOffset();
      for (const pub of pubs) {
        const m = decodeChat(pub);
        if (m) this.chat.add(m, true);
        else this.other?.(pub, true);
      }
      if (afterGap) this.chat.divider("you may have missed messages — history reloaded", before, "warn");
    } catch (e) {
      this.note.show(`could not load earlier messages: ${explain(e, "reload the page")}`, "error", 0);
    } finally {
      this.badge?.setCatchingUp(false);
    }
  }

  /**
   * The newest publications holding up to historyLimit messages, oldest
   * first (events before the oldest message shown are left out: they
   * concern messages that are not on the page).
   */
  private async newestHistory(): Promise<PublicationContext[]> {
    const newestFirst: PublicationContext[] = [];
    let messages = 0;
    let res = await this.sub.history({ limit: historyPage, reverse: true });
    const epoch = res.epoch;
    for (let page = 1; ; page++) {
      for (const pub of res.publications) {
        newestFirst.push(pub);
        if (decodeChat(pub) && ++messages === historyLimit) return newestFirst.reverse();
      }
      const oldest = res.publications[res.publications.length - 1];
      if (page >= historyPages || res.publications.length < historyPage || !oldest || oldest.offset === undefined || oldest.offset <= 1) break;
      res = await this.sub.history({ limit: historyPage, reverse: true, since: { offset: oldest.offset, epoch } });
    }
    return newestFirst.reverse();
  }

  /** Asks for the online count after ms (coalescing join/leave bursts). */
  private refreshStats(ms: number): void {
    window.clearTimeout(this.statsTimer);
    this.statsTimer = window.setTimeout(() => void this.fetchStats(), ms);
  }

  private async fetchStats(): Promise<void> {
    const n = this.online.ask();
    try {
      const s = await this.sub.presenceStats();
      if (this.sub.state === SubscriptionState.Subscribed) this.online.set(n, s.numUsers, s.numClients);
    } catch {
      /* the count stays as it was, marked as last known while out of the room; the badge shows why */
    }
    this.refreshStats(15000);
  }
}
