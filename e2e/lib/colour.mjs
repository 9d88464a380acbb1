// Colours as the browser computed them ("rgb(r, g, b)" / "rgba(r, g, b, a)"),
// and the two measures the tests judge them by: WCAG contrast and whether a
// colour reads as an alarm (a saturated red, pink or orange).

/** [r, g, b] in 0..255 from a computed colour; fails on anything else. */
export function parseRGB(css) {
  const m = /^rgba?\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)(?:,\s*([\d.]+))?\)$/.exec(css.trim());
  if (!m) throw new Error(`not a computed rgb() colour: ${css}`);
  if (m[4] !== undefined && Number(m[4]) < 1) throw new Error(`translucent colour ${css}: contrast needs what is behind it`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Relative luminance (WCAG 2.2, "relative luminance" definition). */
function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two computed colours, 1..21 (AA body text needs 4.5). */
export function contrast(a, b) {
  const [l1, l2] = [luminance(parseRGB(a)), luminance(parseRGB(b))].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

/** Hue in degrees (0..360) and HSL saturation (0..1). */
export function hueSaturation(css) {
  const [r, g, b] = parseRGB(css).map((c) => c / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  const l = (max + min) / 2;
  if (d === 0) return { hue: 0, saturation: 0 };
  const saturation = d / (1 - Math.abs(2 * l - 1));
  let hue;
  if (max === r) hue = ((g - b) / d) % 6;
  else if (max === g) hue = (b - r) / d + 2;
  else hue = (r - g) / d + 4;
  return { hue: (hue * 60 + 360) % 360, saturation };
}

/**
 * Whether a colour reads as a warning: saturated (over 25 %) with a hue from
 * pink through red to orange (330°..50°), the colours this site uses for
 * refusals and errors.
 */
export function alarming(css) {
  const { hue, saturation } = hueSaturation(css);
  return saturation > 0.25 && (hue >= 330 || hue <= 50);
}
