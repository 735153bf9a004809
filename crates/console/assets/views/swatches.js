// A palette as a strip of swatches; each shows its name and hex on hover
// and on keyboard focus. The strip is one tab stop, arrows move within it.

import { h } from '../dom.js';
import { readableOn } from '../color.js';

/** Paints an element with a colour through CSSOM (the CSP forbids style attributes). */
export function paint(el, hex) {
  el.style.setProperty('--swatch', hex);
  el.style.setProperty('--swatch-ink', readableOn(hex));
}

/** A strip for `colors` ([{hex, name}]), labelled `label`. */
export function swatchStrip(colors, label, { size = 'medium' } = {}) {
  if (colors.length === 0) {
    return h('p', { class: `strip strip-empty strip-${size}` }, 'No colours yet');
  }
  const items = colors.map((color, index) => {
    const swatch = h(
      'li',
      { class: 'swatch', tabindex: index === 0 ? '0' : '-1' },
      h(
        'span',
        { class: 'swatch-tip' },
        color.name ? h('span', { class: 'swatch-name' }, color.name) : null,
        h('span', { class: 'swatch-hex' }, color.hex),
      ),
    );
    paint(swatch, color.hex);
    return swatch;
  });
  const strip = h('ul', { class: `strip strip-${size}`, 'aria-label': label }, items);
  strip.addEventListener('keydown', (event) => {
    const index = items.indexOf(document.activeElement);
    if (index < 0) return;
    const next = {
      ArrowRight: index + 1,
      ArrowDown: index + 1,
      ArrowLeft: index - 1,
      ArrowUp: index - 1,
      Home: 0,
      End: items.length - 1,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = items[Math.max(0, Math.min(items.length - 1, next))];
    for (const item of items) item.tabIndex = item === target ? 0 : -1;
    target.focus();
  });
  return strip;
}
