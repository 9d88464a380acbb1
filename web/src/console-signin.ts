// Sign-in for the staff consoles (moderator, agent) through the demo's
// token endpoint, remembered in localStorage under one key per console.
import { byId } from "./dom";
import { errorMessage } from "./session";

/** A console's demo sign-in: a connection token with the asked role. */
export interface ConsoleSession {
  token: string;
  user: string;
  name: string;
}

/** The staff consoles' sign-in: which key remembers it, which role it asks for. */
export class ConsoleSignIn {
  constructor(
    private readonly storageKey: string,
    private readonly role: "moderator" | "agent",
  ) {}

  /** The remembered session, or null. */
  saved(): ConsoleSession | null {
    try {
      const s = JSON.parse(localStorage.getItem(this.storageKey) ?? "null") as ConsoleSession | null;
      return s && typeof s.token === "string" ? s : null;
    } catch {
      return null;
    }
  }

  /** Forgets the remembered session (its token was refused). */
  forget(): void {
    localStorage.removeItem(this.storageKey);
  }

  /** Shows the page's name form (#signin) and resolves once the server gave a token. */
  ask(): Promise<ConsoleSession> {
    const form = byId<HTMLFormElement>("signin");
    const input = byId<HTMLInputElement>("signin-name");
    const problem = byId("signin-problem");
    form.hidden = false;
    input.focus();
    return new Promise((resolve) => {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        void (async () => {
          problem.hidden = true;
          try {
            const res = await fetch("/demo/token", {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ name: input.value.trim(), role: this.role }),
            });
            const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
            if (!res.ok || typeof body["token"] !== "string") throw new Error(errorMessage(body, res.status));
            const s: ConsoleSession = { token: body["token"], user: String(body["user"]), name: String(body["name"]) };
            try {
              localStorage.setItem(this.storageKey, JSON.stringify(s));
            } catch {
              /* not remembered */
            }
            form.hidden = true;
            resolve(s);
          } catch (e) {
            problem.textContent = `not signed in: ${e instanceof Error ? e.message : String(e)}`;
            problem.hidden = false;
          }
        })();
      });
    });
  }
}
