// What the room looks like, measured in the browser rather than judged by
// eye: emoji drawn in colour, and a header that keeps the count and your
// own name readable at a phone size and a desktop size.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../lib/server.mjs";
import { launch, join, say, snap, phone, desktop, platformFonts, colourEmojiFont } from "../lib/browser.mjs";

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
