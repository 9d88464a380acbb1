// The live room page: join as the account this browser is signed in to
// (or, if none, with a demo display name), connect, and wire the chat, the
// reactions and the connection badge together.
import { Centrifuge, type TransportEndpoint } from "centrifuge";
import { ChatLog } from "./chat";
import { ConnectionBadge } from "./connection";
import { byId, Flash } from "./dom";
import { problemWith } from "./message";
import { Extras } from "./chat/extras";
import { LiveChat } from "./chat/live";
import { Reactions } from "./reactions";
import { Room } from "./room";
import { askName } from "./name";
import { accountMe, renameAccount, sessionOver, signedOut, type AccountMe } from "./account/room";
import { forgetSession, savedName, savedSession, signIn, type Session } from "./session";
import { SupportPanel } from "./support/panel";

/** Room ids this page accepts from ?room=. */
const roomPattern = /^[A-Za-z0-9_-]{1,64}$/;

function roomFromURL(): string {
  const r = new URLSearchParams(location.search).get("room") ?? "";
  return roomPattern.test(r) ? r : "lobby";
}

/** The first character of a name as a person reads it (a whole emoji, an accented letter), upper-cased. */
function initial(name: string): string {
  const first =
    typeof Intl.Segmenter === "function"
      ? new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(name)[Symbol.iterator]().next().value?.segment
      : Array.from(name)[0];
  return (first ?? "?").toLocaleUpperCase();
}

async function session(): Promise<Session> {
  let name = savedName();
  for (;;) {
    if (!name) name = await askName("");
    const saved = savedSession(name);
    if (saved) return saved;
    try {
      return await signIn(name);
    } catch (e) {
      name = await askName(name, e instanceof Error ? e.message : String(e));
    }
  }
}

