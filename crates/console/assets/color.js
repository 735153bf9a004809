// Colour helpers: the same hex forms the API takes, and what swatches need.

const HEX = /^#?([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/**
 * Normalises `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa` (with or without
 * `#`, any case) as the API stores it: lowercase `#rrggbb`, or `#rrggbbaa`
 * when the alpha is not ff. Returns null for anything else.
 */
export function normalizeHex(input) {
  const match = HEX.exec(String(input ?? '').trim());
  if (!match) return null;
  let digits = match[1].toLowerCase();
  if (digits.length <= 4) digits = [...digits].map((d) => d + d).join('');
  if (digits.length === 8 && digits.endsWith('ff')) digits = digits.slice(0, 6);
  return `#${digits}`;
}

/** The `#rrggbb` part of a normalised hex (what <input type=color> takes). */
export function opaquePart(hex) {
  return hex.slice(0, 7);
}

/** The alpha of a normalised hex, 0 to 255. */
export function alphaOf(hex) {
  return hex.length === 9 ? parseInt(hex.slice(7, 9), 16) : 255;
}

/** A normalised hex from an opaque `#rrggbb` and an alpha of 0 to 255. */
export function withAlpha(rgbHex, alpha) {
  const a = Math.max(0, Math.min(255, Math.round(alpha)));
  return normalizeHex(`${rgbHex.slice(0, 7)}${a.toString(16).padStart(2, '0')}`);
}

function channels(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
}

/** WCAG relative luminance of the opaque part. */
export function luminance(hex) {
  const [r, g, b] = channels(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two opaque colours. */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Black or white, whichever reads better on the colour; a translucent
 * colour is judged as seen over white (the swatches' backdrop).
 */
export function readableOn(hex) {
  const alpha = alphaOf(hex) / 255;
  const seen = channels(hex).map((c) => Math.round((c * alpha + (1 - alpha)) * 255));
  const flat = `#${seen.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  return contrast(flat, '#000000') >= contrast(flat, '#ffffff') ? '#000000' : '#ffffff';
}

/** "Name #hex" or "#hex", how a colour is named for people. */
export function describeColor(color) {
  return color.name ? `${color.name} ${color.hex}` : color.hex;
}
