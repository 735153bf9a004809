// The editable list of a palette's colours: picker, hex (with alpha),
// opacity and name per colour; reordered by dragging the handle or with
// the arrow keys on it; removed with its button.

import { h, nextId, announce } from '../dom.js';
import { normalizeHex, opaquePart, alphaOf, withAlpha } from '../color.js';
import { paint } from './swatches.js';

const STARTERS = ['#2f5bd3', '#e0a526', '#d9485f', '#2a9d8f', '#7b61ff', '#f4a261', '#264653', '#8ab17d'];
export const MAX_COLORS = 256;

/**
 * Builds the list. `onChange()` is called after every edit. Returns
 * {el, setColors(colors), update(colors), values(), errorTargets(), add()}.
 */
export function colorList(onChange) {
  const helpId = nextId('reorder-help');
  const list = h('ol', { class: 'color-list' });
  const emptyNote = h('p', { class: 'muted color-empty' }, 'No colours yet.');
  const addButton = h('button', { type: 'button', class: 'button' }, 'Add colour');
  const rows = [];

  function describe(row) {
    const name = row.name.value.trim();
    return name ? `${name}` : row.hex.value.trim() || 'colour';
  }

  // Positions appear in labels ("Hex of colour 2"): renumber after moves.
  function renumber() {
    rows.forEach((row, index) => {
      const n = index + 1;
      row.labels.picker.textContent = `Colour ${n}`;
      row.labels.hex.textContent = `Hex of colour ${n}`;
      row.labels.alpha.textContent = `Opacity of colour ${n} (%)`;
      row.labels.name.textContent = `Name of colour ${n}`;
      row.handle.setAttribute('aria-label', `Move colour ${n}, ${describe(row)}`);
      row.remove.setAttribute('aria-label', `Remove colour ${n}, ${describe(row)}`);
      row.position.textContent = String(n);
    });
    emptyNote.hidden = rows.length > 0;
    addButton.disabled = rows.length >= MAX_COLORS;
  }

  function move(row, to) {
    const from = rows.indexOf(row);
    const target = Math.max(0, Math.min(rows.length - 1, to));
    if (from === target) return false;
    rows.splice(from, 1);
    rows.splice(target, 0, row);
    list.insertBefore(row.el, target + 1 < rows.length ? rows[target + 1].el : null);
    renumber();
    onChange();
    return true;
  }

  function makeRow(color) {
    const key = nextId('color');
    const labels = {
      picker: h('label', { for: `${key}-picker`, class: 'visually-hidden' }),
      hex: h('label', { for: `${key}-hex`, class: 'visually-hidden' }),
      alpha: h('label', { for: `${key}-alpha`, class: 'visually-hidden' }),
      name: h('label', { for: `${key}-name`, class: 'visually-hidden' }),
    };
    const handle = h('button', { type: 'button', class: 'handle', 'aria-describedby': helpId }, h('span', { class: 'grip', 'aria-hidden': 'true' }));
    const position = h('span', { class: 'position', 'aria-hidden': 'true' });
    const picker = h('input', { type: 'color', id: `${key}-picker`, class: 'picker' });
    const preview = h('span', { class: 'color-preview' }, picker);
    const hex = h('input', { type: 'text', id: `${key}-hex`, class: 'hex', spellcheck: 'false', autocomplete: 'off', placeholder: '#rrggbb', maxlength: '9' });
    const alpha = h('input', { type: 'number', id: `${key}-alpha`, class: 'alpha', min: '0', max: '100', step: '1', inputmode: 'numeric' });
    const name = h('input', { type: 'text', id: `${key}-name`, class: 'name', autocomplete: 'off', placeholder: 'Name (optional)', maxlength: '100' });
    const remove = h('button', { type: 'button', class: 'icon-button remove' }, h('span', { 'aria-hidden': 'true' }, '×'));
    const error = h('p', { class: 'field-error', id: `${key}-error`, hidden: true });
    hex.setAttribute('aria-describedby', `${key}-error`);
    name.setAttribute('aria-describedby', `${key}-error`);
    const el = h(
      'li',
      { class: 'color-row' },
      handle,
      position,
      preview,
      h('span', { class: 'cell cell-hex' }, labels.hex, hex),
      h('span', { class: 'cell cell-alpha' }, labels.alpha, alpha, h('span', { class: 'unit', 'aria-hidden': 'true' }, '%')),
      h('span', { class: 'cell cell-name' }, labels.name, name),
      labels.picker,
      remove,
      error,
    );
    const row = { key, el, labels, handle, position, picker, preview, hex, alpha, name, remove, error };

    const showError = (messages) => {
      const list = [messages ?? []].flat().filter(Boolean);
      error.hidden = list.length === 0;
      error.textContent = list.join(' ');
      el.classList.toggle('has-error', list.length > 0);
      if (list.length) hex.setAttribute('aria-invalid', 'true');
      else hex.removeAttribute('aria-invalid');
    };
    row.showError = showError;
    row.set = (value) => {
      const normal = normalizeHex(value.hex) ?? '#000000';
      hex.value = normal;
      picker.value = opaquePart(normal);
      alpha.value = String(Math.round((alphaOf(normal) / 255) * 100));
      name.value = value.name ?? '';
      paint(preview, normal);
    };
    // The three colour controls follow each other.
    picker.addEventListener('input', () => {
      const next = withAlpha(picker.value, (Number(alpha.value) / 100) * 255);
      hex.value = next;
      paint(preview, next);
      showError([]);
      onChange();
    });
    hex.addEventListener('input', () => {
      const normal = normalizeHex(hex.value);
      if (normal) {
        picker.value = opaquePart(normal);
        alpha.value = String(Math.round((alphaOf(normal) / 255) * 100));
        paint(preview, normal);
        showError([]);
      }
      onChange();
    });
    hex.addEventListener('change', () => {
      const normal = normalizeHex(hex.value);
      if (normal) hex.value = normal;
      else showError(['Use a hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa.']);
    });
    alpha.addEventListener('input', () => {
      const percent = Number(alpha.value);
      if (alpha.value === '' || !Number.isFinite(percent)) return;
      const next = withAlpha(picker.value, (Math.max(0, Math.min(100, percent)) / 100) * 255);
      hex.value = next;
      paint(preview, next);
      onChange();
    });
    name.addEventListener('input', () => {
      renumber();
      onChange();
    });
    remove.addEventListener('click', () => {
      const index = rows.indexOf(row);
      const label = describe(row);
      rows.splice(index, 1);
      el.remove();
      renumber();
      onChange();
      announce(`Removed ${label}.`);
      (rows[index]?.remove ?? rows[index - 1]?.remove ?? addButton).focus();
    });
    handle.addEventListener('keydown', (event) => {
      const index = rows.indexOf(row);
      const to = { ArrowUp: index - 1, ArrowDown: index + 1, Home: 0, End: rows.length - 1 }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      if (move(row, to)) {
        // Moving a node drops its focus: give it back.
        handle.focus();
        announce(`${describe(row)} moved to position ${rows.indexOf(row) + 1} of ${rows.length}.`);
      }
    });
    dragWithPointer(row);
    row.set(color);
    return row;
  }

  // Dragging with mouse, pen or touch: the row follows the pointer over
  // the middles of the other rows.
  function dragWithPointer(row) {
    row.handle.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      row.handle.setPointerCapture(event.pointerId);
      row.el.classList.add('dragging');
      const startIndex = rows.indexOf(row);
      const onMove = (moveEvent) => {
        // The slot among the other rows: before the first whose middle is below the pointer.
        const others = rows.filter((other) => other !== row);
        let slot = others.length;
        for (let i = 0; i < others.length; i += 1) {
          const box = others[i].el.getBoundingClientRect();
          if (moveEvent.clientY < box.top + box.height / 2) {
            slot = i;
            break;
          }
        }
        move(row, slot);
      };
      const onUp = () => {
        row.handle.removeEventListener('pointermove', onMove);
        row.handle.removeEventListener('pointerup', onUp);
        row.handle.removeEventListener('pointercancel', onUp);
        row.el.classList.remove('dragging');
        row.handle.focus();
        const endIndex = rows.indexOf(row);
        if (endIndex !== startIndex) announce(`${describe(row)} moved to position ${endIndex + 1} of ${rows.length}.`);
      };
      row.handle.addEventListener('pointermove', onMove);
      row.handle.addEventListener('pointerup', onUp);
      row.handle.addEventListener('pointercancel', onUp);
    });
  }

  function add(color) {
    const row = makeRow(color ?? { hex: STARTERS[rows.length % STARTERS.length], name: '' });
    rows.push(row);
    list.append(row.el);
    renumber();
    return row;
  }

  addButton.addEventListener('click', () => {
    const row = add();
    onChange();
    row.hex.focus();
    row.hex.select();
  });

  const el = h(
    'div',
    { class: 'colors' },
    h(
      'p',
      { class: 'hint', id: helpId },
      'To reorder, drag a colour by its handle, or focus the handle and press the up and down arrow keys.',
    ),
    h(
      'div',
      { class: 'color-head', 'aria-hidden': 'true' },
      h('span', { class: 'col-hex' }, 'Hex'),
      h('span', { class: 'col-alpha' }, 'Opacity'),
      h('span', { class: 'col-name' }, 'Name'),
    ),
    list,
    emptyNote,
    addButton,
  );

  return {
    el,
    /** Replaces every row. */
    setColors(colors) {
      rows.splice(0).forEach((row) => row.el.remove());
      colors.forEach((color) => add(color));
      renumber();
    },
    /** Takes the server's normalised values into rows of the same count, keeping focus. */
    update(colors) {
      if (colors.length !== rows.length) return this.setColors(colors);
      colors.forEach((color, i) => rows[i].set(color));
      renumber();
      return undefined;
    },
    /** The colours as typed: normalised hex where valid, else the text (the API names the item). */
    values() {
      return rows.map((row) => {
        const text = row.hex.value.trim();
        const name = row.name.value.trim();
        return { hex: normalizeHex(text) ?? text, name: name || null };
      });
    },
    /** Error targets by API field name ("colors.2"). */
    errorTargets() {
      return Object.fromEntries(rows.map((row, i) => [`colors.${i}`, { error: row.showError }]));
    },
    add,
    addButton,
  };
}
