// One palette: edit it (saved with If-Match), see its contrast, download
// it in any format, copy it to another team, delete it.

import * as api from '../api.js';
import * as store from '../store.js';
import * as live from '../live.js';
import { navigate } from '../router.js';
import { h, replace, field, formMessage, toast, announce, busy, confirmDialog, formatRelative } from '../dom.js';
import { colorList } from './colorlist.js';
import { swatchStrip } from './swatches.js';
import { renderContrast } from './contrast.js';
import { chooseVersion } from './conflict.js';

const FORMATS = [
  ['css', 'CSS', 'Custom properties'],
  ['tokens.json', 'Design tokens', 'W3C format, JSON'],
  ['gpl', 'GIMP', 'GIMP, Inkscape, Krita'],
  ['ase', 'ASE', 'Illustrator, Photoshop'],
  ['svg', 'SVG', 'A picture for docs'],
];

/** The screen at #/palettes/:id, and at #/teams/:id/palettes/new with isNew. */
export default async function paletteScreen(ctx, { isNew = false } = {}) {
  const id = isNew ? null : Number(ctx.params.id);
  let base = null; // the palette as last read or saved
  let etag = null;
  let teamId;
  if (isNew) {
    teamId = Number(ctx.params.id);
  } else {
    const response = await api.get(`/api/palettes/${id}/`, { signal: ctx.signal });
    base = response.data;
    etag = response.etag;
    teamId = base.team.id;
  }
  ctx.setTeam(teamId);
  const team = store.team(teamId) ?? (await api.get(`/api/teams/${teamId}/`, { signal: ctx.signal })).data;
  let saving = false;
  let deleting = false; // my own delete: its event is no news
  let gone = false;

  // The form.
  const name = field('Name', h('input', { type: 'text', required: true, maxlength: '255', autocomplete: 'off' }));
  const description = field('Description', h('textarea', { rows: '2', maxlength: '2000' }), { hint: 'Optional.' });
  const colorsError = h('p', { class: 'field-error', hidden: true, id: 'colors-error' });
  const colors = colorList(onEdit);
  const preview = h('div', { class: 'preview' });
  const message = formMessage();
  const saveButton = h('button', { type: 'submit', class: 'button button-primary' }, isNew ? 'Create palette' : 'Save');
  const saveState = h('p', { class: 'save-state', role: 'status' });
  const notice = h('div', { class: 'notice', role: 'status', hidden: true });
  const heading = h('h1', {}, isNew ? 'New palette' : base.name);
  const meta = h('p', { class: 'page-meta' });
  const form = h(
    'form',
    { class: 'form editor', novalidate: true },
    preview,
    name.row,
    description.row,
    h('fieldset', { class: 'fieldset' }, h('legend', {}, 'Colours'), colorsError, colors.el),
    message.el,
    h('div', { class: 'actions actions-start' }, saveButton, saveState),
  );

  function current() {
    return {
      name: name.input.value.trim(),
      description: description.input.value.trim(),
      colors: colors.values(),
    };
  }

  function same(a, b) {
    const shape = (p) => JSON.stringify([p.name, p.description ?? '', p.colors.map((c) => [c.hex, c.name || null])]);
    return shape(a) === shape(b);
  }

  function dirty() {
    return isNew ? true : !same(current(), base);
  }

  function onEdit() {
    renderPreview();
    if (!isNew) saveState.textContent = dirty() ? 'Unsaved changes' : '';
  }

  function renderPreview() {
    const values = current();
    replace(preview, swatchStrip(values.colors.filter((c) => /^#[0-9a-f]{6,8}$/.test(c.hex)), 'Preview of the colours', { size: 'large' }));
  }

  function fill(palette) {
    name.input.value = palette.name;
    description.input.value = palette.description ?? '';
    colors.setColors(palette.colors);
    showSaved(palette);
  }

  function showSaved(palette) {
    heading.textContent = palette.name;
    ctx.setTitle(palette.name);
    replace(meta, `Revision ${palette.revision} · updated ${formatRelative(palette.updated_at)}`);
    saveState.textContent = '';
    renderPreview();
    if (!gone) renderContrast(contrastBox, palette.id, palette.colors, { signal: ctx.signal });
  }

  function clearErrors() {
    message.show('');
    colorsError.hidden = true;
    for (const target of Object.values(errorTargets())) target.error([]);
  }

  function errorTargets() {
    return {
      name,
      description,
      colors: {
        error(messages) {
          colorsError.hidden = !messages.length;
          colorsError.textContent = messages.join(' ');
        },
      },
      ...colors.errorTargets(),
    };
  }

  async function save() {
    clearErrors();
    const body = { ...current(), team_id: teamId };
    saving = true;
    try {
      if (isNew) {
        const { data } = await busy(saveButton, () => api.post('/api/palettes/', body));
        toast(`Created ${data.name}.`);
        navigate(`/palettes/${data.id}`, { replace: true });
        return;
      }
      const { data, etag: next } = await busy(saveButton, () => api.put(`/api/palettes/${id}/`, body, { etag }));
      base = data;
      etag = next;
      name.input.value = data.name;
      description.input.value = data.description;
      colors.update(data.colors);
      showSaved(data);
      hideNotice();
      saveState.textContent = 'Saved';
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 412) {
        await resolveConflict();
        return;
      }
      if (error instanceof api.ApiError && error.status === 404) {
        markGone('This palette was deleted, or you are no longer in its team.');
        return;
      }
      message.show(api.showFieldErrors(error, errorTargets()));
      const invalid = form.querySelector('[aria-invalid="true"]');
      if (invalid) invalid.focus();
    } finally {
      saving = false;
    }
  }

  // 412: someone saved first. Read their version and let the person choose.
  async function resolveConflict() {
    let theirs;
    let theirTag;
    try {
      ({ data: theirs, etag: theirTag } = await api.get(`/api/palettes/${id}/`));
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 404) {
        markGone('This palette was deleted while you were editing it.');
      } else {
        message.show(api.describeError(error));
      }
      return;
    }
    const mine = current();
    const choice = await chooseVersion(base, theirs, mine);
    if (choice === 'theirs') {
      base = theirs;
      etag = theirTag;
      fill(theirs);
      hideNotice();
      announce(`Loaded revision ${theirs.revision}.`);
    } else if (choice === 'mine') {
      // Overwrite knowingly: save again against the version just seen.
      base = theirs;
      etag = theirTag;
      replace(meta, `Revision ${theirs.revision} · updated ${formatRelative(theirs.updated_at)}`);
      await save();
    } else {
      saveButton.focus();
    }
  }

  function showNotice(text, action) {
    replace(notice, h('p', {}, text), action ?? null);
    notice.hidden = false;
  }

  function hideNotice() {
    notice.hidden = true;
    replace(notice);
  }

  function markGone(text) {
    gone = true;
    showNotice(text, h('a', { href: `#/teams/${teamId}` }, 'Back to the team'));
    for (const control of ctx.root.querySelectorAll('button, input, textarea, select')) control.disabled = true;
  }

  // Someone else saved: take it in when nothing is unsaved here, else say
  // so (saving will then offer the choice).
  async function onRemoteChange(revision) {
    if (revision !== undefined && revision <= base.revision) return; // my own save's echo
    if (saving) return;
    let latest;
    try {
      latest = await api.get(`/api/palettes/${id}/`, { signal: ctx.signal });
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 404) markGone('This palette was deleted by someone else.');
      return;
    }
    if (latest.data.revision <= base.revision) return;
    if (!dirty()) {
      base = latest.data;
      etag = latest.etag;
      fill(base);
      showNotice(`Updated to revision ${base.revision}, saved by someone else just now.`);
    } else {
      showNotice(
        `Someone else saved revision ${latest.data.revision}. When you save, you can choose which version to keep.`,
      );
    }
  }

  if (!isNew) {
    ctx.onLeave(
      live.subscribe(({ type, data }) => {
        if (gone || deleting) return;
        if (type === 'palette.updated' && data.palette.id === id) onRemoteChange(data.palette.revision);
        else if (type === 'palette.deleted' && data.palette.id === id) onRemoteChange();
        else if ((type === 'team.deleted' && data.team_id === teamId) || (type === 'member.left' && data.team_id === teamId && !store.team(teamId))) {
          markGone('You no longer have access to this palette: its team was deleted or you left it.');
        }
      }),
    );
    ctx.onReset(() => onRemoteChange());
    const warn = (event) => {
      if (dirty() && !gone) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    ctx.onLeave(() => window.removeEventListener('beforeunload', warn));
  } else {
    // A new palette exists only in this form: a reset has nothing to reload here.
    ctx.onReset(() => {});
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!saving) save();
  });

  // The side panel: contrast, downloads, copy, delete.
  const contrastBox = h('div', { class: 'contrast' });
  const side = isNew
    ? h(
        'aside',
        { class: 'editor-side' },
        h('section', { class: 'panel' }, h('h2', {}, 'After you create it'), h('p', { class: 'muted' }, 'You can download it, see its contrast table and copy it to another team.')),
      )
    : h(
        'aside',
        { class: 'editor-side', 'aria-label': 'Palette tools' },
        exportPanel(),
        copyPanel(),
        deletePanel(),
      );

  function exportPanel() {
    const status = h('p', { class: 'muted', role: 'status' });
    return h(
      'section',
      { class: 'panel', 'aria-labelledby': 'export-heading' },
      h('h2', { id: 'export-heading' }, 'Download'),
      h(
        'ul',
        { class: 'download-list' },
        FORMATS.map(([format, label, hint]) => {
          const button = h(
            'button',
            { type: 'button', class: 'button download', dataset: { format } },
            h('span', { class: 'download-label' }, label),
            h('span', { class: 'download-hint' }, hint),
          );
          button.addEventListener('click', () => busy(button, () => download(format, status)));
          return h('li', {}, button);
        }),
      ),
      status,
    );
  }

  // The export needs the token, so it is fetched, then saved from a Blob.
  async function download(format, status) {
    status.textContent = '';
    try {
      const { response } = await api.get(`/api/palettes/${id}/export/${format}`, { raw: true });
      const blob = await response.blob();
      const filename = api.filenameFrom(response.headers.get('Content-Disposition'), `palette.${format}`);
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: filename, class: 'visually-hidden' }, filename);
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = `Downloaded ${filename}.`;
    } catch (error) {
      status.textContent = api.describeError(error);
    }
  }

  function copyPanel() {
    const teams = store.teams();
    const preferred = teams.find((t) => t.id !== teamId)?.id ?? teamId;
    const target = field(
      'To team',
      h(
        'select',
        {},
        teams.map((t) => h('option', { value: String(t.id), selected: t.id === preferred }, t.id === teamId ? `${t.name} (this team)` : t.name)),
      ),
    );
    const copyName = field('Name of the copy', h('input', { type: 'text', maxlength: '255', autocomplete: 'off' }), {
      hint: 'Leave empty to keep the name (it must be free in that team).',
    });
    const result = h('p', { class: 'muted', role: 'status' });
    const message = formMessage();
    const submit = h('button', { type: 'submit', class: 'button' }, 'Copy');
    const copyForm = h('form', { class: 'form', novalidate: true }, target.row, copyName.row, message.el, submit, result);
    copyForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.show('');
      replace(result);
      const body = { team_id: Number(target.input.value) };
      if (copyName.input.value.trim()) body.name = copyName.input.value.trim();
      try {
        const { data } = await busy(submit, () => api.post(`/api/palettes/${id}/copy/`, body));
        replace(result, `Copied to ${data.team.name}. `, h('a', { href: `#/palettes/${data.id}` }, `Open ${data.name}`));
        copyName.input.value = '';
      } catch (error) {
        message.show(api.showFieldErrors(error, { team_id: target, name: copyName }));
      }
    });
    return h('section', { class: 'panel', 'aria-labelledby': 'copy-heading' }, h('h2', { id: 'copy-heading' }, 'Copy to a team'), copyForm);
  }

  function deletePanel() {
    const button = h('button', { type: 'button', class: 'button button-danger' }, 'Delete palette');
    button.addEventListener('click', async () => {
      const ok = await confirmDialog(
        `Delete ${base.name}?`,
        [`The palette ${base.name} and its ${base.colors.length} colours will be deleted for everyone in ${team.name}. This cannot be undone.`],
        'Delete palette',
      );
      if (!ok) return;
      deleting = true;
      try {
        await busy(button, () => api.del(`/api/palettes/${id}/`, { etag }));
      } catch (error) {
        deleting = false;
        if (error instanceof api.ApiError && error.status === 412) {
          toast('Someone changed this palette since you opened it. Look at the latest version, then delete it if you still want to.', { kind: 'warning', timeout: 8000 });
          await onRemoteChange();
          return;
        }
        toast(api.describeError(error), { kind: 'error' });
        return;
      }
      gone = true;
      toast(`Deleted ${base.name}.`);
      navigate(`/teams/${teamId}`);
    });
    return h('section', { class: 'panel panel-danger', 'aria-labelledby': 'delete-heading' }, h('h2', { id: 'delete-heading' }, 'Delete'), button);
  }

  replace(
    ctx.root,
    h(
      'header',
      { class: 'page-head' },
      h('nav', { class: 'breadcrumb', 'aria-label': 'Breadcrumb' }, h('a', { href: `#/teams/${teamId}` }, team.name), h('span', { 'aria-hidden': 'true' }, ' / ')),
      heading,
      meta,
    ),
    notice,
    h(
      'div',
      { class: 'editor-layout' },
      h(
        'div',
        { class: 'editor-main' },
        form,
        isNew
          ? null
          : h('section', { class: 'panel', 'aria-labelledby': 'contrast-heading' }, h('h2', { id: 'contrast-heading' }, 'Contrast'), contrastBox),
      ),
      side,
    ),
  );
  if (isNew) {
    ctx.setTitle('New palette');
    renderPreview();
  } else {
    fill(base);
  }
}
