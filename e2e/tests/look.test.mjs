// What the room looks like, measured in the browser rather than judged by
// eye: emoji drawn in colour, and a header that keeps the count and your
// own name readable at a phone size and a desktop size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { launch, join, badge, say, snap, until, phone, desktop, platformFonts, colourEmojiFont } from "../lib/browser.mjs";
import { checkHeader } from "../lib/header.mjs";
import { alarming, contrast } from "../lib/colour.mjs";

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

test("emoji: reaction buttons, floating reactions, the tally and emoji in chat are drawn in colour", async () => {
  const a = await join(browser, server.url, "emoji", "Ada", phone);
  try {
    const colour = await colourEmojiFont(a);
    const reactions = { love: "❤️", applause: "👏", laugh: "😂", fire: "🔥", celebrate: "🎉" };
    for (const [label, emoji] of Object.entries(reactions)) {
      const button = `#reactions button[aria-label='React with ${label}']`;
      const fonts = await platformFonts(a, button);
      assert.deepEqual(fonts.map((f) => f.familyName), [colour], `the ${label} button (${emoji}) is drawn by ${colour} alone`);
    }

    // In a message only the emoji come from the colour font: the letters,
    // digits and "#" (which colour emoji fonts also have) stay in a text font.
    const text = "that was funny 😂 take 2 #1";
    await say(a, text);
    const inChat = await platformFonts(a, "#log li.msg[data-offset] .text");
    assert.deepEqual(
      inChat.filter((f) => f.familyName === colour).map((f) => f.glyphCount),
      [1],
      `in "${text}" exactly one glyph (😂) is drawn by ${colour}: ${JSON.stringify(inChat)}`,
    );
    assert.ok(inChat.some((f) => f.familyName !== colour), "the words of the message use a text font");

    await a.locator("#reactions button[aria-label='React with laugh']").click();
    await a.locator("#floats .float", { hasText: "😂" }).first().waitFor({ timeout: 5000 });
    const floating = await platformFonts(a, "#floats .float");
    assert.deepEqual(floating.map((f) => f.familyName), [colour], "the floating 😂 is in colour");
    await snap(a, "6-emoji");

    // The stage's tally (desktop only) counts with the same emoji.
    await a.setViewportSize(desktop);
    await a.locator("#tally .count", { hasText: "😂 1" }).waitFor();
    const tally = await platformFonts(a, "#tally .count");
    assert.ok(tally.some((f) => f.familyName === colour && f.glyphCount === 1), `the tally's 😂 is in colour: ${JSON.stringify(tally)}`);
    assert.deepEqual(a.errors, []);
  } finally {
    await a.context().close();
  }
});

test("header at 360×740 and 1280×800: 'N online' and your name beside a neutral initial, whole and apart", async () => {
  const long = "Ada Lovelace-Byron of Somewhere"; // 31 characters: names may have 32
  const pages = [
    await join(browser, server.url, "lobby", "Kim", phone),
    await join(browser, server.url, "a-really-long-room-name-for-a-small-phone", long, phone),
  ];
  try {
    for (const size of [phone, desktop]) {
      for (const page of pages) {
        await page.setViewportSize(size);
        await checkHeader(page, size);
      }
    }
    // A short name is shown whole; a long one is cut with an ellipsis and
    // whole in the button's title and accessible name.
    const [short, longPage] = pages;
    assert.equal(await short.locator("#me").evaluate((e) => e.scrollWidth <= e.clientWidth), true, "'Kim' is not cut");
    assert.equal(await longPage.locator("#change-name").getAttribute("title"), `${long} — change your name`);
    assert.equal(await longPage.locator("#change-name").getAttribute("aria-label"), `Change your display name (now ${long})`);
    assert.equal(await longPage.locator("#me").evaluate((e) => getComputedStyle(e).textOverflow), "ellipsis");
    await longPage.setViewportSize(phone);
    await snap(longPage, "7-header-long-names");
    await snap(short, "7-header");
  } finally {
    for (const p of pages) await p.context().close();
  }
});

