// The moderator console: a room's held messages and reports, its live
// chat with actions on messages and users, the sanctions in force, its
// settings and its audit log — all live.
import { Centrifuge } from "centrifuge";
import { byId, Flash } from "../dom";
import { ConsoleSignIn } from "../console-signin";
import { ConsoleConnection } from "../console-conn";
import { Console } from "./panels";
import { AuditPanel, SettingsPanel } from "./settings";
import { SupportAudit } from "../support/modpanel";

const roomPattern = /^[A-Za-z0-9_.-]{1,64}$/;
const signin = new ConsoleSignIn("liveroom.mod.session", "moderator");

function tabs(): void {
  const buttons = [...byId("tabs").querySelectorAll<HTMLButtonElement>("button[data-panel]")];
  for (const b of buttons) {
    b.addEventListener("click", () => {
      for (const o of buttons) {
        const on = o === b;
        o.setAttribute("aria-current", String(on));
        byId(o.dataset["panel"] ?? "").hidden = !on;
      }
    });
  }
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search).get("room") ?? "";
  const room = roomPattern.test(q) ? q : "lobby";
  document.title = `${room} · moderator console · liveroom`;
  byId("room-name").textContent = room;
  byId<HTMLAnchorElement>("room-link").href = `/?room=${encodeURIComponent(room)}`;
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
    name: "liveroom-console",
    maxServerPingDelay: 4000,
    maxReconnectDelay: 8000,
  });
  new ConsoleConnection(client, () => session.name, "the console");
  byId("tabs").hidden = false;
  byId("panels").hidden = false;
  tabs();
  const panel = new Console(client, room, note);
  const settings = new SettingsPanel(client, room, note);
  const audit = new AuditPanel(client, room, note);
  client.on("connected", () => {
    void panel.refresh();
    void settings.load();
    void audit.load();
  });
  panel.start();
  audit.start();
  new SupportAudit(client, room, note).start();
  client.connect();
}

main().catch((e: unknown) => {
  const n = document.getElementById("note");
  if (n) {
    n.hidden = false;
    n.textContent = `the console failed to start: ${e instanceof Error ? e.message : String(e)} — reload to try again`;
  }
});
