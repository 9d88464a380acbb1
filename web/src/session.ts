// The visitor's display name and demo sign-in, remembered in localStorage.

const nameKey = "liveroom.name";
const sessionKey = "liveroom.session";

export interface Session {
  token: string;
  user: string;
  name: string;
  /** Token expiry, Unix ms. */
  exp: number;
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage off (private mode, policy): the page still works
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* not remembered; nothing else to do */
  }
}

export function savedName(): string {
  return read(nameKey) ?? "";
}

function tokenExpiry(token: string): number {
  try {
    const part = token.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** A remembered session for name that stays valid for at least a minute. */
export function savedSession(name: string): Session | null {
  const raw = read(sessionKey);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (s.name === name && typeof s.token === "string" && s.exp > Date.now() + 60_000) return s;
  } catch {
    /* a broken entry is replaced below */
  }
  return null;
}

/**
 * The reason in an error answer of the server's HTTP endpoints, shaped
 * {"error": {"code": number, "message": string, "temporary": boolean}}; the
 * status when the body has none.
 */
export function errorMessage(body: Record<string, unknown>, status: number): string {
  const e = body["error"];
  if (typeof e === "object" && e !== null && typeof (e as Record<string, unknown>)["message"] === "string") {
    return (e as Record<string, unknown>)["message"] as string;
  }
  return `the server answered ${status}`;
}

/** Thrown when the server refuses a sign-in, with its reason. */
export class SignInError extends Error {}

/** Asks the server for a demo token for name, and remembers both. */
export async function signIn(name: string): Promise<Session> {
  let res: Response;
  try {
    res = await fetch("/demo/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
  } catch {
    throw new SignInError("cannot reach the server — check your connection and try again");
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body["token"] !== "string") {
    throw new SignInError(errorMessage(body, res.status));
  }
  const s: Session = {
    token: body["token"],
    user: String(body["user"] ?? ""),
    name: String(body["name"] ?? name),
    exp: tokenExpiry(body["token"]),
  };
  write(nameKey, s.name);
  write(sessionKey, JSON.stringify(s));
  return s;
}

/** Forgets the session (not the name), so the next sign-in mints a new token. */
export function forgetSession(): void {
  write(sessionKey, null);
}
