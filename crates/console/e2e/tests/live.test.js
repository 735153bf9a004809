// Two people at once: an owner invites a second user from the console, the
// second user (another browser context) accepts, and sees the owner's
// changes arrive live, without reloading.

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { BASE, launch, openPage, apiOk, unique, registerUser, signIn, settled, eventually } from './lib.js';

describe('live events', () => {
  let browser;
  let owner;
  let guest;
  let ann;
  let ben;
  let team;

  before(async () => {
    browser = await launch();
    ann = await registerUser('ann');
    ben = await registerUser('ben');
    ({ data: team } = await apiOk('POST', '/api/teams/', { user: ann, body: { name: unique('Shared') } }));
    owner = await openPage(browser);
    guest = await openPage(browser);
  });

  after(async () => {
    await browser?.close();
  });

  it('an invitation made in one browser appears in the other, which accepts it', async () => {
    await signIn(owner.page, ann);
    await signIn(guest.page, ben);
    // A marker that a reload would lose.
    await guest.page.evaluate(() => {
      window.stillTheSamePage = true;
    });

    await owner.page.goto(`${BASE}/#/teams/${team.id}/members`);
    await owner.page.getByLabel('Username').fill(ben.username);
    await owner.page.getByRole('button', { name: 'Invite' }).click();
    await owner.page.locator('.pending-list').getByText(ben.username).waitFor();

    // Ben's sidebar shows it live.
    const invitation = guest.page.getByRole('region', { name: /Invitations/ }).locator('.invitation');
    await invitation.getByText(team.name).waitFor();
    await guest.page.getByRole('button', { name: `Accept the invitation to ${team.name}` }).click();
    await guest.page.waitForURL(new RegExp(`#/teams/${team.id}$`));
    await guest.page.getByRole('heading', { level: 1, name: team.name }).waitFor();
    await guest.page.getByText('No palettes yet').waitFor();

    // Ann's members list follows: Ben is in, the invitation is gone.
    await owner.page.locator('.member-list').getByText(ben.username).waitFor();
    await owner.page.getByText('No pending invitations.').waitFor();
    owner.assertClean();
    guest.assertClean();
  });

  it('an invitation can be declined, and leaves no trace', async () => {
    const { data: other } = await apiOk('POST', '/api/teams/', { user: ann, body: { name: unique('Declined') } });
    await apiOk('POST', `/api/teams/${other.id}/invitations/`, { user: ann, body: { username: ben.username } });
    await guest.page.getByRole('button', { name: `Decline the invitation to ${other.name}` }).click();
    await guest.page.getByRole('button', { name: `Decline the invitation to ${other.name}` }).waitFor({ state: 'detached' });
    const { data } = await apiOk('GET', '/api/invitations/', { user: ben });
    assert.deepEqual(data.items, []);
    const { data: teams } = await apiOk('GET', '/api/teams/', { user: ben });
    assert.ok(!teams.items.some((t) => t.id === other.id));
    guest.assertClean();
  });

  it('the owner’s next change reaches the member’s grid without a reload', async () => {
    await owner.page.goto(`${BASE}/#/teams/${team.id}/palettes/new`);
    await owner.page.getByLabel('Name', { exact: true }).fill('Live coral');
    await owner.page.getByRole('button', { name: 'Add colour' }).click();
    await owner.page.getByLabel('Hex of colour 1').fill('#ff7f50');
    await owner.page.getByRole('button', { name: 'Create palette' }).click();
    await owner.page.waitForURL(/#\/palettes\/\d+$/);
    const paletteId = Number(/(\d+)$/.exec(owner.page.url())[1]);

    const card = guest.page.locator(`[data-palette-id="${paletteId}"]`);
    await card.getByRole('link', { name: 'Live coral' }).waitFor();
    assert.equal(await card.locator('.swatch').count(), 1);

    // A rename and a new colour, saved in Ann's editor, show up on Ben's card.
    await owner.page.getByLabel('Name', { exact: true }).fill('Live coral reef');
    await owner.page.getByRole('button', { name: 'Add colour' }).click();
    await owner.page.getByLabel('Hex of colour 2').fill('#008080');
    await owner.page.getByRole('button', { name: 'Save' }).click();
    await owner.page.getByText('Saved', { exact: true }).waitFor();
    await card.getByRole('link', { name: 'Live coral reef' }).waitFor();
    await eventually(async () => (await card.locator('.swatch').count()) === 2, { message: 'the second swatch' });

    assert.equal(await guest.page.evaluate(() => window.stillTheSamePage), true, 'the page was not reloaded');
    owner.assertClean();
    guest.assertClean();
  });

  it('an editor with no unsaved changes takes in another person’s save', async () => {
    const { data: palette } = await apiOk('POST', '/api/palettes/', {
      user: ann,
      body: { team_id: team.id, name: unique('Shared edit'), colors: ['#111111'] },
    });
    await guest.page.goto(`${BASE}/#/palettes/${palette.id}`);
    await guest.page.getByRole('heading', { level: 1, name: palette.name }).waitFor();
    const { etag } = await apiOk('GET', `/api/palettes/${palette.id}/`, { user: ann });
    await apiOk('PATCH', `/api/palettes/${palette.id}/`, {
      user: ann,
      headers: { 'If-Match': etag },
      body: { description: 'Changed by Ann', colors: ['#111111', { hex: '#eeeeee', name: 'Paper' }] },
    });
    await guest.page.getByText(/Updated to revision 2/).waitFor();
    assert.equal(await guest.page.getByLabel('Description').inputValue(), 'Changed by Ann');
    assert.equal(await guest.page.getByLabel('Name of colour 2').inputValue(), 'Paper');
    guest.assertClean();
  });

  it('a member who is removed loses the team at once', async () => {
    await guest.page.goto(`${BASE}/#/teams/${team.id}`);
    await settled(guest.page);
    await owner.page.goto(`${BASE}/#/teams/${team.id}/members`);
    await owner.page.getByRole('button', { name: `Remove ${ben.username}` }).click();
    await owner.page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await owner.page.getByText('No pending invitations.').waitFor();
    const teams = guest.page.getByRole('navigation', { name: 'Teams' });
    await eventually(async () => (await teams.getByText(team.name).count()) === 0, { message: 'the team leaves Ben’s sidebar' });
    owner.assertClean();
    guest.assertClean();
  });

  it('shows a quiet indicator while the stream is down, and recovers', async () => {
    // Offline: the stream drops and the indicator says so; online again, it resumes.
    await guest.context.setOffline(true);
    await guest.page.locator('.live-status[data-live="down"]').waitFor();
    await guest.context.setOffline(false);
    await guest.page.locator('.live-status[data-live="live"]').waitFor({ timeout: 20000 });
  });

  it('reloads what it shows after a reset, without reloading the page', async () => {
    await guest.page.goto(`${BASE}/#/teams/${ben.personal_team_id}`);
    await settled(guest.page);
    await guest.page.evaluate(() => {
      window.beforeReset = true;
      document.querySelector('main h1').dataset.old = 'yes';
    });
    // The next stream resumes from an id the server never issued: it answers `reset`.
    await guest.page.route(
      /\/api\/events\/\?/,
      (route) => {
        const url = new URL(route.request().url());
        url.searchParams.set('last_event_id', '999999999');
        route.continue({ url: url.toString() });
      },
      { times: 1 },
    );
    await guest.context.setOffline(true);
    await guest.page.locator('.live-status[data-live="down"]').waitFor();
    await guest.context.setOffline(false);
    await guest.page.locator('main h1:not([data-old])').waitFor({ timeout: 20000 });
    await guest.page.locator('.live-status[data-live="live"]').waitFor();
    assert.equal(await guest.page.evaluate(() => window.beforeReset), true, 'the page itself was not reloaded');
  });
});
