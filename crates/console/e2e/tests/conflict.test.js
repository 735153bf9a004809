// Two edits race: the console's save carries If-Match, meets a 412, shows
// what changed elsewhere and lets the person choose.

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import path from 'node:path';
import { BASE, SHOTS, launch, openPage, apiOk, unique, registerUser, signIn } from './lib.js';

describe('a save that races another', () => {
  let browser;
  let tab;
  let page;
  let ann;
  let palette;

  before(async () => {
    browser = await launch();
    ann = await registerUser('ann');
    ({ data: palette } = await apiOk('POST', '/api/palettes/', {
      user: ann,
      body: {
        team_id: ann.personal_team_id,
        name: unique('Dusk'),
        colors: [
          { hex: '#2b2d42', name: 'Night' },
          { hex: '#8d99ae', name: 'Fog' },
        ],
      },
    }));
    tab = await openPage(browser, { allowStatuses: [412] });
    page = tab.page;
    await signIn(page, ann);
  });

  after(async () => {
    await browser?.close();
  });

  /** Someone else's write, from outside the browser. */
  async function changeElsewhere(body) {
    const { etag } = await apiOk('GET', `/api/palettes/${palette.id}/`, { user: ann });
    const { data } = await apiOk('PATCH', `/api/palettes/${palette.id}/`, { user: ann, headers: { 'If-Match': etag }, body });
    return data;
  }

  it('shows both sides of a 412 and can save mine over theirs', async () => {
    await page.goto(`${BASE}/#/palettes/${palette.id}`);
    await page.getByRole('heading', { level: 1, name: palette.name }).waitFor();
    // An unsaved edit here...
    await page.getByLabel('Name', { exact: true }).fill(`${palette.name} (mine)`);
    // ...while someone else saves another change.
    await changeElsewhere({ description: 'Edited elsewhere', colors: ['#2b2d42', { hex: '#8d99ae', name: 'Fog' }, { hex: '#ef233c', name: 'Red' }] });
    await page.getByText(/Someone else saved revision 2/).waitFor();

    await page.getByRole('button', { name: 'Save' }).click();
    const dialog = page.getByRole('dialog', { name: 'This palette changed while you were editing' });
    await dialog.waitFor();
    const theirs = dialog.locator('.conflict-side').nth(0);
    const mine = dialog.locator('.conflict-side').nth(1);
    await theirs.getByText('Description: “Edited elsewhere”').waitFor();
    await theirs.getByText('#2b2d42: name “Night” removed').waitFor();
    await theirs.getByText('Added Red #ef233c').waitFor();
    await mine.getByText(`Name: “${palette.name}” → “${palette.name} (mine)”`).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'conflict-desktop.png') });

    await dialog.getByRole('button', { name: 'Save mine over theirs' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const { data } = await apiOk('GET', `/api/palettes/${palette.id}/`, { user: ann });
    assert.equal(data.name, `${palette.name} (mine)`);
    assert.equal(data.revision, 3);
    // Mine wins whole: the form as I had it, description and colours included.
    assert.equal(data.description, '');
    assert.deepEqual(data.colors, [
      { hex: '#2b2d42', name: 'Night' },
      { hex: '#8d99ae', name: 'Fog' },
    ]);
    tab.assertClean();
  });

  it('can take their version instead, discarding mine', async () => {
    await page.getByLabel('Name of colour 1').fill('Midnight');
    const theirs = await changeElsewhere({ name: unique('Their name') });
    await page.getByText(/Someone else saved revision 4/).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const dialog = page.getByRole('dialog', { name: 'This palette changed while you were editing' });
    await dialog.getByRole('button', { name: 'Use their version' }).click();
    await page.getByRole('heading', { level: 1, name: theirs.name }).waitFor();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), theirs.name);
    assert.equal(await page.getByLabel('Name of colour 1').inputValue(), 'Night');
    // Saving now goes through: the form holds revision 4's ETag.
    await page.getByLabel('Description').fill('After the race');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const { data } = await apiOk('GET', `/api/palettes/${palette.id}/`, { user: ann });
    assert.equal(data.revision, 5);
    assert.equal(data.name, theirs.name);
    assert.equal(data.description, 'After the race');
    tab.assertClean();
  });

  it('keeps editing when asked, and the next save asks again', async () => {
    await page.getByLabel('Description').fill('Third try');
    await changeElsewhere({ description: 'Theirs again' });
    await page.getByText(/Someone else saved revision 6/).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const dialog = page.getByRole('dialog', { name: 'This palette changed while you were editing' });
    await dialog.getByRole('button', { name: 'Keep editing' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Description').inputValue(), 'Third try');
    await page.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const { data } = await apiOk('GET', `/api/palettes/${palette.id}/`, { user: ann });
    assert.equal(data.description, 'Theirs again');
    tab.assertClean();
  });
});
