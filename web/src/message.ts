// The chat message: its shape on the wire (a "message" event of the room
// channel chat:<room>, sent with the "chat.send" RPC) and as the page shows
// it.
import type { PublicationContext } from "centrifuge";

/** Longest chat text, in characters. Well under the 64 KiB publication limit. */
export const maxTextLength = 500;

/** What a chat publication carries. */
export interface ChatData {
  /** The text as typed, trimmed. */
  text: string;
  /** A random id from the sender, to match its own pending copy. */
  cid: string;
  /** When it was sent, in server-clock Unix ms (the sender's estimate). */
  at: number;
}

/** A chat message as the page shows it. */
export interface ChatMessage extends ChatData {
  offset: number;
  user: string;
  name: string;
  client: string;
  /** The message id (chat events); "" for pending copies. */
  id?: string;
  /** The id of the message it answers. */
  replyTo?: string;
  /**
   * Served from history or a recovery after it was deleted or cleared:
   * no text (a tombstone until the delete event names who removed it).
   */
  redacted?: boolean;
  /** Served from history or a recovery with the text of a later edit. */
  edited?: boolean;
}

/** Returns why text cannot be sent, or "" when it can. */
export function problemWith(text: string): string {
  const n = [...text].length;
  if (n === 0) return "type a message first";
  if (n > maxTextLength) return `message too long: ${n} of ${maxTextLength} characters — shorten it and send again`;
  return "";
}

/** Reads a publication as a chat message, or null for anything else. */
export function decodeChat(pub: Pick<PublicationContext, "data" | "offset" | "info">): ChatMessage | null {
  const d: unknown = pub.data;
  if (typeof d !== "object" || d === null) return null;
  const r = d as Record<string, unknown>;
  const redacted = r["redacted"] === true;
  if (r["type"] !== "message" || (typeof r["text"] !== "string" && !redacted) || typeof pub.offset !== "number") return null;
  const info = pub.info;
  const conn = info?.connInfo as Record<string, unknown> | undefined;
  const name = typeof conn?.["name"] === "string" ? conn["name"] : info?.user ? info.user : "server";
  return {
    text: typeof r["text"] === "string" ? r["text"].slice(0, maxTextLength * 2) : "",
    cid: typeof r["cid"] === "string" ? r["cid"] : "",
    at: typeof r["at"] === "number" ? r["at"] : 0,
    offset: pub.offset,
    user: typeof r["user"] === "string" ? r["user"] : (info?.user ?? ""),
    name,
    client: info?.client ?? "",
    id: typeof r["id"] === "string" ? r["id"] : "",
    ...(typeof r["reply_to"] === "string" ? { replyTo: r["reply_to"] } : {}),
    ...(redacted ? { redacted: true } : {}),
    ...(r["edited"] === true ? { edited: true } : {}),
  };
}

/** A new random id for a message or a reaction. */
export function newId(): string {
  const b = new Uint8Array(9);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_");
}
