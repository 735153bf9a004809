// Small DOM helpers. Every string passed as a child becomes a text node, so
// data from the API is never parsed as markup (there is no innerHTML here).

/**
 * Creates an element: h('p', {class: 'note'}, 'text', child, [more]).
 * Attributes: `class`, `for`, plain attributes, `on<event>` listeners,
 * `dataset` (an object) and boolean attributes (true/false).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (key === 'checked' || key === 'selected') {
      el[key] = Boolean(value);
    } else if (key === 'style') {
      // A style attribute would break the page's CSP; use CSSOM in callers.
      throw new Error('use element.style, not a style attribute');
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (strings, numbers, nodes, nested arrays; nullish skipped). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let uid = 0;
/** A unique id for label/aria wiring. */
export function nextId(prefix = 'c') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled form field with a place for its error messages.
 * Returns {row, input, error(messages)}; `input` can be any control.
 */
export function field(label, input, { hint, wide } = {}) {
  const id = input.id || nextId('f');
  input.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const errorEl = h('p', { class: 'field-error', id: errorId, hidden: true });
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', describedBy);
  const row = h(
    'div',
    { class: wide ? 'field field-wide' : 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    errorEl,
  );
  return {
    row,
    input,
    error(messages) {
      const list = [messages ?? []].flat().filter(Boolean);
      errorEl.hidden = list.length === 0;
      errorEl.textContent = list.join(' ');
      if (list.length) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

/** A message area for a form's errors that belong to no field. */
export function formMessage() {
  const el = h('p', { class: 'form-error', role: 'alert', hidden: true });
  return {
    el,
    show(text) {
      el.hidden = !text;
      el.textContent = text ?? '';
    },
  };
}

/** Announces a message to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeated identical message be read again.
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 30);
}

/** Shows a short notice in the toast area (role=status) for a few seconds. */
export function toast(text, { kind = 'info', timeout = 5000 } = {}) {
  const area = document.getElementById('toasts');
  if (!area) return;
  const note = h('p', { class: `toast toast-${kind}` }, text);
  area.append(note);
  setTimeout(() => note.remove(), timeout);
}

/**
 * A modal dialog built on <dialog> (focus is trapped and restored by the
 * browser). `build(close)` returns the dialog's content; resolves with the
 * value given to close().
 */
export function modal(title, build, { className = '' } = {}) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg');
    const dialog = h('dialog', { class: `modal ${className}`.trim(), 'aria-labelledby': titleId });
    let result;
    const close = (value) => {
      result = value;
      dialog.close();
    };
    dialog.append(h('h2', { id: titleId, class: 'modal-title' }, title), build(close));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Asks to confirm a destructive action; resolves true when confirmed. */
export function confirmDialog(title, body, confirmLabel, { danger = true } = {}) {
  return modal(title, (close) =>
    h(
      'div',
      {},
      [body].flat().map((part) => (part instanceof Node ? part : h('p', {}, part))),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: () => close(false) }, 'Cancel'),
        h(
          'button',
          { type: 'button', class: danger ? 'button button-danger' : 'button button-primary', onclick: () => close(true) },
          confirmLabel,
        ),
      ),
    ),
  ).then(Boolean);
}

/** Formats an ISO date for people, in their locale. */
export function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "yesterday"; the date itself past a week. */
export function formatRelative(iso) {
  const date = new Date(iso);
  const seconds = (date.getTime() - Date.now()) / 1000;
  if (Number.isNaN(seconds)) return '';
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
  ]) {
    const next = { minute: 3600, hour: 86400, day: 7 * 86400 }[unit];
    if (Math.abs(seconds) < next) return RELATIVE.format(Math.round(seconds / size), unit);
  }
  return date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** Sets a busy state on a button while `work` runs, and returns its result. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
