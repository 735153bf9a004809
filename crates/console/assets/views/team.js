// A team's palettes as a grid of swatch strips, with search, a colour
// filter and sorting; kept current by live events.

import * as api from '../api.js';
import * as store from '../store.js';
import * as live from '../live.js';
import * as session from '../session.js';
import { navigate } from '../router.js';
import { h, replace, formatRelative, announce, toast } from '../dom.js';
import { normalizeHex, opaquePart } from '../color.js';
import { swatchStrip } from './swatches.js';
import { chooseFileToImport } from './importer.js';

const SORTS = [
  ['-updated_at', 'Recently updated'],
  ['name', 'Name, A to Z'],
  ['-name', 'Name, Z to A'],
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
];
const PAGE = 50;
// Filters survive a visit to a palette and back, per team.
const filtersByTeam = new Map();

/** The team header shared by the team's screens, with its tabs. */
export function teamHeader(team, active) {
  const members = team.members.length;
  const meta = team.personal
    ? 'Your personal team'
    : `${members} ${members === 1 ? 'member' : 'members'} · you are ${team.role === 'owner' ? 'an owner' : 'a member'}`;
  const tab = (path, label, key) =>
    h('a', { href: `#${path}`, class: 'tab', 'aria-current': key === active ? 'page' : undefined }, label);
  return h(
    'header',
    { class: 'page-head' },
    h('h1', {}, team.name),
    h('p', { class: 'page-meta' }, meta),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Team sections' },
      tab(`/teams/${team.id}`, 'Palettes', 'palettes'),
      tab(`/teams/${team.id}/members`, team.personal ? 'Settings' : 'Members and settings', 'members'),
    ),
  );
}

