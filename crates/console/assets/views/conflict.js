// What to do when a save meets a newer version (412): show what changed
// elsewhere and what I changed, and let me choose.

import { h, modal, formatDate } from '../dom.js';
import { describeColor } from '../color.js';
import { swatchStrip } from './swatches.js';

const key = (color) => `${color.hex}|${color.name ?? ''}`;

/** Colours in `a` that `b` lacks (as a multiset). */
function missingFrom(a, b) {
  const left = new Map();
  for (const color of b) left.set(key(color), (left.get(key(color)) ?? 0) + 1);
  return a.filter((color) => {
    const count = left.get(key(color)) ?? 0;
    if (count > 0) {
      left.set(key(color), count - 1);
      return false;
    }
    return true;
  });
}

/** Sentences describing how `after` differs from `before` (name, description, colours). */
export function changesBetween(before, after) {
  const changes = [];
  if (before.name !== after.name) changes.push(`Name: “${before.name}” → “${after.name}”`);
  if ((before.description ?? '') !== (after.description ?? '')) {
    changes.push(after.description ? `Description: “${after.description}”` : 'Description removed');
  }
  let added = missingFrom(after.colors, before.colors);
  let removed = missingFrom(before.colors, after.colors);
  // The same hex gone with one name and back with another is a rename.
  for (const old of [...removed]) {
    const renamed = added.find((color) => color.hex === old.hex);
    if (!renamed) continue;
    added = added.filter((color) => color !== renamed);
    removed = removed.filter((color) => color !== old);
    if (!renamed.name) changes.push(`${old.hex}: name “${old.name}” removed`);
    else if (!old.name) changes.push(`${old.hex}: named “${renamed.name}”`);
    else changes.push(`${old.hex}: “${old.name}” → “${renamed.name}”`);
  }
  if (added.length) changes.push(`Added ${added.map(describeColor).join(', ')}`);
  if (removed.length) changes.push(`Removed ${removed.map(describeColor).join(', ')}`);
  if (!added.length && !removed.length && before.colors.map(key).join() !== after.colors.map(key).join()) {
    changes.push('Colours reordered');
  }
  return changes;
}

function side(title, palette, changes, note) {
  return h(
    'section',
    { class: 'conflict-side' },
    h('h3', {}, title),
    note ? h('p', { class: 'muted' }, note) : null,
    h('p', { class: 'conflict-name' }, palette.name),
    swatchStrip(palette.colors, `${title}: colours`, { size: 'small' }),
    changes.length
      ? h('ul', { class: 'change-list' }, changes.map((change) => h('li', {}, change)))
      : h('p', { class: 'muted' }, 'No changes.'),
  );
}

/**
 * Asks which version to keep. `base` is what I started from, `theirs` the
 * saved version now, `mine` my unsaved form. Resolves 'mine', 'theirs' or
 * undefined (keep editing).
 */
export function chooseVersion(base, theirs, mine) {
  return modal(
    'This palette changed while you were editing',
    (close) =>
      h(
        'div',
        { class: 'conflict' },
        h(
          'p',
          {},
          `Someone else saved revision ${theirs.revision} (${formatDate(theirs.updated_at)}) after you opened revision ${base.revision}. Choose the version to keep.`,
        ),
        h(
          'div',
          { class: 'conflict-sides' },
          side('Changed elsewhere', theirs, changesBetween(base, theirs), `Revision ${theirs.revision}`),
          side('Your changes', mine, changesBetween(base, mine), 'Not saved yet'),
        ),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'button', autofocus: true, onclick: () => close(undefined) }, 'Keep editing'),
          h('button', { type: 'button', class: 'button', onclick: () => close('theirs') }, 'Use their version'),
          h('button', { type: 'button', class: 'button button-primary', onclick: () => close('mine') }, 'Save mine over theirs'),
        ),
      ),
    { className: 'modal-wide' },
  );
}