test("the connection badge at 360×740 and 1280×800: its state and round trip on one line, centred in the pill", async () => {
  const long = "Ada Lovelace-Byron of Somewhere";
  const page = await join(browser, server.url, "a-really-long-room-name-for-a-small-phone", long, phone);
  try {
    // One line: every word of the pill shares one centre line, the pill's.
    const line = async (state, size) => {
      const at = `${state} at ${size.width}×${size.height}`;
      const m = await page.evaluate(() => {
        const mid = (e) => {
          const r = e.getBoundingClientRect();
          return { mid: r.y + r.height / 2, height: r.height, lines: e.getClientRects().length };
        };
        const parts = [document.getElementById("badge-text"), document.getElementById("rtt")].filter((e) => e.textContent);
        return { badge: mid(document.getElementById("badge")), parts: parts.map(mid), words: parts.map((e) => e.textContent) };
      });
      assert.ok(m.parts.length >= 1, `the badge says something ${at}`);
      for (const [i, p] of m.parts.entries()) {
        assert.equal(p.lines, 1, `"${m.words[i]}" is one box ${at}`);
        assert.ok(p.height < 24, `"${m.words[i]}" is ${p.height} px high ${at}: one line`);
        assert.ok(Math.abs(p.mid - m.badge.mid) <= 1.5, `"${m.words[i]}" is centred in the badge ${at}: ${p.mid} vs ${m.badge.mid}`);
      }
      return m.words;
    };
    await page.locator("#rtt:not(:empty)").waitFor({ timeout: 10000 });
    for (const size of [phone, desktop]) {
      await page.setViewportSize(size);
      const words = await line("connected", size);
      assert.equal(words.length, 2, `connected shows its round trip at ${size.width}×${size.height}`);
      await checkHeader(page, size);
    }
    await page.setViewportSize(phone);
    await snap(page, "7-badge-connected");
    await page.context().setOffline(true);
    await badge(page, "offline");
    for (const size of [phone, desktop]) {
      await page.setViewportSize(size);
      assert.deepEqual(await line("offline", size), ["offline"]);
      await checkHeader(page, size);
    }
    await page.setViewportSize(phone);
    await snap(page, "7-badge-offline");
    await page.context().setOffline(false);
    await badge(page, "connected");
    assert.deepEqual(page.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e)), []);
  } finally {
    await page.context().close();
  }
});

test("names in calm colours: the initial before your name and the authors in chat are neutral and readable", async () => {
  const a = await join(browser, server.url, "calm", "Ada", phone);
  const b = await join(browser, server.url, "calm", "Bob", desktop);
  try {
    await say(a, "hello from Ada");
    await say(b, "hello from Bob");
    await until(async () => (await a.locator("#log li.msg[data-offset]").count()) === 2, { message: "both messages on A" });
    for (const page of [a, b]) {
      const avatar = await page.locator("#me-avatar").evaluate((e) => {
        const s = getComputedStyle(e);
        return { color: s.color, background: s.backgroundColor, text: e.textContent };
      });
      assert.equal(avatar.text, page === a ? "A" : "B", "the initial of the name");
      assert.equal(alarming(avatar.background), false, `the initial's background ${avatar.background} is not an alarm colour`);
      assert.equal(alarming(avatar.color), false, `the initial's colour ${avatar.color} is not an alarm colour`);
      const c = contrast(avatar.color, avatar.background);
      assert.ok(c >= 4.5, `the initial has contrast ${c.toFixed(2)} (WCAG AA: 4.5)`);

      for (const [who, sel] of [["own", "#log li.msg.mine"], ["other", "#log li.msg:not(.mine)"]]) {
        const author = await page.locator(`${sel} .author`).first().evaluate((e) => ({
          color: getComputedStyle(e).color,
          background: getComputedStyle(e.closest("li")).backgroundColor,
        }));
        assert.equal(alarming(author.color), false, `the ${who} author name ${author.color} is not an alarm colour`);
        const ca = contrast(author.color, author.background);
        assert.ok(ca >= 4.5, `the ${who} author name has contrast ${ca.toFixed(2)} on its message (WCAG AA: 4.5)`);
      }
    }
    await snap(a, "8-calm-names-A");
    assert.deepEqual([...a.errors, ...b.errors], []);
  } finally {
    await a.context().close();
    await b.context().close();
  }
});
