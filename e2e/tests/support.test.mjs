// Support chat end to end across three pages: a viewer asks for help from
// the room (one tap opens a draft; the first message opens the
// conversation), an agent sees the live queue, claims the
// conversation, sees the user's connection state and the room's context,
// and answers with typing and messages both ways; the user sees "agent
// joined" and the typing; the conversation ends with a resolution. The
// room's moderator watches the room's support log (who asked, who took
// it, how it ended) and never what was said. Screenshots at a phone size
// and a desktop size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, apiCall } from "../lib/server.mjs";
import { launch, join, badge, say, snap, until, phone, desktop } from "../lib/browser.mjs";
import { openConsole } from "../lib/console.mjs";
import { openAgent, snapSection } from "../lib/agent.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a support conversation from the room to a resolution, watched by a moderator", async (t) => {
  const room = "help-desk";
  let user = await join(browser, server.url, room, "Ada", phone);
  const agent = await openAgent(browser, server.url, "Sam", desktop);
  const mod = await openConsole(browser, server.url, room, "Mia", desktop);
  t.after(async () => {
    for (const p of [user, agent, mod]) await p.context().close();
  });
  await say(user, "is the stream frozen for anyone else?");
  await agent.locator("#queue-empty").waitFor();

  // One tap opens the panel as a draft: nothing reaches the agents until
  // the user writes. A tap and a close leave no conversation behind.
  const help = user.locator("#help");
  const box = await help.boundingBox();
  assert.ok(box.width >= 44 && box.height >= 44 && box.x + box.width <= phone.width, `Help is ${box.width}×${box.height} at x ${box.x}`);
  await help.click();
  const panel = user.locator("#support");
  await user.locator('#support[data-status="draft"] .sstatus', { hasText: "a support agent sees it once you send it" }).waitFor({ timeout: 5000 });
  const input = user.locator("#support-input");
  assert.equal(await input.isVisible(), true, "the draft has a composer");
  assert.equal(await panel.locator(".slog li").count(), 0, "nothing in the draft's log");
  await input.pressSequentially("my str"); // typing is not sending
  await user.locator("#support .sclose").click();
  await say(user, "anyone?"); // a round trip on the same connection after the tap
  const open = await apiCall(server, "support_list", { status: "open", room });
  assert.deepEqual(open.conversations, [], "no conversation is opened by a tap");
  await agent.locator("#queue-empty").waitFor();
  assert.equal(await agent.locator("#queue li.card.conv").count(), 0, "the agents' queue stays empty");

  // The first message opens the conversation, with it as its first text.
  await help.click();
  await input.fill("my stream froze at 12:03");
  await input.press("Enter");
  await panel.locator('.bubble.mine[data-state="confirmed"]', { hasText: "my stream froze at 12:03" }).waitFor({ timeout: 5000 });
  await panel.locator(".sstatus", { hasText: "waiting for an agent" }).waitFor({ timeout: 5000 });
  const rows = await panel.locator(".slog li").allTextContents();
  assert.equal(rows.length, 2, `the opening and the message, once each: ${JSON.stringify(rows)}`);
  assert.match(rows[0], /You asked for help in help-desk/);
  assert.match(rows[1], /my stream froze at 12:03/);
  const composer = await user.locator("#support .scomposer").boundingBox();
  assert.ok(composer.y + composer.height <= phone.height && composer.y > phone.height * 0.7, "the support composer sits at the bottom, within thumb reach");
  await snap(user, "7-support-waiting");

  // The agent's queue shows it live, with the user connected.
  const card = agent.locator("#queue li.card.conv", { hasText: "Ada" });
  await card.locator(".text", { hasText: "my stream froze at 12:03" }).waitFor({ timeout: 5000 });
  assert.equal(await agent.locator("#queue li.card.conv", { hasText: "(no message yet)" }).count(), 0);
  await card.locator('.dot[data-on="true"]').waitFor({ timeout: 5000 });
  await mod.locator("#support-audit li[data-action='support.open']", { hasText: "Ada asked for help" }).waitFor({ timeout: 5000 });
  await snapSection(agent, "7-agent-queue", "p-queue");

  // Claimed: the user sees the agent join, the agent sees the context.
  await card.getByRole("button", { name: "Claim" }).click();
  await agent.locator("#desk-state[data-on=true]", { hasText: "online" }).waitFor({ timeout: 5000 });
  await agent.locator("#desk-recent", { hasText: "is the stream frozen for anyone else?" }).waitFor({ timeout: 5000 });
  await user.locator("#support .sys.joined", { hasText: "Sam joined" }).waitFor({ timeout: 5000 });
  await user.locator("#support .sstatus", { hasText: "Sam · agent, here" }).waitFor({ timeout: 5000 });

  // Typing, then messages both ways.
  await agent.locator("#desk-input").pressSequentially("Hi Ada");
  await user.locator("#support .styping", { hasText: "Sam is typing…" }).waitFor({ timeout: 5000 });
  await agent.locator("#desk-input").fill("Hi Ada, which browser are you using?");
  await agent.locator("#desk-input").press("Enter");
  await user.locator("#support .bubble.theirs", { hasText: "which browser are you using?" }).waitFor({ timeout: 5000 });
  assert.equal(await user.locator("#support .styping").textContent(), "", "typing ends when the message arrives");
  await input.fill("Firefox, on my phone");
  await input.press("Enter");
  await agent.locator("#desk-log .bubble.theirs", { hasText: "Firefox, on my phone" }).waitFor({ timeout: 5000 });
  await snap(user, "7-support-talking");
  await snapSection(agent, "7-agent-conversation", "p-desk");

  // The user's connection state: gone when the page closes, back when it
  // opens again — with the conversation restored.
  const context = user.context();
  await user.close();
  await agent.locator("#desk-state[data-on=false]", { hasText: "offline since" }).waitFor({ timeout: 5000 });
  user = await context.newPage();
  user.errors = [];
  user.on("pageerror", (e) => user.errors.push(String(e)));
  await user.goto(`${server.url}/?room=${room}`);
  await badge(user, "connected");
  await agent.locator("#desk-state[data-on=true]", { hasText: "online" }).waitFor({ timeout: 10000 });
  await user.locator("#help").click();
  await user.locator("#support .bubble.theirs", { hasText: "which browser are you using?" }).waitFor({ timeout: 5000 });
  await user.locator("#support .bubble.mine", { hasText: "Firefox, on my phone" }).waitFor();

  // Resolved with a resolution: both sides see it; the queue empties.
  await agent.locator("#resolve-outcome").selectOption("solved");
  await agent.locator("#resolve-note").fill("cleared the player cache");
  await agent.locator("#resolve-form button[type=submit]").click();
  await user.locator("#support .sys.resolved", { hasText: "Resolved: solved — cleared the player cache" }).waitFor({ timeout: 5000 });
  await user.locator("#support button", { hasText: "Start a new conversation" }).waitFor();
  assert.equal(await user.locator("#support-input").isVisible(), false, "no composer after the resolution");
  await agent.locator("#desk-resolution", { hasText: "Resolved: solved — cleared the player cache" }).waitFor();
  await agent.locator("#queue-empty").waitFor({ timeout: 5000 });
  await snap(user, "7-support-resolved");

  // A new conversation is a draft too, until its first message.
  await user.locator("#support button", { hasText: "Start a new conversation" }).click();
  await user.locator('#support[data-status="draft"]').waitFor({ timeout: 5000 });
  assert.equal(await user.locator("#support .slog li").count(), 0, "the draft starts empty");
  await say(user, "thanks!");
  assert.deepEqual((await apiCall(server, "support_list", { status: "open", room })).conversations, [], "no conversation opened by the button");

  // The moderator saw who did what, and nothing of what was said.
  const log = mod.locator("#support-audit");
  await log.locator("li[data-action='support.claim']", { hasText: "Sam (agent) took Ada's conversation" }).waitFor({ timeout: 5000 });
  await log.locator("li[data-action='support.resolve']", { hasText: "Sam resolved Ada's conversation: solved — cleared the player cache" }).waitFor({ timeout: 5000 });
  const seen = await mod.locator("body").textContent();
  for (const said of ["my stream froze", "which browser", "Firefox"]) assert.ok(!seen.includes(said), `the moderator's page shows "${said}"`);
  await snapSection(mod, "7-moderator-support-log", "p-support");
  assert.deepEqual([...user.errors, ...agent.errors, ...mod.errors], []);
});

