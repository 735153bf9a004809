// The WCAG contrast table of a palette, as the API rates it.

import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { paint } from './swatches.js';

const SHOWN_AT_FIRST = 60;

function grade(aaa, aa) {
  if (aaa) return h('span', { class: 'grade grade-aaa' }, 'AAA');
  if (aa) return h('span', { class: 'grade grade-aa' }, 'AA');
  return h('span', { class: 'grade grade-fail' }, 'Fail');
}

function chip(color) {
  const dot = h('span', { class: 'chip-dot', 'aria-hidden': 'true' });
  paint(dot, color.hex);
  return h('span', { class: 'chip' }, dot, color.label);
}

/** Loads and renders the contrast of palette `id` into `container`. */
export async function renderContrast(container, id, colors, { signal } = {}) {
  if (colors.length < 2) {
    replace(container, h('p', { class: 'muted' }, 'Add at least two colours to compare them.'));
    return;
  }
  replace(container, h('p', { class: 'muted' }, 'Loading…'));
  let report;
  try {
    ({ data: report } = await api.get(`/api/palettes/${id}/contrast/`, { signal }));
  } catch (error) {
    if (error.name === 'AbortError') return;
    replace(container, h('p', { class: 'form-error' }, api.describeError(error)));
    return;
  }
  const label = (side) => {
    const name = colors[side.index]?.name;
    return { hex: side.hex, label: name ? `${name} ${side.hex}` : side.hex };
  };
  // Best pairs first: they are the ones a designer looks for.
  const pairs = [...report.pairs].sort((a, b) => b.ratio - a.ratio);
  const passing = pairs.filter((p) => p.aa_normal).length;
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'contrast-table' },
    h('caption', { class: 'visually-hidden' }, 'Contrast of each text and background pair'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Sample'),
        h('th', { scope: 'col' }, 'Text on background'),
        h('th', { scope: 'col', class: 'num' }, 'Ratio'),
        h('th', { scope: 'col' }, 'Normal', h('span', { class: 'visually-hidden' }, ' text')),
        h('th', { scope: 'col' }, 'Large', h('span', { class: 'visually-hidden' }, ' text')),
      ),
    ),
    body,
  );
  const more = h('button', { type: 'button', class: 'button button-small', hidden: pairs.length <= SHOWN_AT_FIRST }, `Show all ${pairs.length} pairs`);
  const fill = (count) => {
    replace(
      body,
      pairs.slice(0, count).map((pair) => {
        // Drawn by CSS (::after), not text: its contrast is the point, so
        // it is not held to the page's contrast rule.
        const sample = h('span', { class: 'sample', 'aria-hidden': 'true' });
        sample.style.setProperty('--sample-fg', pair.foreground.hex);
        sample.style.setProperty('--sample-bg', pair.background.hex);
        return h(
          'tr',
          {},
          h('td', {}, sample),
          h('td', { class: 'pair' }, chip(label(pair.foreground)), h('span', {}, h('span', { class: 'on' }, 'on '), chip(label(pair.background)))),
          h('td', { class: 'num' }, `${pair.ratio.toFixed(2)}:1`),
          h('td', {}, grade(pair.aaa_normal, pair.aa_normal)),
          h('td', {}, grade(pair.aaa_large, pair.aa_large)),
        );
      }),
    );
  };
  fill(SHOWN_AT_FIRST);
  more.addEventListener('click', () => {
    fill(pairs.length);
    more.hidden = true;
  });
  replace(
    container,
    h('p', { class: 'muted' }, `${passing} of ${pairs.length} pairs pass AA for normal text (4.5:1). AA needs 3:1 for large text; AAA needs 7:1, or 4.5:1 for large text.`),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Contrast table' }, table),
    more,
  );
}
