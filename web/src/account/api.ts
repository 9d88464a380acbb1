// Calls to the account endpoints (/account/…). The session's refresh token
// lives in an HttpOnly cookie the page never sees; the connection token is
// kept in memory and sent as a Bearer credential.

export interface Profile {
  id: string;
  email?: string;
  name: string;
  role: "user" | "moderator" | "agent" | "admin";
  guest: boolean;
}

export interface Grant {
  user: Profile;
  session: string;
  token: string;
  expires_in: number;
}

export interface Device {
  name: string;
  platform: string;
  browser: string;
}

export interface SessionInfo {
  id: string;
  device: Device;
  first_seen: string;
  last_seen: string;
  last_address: string;
  current: boolean;
}

/** A notice on the user's personal channel (wire.AccountNotice). */
export interface Notice {
  type: string;
  session?: string;
  device?: string;
  address?: string;
  by?: string;
  count?: number;
  message: string;
  at: number;
}

/** Codes of the account endpoints (wire/accounts.go). */
export const codes = {
  badCredentials: 1100,
  emailTaken: 1101,
  sessionExpired: 1102,
  sessionRevoked: 1103,
  notSignedIn: 1104,
  userBlocked: 1105,
  weakPassword: 1106,
  busy: 1107,
} as const;

/** A refusal from the server, with its code and message. */
export class AccountError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly retryAfter: number,
  ) {
    super(message);
  }

  /** Whether the session is over for good (sign in again). */
  get sessionEnded(): boolean {
    return this.code === codes.sessionExpired || this.code === codes.sessionRevoked || this.code === codes.userBlocked;
  }

  /** The message with the next step when the server says to wait. */
  get advice(): string {
    if (this.retryAfter > 0 && !/retry/.test(this.message)) return `${this.message} — retry in ${this.retryAfter} s`;
    return this.message;
  }
}

interface ErrorBody {
  error?: { code?: number; message?: string };
}

/** Calls /account/<path>; POST when body is given. Throws AccountError. */
export async function call<T>(path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let res: Response;
  try {
    const init: RequestInit = { method: body === undefined ? "GET" : "POST", headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) init.body = JSON.stringify(body);
    res = await fetch(`/account/${path}`, init);
  } catch {
    throw new AccountError(0, 0, "cannot reach the server — check your connection and retry", 0);
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    /* a non-JSON answer (a proxy's error page) is described below */
  }
  if (!res.ok) {
    const e = (data as ErrorBody | null)?.error;
    const retry = Number(res.headers.get("Retry-After") ?? "0") || 0;
    throw new AccountError(res.status, e?.code ?? 0, e?.message ?? `the server answered ${res.status}`, retry);
  }
  return data as T;
}
