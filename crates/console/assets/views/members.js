// A team's members and settings: rename, roles, invitations, removing
// members, leaving or deleting the team.

import * as api from '../api.js';
import * as session from '../session.js';
import * as store from '../store.js';
import * as live from '../live.js';
import { navigate } from '../router.js';
import { h, replace, field, formMessage, toast, announce, busy, confirmDialog, formatDate } from '../dom.js';
import { teamHeader } from './team.js';

/** The screen at #/teams/:id/members. */
export default async function membersScreen(ctx) {
  const teamId = Number(ctx.params.id);
  ctx.setTeam(teamId);
  // The ETag for If-Match comes with a fresh read of the team.
  let { data: team, etag } = await api.get(`/api/teams/${teamId}/`, { signal: ctx.signal });
  store.putTeam(team);
  const me = session.user();
  let invitations = [];

  const header = h('div');
  const renameBox = h('div');
  const membersBox = h('div');
  const invitationsBox = h('div');
  const dangerBox = h('div');
  const isOwner = () => team.role === 'owner';
  let leaving = false; // my own leave or delete: its events are no news

  async function refreshTeam() {
    try {
      ({ data: team, etag } = await api.get(`/api/teams/${teamId}/`, { signal: ctx.signal }));
      store.putTeam(team);
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 404) {
        toast('You are no longer a member of this team.', { kind: 'warning' });
        navigate('/');
      }
      return;
    }
    render();
  }

  async function refreshInvitations() {
    if (!isOwner()) {
      invitations = [];
      return;
    }
    try {
      invitations = await api.getAll(`/api/teams/${teamId}/invitations/`, {}, { signal: ctx.signal });
    } catch {
      invitations = [];
    }
  }

  function render() {
    ctx.setTitle(`${team.name}: members`);
    replace(header, teamHeader(team, 'members'));
    renderRename();
    renderMembers();
    renderInvitations();
    renderDanger();
  }

  function renderRename() {
    if (team.personal || !isOwner()) {
      replace(
        renameBox,
        team.personal
          ? section('Name', 'name-heading', h('p', { class: 'muted' }, 'A personal team keeps the name of its user.'))
          : null,
      );
      return;
    }
    const name = field('Team name', h('input', { type: 'text', value: team.name, maxlength: '150', autocomplete: 'off' }));
    const message = formMessage();
    const submit = h('button', { type: 'submit', class: 'button' }, 'Rename');
    const form = h('form', { class: 'form form-inline', novalidate: true }, name.row, submit, message.el);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.show('');
      try {
        const response = await busy(submit, () => api.patch(`/api/teams/${teamId}/`, { name: name.input.value }, { etag }));
        team = response.data;
        etag = response.etag;
        store.putTeam(team);
        render();
        announce(`Renamed to ${team.name}.`);
      } catch (error) {
        if (error instanceof api.ApiError && error.status === 412) {
          message.show('The team changed while you were here; it is reloaded, try again.');
          await refreshTeam();
          return;
        }
        message.show(api.showFieldErrors(error, { name }));
        name.input.focus();
      }
    });
    replace(renameBox, section('Name', 'name-heading', form));
  }

  function renderMembers() {
    const rows = team.members.map((member) => {
      const itsMe = member.id === me.id;
      const personalOwner = team.personal && itsMe;
      let role;
      if (isOwner() && !personalOwner) {
        role = h(
          'select',
          { 'aria-label': `Role of ${member.username}`, dataset: { userId: String(member.id) } },
          h('option', { value: 'owner', selected: member.role === 'owner' }, 'Owner'),
          h('option', { value: 'member', selected: member.role === 'member' }, 'Member'),
        );
        role.addEventListener('change', () => changeRole(member, role));
      } else {
        role = h('span', { class: 'role' }, member.role === 'owner' ? 'Owner' : 'Member');
      }
      let action = null;
      if (itsMe && !team.personal) {
        action = h('button', { type: 'button', class: 'button button-small' }, 'Leave team');
        action.addEventListener('click', () => leave(action));
      } else if (!itsMe && isOwner()) {
        action = h('button', { type: 'button', class: 'button button-small', 'aria-label': `Remove ${member.username}` }, 'Remove');
        action.addEventListener('click', () => removeMember(member, action));
      }
      return h(
        'li',
        { class: 'member' },
        h('span', { class: 'member-name' }, member.username, itsMe ? h('span', { class: 'you' }, ' (you)') : null),
        h('span', { class: 'member-role' }, role),
        h('span', { class: 'member-action' }, action),
      );
    });
    replace(
      membersBox,
      section(
        `Members (${team.members.length})`,
        'members-heading',
        h('ul', { class: 'member-list', 'aria-labelledby': 'members-heading' }, rows),
        isOwner() ? null : h('p', { class: 'muted' }, 'Only owners can invite people, change roles and remove members.'),
      ),
    );
  }

  async function changeRole(member, select) {
    const role = select.value;
    try {
      await api.patch(`/api/teams/${teamId}/members/${member.id}/`, { role });
      announce(`${member.username} is now ${role === 'owner' ? 'an owner' : 'a member'}.`);
    } catch (error) {
      select.value = member.role;
      toast(api.describeError(error), { kind: 'error', timeout: 8000 });
    }
    await refreshTeam();
    // The list was drawn again: put focus back on this member's role.
    const again = membersBox.querySelector(`select[data-user-id="${member.id}"]`);
    (again ?? membersBox.querySelector('h2'))?.focus();
  }

  async function removeMember(member, button) {
    const ok = await confirmDialog(`Remove ${member.username}?`, `${member.username} will lose access to ${team.name} and its palettes.`, 'Remove');
    if (!ok) return;
    try {
      await busy(button, () => api.del(`/api/teams/${teamId}/members/${member.id}/`));
      announce(`Removed ${member.username}.`);
    } catch (error) {
      toast(api.describeError(error), { kind: 'error', timeout: 8000 });
    }
    await refreshTeam();
  }

  async function leave(button) {
    const ok = await confirmDialog(`Leave ${team.name}?`, 'You will lose access to its palettes until someone invites you again.', 'Leave team');
    if (!ok) return;
    leaving = true;
    try {
      await busy(button, () => api.del(`/api/teams/${teamId}/membership/`));
    } catch (error) {
      leaving = false;
      toast(api.describeError(error), { kind: 'error', timeout: 8000 });
      return;
    }
    store.dropTeam(teamId);
    toast(`You left ${team.name}.`);
    navigate('/');
  }

  function renderInvitations() {
    if (!isOwner() || team.personal) {
      replace(invitationsBox);
      return;
    }
    const username = field('Username', h('input', { id: 'invite-username', type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '150' }));
    const message = formMessage();
    const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Invite');
    const form = h('form', { class: 'form form-inline', novalidate: true }, username.row, submit, message.el);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.show('');
      try {
        const { data } = await busy(submit, () => api.post(`/api/teams/${teamId}/invitations/`, { username: username.input.value.trim() }));
        announce(`Invited ${data.invitee.username}.`);
        await refreshInvitations();
        renderInvitations();
        document.getElementById('invite-username')?.focus();
      } catch (error) {
        message.show(api.showFieldErrors(error, { username }));
        username.input.focus();
      }
    });
    const pending = invitations.length
      ? h(
          'ul',
          { class: 'pending-list' },
          invitations.map((invitation) => {
            const revoke = h('button', { type: 'button', class: 'button button-small', 'aria-label': `Revoke the invitation of ${invitation.invitee.username}` }, 'Revoke');
            revoke.addEventListener('click', async () => {
              try {
                await busy(revoke, () => api.del(`/api/teams/${teamId}/invitations/${invitation.id}/`));
                announce(`Revoked the invitation of ${invitation.invitee.username}.`);
              } catch (error) {
                toast(api.describeError(error), { kind: 'error' });
              }
              await refreshInvitations();
              renderInvitations();
            });
            return h(
              'li',
              {},
              h('span', { class: 'pending-name' }, invitation.invitee.username),
              h('span', { class: 'muted' }, ` invited ${formatDate(invitation.created_at)}`),
              revoke,
            );
          }),
        )
      : h('p', { class: 'muted' }, 'No pending invitations.');
    replace(
      invitationsBox,
      section('Invite people', 'invite-heading', h('p', { class: 'muted' }, 'They see the invitation when they sign in, and join when they accept it.'), form, h('h3', {}, 'Pending'), pending),
    );
  }

  function renderDanger() {
    if (team.personal) {
      replace(dangerBox);
      return;
    }
    const parts = [];
    if (isOwner()) {
      const button = h('button', { type: 'button', class: 'button button-danger' }, 'Delete team');
      button.addEventListener('click', () => deleteTeam(button));
      parts.push(h('p', {}, 'Deleting the team deletes its palettes, for every member.'), button);
    }
    replace(dangerBox, parts.length ? section('Delete', 'delete-heading', parts) : null);
  }

  async function deleteTeam(button) {
    let count = 0;
    try {
      count = (await api.getAll('/api/palettes/', { team: teamId })).length;
    } catch {
      // The count only informs the question.
    }
    const ok = await confirmDialog(
      `Delete ${team.name}?`,
      [
        `The team ${team.name} and its ${count} ${count === 1 ? 'palette' : 'palettes'} will be deleted. Its ${team.members.length} ${team.members.length === 1 ? 'member loses' : 'members lose'} access.`,
        'This cannot be undone.',
      ],
      'Delete team',
    );
    if (!ok) return;
    leaving = true;
    try {
      await busy(button, () => api.del(`/api/teams/${teamId}/`, { etag }));
    } catch (error) {
      leaving = false;
      if (error instanceof api.ApiError && error.status === 412) {
        toast('The team changed while you were here; look again, then delete.', { kind: 'warning' });
        await refreshTeam();
        return;
      }
      toast(api.describeError(error), { kind: 'error' });
      return;
    }
    store.dropTeam(teamId);
    toast(`Deleted ${team.name}.`);
    navigate('/');
  }

  // Others' changes to this team: members, roles, name, invitations.
  let timer;
  ctx.onLeave(
    live.subscribe(({ type, data }) => {
      if (leaving || data?.team_id !== teamId) return;
      if (type === 'team.deleted' || (type === 'member.left' && data.member.id === me.id)) {
        toast(type === 'team.deleted' ? 'This team was deleted.' : 'You were removed from this team.', { kind: 'warning' });
        navigate('/');
        return;
      }
      if (!type.startsWith('team.') && !type.startsWith('member.') && !type.startsWith('invitation.')) return;
      clearTimeout(timer);
      timer = setTimeout(async () => {
        await refreshInvitations();
        await refreshTeam();
      }, 150);
    }),
  );
  ctx.onLeave(() => clearTimeout(timer));

  await refreshInvitations();
  replace(ctx.root, header, renameBox, membersBox, invitationsBox, dangerBox);
  render();
}

function section(title, id, ...content) {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id, tabindex: '-1' }, title), content);
}
