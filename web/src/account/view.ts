// Rendering of the account page: which screen shows, the profile, the
// device list and the notices. Text only (textContent): the page runs
// under Trusted Types and never builds HTML from strings.
import { byId, el } from "../dom";
import type { Notice, Profile, SessionInfo } from "./api";

export type Screen = "loading" | "auth" | "account" | "signed-out";

/** Shows one screen and hides the others. */
export function show(screen: Screen): void {
  byId("loading").hidden = screen !== "loading";
  byId("auth").hidden = screen !== "auth";
  byId("account").hidden = screen !== "account";
  byId("signed-out").hidden = screen !== "signed-out";
  document.body.dataset["screen"] = screen;
}

/** The signed-out screen with the server's reason. */
export function showSignedOut(reason: string): void {
  byId("signed-out-reason").textContent = reason ? capitalise(reason) + "." : "Your session ended.";
  show("signed-out");
  byId("signed-out-again").focus();
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Shows a problem in a region, or hides it for "". */
export function problem(id: string, text: string): void {
  const p = byId(id);
  p.textContent = text;
  p.hidden = text === "";
}

export function renderProfile(p: Profile): void {
  byId("me-name").textContent = p.name;
  const role = byId("me-role");
  role.hidden = p.role === "user" && !p.guest;
  role.textContent = p.guest ? "guest" : p.role;
  byId("me-email").textContent = p.guest ? "Guest account: no email or password yet." : (p.email ?? "");
  byId("upgrade-card").hidden = !p.guest;
  byId("password-card").hidden = p.guest;
  const pw = byId<HTMLInputElement>("delete-password");
  pw.hidden = p.guest;
  byId("delete-password-label").hidden = p.guest;
  pw.required = !p.guest;
}

/** "just now", "5 min ago", "3 h ago", or a date. */
export function ago(iso: string | number, now = Date.now()): string {
  const t = typeof iso === "number" ? iso : Date.parse(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return "just now";
  if (s < 90 * 60) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

/** Renders the device list; onRevoke is called with a session id. */
export function renderDevices(list: SessionInfo[], onRevoke: (s: SessionInfo, button: HTMLButtonElement) => void): void {
  const ul = byId("devices");
  ul.replaceChildren();
  for (const s of list) {
    const li = el("li", "acct-device");
    li.dataset["session"] = s.id;
    if (s.current) li.dataset["current"] = "true";
    const head = el("p", "acct-device-name", s.device.name);
    if (s.current) head.append(" ", el("span", "acct-tag", "this device"));
    const meta = el("p", "acct-muted", `Last active ${ago(s.last_seen)} · ${s.last_address} · signed in ${ago(s.first_seen)}`);
    li.append(head, meta);
    if (!s.current) {
      const b = el("button", "secondary acct-revoke", "Sign out");
      b.type = "button";
      b.setAttribute("aria-label", `Sign out ${s.device.name} (last active ${ago(s.last_seen)})`);
      b.addEventListener("click", () => onRevoke(s, b));
      li.append(b);
    }
    ul.append(li);
  }
  byId("revoke-others").hidden = list.filter((s) => !s.current).length === 0;
}

/** Adds a notice at the top of the list. */
export function addNotice(n: Notice): void {
  const ol = byId("notices");
  const li = el("li", "acct-notice");
  li.dataset["type"] = n.type;
  li.append(el("span", "", n.message), el("time", "acct-muted", ` · ${ago(n.at)}`));
  ol.prepend(li);
  while (ol.children.length > 20) ol.lastElementChild?.remove();
  byId("notices-empty").hidden = true;
}

/** The connection line in the header. */
export function renderConn(state: string): void {
  const labels: Record<string, string> = {
    none: "not connected",
    connecting: "connecting…",
    connected: "live",
    reconnecting: "reconnecting…",
    "signed-out": "signed out",
  };
  byId("acct-conn").dataset["state"] = state;
  byId("acct-conn-text").textContent = labels[state] ?? state;
}
