// The top bar's right side: the live status, my account, sign-out.

import * as session from '../session.js';
import * as live from '../live.js';
import { h, replace } from '../dom.js';

const LABELS = {
  connecting: 'Connecting…',
  live: 'Live',
  down: 'Offline, reconnecting…',
  off: '',
};
const TITLES = {
  live: 'Changes by others appear as they happen',
  down: 'Live updates are paused; what you see may be out of date until they resume',
};

let stopStatus = null;

/** Renders the live indicator and the account links (nothing when signed out). */
export function renderTopbar(container, { signOut }) {
  stopStatus?.();
  const user = session.user();
  if (!session.isSignedIn()) {
    replace(container);
    return;
  }
  const indicator = h('p', { class: 'live-status', role: 'status' });
  stopStatus = live.onStatus((status) => {
    indicator.dataset.live = status;
    indicator.title = TITLES[status] ?? '';
    replace(indicator, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), LABELS[status]);
  });
  replace(
    container,
    indicator,
    h(
      'a',
      { class: 'topbar-link', href: '#/account', id: 'account-link' },
      h('span', { class: 'visually-hidden' }, 'Account: '),
      user?.username ?? 'Account',
    ),
    h('button', { type: 'button', class: 'button button-quiet', onclick: signOut }, 'Sign out'),
  );
}
