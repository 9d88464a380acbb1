// Small DOM helpers.

/** The element with id, or an error naming the id (a broken page is a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
}

/** A new element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

/** Whether the visitor asked for less motion. */
export function reducedMotion(): boolean {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

/** Shows a short message in a status region, cleared after ms (0: kept). */
export class Flash {
  private timer: number | undefined;
  constructor(private readonly node: HTMLElement) {}

  show(text: string, kind: "error" | "warn" | "info" = "error", ms = 6000): void {
    window.clearTimeout(this.timer);
    this.node.textContent = text;
    this.node.dataset["kind"] = kind;
    this.node.hidden = false;
    // setTimeout fires at once past 2^31 − 1 ms: clamp (about 24 days).
    if (ms > 0) this.timer = window.setTimeout(() => this.clear(), Math.min(ms, 2 ** 31 - 1));
  }

  clear(): void {
    window.clearTimeout(this.timer);
    this.node.textContent = "";
    this.node.hidden = true;
  }
}
