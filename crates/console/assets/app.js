// The console's entry point: the page shell (top bar, teams sidebar), the
// routes, and mounting one screen at a time.

import * as api from './api.js';
import * as session from './session.js';
import * as live from './live.js';
import * as store from './store.js';
import { route, match, currentPath, navigate } from './router.js';
import { h, replace, toast, announce } from './dom.js';
import { renderTopbar } from './views/topbar.js';
import { renderSidebar, revealCurrentTeam } from './views/sidebar.js';
import signInScreen from './views/signin.js';
import teamScreen from './views/team.js';
import membersScreen from './views/members.js';
import paletteScreen from './views/palette.js';
import accountScreen from './views/account.js';
import { installDropImport } from './views/importer.js';

const main = document.getElementById('main');
const sidebar = document.getElementById('sidebar');
const LAST_TEAM = 'palette-console.last-team';

route('/signin', (ctx) => signInScreen(ctx, 'signin'));
route('/signup', (ctx) => signInScreen(ctx, 'signup'));
route('/teams/:id', teamScreen);
route('/teams/:id/members', membersScreen);
route('/teams/:id/palettes/new', (ctx) => paletteScreen(ctx, { isNew: true }));
route('/palettes/:id', paletteScreen);
route('/account', accountScreen);

const PUBLIC = new Set(['/signin', '/signup']);

let mounted = null; // {controller, cleanups}
let currentTeamId = null;

/** The team the current screen is about (the sidebar marks it). */
function setCurrentTeam(id) {
  currentTeamId = id === null ? null : Number(id);
  if (currentTeamId !== null) sessionStorage.setItem(LAST_TEAM, String(currentTeamId));
  renderSidebar(sidebar, currentTeamId);
}

function homePath() {
  const last = Number(sessionStorage.getItem(LAST_TEAM));
  const team = store.team(last) ?? store.team(session.user()?.personal_team_id) ?? store.teams()[0];
  return team ? `/teams/${team.id}` : '/account';
}

async function show() {
  const path = currentPath();
  const signedIn = session.isSignedIn();
  if (!signedIn && !PUBLIC.has(path)) {
    navigate('/signin', { replace: true });
    return;
  }
  if (signedIn && (PUBLIC.has(path) || path === '/')) {
    navigate(homePath(), { replace: true });
    return;
  }
  const found = match(path);
  if (mounted) {
    mounted.controller.abort();
    for (const cleanup of mounted.cleanups) cleanup();
  }
  const controller = new AbortController();
  mounted = { controller, cleanups: [] };
  const thisMount = mounted;
  document.body.classList.toggle('signed-out', !signedIn);
  sidebar.hidden = !signedIn;
  renderTopbar(document.getElementById('topbar-end'), { signOut });
  setCurrentTeam(null);
  replace(main);
  window.scrollTo(0, 0);
  const ctx = {
    root: main,
    params: found?.params ?? {},
    signal: controller.signal,
    onLeave: (fn) => thisMount.cleanups.push(fn),
    setTitle: (title) => {
      document.title = title ? `${title} · Palettes` : 'Palettes';
    },
    setTeam: setCurrentTeam,
    active: () => mounted === thisMount,
    // A screen with unsaved work handles a stream `reset` itself.
    onReset: (fn) => {
      thisMount.onReset = fn;
    },
    started,
    ended,
  };
  if (!found) {
    ctx.setTitle('Not found');
    replace(
      main,
      h('h1', { tabindex: '-1' }, 'Nothing here'),
      h('p', {}, 'This address shows nothing. ', h('a', { href: '#/' }, 'Go to your palettes'), '.'),
    );
  } else {
    try {
      await found.screen(ctx);
    } catch (error) {
      if (error.name === 'AbortError' || !ctx.active()) return;
      showLoadError(error);
    }
  }
  if (!ctx.active()) return;
  // Move focus to the new screen's heading, so keyboard and screen reader
  // users start there (not on the link they left).
  if (!main.contains(document.activeElement) || document.activeElement === main) {
    const heading = main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  }
}

function showLoadError(error) {
  const notFound = error instanceof api.ApiError && error.status === 404;
  replace(
    main,
    h('h1', { tabindex: '-1' }, notFound ? 'Not found' : 'Could not load this page'),
    h(
      'p',
      {},
      notFound ? 'It does not exist, or you are not a member of its team. ' : `${api.describeError(error)} `,
      h('a', { href: '#/' }, 'Go to your palettes'),
      '.',
    ),
  );
}

async function signOut() {
  live.stop();
  await session.signOut();
  ended('Signed out.');
}

/** After sign-in or sign-up: load what the shell shows and open the stream. */
async function started() {
  await store.load();
  live.start();
}

/** After the session is gone (signed out, account deleted): back to sign-in. */
function ended(message) {
  live.stop();
  store.clear();
  if (message) toast(message);
  navigate('/signin');
}

// A token that stops working (revoked elsewhere, expired, password changed
// in another tab) ends the session here too.
api.onSessionLost(() => {
  if (!session.isSignedIn()) return;
  session.forget();
  ended();
  toast('Your session has ended. Please sign in again.', { kind: 'warning', timeout: 8000 });
});

// A `reset` from the stream: what is shown may have missed changes, so the
// shell and the screen load everything again.
live.subscribe(({ type }) => {
  if (type !== 'reset') return;
  announce('Reloading after reconnecting.');
  if (mounted?.onReset) mounted.onReset();
  else show();
});

store.subscribe(() => {
  if (session.isSignedIn()) renderSidebar(sidebar, currentTeamId);
});

document.getElementById('skip-link').addEventListener('click', (event) => {
  // The fragment holds the route, so the skip link moves focus itself.
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', show);
window.addEventListener('resize', () => revealCurrentTeam(sidebar));
installDropImport(() => currentTeamId);

async function boot() {
  if (await session.restore()) {
    try {
      await started();
    } catch (error) {
      toast(api.describeError(error), { kind: 'error' });
    }
  }
  await show();
}

boot();