/** The screen at #/teams/:id. */
export default async function teamScreen(ctx) {
  const teamId = Number(ctx.params.id);
  ctx.setTeam(teamId);
  const team = store.team(teamId) ?? (await api.get(`/api/teams/${teamId}/`, { signal: ctx.signal })).data;
  ctx.setTitle(team.name);

  const filters = filtersByTeam.get(teamId) ?? { search: '', color: '', ordering: '-updated_at' };
  filtersByTeam.set(teamId, filters);
  let items = [];
  let nextCursor = null;
  let loading = 0;

  const grid = h('ul', { class: 'palette-grid', 'aria-labelledby': 'palettes-heading' });
  const status = h('p', { class: 'result-count', role: 'status' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Show more palettes');
  const empty = h('div', { class: 'empty', hidden: true });

  // Search, colour filter and sort.
  const search = h('input', { type: 'search', id: 'palette-search', value: filters.search, autocomplete: 'off' });
  const picker = h('input', { type: 'color', id: 'color-filter-picker', value: filters.color ? opaquePart(filters.color) : '#3366cc' });
  const hex = h('input', {
    type: 'text',
    id: 'color-filter',
    value: filters.color,
    placeholder: '#rrggbb',
    spellcheck: 'false',
    autocomplete: 'off',
    size: '9',
  });
  const hexError = h('p', { class: 'field-error', id: 'color-filter-error', hidden: true });
  hex.setAttribute('aria-describedby', 'color-filter-error');
  const clearColor = h('button', { type: 'button', class: 'button button-small', hidden: !filters.color }, 'Any colour');
  const sort = h(
    'select',
    { id: 'palette-sort' },
    SORTS.map(([value, label]) => h('option', { value, selected: value === filters.ordering }, label)),
  );

  let searchTimer;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      filters.search = search.value.trim();
      reload();
    }, 250);
  });
  const setColor = (value) => {
    filters.color = value;
    clearColor.hidden = !value;
    hexError.hidden = true;
    hex.removeAttribute('aria-invalid');
    reload();
  };
  picker.addEventListener('change', () => {
    hex.value = picker.value;
    setColor(picker.value);
  });
  hex.addEventListener('change', () => {
    const text = hex.value.trim();
    if (!text) return setColor('');
    const normal = normalizeHex(text);
    if (!normal) {
      hexError.hidden = false;
      hexError.textContent = 'Use a hex colour like #1e90ff or #1e90ff80.';
      hex.setAttribute('aria-invalid', 'true');
      return undefined;
    }
    hex.value = normal;
    picker.value = opaquePart(normal);
    return setColor(normal);
  });
  clearColor.addEventListener('click', () => {
    hex.value = '';
    setColor('');
    hex.focus();
  });
  sort.addEventListener('change', () => {
    filters.ordering = sort.value;
    reload();
  });
  more.addEventListener('click', () => load({ append: true }));

  async function load({ append = false, keep = 0 } = {}) {
    loading += 1;
    const mine = loading;
    grid.setAttribute('aria-busy', 'true');
    try {
      const { data } = await api.get('/api/palettes/', {
        signal: ctx.signal,
        query: {
          team: teamId,
          search: filters.search,
          color: filters.color,
          ordering: filters.ordering,
          limit: Math.min(1000, Math.max(PAGE, keep)),
          cursor: append ? nextCursor : null,
        },
      });
      if (mine !== loading) return; // a newer load replaced this one
      items = append ? [...items, ...data.items] : data.items;
      nextCursor = data.next_cursor;
      renderGrid();
    } catch (error) {
      if (error.name === 'AbortError') return;
      status.textContent = api.describeError(error);
    } finally {
      if (mine === loading) grid.removeAttribute('aria-busy');
    }
  }
  const reload = () => load();

  function renderGrid() {
    replace(grid, items.map((palette) => card(palette)));
    more.hidden = !nextCursor;
    const filtered = filters.search || filters.color;
    empty.hidden = items.length > 0;
    replace(
      empty,
      filtered
        ? h('p', {}, 'No palette matches these filters.')
        : [
            h('p', { class: 'empty-title' }, 'No palettes yet'),
            h('p', {}, 'Create one, or drop a palette file (CSS, design tokens, GIMP or ASE) anywhere on this page.'),
          ],
    );
    const count = items.length;
    status.textContent = count
      ? `${count}${nextCursor ? '+' : ''} ${count === 1 ? 'palette' : 'palettes'}${filtered ? ' match' : ''}`
      : '';
  }

  // Others' changes to this team's palettes: reload what is shown, with the
  // same filters and as many items as are on screen.
  let liveTimer;
  let changedId = null;
  ctx.onLeave(
    live.subscribe(({ type, data }) => {
      if (data?.team_id !== teamId) return;
      if (type === 'team.deleted' || (type === 'member.left' && data.member.id === session.user()?.id)) {
        toast(type === 'team.deleted' ? 'This team was deleted.' : 'You are no longer a member of this team.', { kind: 'warning' });
        navigate('/');
        return;
      }
      if (!type.startsWith('palette.')) return;
      changedId = data.palette.id;
      clearTimeout(liveTimer);
      liveTimer = setTimeout(async () => {
        await load({ keep: items.length });
        if (type !== 'palette.deleted') {
          const shown = grid.querySelector(`[data-palette-id="${changedId}"]`);
          shown?.classList.add('just-changed');
        }
        announce(liveMessage(type, data));
      }, 150);
    }),
  );
  ctx.onLeave(() => {
    clearTimeout(liveTimer);
    clearTimeout(searchTimer);
  });
  // A rename of the team (or my role) redraws the header.
  const header = h('div', {}, teamHeader(team, 'palettes'));
  ctx.onLeave(
    store.subscribe(() => {
      const now = store.team(teamId);
      if (now) {
        replace(header, teamHeader(now, 'palettes'));
        ctx.setTitle(now.name);
      }
    }),
  );

  const importButton = h('button', { type: 'button', class: 'button' }, 'Import a file…');
  importButton.addEventListener('click', () => chooseFileToImport(teamId));

  replace(
    ctx.root,
    header,
    h(
      'div',
      { class: 'toolbar' },
      h('a', { class: 'button button-primary', href: `#/teams/${teamId}/palettes/new` }, 'New palette'),
      importButton,
    ),
    h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Find palettes', onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'filter' }, h('label', { for: 'palette-search' }, 'Search names'), search),
      h(
        'div',
        { class: 'filter filter-color' },
        h('label', { for: 'color-filter' }, 'Contains colour'),
        h(
          'div',
          { class: 'inline' },
          h('label', { for: 'color-filter-picker', class: 'visually-hidden' }, 'Pick a colour to filter by'),
          picker,
          hex,
          clearColor,
        ),
        hexError,
      ),
      h('div', { class: 'filter' }, h('label', { for: 'palette-sort' }, 'Sort'), sort),
    ),
    h('h2', { class: 'visually-hidden', id: 'palettes-heading' }, 'Palettes'),
    status,
    grid,
    empty,
    h('div', { class: 'more' }, more),
  );
  await load();
}

function liveMessage(type, data) {
  if (type === 'palette.deleted') return 'A palette was deleted.';
  const verb = type === 'palette.created' ? 'added' : 'updated';
  return `Palette ${data.palette.name} was ${verb}.`;
}

function card(palette) {
  const count = palette.colors.length;
  return h(
    'li',
    { class: 'palette-card', dataset: { paletteId: String(palette.id) } },
    swatchStrip(palette.colors, `Colours of ${palette.name}`),
    h(
      'div',
      { class: 'palette-card-body' },
      h('h3', { class: 'palette-card-title' }, h('a', { href: `#/palettes/${palette.id}` }, palette.name)),
      palette.description ? h('p', { class: 'palette-card-description' }, palette.description) : null,
      h(
        'p',
        { class: 'palette-card-meta' },
        `${count} ${count === 1 ? 'colour' : 'colours'} · updated ${formatRelative(palette.updated_at)}`,
      ),
    ),
  );
}