test("after a reload the Help button shows the open conversation, counts the agent's unseen replies, and reopens on it", async (t) => {
  const room = "help-reload";
  let user = await join(browser, server.url, room, "Ivy", phone);
  const agent = await openAgent(browser, server.url, "Rae", desktop);
  t.after(async () => {
    for (const p of [user, agent]) await p.context().close();
  });
  const help = user.locator("#help");
  assert.equal(await help.getAttribute("data-conv"), null, "no mark before a conversation");
  await help.click();
  await user.locator("#support-input").fill("my chat is stuck");
  await user.locator("#support-input").press("Enter");
  await user.locator('#support .bubble.mine[data-state="confirmed"]', { hasText: "my chat is stuck" }).waitFor({ timeout: 5000 });

  // Reloaded: the panel is closed, and the button says a conversation is open.
  const reload = async () => {
    await user.reload();
    await badge(user, "connected");
  };
  await reload();
  await user.locator('#help[data-conv="queued"]').waitFor({ timeout: 5000 });
  assert.equal(await user.locator("#support").isHidden(), true, "the panel stays closed on load");
  assert.match((await help.getAttribute("aria-label")) ?? "", /open, waiting for an agent/);
  assert.equal(await help.locator(".convmark").isVisible(), true, "the mark is shown on a phone");
  await snap(user, "7-support-flag-open");

  // Answered while the user was away: marked, with the reply counted.
  const context = user.context();
  await user.close();
  const card = agent.locator("#queue li.card.conv", { hasText: "Ivy" });
  await card.getByRole("button", { name: "Claim" }).click();
  await agent.locator("#desk-input").fill("Try reloading the player");
  await agent.locator("#desk-input").press("Enter");
  await agent.locator('#desk-log .bubble.mine[data-state="confirmed"]', { hasText: "Try reloading the player" }).waitFor({ timeout: 5000 });
  user = await context.newPage();
  await user.goto(`${server.url}/?room=${room}`);
  const helpNow = user.locator("#help");
  await user.locator('#help[data-conv="claimed"] .unread', { hasText: /^1$/ }).waitFor({ timeout: 10000 });
  assert.match((await helpNow.getAttribute("aria-label")) ?? "", /open, with Rae, 1 new message$/);
  await snap(user, "7-support-flag-answered");

  // A tap reopens the panel on it; what it showed is seen, also after a reload.
  await helpNow.click();
  await user.locator("#support .bubble.theirs", { hasText: "Try reloading the player" }).waitFor({ timeout: 5000 });
  await user.locator("#support .bubble.mine", { hasText: "my chat is stuck" }).waitFor();
  await user.locator("#help .unread:empty").waitFor({ state: "attached", timeout: 5000 });
  await user.locator("#support .sclose").click();
  await reload();
  await user.locator('#help[data-conv="claimed"]').waitFor({ timeout: 5000 });
  await user.locator("#support .bubble.theirs", { hasText: "Try reloading the player" }).waitFor({ state: "attached", timeout: 5000 });
  assert.equal(await user.locator("#help .unread").textContent(), "", "a seen reply is not counted again");

  // Resolved while the user was away: support.current has nothing, but the
  // page learns how it ended, once.
  await user.goto("about:blank");
  await agent.locator("#resolve-outcome").selectOption("solved");
  await agent.locator("#resolve-note").fill("player cache cleared");
  await agent.locator("#resolve-form button[type=submit]").click();
  await agent.locator("#desk-resolution", { hasText: "Resolved: solved" }).waitFor({ timeout: 5000 });
  await user.goto(`${server.url}/?room=${room}`);
  await user.locator('#help[data-conv="resolved"]').waitFor({ timeout: 10000 });
  assert.match((await user.locator("#help").getAttribute("aria-label")) ?? "", /was resolved/);
  await snap(user, "7-support-flag-resolved");
  await user.locator("#help").click();
  await user.locator("#support .sys.resolved", { hasText: "Resolved: solved — player cache cleared" }).waitFor({ timeout: 5000 });
  await user.locator("#support button", { hasText: "Start a new conversation" }).waitFor();
  await user.locator("#help:not([data-conv])").waitFor({ timeout: 5000 });
  await user.reload();
  await badge(user, "connected");
  await until(() => user.evaluate(() => localStorage.getItem("liveroom.support.seen") === null), { message: "the resolved conversation forgotten once seen" });
  assert.equal(await user.locator("#help").getAttribute("data-conv"), null, "nothing to come back to");
  assert.deepEqual(agent.errors, []);
});

