// The signed-in session of this browser: the connection token in memory,
// exchanged for a fresh one through the refresh endpoint (which rotates
// the refresh cookie) whenever the live connection asks.
import { UnauthorizedError } from "centrifuge";
import { AccountError, call, codes, type Grant } from "./api";

/**
 * A hint in localStorage that this browser holds an account session. The
 * refresh cookie is HttpOnly, so pages other than the account page use
 * the hint to decide whether asking /account/refresh is worth it (a
 * browser that never signed in gets no 401 in its console). It is a hint
 * only: the cookie decides.
 */
const hintKey = "liveroom.account";

function setHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(hintKey, "1");
    else localStorage.removeItem(hintKey);
  } catch {
    /* storage off: pages other than the account page stay anonymous */
  }
}

/** Whether this browser signed in to an account and has not signed out since. */
export function accountHint(): boolean {
  try {
    return localStorage.getItem(hintKey) === "1";
  } catch {
    return false;
  }
}

export class AccountSession {
  private grant: Grant | null = null;
  /** Why the session ended, once it has (shown on the signed-out screen). */
  endedReason = "";

  get current(): Grant | null {
    return this.grant;
  }

  /** The in-memory connection token, for Bearer calls. */
  get bearer(): string {
    return this.grant?.token ?? "";
  }

  /**
   * Resumes the browser's session from its cookie: the grant, or null when
   * this browser is not signed in. An ended session (revoked, expired,
   * blocked) throws its AccountError.
   */
  async resume(): Promise<Grant | null> {
    try {
      this.grant = await call<Grant>("refresh", {});
      setHint(true);
      return this.grant;
    } catch (e) {
      if (e instanceof AccountError && (e.code === codes.notSignedIn || e.status === 403)) {
        setHint(false);
        return null;
      }
      if (e instanceof AccountError && e.sessionEnded) {
        this.endedReason = e.message;
        setHint(false);
      }
      throw e;
    }
  }

  async signIn(email: string, password: string): Promise<Grant> {
    return this.set(await call<Grant>("signin", { email, password }));
  }

  async signUp(name: string, email: string, password: string): Promise<Grant> {
    return this.set(await call<Grant>("signup", { name, email, password }));
  }

  async guest(name: string): Promise<Grant> {
    return this.set(await call<Grant>("guest", { name }));
  }

  private set(g: Grant): Grant {
    this.grant = g;
    this.endedReason = "";
    setHint(true);
    return g;
  }

  /**
   * A fresh connection token, for the live connection's getToken. When the
   * session has ended it records why and throws UnauthorizedError, which
   * makes the client stop instead of retrying.
   */
  async token(): Promise<string> {
    try {
      this.grant = await call<Grant>("refresh", {});
      return this.grant.token;
    } catch (e) {
      if (e instanceof AccountError && (e.sessionEnded || e.code === codes.notSignedIn)) {
        this.endedReason = e.message;
        this.grant = null;
        setHint(false);
        throw new UnauthorizedError(e.message);
      }
      throw e;
    }
  }

  /** Signs this browser out (ends the session and clears the cookie). */
  async signOut(): Promise<void> {
    try {
      await call("signout", {});
    } finally {
      this.grant = null;
      setHint(false);
    }
  }

  /** Forgets the session after the server ended it. */
  end(reason: string): void {
    this.grant = null;
    setHint(false);
    this.endedReason = reason;
  }
}
