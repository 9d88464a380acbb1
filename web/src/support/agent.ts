// The agent console: sign in as a support agent, watch the live queue,
// claim a conversation and answer it.
import { Centrifuge } from "centrifuge";
import { byId, Flash } from "../dom";
import { ConsoleSignIn } from "../console-signin";
import { ConsoleConnection } from "../console-conn";
import { Desk } from "./desk";
import { SupportNames } from "./names";
import { Queue } from "./queue";
import type { Conversation } from "./wire";

const signin = new ConsoleSignIn("liveroom.agent.session", "agent");

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
  let session = signin.saved() ?? (await signin.ask());
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const client = new Centrifuge(`${scheme}//${location.host}/connection/websocket`, {
    token: session.token,
    getToken: async () => {
      signin.forget();
      session = await signin.ask();
      return session.token;
    },
    name: "liveroom-agent",
    maxServerPingDelay: 4000,
    maxReconnectDelay: 8000,
  });
  new ConsoleConnection(client, () => session.name, "the console");
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
