// Shared helpers of the console's browser tests: the browser, pages that
// fail the test on console errors (CSP violations included), the API from
// Node for setting up, screenshots and the axe-core check.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The server under test (scripts/console-e2e sets it). */
export const BASE = (process.env.CONSOLE_BASE_URL ?? 'http://127.0.0.1:8123').replace(/\/$/, '');
/** Where screenshots go. */
export const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? path.resolve(here, '../../../../target/console-screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const MOBILE = { width: 360, height: 780 };
const ACCEPT = 'application/vnd.photoroom+json; version=2.0';
// A suffix that makes this run's usernames and names unique.
export const RUN = crypto.randomBytes(3).toString('hex');
let counter = 0;

/** A name unique to this run: `${prefix}-${run}-${n}` (a valid username too). */
export function unique(prefix) {
  counter += 1;
  return `${prefix}-${RUN}-${counter}`;
}

/** Starts the system's Chromium. */
export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
}

/**
 * A new context and page whose console errors, page errors and dialogs are
 * collected; `allowStatuses` lists HTTP error statuses the test provokes on
 * purpose (Chromium logs each failed response as a console error).
 */
export async function openPage(browser, { viewport = DESKTOP, allowStatuses = [], bypassCSP = false } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, bypassCSP });
  // Any CSP violation is logged as an error, and so fails the test.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(Number(process.env.CONSOLE_E2E_TIMEOUT_MS ?? 10000));
  const problems = [];
  const allowed = new Set(allowStatuses.map(Number));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const status = /the server responded with a status of (\d{3})/.exec(text);
    if (status && allowed.has(Number(status[1]))) return;
    problems.push(`console error: ${text} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`unexpected JavaScript dialog: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  return {
    context,
    page,
    problems,
    /** Lets one more status through (for a step that provokes it). */
    allow: (status) => allowed.add(status),
    /** Fails when the page logged an error, violated its CSP or opened a dialog. */
    assertClean() {
      assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
    },
  };
}

/** Calls the API from Node: resolves {status, data, etag, headers}. */
export async function api(method, urlPath, { user, body, raw, headers = {} } = {}) {
  const init = { method, headers: { Accept: ACCEPT, ...headers } };
  if (user) init.headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  if (body !== undefined) {
    if (Buffer.isBuffer(body) || typeof body === 'string') {
      init.body = body;
      init.headers['Content-Type'] ??= 'application/octet-stream';
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  const response = await fetch(`${BASE}${urlPath}`, init);
  const text = raw ? null : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  return { status: response.status, data, etag: response.headers.get('etag'), headers: response.headers, response };
}

/** Calls the API and asserts the status; resolves the body. */
export async function apiOk(method, urlPath, options, expected) {
  const result = await api(method, urlPath, options);
  const want = expected ?? { GET: 200, POST: 201, PUT: 200, PATCH: 200, DELETE: 204 }[method];
  assert.equal(result.status, want, `${method} ${urlPath}: ${JSON.stringify(result.data)}`);
  return result;
}

/** Registers a user through the API: {username, password, id, personal_team_id}. */
export async function registerUser(prefix = 'user') {
  const user = { username: unique(prefix), password: `pw-${crypto.randomBytes(6).toString('hex')}` };
  const { data } = await apiOk('POST', '/api/users/', { body: user });
  return { ...user, id: data.id, personal_team_id: data.personal_team_id };
}

/** Signs in through the console's form and waits for the team screen. */
export async function signIn(page, user) {
  await page.goto(`${BASE}/#/signin`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/#\/teams\/\d+$/);
  await page.locator('.live-status[data-live="live"]').waitFor();
}

/** Waits until the screen's content is there (no busy grid, heading shown). */
export async function settled(page) {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
}

/**
 * Saves `${name}-desktop.png` (1280×800, the viewport) and
 * `${name}-mobile.png` (360 wide, the whole page), then restores the size.
 */
export async function screenshots(page, name, { prepare } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize(DESKTOP);
  await page.mouse.move(0, 0);
  await calm(page);
  await prepare?.();
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), animations: 'disabled' });
  await page.setViewportSize(MOBILE);
  await calm(page);
  await prepare?.();
  await page.screenshot({ path: path.join(SHOTS, `${name}-mobile.png`), fullPage: true, animations: 'disabled' });
  // Nothing may stick out sideways at 360 px.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px at 360 px wide`);
  await page.setViewportSize(before ?? DESKTOP);
}

// A still picture: no toasts, no focus ring left from the test, top of the page.
async function calm(page) {
  await page.evaluate(() => {
    document.getElementById('toasts')?.replaceChildren();
    if (document.activeElement && !document.querySelector('dialog[open]')) document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  await page.waitForTimeout(150);
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page (WCAG 2.x A and AA, best practices) and fails
 * on any violation. Evaluated through the DevTools protocol, which the
 * page's CSP does not govern, so no inline script is injected.
 */
export async function assertAccessible(page, screen) {
  await page.evaluate(`${axeSource}\n;undefined`);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  assert.deepEqual(violations, [], `axe found violations on the ${screen} screen:\n${JSON.stringify(violations, null, 2)}`);
}

/** Waits for `predicate` (async) to hold, polling; fails after `timeout` ms. */
export async function eventually(predicate, { timeout = 10000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await predicate();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  throw new Error(`timed out waiting for ${message} (last: ${last})`);
}
