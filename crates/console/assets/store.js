// What several screens show at once: my teams and the invitations addressed
// to me, kept current by live events.

import * as api from './api.js';
import * as session from './session.js';
import * as live from './live.js';

const state = { teams: [], invitations: [], loaded: false };
const listeners = new Set();

/** Receives the state after every change; returns an unsubscribe function. */
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of [...listeners]) listener(state);
}

/** My teams, personal team first, then by name. */
export function teams() {
  return state.teams;
}

/** Invitations addressed to me. */
export function invitations() {
  return state.invitations;
}

/** One of my teams, or undefined. */
export function team(id) {
  return state.teams.find((t) => t.id === Number(id));
}

function sortTeams() {
  state.teams.sort((a, b) => Number(b.personal) - Number(a.personal) || a.name.localeCompare(b.name));
}

/** Loads teams and invitations from the API. */
export async function load() {
  const [teams, invitations] = await Promise.all([api.getAll('/api/teams/'), api.getAll('/api/invitations/')]);
  state.teams = teams;
  state.invitations = invitations;
  state.loaded = true;
  sortTeams();
  changed();
}

/** Puts a team as the API just returned it. */
export function putTeam(teamData) {
  const index = state.teams.findIndex((t) => t.id === teamData.id);
  if (index >= 0) state.teams[index] = teamData;
  else state.teams.push(teamData);
  sortTeams();
  changed();
}

/** Drops a team I left or that is gone. */
export function dropTeam(id) {
  state.teams = state.teams.filter((t) => t.id !== Number(id));
  changed();
}

/** Drops an invitation I answered. */
export function dropInvitation(id) {
  state.invitations = state.invitations.filter((i) => i.id !== Number(id));
  changed();
}

/** Clears everything (sign-out). */
export function clear() {
  state.teams = [];
  state.invitations = [];
  state.loaded = false;
  changed();
}

function updateMembers(teamId, update) {
  const found = team(teamId);
  if (!found) return;
  found.members = update(found.members).sort((a, b) => a.id - b.id);
  changed();
}

// Follows what other people do to my teams and invitations.
live.subscribe(({ type, data }) => {
  const me = session.user()?.id;
  switch (type) {
    case 'team.updated':
      putTeam(data.team);
      break;
    case 'team.deleted':
      dropTeam(data.team_id);
      break;
    case 'member.joined':
      if (data.member.id === me) {
        // I joined (perhaps from another tab): the team itself is new to me.
        api.get(`/api/teams/${data.team_id}/`).then(({ data: t }) => putTeam(t), () => {});
      } else {
        updateMembers(data.team_id, (members) => [...members.filter((m) => m.id !== data.member.id), data.member]);
      }
      break;
    case 'member.updated':
      if (data.member.id === me) {
        const found = team(data.team_id);
        if (found) found.role = data.member.role;
      }
      updateMembers(data.team_id, (members) => members.map((m) => (m.id === data.member.id ? data.member : m)));
      break;
    case 'member.left':
      if (data.member.id === me) dropTeam(data.team_id);
      else updateMembers(data.team_id, (members) => members.filter((m) => m.id !== data.member.id));
      break;
    case 'invitation.created':
      if (data.invitation.invitee.id === me && !state.invitations.some((i) => i.id === data.invitation.id)) {
        state.invitations.push(data.invitation);
        changed();
      }
      break;
    case 'invitation.revoked':
      dropInvitation(data.invitation.id);
      break;
    case 'reset':
      load().catch(() => {});
      break;
    default:
      break;
  }
});
