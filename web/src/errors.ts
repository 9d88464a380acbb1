// Turns SDK and server errors into a sentence that says what happened and
// what to do next.

/** An error as the SDK reports it. */
export interface ServerError {
  code: number;
  message: string;
  temporary?: boolean;
}

export function asServerError(e: unknown): ServerError {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
    const r = e as Record<string, unknown>;
    return {
      code: Number(r["code"]),
      message: String(r["message"]),
      ...(r["temporary"] === true ? { temporary: true } : {}),
    };
  }
  return { code: 0, message: e instanceof Error ? e.message : String(e) };
}

/** Milliseconds to wait from a "retry in N ms" message, or null. */
export function retryAfterMs(message: string): number | null {
  const m = /retry in (\d+) ?ms/.exec(message);
  return m ? Number(m[1]) : null;
}

function seconds(ms: number): string {
  return `${(Math.max(ms, 100) / 1000).toFixed(1)} s`;
}

/** A short explanation with the next step, for a refused action. */
export function explain(e: unknown, what: string, connected = true): string {
  const err = asServerError(e);
  if (!connected && (err.code === 1 || err.code === 2 || err.code === 3 || err.code === 11)) {
    return `not connected — ${what} again once the badge says connected`;
  }
  switch (err.code) {
    case 111: {
      const ms = retryAfterMs(err.message);
      return ms === null ? `too fast — wait a moment and ${what} again` : `too fast — retry in ${seconds(ms)}`;
    }
    case 1:
      return `no answer from the server in time — check your connection and ${what} again`;
    case 2:
    case 3:
    case 11:
      return `not connected — ${what} again once the badge says connected`;
    case 106:
      return `too large — ${err.message}`;
    case 103:
      return `not allowed — ${err.message}`;
    case 109:
    case 101:
      return "your sign-in expired — reload the page";
    default:
      return err.temporary ? `${err.message} — try again` : err.message || `could not ${what}`;
  }
}
