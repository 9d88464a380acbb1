// The header's layout, checked from bounding boxes: the room block (room
// name over "N online"), the connection badge and your name button sit side
// by side inside the viewport, none cut or overlapping another.
import assert from "node:assert/strict";

/** Least width, in CSS px, that a long name keeps (about five letters). */
const nameMinWidth = 40;

/** Checks the header of page, laid out at size ({ width, height }). */
export async function checkHeader(page, size) {
  const at = `at ${size.width}×${size.height}`;
  const box = async (sel) => {
    const b = await page.locator(sel).boundingBox();
    assert.ok(b, `${sel} is shown ${at}`);
    return b;
  };
  const row = [];
  for (const sel of [".room", "#badge", "#change-name"]) row.push([sel, await box(sel)]);
  for (const [i, [sel, b]] of row.entries()) {
    assert.ok(b.x >= 0 && b.x + b.width <= size.width, `${sel} (${b.x}..${b.x + b.width}) fits across ${at}`);
    const next = row[i + 1];
    if (next) assert.ok(b.x + b.width <= next[1].x + 0.5, `${sel} ends before ${next[0]} starts ${at}`);
  }
  const room = row[0][1];
  const badge = row[1][1];

  // "N online", whole: not cut by its box, inside the room block, clear of the badge.
  const online = page.locator("#online");
  assert.match((await online.innerText()).replace(/\s+/g, " ").trim(), /^(?:● )?\d+ online(?: \(last known\))?$/, `the count reads "N online" ${at}`);
  const cut = await online.evaluate((e) => e.scrollWidth > e.clientWidth);
  assert.equal(cut, false, `"online" is not cut off ${at}`);
  const ob = await box("#online");
  assert.ok(ob.x >= room.x - 0.5 && ob.x + ob.width <= badge.x + 0.5, `the count stays clear of the badge ${at}`);

  // Your name: after its initial, at least a few letters wide.
  const avatar = await box("#me-avatar");
  const me = await box("#me");
  assert.ok(avatar.x + avatar.width <= me.x, `the initial comes before the name ${at}`);
  const whole = await page.locator("#me").evaluate((e) => e.scrollWidth);
  const least = Math.min(nameMinWidth, whole - 1);
  assert.ok(me.width >= least, `your name is ${me.width} px wide ${at}, under ${least} (whole: ${whole})`);
  assert.ok(await page.locator("#me").isVisible(), `your name is visible ${at}`);
  assert.ok(me.x + me.width <= size.width, `your name ends inside the viewport ${at}`);

  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.equal(scrollWidth, size.width, `the page does not scroll sideways ${at}`);
}
