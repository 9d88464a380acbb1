// What the room's events change on a rendered message: tombstones, edits,
// reaction chips, reply quotes, and system lines for visible moderation.
import { el } from "../dom";

/** Turns a message into a visible tombstone (not a silent gap). */
export function tombstone(li: HTMLLIElement, byModerator: boolean): void {
  li.classList.add("deleted");
  li.dataset["deleted"] = byModerator ? "moderator" : "author";
  const text = li.querySelector(".text");
  if (text) text.textContent = byModerator ? "Message removed by a moderator" : "Message deleted by its author";
  li.querySelector(".rx")?.remove();
  li.querySelector(".more")?.remove();
  li.querySelector(".reply")?.remove();
  li.querySelector(".edited")?.remove(); // a removed message has no text to have edited
}

/** Shows an edit. */
export function edited(li: HTMLLIElement, text: string): void {
  const t = li.querySelector(".text");
  if (t) t.textContent = text;
  if (!li.querySelector(".edited")) li.querySelector(".meta")?.append(" ", el("span", "edited", "(edited)"));
}

/** Sets one emoji's count on a message; mine marks the chip pressed. */
export function setReaction(li: HTMLLIElement, emoji: string, count: number, mine: boolean | null, onTap: (emoji: string) => void): void {
  const rx = li.querySelector<HTMLElement>(".rx");
  if (!rx) return;
  let chip = [...rx.querySelectorAll<HTMLButtonElement>("button.chip")].find((b) => b.dataset["emoji"] === emoji);
  if (count <= 0) {
    chip?.remove();
    return;
  }
  if (!chip) {
    chip = el("button", "chip");
    chip.type = "button";
    chip.dataset["emoji"] = emoji;
    chip.setAttribute("aria-pressed", "false");
    chip.addEventListener("click", () => onTap(emoji));
    rx.append(chip);
  }
  chip.textContent = `${emoji} ${count}`;
  chip.dataset["count"] = String(count);
  if (mine !== null) chip.setAttribute("aria-pressed", String(mine));
  chip.setAttribute("aria-label", `${emoji} ${count}${chip.getAttribute("aria-pressed") === "true" ? ", including yours" : ""}: tap to ${chip.getAttribute("aria-pressed") === "true" ? "take yours back" : "add yours"}`);
}

/**
 * A line about what happened in the room ("ada was timed out for 10 min").
 * With who, the line starts with their name in an element marked with
 * their id, so it turns from the id into the name when the profile arrives.
 */
export function systemLine(text: string, who?: { user: string; name: string }): HTMLLIElement {
  const li = el("li", "system");
  if (who) {
    const name = el("span", "", who.name);
    name.dataset["user"] = who.user;
    li.append(name, " ");
  }
  li.append(text);
  li.setAttribute("role", "note");
  return li;
}

/** Seconds as "10 min", "1 h", "30 s". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
