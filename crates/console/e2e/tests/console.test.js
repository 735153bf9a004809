// The main path through the console: sign up, a team, a palette of three
// colours seen as swatches, reordering, errors next to fields, names that
// look like markup shown as text, every main screen checked by axe and
// photographed, password change, account deletion.

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import {
  BASE,
  launch,
  openPage,
  api,
  apiOk,
  unique,
  registerUser,
  signIn,
  settled,
  screenshots,
  assertAccessible,
  eventually,
} from './lib.js';

const MARKUP = '<img src=x onerror=alert(1)>';

describe('the console', () => {
  let browser;
  let tab;
  let page;
  const ann = { username: unique('ann'), password: 'correct horse battery' };
  let teamId;
  let paletteId;
  let evilTeam;

  before(async () => {
    browser = await launch();
    // 400: the invalid colour on purpose; 404: a missing palette's page.
    tab = await openPage(browser, { allowStatuses: [400, 404] });
    page = tab.page;
  });

  after(async () => {
    await browser?.close();
  });

  it('serves the page with its content policy', async () => {
    const response = await fetch(`${BASE}/`);
    assert.equal(response.status, 200);
    const policy = response.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /default-src 'none'/);
    const html = await response.text();
    assert.doesNotMatch(html, /%ASSETS%/, 'the assets prefix is filled in');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, 'no inline script');
  });

  it('shows the sign-in screen, accessible at both sizes', async () => {
    await page.goto(`${BASE}/`);
    await page.waitForURL(/#\/signin$/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await assertAccessible(page, 'sign-in');
    await screenshots(page, 'signin');
    tab.assertClean();
  });

  it('signs up, lands on the personal team and keeps the token in sessionStorage only', async () => {
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create an account' }).waitFor();
    await page.getByLabel('Username').fill(ann.username);
    await page.getByLabel('Password').fill(ann.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/#\/teams\/\d+$/);
    await page.getByRole('heading', { level: 1, name: ann.username }).waitFor();
    await page.getByText('No palettes yet').waitFor();
    const stored = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie }));
    const session = JSON.parse(stored.session['palette-console.session']);
    assert.ok(session.token.length >= 43, 'a token, not the password, is kept');
    assert.ok(!JSON.stringify(stored).includes(ann.password), 'the password is not stored');
    assert.deepEqual(stored.local, {});
    assert.equal(stored.cookie, '');
    await page.locator('.live-status[data-live="live"]').waitFor();
    tab.assertClean();
  });

  it('creates a team from the sidebar', async () => {
    const name = unique('Studio');
    await page.getByRole('button', { name: 'New team' }).click();
    const dialog = page.getByRole('dialog', { name: 'New team' });
    await dialog.getByLabel('Team name').fill(name);
    await dialog.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    teamId = Number(/#\/teams\/(\d+)$/.exec(page.url())[1]);
    await page.getByRole('navigation', { name: 'Teams' }).getByRole('link', { name: new RegExp(name) }).waitFor();
    tab.assertClean();
  });

  it('creates a palette with three colours and shows it as swatches', async () => {
    await page.getByRole('link', { name: 'New palette' }).click();
    await page.getByRole('heading', { level: 1, name: 'New palette' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Sea and sand');
    await page.getByLabel('Description').fill('Beach day');
    const colors = [
      ['#1E90FF', 'Sky'],
      ['20b2aa80', 'Lagoon'],
      ['#f5deb3', 'Sand'],
    ];
    for (const [index, [hex, name]] of colors.entries()) {
      await page.getByRole('button', { name: 'Add colour' }).click();
      await page.getByLabel(`Hex of colour ${index + 1}`).fill(hex);
      await page.getByLabel(`Name of colour ${index + 1}`).fill(name);
    }
    // The alpha of the second colour shows as an opacity.
    assert.equal(await page.getByLabel('Opacity of colour 2 (%)').inputValue(), '50');
    await page.getByRole('button', { name: 'Create palette' }).click();
    await page.waitForURL(/#\/palettes\/\d+$/);
    paletteId = Number(/#\/palettes\/(\d+)$/.exec(page.url())[1]);
    await page.getByRole('heading', { level: 1, name: 'Sea and sand' }).waitFor();

    const { data } = await apiOk('GET', `/api/palettes/${paletteId}/`, { user: ann });
    assert.deepEqual(data.colors, [
      { hex: '#1e90ff', name: 'Sky' },
      { hex: '#20b2aa80', name: 'Lagoon' },
      { hex: '#f5deb3', name: 'Sand' },
    ]);
    assert.equal(data.team.id, teamId);
    assert.equal(data.description, 'Beach day');

    // The contrast table rates the 6 ordered pairs.
    const rows = page.locator('.contrast-table tbody tr');
    await eventually(async () => (await rows.count()) === 6, { message: 'six contrast rows' });
    await page.locator('.contrast-table .grade').first().waitFor();

    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link').click();
    await settled(page);
    const card = page.locator(`[data-palette-id="${paletteId}"]`);
    await card.getByRole('link', { name: 'Sea and sand' }).waitFor();
    const swatches = card.locator('.swatch');
    assert.equal(await swatches.count(), 3);
    // Hover shows name and hex; so does keyboard focus.
    await swatches.nth(0).hover();
    await eventually(async () => (await swatches.nth(0).locator('.swatch-tip').evaluate((el) => getComputedStyle(el).opacity)) === '1', {
      message: 'the tooltip on hover',
    });
    assert.equal((await swatches.nth(0).locator('.swatch-tip').innerText()).replace(/\s+/g, ' '), 'Sky #1e90ff');
    await page.mouse.move(0, 0);
    await swatches.nth(0).focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.evaluate(() => document.activeElement.textContent);
    assert.equal(focused, 'Lagoon#20b2aa80');
    assert.equal(
      await swatches.nth(1).evaluate((el) => getComputedStyle(el).getPropertyValue('--swatch').trim()),
      '#20b2aa80',
    );
    tab.assertClean();
  });

  it('searches, filters by colour and sorts', async () => {
    // Made elsewhere: it arrives through the live stream.
    await apiOk('POST', '/api/palettes/', { user: ann, body: { team_id: teamId, name: 'Forest', colors: ['#228b22', '#8b4513'] } });
    const titles = () => page.locator('.palette-card-title').allInnerTexts();
    await eventually(async () => (await titles()).length === 2, { message: 'two palettes' });
    await page.getByLabel('Search names').fill('sand');
    await eventually(async () => JSON.stringify(await titles()) === '["Sea and sand"]', { message: 'search' });
    await page.getByLabel('Search names').fill('');
    await page.getByLabel('Contains colour').fill('#228B22');
    await page.getByLabel('Contains colour').press('Enter');
    await eventually(async () => JSON.stringify(await titles()) === '["Forest"]', { message: 'colour filter' });
    await page.getByRole('button', { name: 'Any colour' }).click();
    await page.getByLabel('Sort').selectOption('name');
    await eventually(async () => JSON.stringify(await titles()) === '["Forest","Sea and sand"]', { message: 'sorted by name' });
    await page.getByLabel('Sort').selectOption('-name');
    await eventually(async () => JSON.stringify(await titles()) === '["Sea and sand","Forest"]', { message: 'sorted by name, descending' });
    tab.assertClean();
  });

  it('checks the palette grid with axe and photographs it', async () => {
    // Two more palettes, for a fuller picture.
    const more = [
      { name: 'Night market', description: 'Neon and shadows', colors: [{ hex: '#0d1b2a', name: 'Ink' }, { hex: '#ff006e', name: 'Neon' }, { hex: '#ffbe0b80', name: 'Lantern' }, { hex: '#3a86ff', name: 'Sign' }] },
      { name: 'Moss', description: '', colors: ['#606c38', '#283618', '#fefae0', '#dda15e', '#bc6c25'] },
    ];
    for (const body of more) await apiOk('POST', '/api/palettes/', { user: ann, body: { team_id: teamId, ...body } });
    await page.getByLabel('Sort').selectOption('-updated_at');
    await eventually(async () => (await page.locator('.palette-card').count()) === 4, { message: 'four palettes' });
    await assertAccessible(page, 'palette grid');
    await screenshots(page, 'team');
    tab.assertClean();
  });

  it('reorders colours with the keyboard and by dragging, and saves', async () => {
    await page.getByRole('link', { name: 'Sea and sand' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sea and sand' }).waitFor();
    // Keyboard: Sand (3rd) to the top.
    await page.getByRole('button', { name: 'Move colour 3, Sand', exact: true }).focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move colour 1, Sand');
    // Pointer: Sand (now 1st) back below Sky by dragging its handle.
    const handle = page.getByRole('button', { name: 'Move colour 1, Sand', exact: true });
    const target = page.locator('.color-row').nth(1);
    const from = await handle.boundingBox();
    const to = await target.boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, to.y + to.height * 0.75, { steps: 8 });
    await page.mouse.up();
    await page.getByRole('button', { name: 'Move colour 2, Sand', exact: true }).waitFor();
    await page.getByText('Unsaved changes').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const { data } = await apiOk('GET', `/api/palettes/${paletteId}/`, { user: ann });
    assert.deepEqual(data.colors.map((c) => c.name), ['Sky', 'Sand', 'Lagoon']);
    assert.equal(data.revision, 2);
    tab.assertClean();
  });

  it('shows the API’s validation message next to the colour it names', async () => {
    await page.getByLabel('Hex of colour 2').fill('#12');
    await page.getByRole('button', { name: 'Save' }).click();
    const row = page.locator('.color-row').nth(1);
    await row.locator('.field-error').waitFor();
    assert.match(await row.locator('.field-error').innerText(), /\S/);
    assert.equal(await page.getByLabel('Hex of colour 2').getAttribute('aria-invalid'), 'true');
    // The colour stays unsaved; put it back.
    await page.getByLabel('Hex of colour 2').fill('#f5deb3');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    tab.assertClean();
  });

  it('checks the palette editor with axe and photographs it', async () => {
    await assertAccessible(page, 'palette editor');
    await screenshots(page, 'palette');
    tab.assertClean();
  });

  it('renders a team and a palette named like markup as text', async () => {
    await page.getByRole('button', { name: 'New team' }).click();
    const dialog = page.getByRole('dialog', { name: 'New team' });
    await dialog.getByLabel('Team name').fill(`${MARKUP} ${unique('t')}`);
    await dialog.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL(/#\/teams\/\d+$/);
    evilTeam = Number(/#\/teams\/(\d+)$/.exec(page.url())[1]);
    await apiOk('POST', '/api/palettes/', {
      user: ann,
      body: { team_id: evilTeam, name: MARKUP, description: '<b>bold</b>', colors: [{ hex: '#000', name: '<script>alert(2)</script>' }] },
    });
    await page.locator('.palette-card-title').first().waitFor();
    assert.match(await page.locator('main h1').innerText(), /^<img src=x onerror=alert\(1\)> /);
    assert.equal(await page.locator('.palette-card-title').first().innerText(), MARKUP);
    assert.equal(await page.locator('.palette-card-description').first().innerText(), '<b>bold</b>');
    assert.equal(await page.locator('img, main b, main script').count(), 0, 'no element was made from the names');
    await page.locator('.palette-card-title a').first().click();
    await page.getByRole('heading', { level: 1, name: MARKUP }).waitFor();
    assert.equal(await page.getByLabel('Name of colour 1').inputValue(), '<script>alert(2)</script>');
    assert.equal(await page.locator('img, main b').count(), 0);
    tab.assertClean();
  });

  it('manages members: checked with axe and photographed', async () => {
    const bob = await registerUser('bob');
    await page.goto(`${BASE}/#/teams/${teamId}/members`);
    await page.getByRole('heading', { name: 'Invite people' }).waitFor();
    await page.getByLabel('Username').fill(bob.username);
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.locator('.pending-list').getByText(bob.username).waitFor();
    // Bob joins (through the API); the members table follows live.
    await apiOk('PUT', `/api/teams/${teamId}/membership/`, { user: bob }, 204);
    await page.locator('.member-list').getByText(bob.username).waitFor();
    await page.getByLabel(`Role of ${bob.username}`).selectOption('owner');
    await eventually(async () => {
      const { data } = await api('GET', `/api/teams/${teamId}/members/`, { user: ann });
      return data.items.find((m) => m.id === bob.id)?.role === 'owner';
    }, { message: 'bob becomes an owner' });
    await assertAccessible(page, 'team members');
    await screenshots(page, 'members');
    // An unknown username's error sits next to the field.
    tab.allow(400);
    await page.getByLabel('Username').fill(unique('nobody'));
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.locator('#invite-username[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#invite-username-error').innerText(), /username/i);
    tab.assertClean();
  });

  it('deletes a team after a confirmation naming its palettes', async () => {
    await page.goto(`${BASE}/#/teams/${evilTeam}/members`);
    await page.getByRole('button', { name: 'Delete team' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/and its 1 palette will be deleted/).waitFor();
    await dialog.getByRole('button', { name: 'Delete team' }).click();
    await page.waitForURL(/#\/teams\/\d+$/);
    assert.notEqual(page.url(), `${BASE}/#/teams/${evilTeam}`);
    const sidebar = page.getByRole('navigation', { name: 'Teams' });
    assert.equal(await sidebar.getByText(MARKUP, { exact: false }).count(), 0);
    assert.equal((await api('GET', `/api/teams/${evilTeam}/`, { user: ann })).status, 404);
    tab.assertClean();
  });

  it('checks the account screen with axe, photographs it and changes the password', async () => {
    await page.getByRole('link', { name: /Account/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Account' }).waitFor();
    await assertAccessible(page, 'account');
    await screenshots(page, 'account');
    const newPassword = 'a new and longer one';
    await page.getByLabel('Current password').fill(ann.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('New password again').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('.success').getByText('Password changed.').waitFor();
    // Still signed in, with a new token (the old one was revoked).
    ann.password = newPassword;
    await apiOk('GET', '/api/users/me/', { user: ann });
    await page.getByRole('navigation', { name: 'Teams' }).getByRole('link').first().click();
    await settled(page);
    await page.locator('.live-status[data-live="live"]').waitFor();
    tab.assertClean();
  });

  it('signs out (revoking the token) and signs in again', async () => {
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('palette-console.session')).token);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/#\/signin$/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('palette-console.session')), null);
    const after = await fetch(`${BASE}/api/users/me/`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(after.status, 401, 'the token was revoked');
    await signIn(page, ann);
    tab.assertClean();
  });

  it('deletes an account after a confirmation naming what goes', async () => {
    const zed = await registerUser('zed');
    await apiOk('POST', '/api/palettes/', { user: zed, body: { team_id: zed.personal_team_id, name: 'Mine', colors: ['#123456'] } });
    const { data: solo } = await apiOk('POST', '/api/teams/', { user: zed, body: { name: unique('Solo') } });
    const second = await openPage(browser);
    await signIn(second.page, zed);
    await second.page.goto(`${BASE}/#/account`);
    await second.page.getByRole('button', { name: 'Delete my account…' }).click();
    const dialog = second.page.getByRole('dialog', { name: 'Delete your account?' });
    await dialog.getByText(`Your personal team ${zed.username} and its 1 palette.`).waitFor();
    await dialog.getByText(solo.name, { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await dialog.locator('.field-error').waitFor(); // the username was not typed
    await dialog.getByLabel(/Type your username/).fill(zed.username);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await second.page.waitForURL(/#\/signin$/);
    const gone = await api('GET', '/api/users/me/', { user: zed });
    assert.equal(gone.status, 401);
    second.assertClean();
    await second.context.close();
  });

  it('keeps the session and the page working across a reload', async () => {
    const other = await openPage(browser);
    await signIn(other.page, ann);
    await other.page.goto(`${BASE}/#/teams/${teamId}`);
    await settled(other.page);
    // A reload revalidates the cached page (If-None-Match, 304): the page
    // must come back with its content policy intact, and the session too.
    await other.page.reload();
    await other.page.locator(`[data-palette-id="${paletteId}"]`).waitFor();
    await other.page.locator('.live-status[data-live="live"]').waitFor();
    other.assertClean();
    await other.context.close();
  });
});
