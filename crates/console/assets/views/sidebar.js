// The sidebar: my teams (to switch between them), a new team, and the
// invitations addressed to me.

import * as api from '../api.js';
import * as store from '../store.js';
import { navigate } from '../router.js';
import { h, replace, field, formMessage, modal, toast, announce, busy } from '../dom.js';

/** Renders the sidebar, marking the team the current screen is about. */
export function renderSidebar(container, currentTeamId) {
  const teams = store.teams();
  const invitations = store.invitations();
  const focused = container.contains(document.activeElement) ? focusKey(document.activeElement) : null;
  replace(
    container,
    h(
      'div',
      { class: 'sidebar-head' },
      h('h2', { class: 'sidebar-title', id: 'teams-heading', tabindex: '-1' }, 'Teams'),
      h('button', { type: 'button', class: 'button button-small', onclick: createTeam }, 'New team'),
    ),
    h(
      'ul',
      { class: 'team-list', 'aria-labelledby': 'teams-heading' },
      teams.map((team) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href: `#/teams/${team.id}`,
              class: 'team-link',
              'aria-current': team.id === currentTeamId ? 'page' : undefined,
            },
            h('span', { class: 'team-link-name' }, team.name),
            h('span', { class: 'team-link-meta' }, team.personal ? 'Personal' : roleLabel(team)),
          ),
        ),
      ),
    ),
    invitations.length ? renderInvitations(invitations) : null,
  );
  revealCurrentTeam(container);
  // Drawn anew: keep focus on the same control, or near it when it is gone.
  if (focused) {
    const again = [...container.querySelectorAll('a, button')].find((el) => focusKey(el) === focused);
    (again ?? container.querySelector('.sidebar-title'))?.focus();
  }
}

function focusKey(el) {
  return `${el.tagName}|${el.getAttribute('href') ?? ''}|${el.getAttribute('aria-label') ?? el.textContent}`;
}

/**
 * On a phone the teams scroll sideways: keeps the current one in view
 * (without scrolling the page, as scrollIntoView would).
 */
export function revealCurrentTeam(container) {
  const list = container.querySelector('.team-list');
  const current = list?.querySelector('[aria-current="page"]');
  if (current && list.scrollWidth > list.clientWidth) {
    list.scrollLeft = current.parentElement.offsetLeft - list.offsetLeft - 16;
  }
}

function roleLabel(team) {
  const count = team.members.length;
  return `${team.role === 'owner' ? 'Owner' : 'Member'} · ${count} ${count === 1 ? 'member' : 'members'}`;
}

function renderInvitations(invitations) {
  return h(
    'section',
    { class: 'invitations', 'aria-labelledby': 'invitations-heading' },
    h('h2', { class: 'sidebar-title', id: 'invitations-heading' }, `Invitations (${invitations.length})`),
    h(
      'ul',
      { class: 'invitation-list' },
      invitations.map((invitation) => {
        const accept = h('button', { type: 'button', class: 'button button-primary button-small' }, 'Accept');
        const decline = h('button', { type: 'button', class: 'button button-small' }, 'Decline');
        const teamName = invitation.team.name;
        accept.setAttribute('aria-label', `Accept the invitation to ${teamName}`);
        decline.setAttribute('aria-label', `Decline the invitation to ${teamName}`);
        accept.addEventListener('click', () => answer(invitation, true, accept));
        decline.addEventListener('click', () => answer(invitation, false, decline));
        return h(
          'li',
          { class: 'invitation' },
          h('p', { class: 'invitation-team' }, teamName),
          h('p', { class: 'invitation-meta' }, invitation.invited_by ? `from ${invitation.invited_by.username}` : 'invited'),
          h('div', { class: 'invitation-actions' }, accept, decline),
        );
      }),
    ),
  );
}

async function answer(invitation, accepting, button) {
  const teamId = invitation.team.id;
  try {
    await busy(button, () =>
      accepting ? api.put(`/api/teams/${teamId}/membership/`) : api.del(`/api/teams/${teamId}/membership/`),
    );
  } catch (error) {
    toast(api.describeError(error), { kind: 'error' });
    // The invitation may be gone (revoked): show what is true now.
    store.load().catch(() => {});
    return;
  }
  store.dropInvitation(invitation.id);
  if (accepting) {
    const { data: team } = await api.get(`/api/teams/${teamId}/`);
    store.putTeam(team);
    announce(`You joined ${team.name}.`);
    navigate(`/teams/${teamId}`);
  } else {
    announce(`Declined the invitation to ${invitation.team.name}.`);
  }
}

/** Asks for a name and creates a team I own. */
export function createTeam() {
  return modal('New team', (close) => {
    const name = field('Team name', h('input', { type: 'text', required: true, maxlength: '150', autocomplete: 'off' }));
    const message = formMessage();
    const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Create team');
    const form = h(
      'form',
      { class: 'form', novalidate: true },
      name.row,
      message.el,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: () => close() }, 'Cancel'),
        submit,
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.show('');
      try {
        const { data: team } = await busy(submit, () => api.post('/api/teams/', { name: name.input.value }));
        store.putTeam(team);
        close(team);
        toast(`Team ${team.name} created.`);
        navigate(`/teams/${team.id}`);
      } catch (error) {
        message.show(api.showFieldErrors(error, { name }));
        (name.input.getAttribute('aria-invalid') ? name.input : submit).focus();
      }
    });
    return form;
  });
}
