// Reactions: a row of buttons that publish to reactions:<room>, and the
// emoji that float up on everyone's screen when one arrives.
import type { Centrifuge, Subscription } from "centrifuge";
import { byId, el, reducedMotion, type Flash } from "./dom";
import { explain } from "./errors";
import { newId } from "./message";

export const emojis = ["❤️", "👏", "😂", "🔥", "🎉"] as const;
const names: Record<string, string> = { "❤️": "love", "👏": "applause", "😂": "laugh", "🔥": "fire", "🎉": "celebrate" };

/** Most floating emoji on screen at once; more are dropped, not queued. */
const maxFloating = 40;

export class Reactions {
  readonly sub: Subscription;
  private readonly layer = byId("floats");
  private readonly row = byId("reactions");
  private floated = 0;
  private readonly tally = new Map<string, number>();

  constructor(
    client: Centrifuge,
    channel: string,
    private readonly feedback: Flash,
  ) {
    this.sub = client.newSubscription(channel);
    this.sub.on("publication", (ctx) => {
      const emoji = (ctx.data as { emoji?: unknown } | null)?.emoji;
      if (typeof emoji === "string" && emojis.includes(emoji as (typeof emojis)[number])) this.float(emoji);
    });
    this.sub.on("error", (ctx) => this.feedback.show(`reactions: ${explain(ctx.error, "wait")}`, "error"));
    for (const emoji of emojis) {
      const b = el("button", "react", emoji);
      b.type = "button";
      b.setAttribute("aria-label", `React with ${names[emoji] ?? emoji}`);
      b.addEventListener("click", () => void this.send(emoji, b));
      this.row.append(b);
    }
  }

  start(): void {
    this.sub.subscribe();
  }

  private async send(emoji: string, button: HTMLButtonElement): Promise<void> {
    // The tap answers at once; the emoji floats when the server relays it.
    button.classList.remove("tapped");
    void button.offsetWidth; // restart the press animation
    button.classList.add("tapped");
    try {
      await this.sub.publish({ emoji, rid: newId() });
    } catch (e) {
      this.feedback.show(`reaction not sent: ${explain(e, "react")}`, "error", 4000);
    }
  }

  private float(emoji: string): void {
    this.tally.set(emoji, (this.tally.get(emoji) ?? 0) + 1);
    this.renderTally();
    if (this.layer.childElementCount >= maxFloating) return;
    const f = el("span", "float", emoji);
    const rect = this.row.getBoundingClientRect();
    const x = rect.left + Math.random() * Math.max(rect.width - 40, 0);
    f.style.setProperty("--x", `${Math.round(x)}px`);
    f.style.setProperty("--y", `${Math.round(window.innerHeight - rect.top)}px`);
    f.style.setProperty("--drift", `${Math.round((Math.random() - 0.5) * 80)}px`);
    if (reducedMotion()) f.classList.add("still");
    f.addEventListener("animationend", () => f.remove());
    // Removed even if the animation never runs (a hidden tab).
    window.setTimeout(() => f.remove(), 4000);
    this.layer.append(f);
    this.floated++;
    this.layer.dataset["total"] = String(this.floated);
  }

  private renderTally(): void {
    const out = byId("tally");
    out.textContent = "";
    for (const emoji of emojis) {
      const n = this.tally.get(emoji);
      if (n) out.append(el("span", "count", `${emoji} ${n}`));
    }
  }
}
