// The signed-in session: an API token made at sign-in, kept in this tab's
// sessionStorage (gone when the tab closes), revoked at sign-out.

import * as api from './api.js';

const KEY = 'palette-console.session';
// Short-lived: a token left behind by a closed tab stops working by itself.
const TOKEN_DAYS = 1;

let current = null; // {token, tokenId, user}

function save() {
  if (current) sessionStorage.setItem(KEY, JSON.stringify(current));
  else sessionStorage.removeItem(KEY);
  api.setAuthorization(current ? `Bearer ${current.token}` : null);
}

/** The signed-in user ({id, username, personal_team_id, created_at}) or null. */
export function user() {
  return current?.user ?? null;
}

/** Whether a session is held (its token may still turn out revoked). */
export function isSignedIn() {
  return current !== null;
}

/** Restores the session of this tab, checking that its token still works. */
export async function restore() {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return false;
  try {
    current = JSON.parse(stored);
  } catch {
    current = null;
  }
  save();
  if (!current) return false;
  try {
    const { data } = await api.get('/api/users/me/');
    current.user = data;
    save();
    return true;
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) {
      forget();
      return false;
    }
    // Offline or busy: keep the session and let the views report it.
    return true;
  }
}

/** Creates a token with the password and keeps it; resolves the user. */
export async function signIn(username, password) {
  const authorization = api.basic(username, password);
  const { data: token } = await api.post(
    '/api/tokens/',
    { name: `Web console (${new Date().toISOString().slice(0, 10)})`, expires_in_days: TOKEN_DAYS },
    { authorization },
  );
  current = { token: token.token, tokenId: token.id, user: null };
  save();
  const { data: me } = await api.get('/api/users/me/');
  current.user = me;
  save();
  return me;
}

/** Registers, then signs in. */
export async function signUp(username, password) {
  await api.post('/api/users/', { username, password });
  return signIn(username, password);
}

/** Revokes the token (best effort) and forgets the session. */
export async function signOut() {
  if (current) {
    try {
      await api.del(`/api/tokens/${current.tokenId}/`);
    } catch {
      // Already revoked or unreachable: it expires by itself.
    }
  }
  forget();
}

/** Forgets the session without calling the API (its token is already dead). */
export function forget() {
  current = null;
  save();
}

/**
 * Changes the password. The API revokes every token of the user then, so
 * the console signs in again with the new password.
 */
export async function changePassword(currentPassword, newPassword) {
  await api.put('/api/users/me/password/', { current_password: currentPassword, new_password: newPassword });
  const username = current.user.username;
  current = null;
  save();
  return signIn(username, newPassword);
}

/** Deletes the account (with the ETag of `me` as read) and forgets the session. */
export async function deleteAccount(etag) {
  await api.del('/api/users/me/', { etag });
  forget();
}
