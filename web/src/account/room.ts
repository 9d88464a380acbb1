// The live room's side of accounts: a browser signed in on the account
// page joins the room as its account (its name, its user id), with the
// session's connection token, renewed through the refresh endpoint.
import { disconnectedCodes } from "centrifuge";
import { byId, el, type Flash } from "../dom";
import { AccountError, call, type Profile } from "./api";
import { accountHint, AccountSession } from "./session";

/** Who the room connects as when the browser is signed in. */
export interface AccountMe {
  session: AccountSession;
  token: string;
  user: string;
  name: string;
}

/**
 * The account this browser is signed in to, or null (never signed in,
 * signed out, or the server cannot be asked: the room then falls back to
 * a demo name). An ended session is shown in note before falling back.
 */
export async function accountMe(note: Flash): Promise<AccountMe | null> {
  if (!accountHint()) return null; // never signed in here: no refresh call, no 401
  const session = new AccountSession();
  try {
    const g = await session.resume();
    if (!g) return null;
    return { session, token: g.token, user: g.user.id, name: g.user.name };
  } catch (e) {
    if (e instanceof AccountError && e.sessionEnded) signedOut(note, e.message, true);
    return null;
  }
}

/** Whether a disconnect code means the session is over (do not come back). */
export function sessionOver(code: number): boolean {
  return (code >= 3500 && code < 4000) || (code >= 4500 && code < 5000) || code === Number(disconnectedCodes.unauthorized);
}

/** Says the account session ended, why, and where to sign in again. */
export function signedOut(note: Flash, reason: string, fallingBack: boolean): void {
  document.body.dataset["account"] = "signed-out";
  const why = reason ? reason.charAt(0).toUpperCase() + reason.slice(1) : "Your session ended";
  const next = fallingBack ? "you join as a demo visitor meanwhile." : "this page no longer sends or receives.";
  note.show(`Signed out of your account: ${why} — ${next} `, "error", 0);
  const link = el("a", "", "Sign in again");
  link.href = "/account.html";
  byId("note").append(link);
}

/** Renames the account and returns a connection token carrying the new name. */
export async function renameAccount(me: AccountMe, name: string): Promise<{ name: string; token: string }> {
  let bearer = me.session.bearer;
  const rename = (): Promise<{ user: Profile }> => call<{ user: Profile }>("rename", { name }, bearer);
  let res: { user: Profile };
  try {
    res = await rename();
  } catch (e) {
    if (!(e instanceof AccountError && e.status === 401 && e.code === 109)) throw e;
    bearer = await me.session.token(); // the connection token expired: renew once
    res = await rename();
  }
  return { name: res.user.name, token: await me.session.token() };
}
