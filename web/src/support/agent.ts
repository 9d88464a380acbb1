// The agent console: sign in as a support agent, watch the live queue,
// claim a conversation and answer it.
import { Centrifuge } from "centrifuge";
import { byId, Flash } from "../dom";
import { Desk } from "./desk";
import { SupportNames } from "./names";
import { Queue } from "./queue";
import type { Conversation } from "./wire";

const sessionKey = "liveroom.agent.session";

interface AgentSession {
  token: string;
  user: string;
  name: string;
}

function saved(): AgentSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(sessionKey) ?? "null") as AgentSession | null;
    return s && typeof s.token === "string" ? s : null;
  } catch {
    return null;
  }
}

/** Signs in through the demo as an agent (the name form). */
function signIn(): Promise<AgentSession> {
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
            body: JSON.stringify({ name: input.value.trim(), role: "agent" }),
          });
          const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
          if (!res.ok || typeof body["token"] !== "string") throw new Error(typeof body["error"] === "string" ? body["error"] : `the server answered ${res.status}`);
          const s: AgentSession = { token: body["token"], user: String(body["user"]), name: String(body["name"]) };
          try {
            localStorage.setItem(sessionKey, JSON.stringify(s));
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

/** Phone tabs: one section at a time. */
function showPanel(id: string): void {
  for (const b of byId("tabs").querySelectorAll<HTMLButtonElement>("button[data-panel]")) {
    const on = b.dataset["panel"] === id;
    b.setAttribute("aria-current", String(on));
    byId(b.dataset["panel"] ?? "").hidden = !on;
  }
}

async function main(): Promise<void> {
  const note = new Flash(byId("note"));
  let session = saved() ?? (await signIn());
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const client = new Centrifuge(`${scheme}//${location.host}/connection/websocket`, {
    token: session.token,
    getToken: async () => {
      localStorage.removeItem(sessionKey);
      session = await signIn();
      return session.token;
    },
    name: "liveroom-agent",
    maxServerPingDelay: 4000,
    maxReconnectDelay: 8000,
  });
  const conn = byId("conn");
  client.on("state", (ctx) => {
    conn.dataset["state"] = ctx.newState;
    conn.textContent = ctx.newState === "connected" ? `connected as ${session.name}` : `${ctx.newState}…`;
  });
  byId("tabs").hidden = false;
  byId("panels").hidden = false;
  for (const b of byId("tabs").querySelectorAll<HTMLButtonElement>("button[data-panel]")) {
    b.addEventListener("click", () => showPanel(b.dataset["panel"] ?? ""));
  }
  const names = new SupportNames(client);
  names.learn(session.user, session.name);
  const desk = new Desk(client, names, note, () => session.user);
  const queue = new Queue(client, names, note, () => session.user, (c: Conversation) => {
    desk.show(c);
    showPanel("p-desk");
  });
  queue.start();
  client.connect();
}

main().catch((e: unknown) => {
  const n = document.getElementById("note");
  if (n) {
    n.hidden = false;
    n.textContent = `the console failed to start: ${e instanceof Error ? e.message : String(e)} — reload to try again`;
  }
});
