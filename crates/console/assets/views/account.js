// My account: who I am, change the password, delete the account.

import * as api from '../api.js';
import * as session from '../session.js';
import * as store from '../store.js';
import { h, replace, field, formMessage, modal, announce, busy, formatDate } from '../dom.js';

/** The screen at #/account. */
export default async function accountScreen(ctx) {
  ctx.setTitle('Account');
  const { data: me, etag } = await api.get('/api/users/me/', { signal: ctx.signal });
  const personal = store.team(me.personal_team_id);

  replace(
    ctx.root,
    h(
      'div',
      { class: 'narrow' },
      h('header', { class: 'page-head' }, h('h1', {}, 'Account'), h('p', { class: 'page-meta' }, `Signed in as ${me.username}`)),
      profileSection(me, personal),
      passwordSection(),
      deleteSection(me, etag, ctx),
    ),
  );
}

function profileSection(me, personal) {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'profile-heading' },
    h('h2', { id: 'profile-heading' }, 'Profile'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Username'),
      h('dd', {}, me.username),
      h('dt', {}, 'Member since'),
      h('dd', {}, formatDate(me.created_at)),
      h('dt', {}, 'Personal team'),
      h('dd', {}, personal ? h('a', { href: `#/teams/${personal.id}` }, personal.name) : '—'),
      h('dt', {}, 'Teams'),
      h('dd', {}, String(store.teams().length)),
    ),
  );
}

function passwordSection() {
  const current = field('Current password', h('input', { type: 'password', autocomplete: 'current-password' }));
  const next = field('New password', h('input', { type: 'password', autocomplete: 'new-password' }), { hint: 'At least 8 characters.' });
  const repeat = field('New password again', h('input', { type: 'password', autocomplete: 'new-password' }));
  const message = formMessage();
  const done = h('p', { class: 'success', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Change password');
  const form = h('form', { class: 'form form-narrow', novalidate: true }, current.row, next.row, repeat.row, message.el, submit, done);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.show('');
    done.textContent = '';
    repeat.error([]);
    if (next.input.value !== repeat.input.value) {
      repeat.error(['The two new passwords differ.']);
      repeat.input.focus();
      return;
    }
    try {
      await busy(submit, () => session.changePassword(current.input.value, next.input.value));
    } catch (error) {
      message.show(api.showFieldErrors(error, { current_password: current, new_password: next }));
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    form.reset();
    done.textContent = 'Password changed. Your other sessions and API tokens were signed out.';
    announce('Password changed.');
  });
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'password-heading' },
    h('h2', { id: 'password-heading' }, 'Password'),
    h('p', { class: 'muted' }, 'Changing it signs out every other session and revokes your API tokens.'),
    form,
  );
}

function deleteSection(me, etag, ctx) {
  const button = h('button', { type: 'button', class: 'button button-danger' }, 'Delete my account…');
  button.addEventListener('click', () => confirmDeletion(me, etag, ctx));
  return h(
    'section',
    { class: 'panel panel-danger', 'aria-labelledby': 'delete-account-heading' },
    h('h2', { id: 'delete-account-heading' }, 'Delete account'),
    h('p', {}, 'Deletes your account, your personal team and its palettes, and the teams where you are the only member.'),
    button,
  );
}

/** What deleting the account takes with it, from my teams as the store has them. */
async function consequences(me) {
  const teams = store.teams();
  const alone = teams.filter((t) => !t.personal && t.members.length === 1);
  const shared = teams.filter((t) => !t.personal && t.members.length > 1);
  const blocking = shared.filter((t) => t.role === 'owner' && t.members.filter((m) => m.role === 'owner').length === 1);
  let count = null;
  try {
    count = (await api.getAll('/api/palettes/', { team: me.personal_team_id })).length;
  } catch {
    // The count only informs the question.
  }
  return { personal: store.team(me.personal_team_id), alone, shared, blocking, count };
}

async function confirmDeletion(me, etag, ctx) {
  const { personal, alone, shared, blocking, count } = await consequences(me);
  const list = (teams) => teams.map((t) => t.name).join(', ');
  await modal('Delete your account?', (close) => {
    const goes = h(
      'ul',
      { class: 'consequences' },
      h('li', {}, `Your account ${me.username} and its API tokens.`),
      h('li', {}, `Your personal team ${personal?.name ?? me.username}`, count === null ? '' : ` and its ${count} ${count === 1 ? 'palette' : 'palettes'}.`),
      alone.length ? h('li', {}, `Teams where you are the only member, with their palettes: ${list(alone)}.`) : null,
      shared.length ? h('li', {}, `You leave: ${list(shared)} (their palettes stay).`) : null,
    );
    const confirm = field(`Type your username, ${me.username}, to confirm`, h('input', { type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' }));
    const message = formMessage();
    const submit = h('button', { type: 'submit', class: 'button button-danger' }, 'Delete my account');
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      h('p', {}, 'This goes, for good:'),
      goes,
      blocking.length
        ? h('p', { class: 'form-error' }, `First make someone else an owner of ${list(blocking)}: a team with members keeps an owner.`)
        : null,
      confirm.row,
      message.el,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'button', onclick: () => close() }, 'Cancel'), submit),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      confirm.error([]);
      message.show('');
      if (confirm.input.value.trim() !== me.username) {
        confirm.error([`Type ${me.username} to confirm.`]);
        confirm.input.focus();
        return;
      }
      try {
        await busy(submit, () => session.deleteAccount(etag));
      } catch (error) {
        message.show(api.showFieldErrors(error, {}));
        return;
      }
      close(true);
      ctx.ended('Your account was deleted.');
    });
    return form;
  });
}
