// The chat's payloads as the server sends them (Go: package wire; docs/chat.md).
import type { Centrifuge } from "centrifuge";

export interface ChatEvent {
  type: string;
  at: number;
  id?: string;
  user?: string;
  text?: string;
  reply_to?: string;
  mentions?: string[];
  cid?: string;
  held?: string;
  masked?: boolean;
  mod?: boolean;
  emoji?: string;
  count?: number;
  on?: boolean;
  seconds?: number;
  until?: number;
  role?: string;
  message?: ChatEvent;
  /** Served from history or recovery after its message was deleted or cleared (no text). */
  redacted?: boolean;
  /** A message served from history or recovery with the text of a later edit. */
  edited?: boolean;
  settings?: ChatSettings;
  by?: string;
  reason?: string;
  report?: ChatReport;
  target?: string;
  outcome?: string;
  terms?: ChatTerm[];
}

export interface ChatSettings {
  slow_mode: number;
  auto_slow: boolean;
  auto_slow_seconds: number;
  members_only: boolean;
  links: string;
}

export interface ChatTerm {
  term: string;
  action: string;
}

export interface ChatReport {
  id: string;
  reporter: string;
  target: string;
  user?: string;
  message?: string;
  text?: string;
  reason: string;
}

export interface ChatNotice {
  type: "chat.notice";
  kind: string;
  room: string;
  at: number;
  message?: ChatEvent;
  id?: string;
  until?: number;
  reason?: string;
  target?: string;
  outcome?: string;
}

export interface SendResult {
  id: string;
  status: "published" | "held";
  offset?: number;
  at: number;
  text: string;
  duplicate?: boolean;
  next_at?: number;
}

export interface ChatState {
  room: string;
  settings: ChatSettings;
  slow_mode: number;
  auto_slow_on: boolean;
  pinned?: ChatEvent;
  limits: { max_chars: number; edit_window_s: number; typing_ttl_ms: number };
  me: { user: string; roles?: string[]; moderator: boolean; banned?: boolean; timeout_until?: number; next_at?: number };
}

export interface QueueHeld {
  message: ChatEvent;
  reason: string;
}

export interface ReportGroup {
  target: string;
  user?: string;
  message?: ChatEvent;
  reports: ChatReport[];
  first: number;
  last: number;
}

export interface ChatQueue {
  held: QueueHeld[];
  reports: ReportGroup[];
  timeouts: Record<string, number>;
  bans: string[];
  shadow_bans: string[];
  roles: Record<string, string>;
}

export interface AuditEntry {
  at: number;
  room: string;
  actor: string;
  action: string;
  user?: string;
  id?: string;
  reason?: string;
  detail?: string;
  offset?: number;
}

/** Chat error codes (wire/chat.go). */
export const codes = {
  rateLimited: 1000,
  slowMode: 1001,
  duplicate: 1002,
  mentions: 1003,
  timedOut: 1004,
  banned: 1005,
  membersOnly: 1006,
} as const;

/** Calls a chat method and returns its result. */
export async function call<T>(client: Centrifuge, method: string, req: object): Promise<T> {
  const res = await client.rpc(method, req);
  return res.data as T;
}

/** Reads a publication's data as a chat event, or null. */
export function asEvent(data: unknown): ChatEvent | null {
  if (typeof data !== "object" || data === null) return null;
  const e = data as ChatEvent;
  return typeof e.type === "string" && typeof e.at === "number" ? e : null;
}

/** Seconds (rounded up) from a "wait N s" in an error message, or null. */
export function waitSeconds(message: string): number | null {
  const m = /wait (?:(\d+) min )?(\d+) s\b/.exec(message) ?? /wait (\d+) min\b/.exec(message);
  if (!m) return null;
  if (m.length === 2) return Number(m[1]) * 60;
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

/** An error message without its "wait N s" ending: "too many messages: 20 in 30 s is the limit". */
export function withoutWait(message: string): string {
  return message.replace(/[;:,]?\s*wait (?:\d+ min )?\d+ (?:s|min)\s*$/, "");
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** A Unix ms time as local clock time. */
export function clockTime(ms: number): string {
  return clock.format(ms);
}
