// Hash routing: `/` is the only page the server serves, so screens live in
// the fragment (#/teams/3, #/palettes/12).

const routes = [];

/** Registers a screen for a pattern like '/teams/:id'. */
export function route(pattern, screen) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}/?$`), names, screen, pattern });
}

/** The current path of the fragment, e.g. '/teams/3' ('/' when none). */
export function currentPath() {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/';
}

/** Finds the screen and its parameters for a path, or null. */
export function match(path) {
  for (const { regex, names, screen, pattern } of routes) {
    const found = regex.exec(path);
    if (found) {
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
      return { screen, params, pattern };
    }
  }
  return null;
}

/** Goes to a path; `replace` keeps the history entry (redirects). */
export function navigate(path, { replace = false } = {}) {
  const target = `#${path}`;
  if (location.hash === target) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else if (replace) {
    history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

/** A link target for a path. */
export function href(path) {
  return `#${path}`;
}
