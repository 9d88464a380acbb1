// Support chat's payloads as the server sends them (Go: package wire;
// docs/support.md).
import type { Centrifuge } from "centrifuge";

export interface SupportEvent {
  type: "opened" | "claimed" | "message" | "released" | "resolved" | string;
  at: number;
  id?: string;
  user?: string;
  room?: string;
  agent?: string;
  from?: "user" | "agent";
  text?: string;
  cid?: string;
  by?: string;
  outcome?: string;
  note?: string;
  context?: SupportContext;
  offset?: number;
}

export interface SupportContext {
  recent?: { id: string; user: string; text: string; at: number }[];
  client?: ClientContext;
}

export interface ClientContext {
  page?: string;
  user_agent?: string;
  connection?: string;
  rtt_ms?: number;
}

export interface Conversation {
  id: string;
  user: string;
  room: string;
  status: "queued" | "claimed" | "resolved";
  opened_at: number;
  text?: string;
  agent?: string;
  claimed_at?: number;
  resolved_at?: number;
  resolved_by?: string;
  outcome?: string;
  note?: string;
  messages: number;
  last_at: number;
  offset: number;
  online?: boolean;
  user_name?: string;
  agent_name?: string;
}

export interface Transcript {
  conversation: Conversation;
  events: SupportEvent[];
  names?: Record<string, string>;
}

export interface SendResult {
  id: string;
  offset: number;
  at: number;
  text: string;
  duplicate?: boolean;
}

export interface Typing {
  type: "typing";
  user: string;
  from: "user" | "agent";
  until: number;
}

/** Outcomes an agent may choose, with what the user is shown. */
export const outcomes: Record<string, string> = {
  solved: "solved",
  unsolved: "not solved",
  no_response: "no response",
  spam: "spam",
  withdrawn: "ended by you",
};

/** Support error codes (wire/support.go). */
export const codes = {
  noConversation: 1200,
  claimed: 1201,
  resolved: 1202,
  notClaimed: 1203,
  rateLimited: 1204,
  badText: 1205,
  full: 1206,
} as const;

export const queueChannel = "supportq:main";
export const conversationChannel = (id: string): string => `support:${id}`;
export const typingChannel = (id: string): string => `supporttyping:${id}`;

/** Calls a support method and returns its result. */
export async function call<T>(client: Centrifuge, method: string, req: object): Promise<T> {
  const res = await client.rpc(method, req);
  return res.data as T;
}

/** Reads a publication's data as a support event, or null. */
export function asEvent(data: unknown, offset?: number): SupportEvent | null {
  if (typeof data !== "object" || data === null) return null;
  const e = data as SupportEvent;
  if (typeof e.type !== "string" || typeof e.at !== "number") return null;
  return offset ? { ...e, offset } : e;
}

/** A client message id for retries. */
export function newCID(): string {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