test("the support panel, full screen on a phone, says when the connection is lost and when it is back", async (t) => {
  const room = "help-offline";
  const user = await join(browser, server.url, room, "Una", phone);
  t.after(() => user.context().close());
  await user.locator("#help").click();
  await user.locator("#support-input").fill("the picture stutters");
  await user.locator("#support-input").press("Enter");
  const panel = user.locator("#support");
  await panel.locator(".sstatus", { hasText: "waiting for an agent — you are in the queue" }).waitFor({ timeout: 5000 });
  // The status is read whole at a phone's width, not cut off.
  const fits = await panel.locator(".sstatus").evaluate((p) => ({ scroll: p.scrollWidth, client: p.clientWidth }));
  assert.ok(fits.scroll <= fits.client, `the status fits its box: ${JSON.stringify(fits)}`);
  const conn = panel.locator(".sconn");
  assert.equal(await conn.isHidden(), true, "no connection line while connected");

  // The panel covers the room's badge: it must say so itself.
  await user.context().setOffline(true);
  await panel.locator(".sconn", { hasText: /^offline — waiting for the network/ }).waitFor({ timeout: 10000 });
  await snap(user, "support-offline");
  await user.context().setOffline(false);
  await badge(user, "connected");
  await conn.waitFor({ state: "hidden", timeout: 5000 });
  await user.locator("#support-input").fill("back again");
  await user.locator("#support-input").press("Enter");
  await panel.locator('.bubble.mine[data-state="confirmed"]', { hasText: "back again" }).waitFor({ timeout: 5000 });

  // A disconnect for good (here: the server ends the connection) is said
  // too, with its reason.
  const res = await fetch(`${server.url}/api/disconnect`, {
    method: "POST",
    headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
    body: JSON.stringify({ user: await user.evaluate(() => JSON.parse(localStorage.getItem("liveroom.session")).user), code: 4509, reason: "removed by the operator" }),
  });
  assert.equal(res.status, 200, await res.text());
  await panel.locator('.sconn[data-state="disconnected"]', { hasText: "disconnected: removed by the operator" }).waitFor({ timeout: 5000 });
});

