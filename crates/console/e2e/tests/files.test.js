// Files: every export format downloads (through fetch, a Blob and a
// temporary link, since the export needs the token); an export imported
// back, chosen with the file picker or dropped on the page, makes the same
// palette; a palette copies to another team.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it, before, after } from 'node:test';
import { BASE, launch, openPage, apiOk, unique, registerUser, signIn, settled } from './lib.js';

const COLORS = [
  { hex: '#0b3954', name: 'Deep' },
  { hex: '#087e8b', name: 'Teal' },
  { hex: '#bfd7ea80', name: 'Mist' },
  { hex: '#ff5a5f', name: null },
];

describe('exports, imports and copies', () => {
  let browser;
  let tab;
  let page;
  let ann;
  let palette;
  let other;
  const files = {};

  before(async () => {
    browser = await launch();
    ann = await registerUser('ann');
    ({ data: palette } = await apiOk('POST', '/api/palettes/', {
      user: ann,
      body: { team_id: ann.personal_team_id, name: unique('Harbour'), description: 'Boats', colors: COLORS },
    }));
    ({ data: other } = await apiOk('POST', '/api/teams/', { user: ann, body: { name: unique('Imports') } }));
    tab = await openPage(browser);
    page = tab.page;
    await signIn(page, ann);
  });

  after(async () => {
    await browser?.close();
  });

  it('downloads every export format with the file name the server gives', async () => {
    await page.goto(`${BASE}/#/palettes/${palette.id}`);
    await page.getByRole('heading', { level: 1, name: palette.name }).waitFor();
    const checks = {
      css: (text) => assert.match(text, /:root\s*\{/),
      'tokens.json': (text) => assert.equal(typeof JSON.parse(text), 'object'),
      gpl: (text) => assert.match(text, /^GIMP Palette/),
      ase: (_, bytes) => assert.equal(bytes.subarray(0, 4).toString('latin1'), 'ASEF'),
      svg: (text) => assert.match(text, /<svg[\s>]/),
    };
    for (const [format, check] of Object.entries(checks)) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator(`button.download[data-format="${format}"]`).click(),
      ]);
      const name = download.suggestedFilename();
      assert.ok(name.startsWith(palette.name), `${format} file name ${name}`);
      assert.ok(name.endsWith(format === 'tokens.json' ? '.tokens.json' : `.${format}`), `${format} file name ${name}`);
      const file = await download.path();
      const bytes = fs.readFileSync(file);
      check(bytes.toString('utf8'), bytes);
      files[format] = { name, bytes };
    }
    await page.getByText(/^Downloaded .*\.svg\.$/).waitFor();
    tab.assertClean();
  });

  it('imports the design tokens file, chosen with the file picker, as the same palette', async () => {
    await page.goto(`${BASE}/#/teams/${other.id}`);
    await settled(page);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import a file…' }).click()]);
    await chooser.setFiles({ name: files['tokens.json'].name, mimeType: 'application/json', buffer: files['tokens.json'].bytes });
    const dialog = page.getByRole('dialog', { name: 'Import a palette' });
    assert.equal(await dialog.getByLabel('Format').inputValue(), 'tokens.json');
    assert.equal(await dialog.getByLabel('Team').inputValue(), String(other.id));
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page.waitForURL(/#\/palettes\/\d+$/);
    const id = Number(/(\d+)$/.exec(page.url())[1]);
    const { data } = await apiOk('GET', `/api/palettes/${id}/`, { user: ann });
    assert.equal(data.name, palette.name);
    assert.equal(data.team.id, other.id);
    assert.deepEqual(data.colors, palette.colors);
    tab.assertClean();
  });

  it('imports the CSS file dropped on the page as the same palette', async () => {
    await page.goto(`${BASE}/#/teams/${other.id}`);
    await settled(page);
    const dataTransfer = await page.evaluateHandle(({ name, text }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], name, { type: 'text/css' }));
      return transfer;
    }, { name: files.css.name, text: files.css.bytes.toString('utf8') });
    await page.dispatchEvent('main', 'dragenter', { dataTransfer });
    await page.locator('.drop-overlay').waitFor();
    await page.dispatchEvent('main', 'dragover', { dataTransfer });
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    const dialog = page.getByRole('dialog', { name: 'Import a palette' });
    assert.equal(await dialog.getByLabel('Format').inputValue(), 'css');
    // The name is taken in this team by the tokens import: name it here.
    await dialog.getByLabel('Name').fill(`${palette.name} (css)`);
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page.waitForURL(/#\/palettes\/\d+$/);
    const id = Number(/(\d+)$/.exec(page.url())[1]);
    const { data } = await apiOk('GET', `/api/palettes/${id}/`, { user: ann });
    assert.equal(data.name, `${palette.name} (css)`);
    assert.deepEqual(data.colors.map((c) => c.hex), palette.colors.map((c) => c.hex));
    tab.assertClean();
  });

  it('shows the import’s error next to the field it names', async () => {
    tab.allow(409);
    await page.goto(`${BASE}/#/teams/${other.id}`);
    await settled(page);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Import a file…' }).click()]);
    await chooser.setFiles({ name: files.gpl.name, mimeType: 'application/octet-stream', buffer: files.gpl.bytes });
    const dialog = page.getByRole('dialog', { name: 'Import a palette' });
    await dialog.getByRole('button', { name: 'Import' }).click();
    // The GIMP file names the palette, which this team has already: 409 on the name.
    await dialog.locator('input[aria-invalid="true"]').waitFor();
    assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await dialog.getByLabel('Name').fill(`${palette.name} (gpl)`);
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page.waitForURL(/#\/palettes\/\d+$/);
    tab.assertClean();
  });

  it('copies a palette to another team', async () => {
    await page.goto(`${BASE}/#/palettes/${palette.id}`);
    await page.getByRole('heading', { level: 1, name: palette.name }).waitFor();
    await page.getByLabel('To team').selectOption(String(other.id));
    await page.getByLabel('Name of the copy').fill(`${palette.name} copy`);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('link', { name: `Open ${palette.name} copy` }).click();
    await page.getByRole('heading', { level: 1, name: `${palette.name} copy` }).waitFor();
    const id = Number(/(\d+)$/.exec(page.url())[1]);
    const { data } = await apiOk('GET', `/api/palettes/${id}/`, { user: ann });
    assert.equal(data.team.id, other.id);
    assert.deepEqual(data.colors, palette.colors);
    tab.assertClean();
  });

  it('deletes a palette after confirming', async () => {
    await page.getByRole('button', { name: 'Delete palette' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete palette' }).click();
    await page.waitForURL(new RegExp(`#/teams/${other.id}$`));
    const id = (await apiOk('GET', `/api/palettes/?team=${other.id}`, { user: ann })).data.items.map((p) => p.name);
    assert.ok(!id.includes(`${palette.name} copy`));
    tab.assertClean();
  });
});
