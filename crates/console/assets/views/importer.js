// Importing a palette file, chosen with a file picker or dropped anywhere
// on the page.

import * as api from '../api.js';
import * as session from '../session.js';
import * as store from '../store.js';
import { navigate } from '../router.js';
import { h, field, formMessage, modal, toast, busy } from '../dom.js';

const FORMATS = [
  ['css', 'CSS custom properties (.css)'],
  ['tokens.json', 'Design tokens (.tokens.json, .json)'],
  ['gpl', 'GIMP palette (.gpl)'],
  ['ase', 'Adobe Swatch Exchange (.ase)'],
];
const MAX_BYTES = 64 * 1024;

/** The import format a file name suggests, or ''. */
export function formatOf(filename) {
  const name = filename.toLowerCase();
  if (name.endsWith('.json')) return 'tokens.json';
  for (const format of ['css', 'gpl', 'ase']) if (name.endsWith(`.${format}`)) return format;
  return '';
}

/** Opens the file picker, then the import dialog for the chosen file. */
export function chooseFileToImport(teamId) {
  const input = h('input', { type: 'file', accept: '.css,.json,.gpl,.ase', class: 'visually-hidden' });
  input.addEventListener('change', () => {
    const [file] = input.files;
    input.remove();
    if (file) importDialog(file, teamId);
  });
  document.body.append(input);
  input.click();
}

/** The dialog that imports `file` into one of my teams. */
export function importDialog(file, teamId) {
  return modal('Import a palette', (close) => {
    const teams = store.teams();
    const team = field(
      'Team',
      h(
        'select',
        { name: 'team' },
        teams.map((t) => h('option', { value: String(t.id), selected: t.id === teamId }, t.name)),
      ),
    );
    const format = field(
      'Format',
      h(
        'select',
        { name: 'format' },
        h('option', { value: '' }, 'Choose a format'),
        FORMATS.map(([value, label]) => h('option', { value, selected: value === formatOf(file.name) }, label)),
      ),
    );
    const name = field('Name', h('input', { type: 'text', name: 'name', maxlength: '255', autocomplete: 'off' }), {
      hint: 'Leave empty to use the name the file gives.',
    });
    const fileError = h('p', { class: 'field-error', hidden: true });
    const message = formMessage();
    const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Import');
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      h('p', { class: 'file-chip' }, h('span', { class: 'file-chip-label' }, 'File: '), file.name, ` (${sizeOf(file.size)})`),
      fileError,
      team.row,
      format.row,
      name.row,
      message.el,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: () => close() }, 'Cancel'),
        submit,
      ),
    );
    if (file.size > MAX_BYTES) {
      fileError.hidden = false;
      fileError.textContent = 'This file is larger than 64 KiB, the most the service takes.';
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.show('');
      try {
        const { data: palette } = await busy(submit, () =>
          api.post('/api/palettes/import/', file, {
            query: { team_id: team.input.value, format: format.input.value, name: name.input.value.trim() },
          }),
        );
        close(palette);
        toast(`Imported ${palette.name} with ${palette.colors.length} colours.`);
        navigate(`/palettes/${palette.id}`);
      } catch (error) {
        // The body is the file: its parse errors name no field of this form.
        message.show(api.showFieldErrors(error, { team_id: team, format, name }));
        const invalid = form.querySelector('[aria-invalid="true"]');
        (invalid ?? submit).focus();
      }
    });
    return form;
  });
}

function sizeOf(bytes) {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Lets a file dropped anywhere on the page open the import dialog. */
export function installDropImport(currentTeamId) {
  const overlay = h('div', { class: 'drop-overlay', hidden: true }, h('p', {}, 'Drop the palette file to import it'));
  document.body.append(overlay);
  let depth = 0;
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  document.addEventListener('dragenter', (event) => {
    if (!session.isSignedIn() || !carriesFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener('dragover', (event) => {
    if (!session.isSignedIn() || !carriesFiles(event)) return;
    // Without this the browser would open the file instead of dropping it here.
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    depth = 0;
    overlay.hidden = true;
    if (!session.isSignedIn() || !carriesFiles(event)) return;
    event.preventDefault();
    const [file] = event.dataTransfer.files;
    if (!file) return;
    if (document.querySelector('dialog[open]')) {
      toast('Close the open dialog first, then drop the file again.', { kind: 'warning' });
      return;
    }
    const teamId = currentTeamId() ?? session.user()?.personal_team_id;
    importDialog(file, teamId);
  });
}