async function main(): Promise<void> {
  const room = roomFromURL();
  document.title = `${room} · liveroom`;
  byId("room-name").textContent = room;
  byId("stage-room").textContent = room;
  const note = new Flash(byId("note"));
  const feedback = new Flash(byId("feedback"));
  const account: AccountMe | null = await accountMe(note);
  let me: Session = account ? { token: account.token, user: account.user, name: account.name, exp: 0 } : await session();
  if (account) document.body.dataset["account"] = "signed-in";
  else if (!document.body.dataset["account"]) document.body.dataset["account"] = "demo";
  byId("d-user").textContent = account ? `${me.user} (account)` : `${me.user} (demo visitor)`;
  const showMe = (): void => {
    byId("me").textContent = me.name;
    byId("me-avatar").textContent = initial(me.name);
    const button = byId("change-name");
    button.setAttribute("aria-label", `Change your display name (now ${me.name})`);
    button.title = `${me.name} — change your name`;
  };
  showMe();

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  // WebSocket first; where it cannot open (a proxy that blocks it, no
  // WebSocket in the browser) the client falls back to HTTP-streaming, then
  // SSE, and sends its commands to the emulation endpoint.
  const transports: TransportEndpoint[] = [
    { transport: "websocket", endpoint: `${scheme}//${location.host}/connection/websocket` },
    { transport: "http_stream", endpoint: `${location.origin}/connection/http_stream` },
    { transport: "sse", endpoint: `${location.origin}/connection/sse` },
  ];
  const client = new Centrifuge(transports, {
    token: me.token,
    getToken: async () => {
      if (account) return account.session.token(); // throws UnauthorizedError once signed out
      forgetSession();
      me = await signIn(me.name);
      return me.token;
    },
    name: "liveroom-demo",
    // Notice a dead connection within a few seconds of a missed server ping.
    maxServerPingDelay: 4000,
    maxReconnectDelay: 8000,
  });
  let clientId = "";
  client.on("connected", (ctx) => (clientId = ctx.client));
  client.on("disconnected", (ctx) => {
    if (account && sessionOver(ctx.code)) return signedOut(note, account.session.endedReason || ctx.reason, false);
    if (ctx.code !== 0) note.show(`disconnected: ${ctx.reason} — reload the page to connect again`, "error", 0);
  });

  const chat = new ChatLog(() => clientId);
  const roomSub = new Room(client, `chat:${room}`, chat, note, feedback);
  const badge = new ConnectionBadge(client, roomSub.sub);
  const reactions = new Reactions(client, `reactions:${room}`, feedback);
  const live = new LiveChat(client, room, chat, feedback, () => ({ user: me.user, name: me.name }), () => badge.clockOffset());
  const extras = new Extras(live, note, () => me.user);
  // Closed for good (no reconnect follows): the composer refuses at once
  // and says why, instead of holding messages as "sending…" until the
  // client's call timeout. A disconnect the page asked for (code 0, a
  // name change) is followed by a connect.
  client.on("disconnected", (ctx) => {
    if (account && sessionOver(ctx.code)) {
      const why = account.session.endedReason || ctx.reason;
      live.composer.closed(
        `You are signed out${why ? ` (${why})` : ""}: this page can no longer send — sign in again to write here.`,
        "not sent: you are signed out — sign in again to write here",
      );
    } else if (ctx.code !== 0) {
      live.composer.closed(
        `Disconnected${ctx.reason ? ` (${ctx.reason})` : ""}: this page can no longer send — reload it to write here.`,
        "not sent: disconnected — reload the page to write here",
      );
    }
  });
  client.on("connected", () => live.composer.closed("", ""));
  roomSub.other = (pub, fromHistory) => live.onEvent(pub, fromHistory);
  roomSub.banned = () => {
    live.composer.setBanned(true);
    void live.refresh();
  };
  extras.unbanned = () => roomSub.rejoin();
  roomSub.sub.on("subscribed", () => {
    void live.refresh();
    void live.learnNames(roomSub.sub);
  });
  roomSub.sub.on("join", (ctx) => live.names.learn(ctx.info.user, ctx.info.connInfo));
  byId<HTMLAnchorElement>("mod-link").href = `/mod.html?room=${encodeURIComponent(room)}`;
  const support = new SupportPanel(client, room, () => me.user, () => ({
    page: location.pathname + location.search,
    user_agent: navigator.userAgent,
    connection: document.body.dataset["conn"] ?? "",
    rtt_ms: Number.parseInt(byId("rtt").textContent ?? "", 10) || 0,
  }));
  support.start(byId("app-top"), byId("change-name"));
  roomSub.start(badge);
  reactions.start();
  extras.start();
  client.connect();

  const form = byId<HTMLFormElement>("composer");
  const input = byId<HTMLInputElement>("composer-input");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    const problem = problemWith(text);
    if (problem) {
      feedback.show(problem, "error");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.removeAttribute("aria-invalid");
    feedback.clear();
    if (live.submit(text)) input.value = "";
  });
  input.addEventListener("input", () => {
    input.removeAttribute("aria-invalid");
    if (input.value.trim()) extras.typed();
  });

  byId("change-name").addEventListener("click", () => {
    void (async () => {
      const name = await askName(me.name, "", true);
      if (!name || name === me.name) return;
      try {
        if (account) {
          const renamed = await renameAccount(account, name);
          me = { ...me, name: renamed.name, token: renamed.token };
        } else {
          forgetSession();
          me = await signIn(name);
        }
      } catch (e) {
        feedback.show(`name not changed: ${e instanceof Error ? e.message : String(e)}`, "error");
        return;
      }
      showMe();
      extras.follow();
      client.setToken(me.token);
      client.disconnect();
      client.connect();
      feedback.show(`you are now ${me.name}`, "info", 3000);
    })();
  });
}

main().catch((e: unknown) => {
  const n = document.getElementById("note");
  if (n) {
    n.hidden = false;
    n.textContent = `the page failed to start: ${e instanceof Error ? e.message : String(e)} — reload to try again`;
  }
});
