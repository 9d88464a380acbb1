// The composer's chat rules: replying and editing, the slow-mode and
// rate-limit countdowns,
// the writer's standing (timed out or banned: why and until when), and a
// connection closed for good (signed out, revoked: nothing can be sent).
import { byId } from "../dom";
import { clockTime } from "./wire";

export type Mode = { kind: "new" } | { kind: "reply"; id: string; who: string } | { kind: "edit"; id: string };

export class Composer {
  mode: Mode = { kind: "new" };
  private readonly modeBox = byId("compose-mode");
  private readonly modeText = byId("compose-mode-text");
  private readonly standingBox = byId("standing");
  private readonly input = byId<HTMLInputElement>("composer-input");
  private readonly sendButton = byId<HTMLButtonElement>("send");
  private nextAt = 0;
  private timeoutUntil = 0;
  private timeoutReason = "";
  private banned = false;
  /** Why the connection is closed for good (shown by the composer), or "" while it is not. */
  private closedWhy = "";
  /** The same in a few words, said when a send is refused. */
  private closedShort = "";
  private slowMode = 0;
  /** End of a rate-limit refusal's wait (local Unix ms), and its limit in words. */
  private limitedUntil = 0;
  private limitText = "";
  private ticker: number | undefined;

  constructor() {
    byId("compose-cancel").addEventListener("click", () => this.setMode({ kind: "new" }));
  }

  setMode(m: Mode, text = ""): void {
    this.mode = m;
    this.modeBox.hidden = m.kind === "new";
    this.modeText.textContent = m.kind === "reply" ? `Replying to ${m.who}` : m.kind === "edit" ? "Editing your message" : "";
    if (m.kind === "edit") this.input.value = text;
    if (m.kind !== "new") this.input.focus();
    if (m.kind === "new" && text === "" && this.modeBox.dataset["was"] === "edit") this.input.value = "";
    this.modeBox.dataset["was"] = m.kind;
  }

  /** The room's slow mode in force (seconds; 0 off), shown as a hint. */
  setSlowMode(seconds: number): void {
    this.slowMode = seconds;
    this.render();
  }

  /** Starts the countdown until the next send is allowed (Unix ms, server clock as local). */
  waitUntil(at: number): void {
    this.nextAt = at;
    this.render();
  }

  /**
   * Counts down a rate-limit refusal: nothing is sent before until (local
   * Unix ms). limit says which limit, as the server put it ("too many
   * messages: 20 in 30 s is the limit").
   */
  limited(until: number, limit: string): void {
    this.limitedUntil = until;
    this.limitText = limit;
    this.render();
  }

  /**
   * Shows a timeout until `until` (local Unix ms; 0 lifts it). The room's
   * event and the personal notice of one timeout arrive in either order and
   * only the notice carries the reason, so an empty reason for the same
   * timeout (its end within 2 s of the one shown) keeps the reason shown.
   */
  timedOut(until: number, reason: string): void {
    const same = until > 0 && Math.abs(until - this.timeoutUntil) <= 2000;
    if (reason !== "" || !same) this.timeoutReason = reason;
    this.timeoutUntil = until;
    this.render();
  }

  setBanned(on: boolean): void {
    this.banned = on;
    this.render();
  }

  /**
   * The connection is closed for good and will not come back by itself
   * (signed out, session revoked, disconnected by the server): every send
   * is refused at once, in short, while the composer shows why in full.
   * Both "" when it is connected again.
   */
  closed(why: string, short: string): void {
    this.closedWhy = why;
    this.closedShort = short;
    this.render();
  }

  /** Why a send is refused while the connection is closed for good, or "". */
  closedReason(): string {
    return this.closedShort;
  }

  /** Why sending is refused right now, or "" (checked before a send). */
  blocked(): string {
    if (this.closedShort) return this.closedShort;
    if (this.banned) return "you are banned from this room";
    if (this.timeoutUntil > Date.now()) return this.timeoutText();
    return "";
  }

  /** Why the next send must wait and for how long ("slow mode: wait 3 s"), or "" when it need not. */
  waitText(): string {
    const now = Date.now();
    const left = (t: number): number => Math.ceil((t - now) / 1000);
    if (this.limitedUntil > now && this.limitedUntil >= this.nextAt) return `too many messages: wait ${left(this.limitedUntil)} s`;
    if (this.nextAt > now) return `slow mode: wait ${left(this.nextAt)} s`;
    return "";
  }

  private timeoutText(): string {
    const why = this.timeoutReason ? ` — reason: ${this.timeoutReason}` : "";
    return `You are timed out until ${clockTime(this.timeoutUntil)}${why}`;
  }

  private render(): void {
    window.clearTimeout(this.ticker);
    const now = Date.now();
    let text = "";
    let kind = "info";
    if (this.closedWhy) {
      text = this.closedWhy;
      kind = "error";
    } else if (this.banned) {
      text = "You are banned from this room: you can no longer read or write here.";
      kind = "error";
    } else if (this.timeoutUntil > now) {
      text = `${this.timeoutText()}. You can read meanwhile.`;
      kind = "error";
    } else if (this.limitedUntil > now && this.limitedUntil >= this.nextAt) {
      const limit = this.limitText.charAt(0).toUpperCase() + this.limitText.slice(1);
      text = `${limit} — you can send again in ${Math.ceil((this.limitedUntil - now) / 1000)} s`;
      kind = "warn";
    } else if (this.nextAt > now) {
      text = `Slow mode: you can send again in ${Math.ceil((this.nextAt - now) / 1000)} s`;
      kind = "warn";
    } else if (this.slowMode > 0) {
      text = `Slow mode is on: one message every ${this.slowMode} s`;
    }
    // Not disabled for real: Enter and a tap still reach the form, which
    // then says why nothing is sent (a disabled button fails silently).
    const blocked = this.closedWhy !== "" || this.banned || this.timeoutUntil > now || this.nextAt > now || this.limitedUntil > now;
    this.sendButton.setAttribute("aria-disabled", String(blocked));
    this.standingBox.textContent = text;
    this.standingBox.dataset["kind"] = kind;
    // The machine-readable end of a timeout, for tools and tests.
    if (this.timeoutUntil > now) this.standingBox.dataset["until"] = String(this.timeoutUntil);
    else delete this.standingBox.dataset["until"];
    this.standingBox.hidden = text === "";
    const later = [this.timeoutUntil, this.nextAt, this.limitedUntil].filter((t) => t > now);
    if (later.length) this.ticker = window.setTimeout(() => this.render(), Math.min(1000, Math.min(...later) - now + 20));
  }
}