test("offline, the Help panel marks the agent's state as last known; the agent console says so plainly and marks the user's state and the queue's dots as last known", async (t) => {
  const room = "help-agent-away";
  const user = await join(browser, server.url, room, "Ola", phone);
  const agent = await openAgent(browser, server.url, "Sid", desktop);
  t.after(async () => {
    for (const p of [user, agent]) await p.context().close();
  });
  await user.locator("#help").click();
  await user.locator("#support-input").fill("my sound is gone");
  await user.locator("#support-input").press("Enter");
  const card = agent.locator("#queue li.card.conv", { hasText: "Ola" });
  await card.getByRole("button", { name: "Claim" }).click();
  const state = agent.locator("#desk-state");
  await agent.locator("#desk-state[data-on=true]:not([data-stale])", { hasText: /^online$/ }).waitFor({ timeout: 5000 });
  const conn = agent.locator("#conn");
  await conn.filter({ hasText: "connected as Sid" }).waitFor();

  // The user's network goes: the panel's line about the agent is only
  // last known, dimmed and called so, until the user is back.
  const sstatus = user.locator("#support .sstatus");
  await user.locator("#support .sstatus:not([data-stale])", { hasText: /^Sid · agent, here$/ }).waitFor({ timeout: 5000 });
  assert.equal(await sstatus.getAttribute("title"), "");
  const opacity = async () => Number(await sstatus.evaluate((e) => getComputedStyle(e).opacity));
  assert.equal(await opacity(), 1);
  await user.context().setOffline(true);
  await user.locator('#support .sstatus[data-stale="true"]', { hasText: /^Sid · agent, here · last known$/ }).waitFor({ timeout: 10000 });
  assert.match((await sstatus.getAttribute("title")) ?? "", /^last known: Sid · agent, here/);
  assert.ok((await opacity()) < 1, "the last known state is dimmed");
  await snap(user, "7-support-agent-last-known");
  await user.context().setOffline(false);
  await user.locator("#support .sstatus:not([data-stale])", { hasText: /^Sid · agent, here$/ }).waitFor({ timeout: 20000 });
  assert.equal(await sstatus.getAttribute("title"), "");

  // The agent's own network goes: the header says so in words and in a
  // warning that stands out, and the user's "online" is only last known.
  await agent.context().setOffline(true);
  await agent.locator('#conn[data-state="offline"]', { hasText: /^You are offline — waiting for the network/ }).waitFor({ timeout: 10000 });
  const look = await conn.evaluate((e) => {
    const s = getComputedStyle(e);
    return { size: parseFloat(s.fontSize), weight: Number(s.fontWeight), background: s.backgroundColor, width: e.getBoundingClientRect().width };
  });
  assert.ok(look.size >= 14 && look.weight >= 600, `the offline line is not small print: ${JSON.stringify(look)}`);
  assert.notEqual(look.background, "rgba(0, 0, 0, 0)", "the offline line is set off from the header");
  await agent.locator('#desk-state[data-stale="true"]', { hasText: "online · last known" }).waitFor({ timeout: 5000 });
  assert.match((await state.getAttribute("title")) ?? "", /^last known: online/);
  // The queue's online dots too.
  const dot = card.locator(".dot");
  await card.locator('.dot[data-stale="true"]').waitFor({ timeout: 5000 });
  assert.match((await dot.getAttribute("title")) ?? "", /^last known: (?:connected|not connected) — /);
  assert.equal(await card.locator(".stale", { hasText: "last known" }).isVisible(), true, "the card says last known");
  assert.ok(Number(await dot.evaluate((e) => getComputedStyle(e).opacity)) < 1, "the dot is dimmed");
  await snapSection(agent, "7-agent-queue-offline", "p-queue");
  await snapSection(agent, "7-agent-offline", "p-desk");

  // Meanwhile the user leaves (the server sees it at once). Back online,
  // the agent reads the user's state again: fresh, and offline (no time:
  // it happened while the agent was away).
  const id = await card.getAttribute("data-id");
  await user.goto("about:blank");
  await until(async () => (await apiCall(server, "presence", { channel: `support:${id}` })).total === 0, { message: "the user gone from the conversation" });
  await agent.context().setOffline(false);
  await agent.locator('#conn[data-state="connected"]', { hasText: "connected as Sid" }).waitFor({ timeout: 20000 });
  await agent.locator("#desk-state[data-on=false]:not([data-stale])", { hasText: /^offline$/ }).waitFor({ timeout: 5000 });
  assert.equal(await state.getAttribute("title"), "");
  await card.locator('.dot[data-on="false"]:not([data-stale])').waitFor({ timeout: 5000 });
  assert.equal(await card.locator(".stale").count(), 0, "fresh again: no last known");
  assert.deepEqual(agent.errors, []);
});
