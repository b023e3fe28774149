/**
 * End to end in Chromium against `ossync serve` and a local OSS server: a folder pair made
 * through the Folders view; files written into the folder arrive in the bucket (read back
 * with an independent ali-oss client) and show up in the UI.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLocalOss,
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  type LocalOss,
} from '../helpers/osslocal.js';
import { expectNoProblems, startApp, text, waitFor, WAIT, type E2eApp } from './helpers/app.js';

const BUCKET = 'e2e-folders';
let app: E2eApp;
let oss: LocalOss;

beforeAll(async () => {
  [app, oss] = await Promise.all([startApp('folders'), startLocalOss()]);
  await oss.client().putBucket(BUCKET);
  await app.call('accounts.add', {
    name: 'Local OSS',
    endpoint: `http://localhost:${oss.server.port}`,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    defaultBucket: BUCKET,
  });
}, 240_000);

afterAll(async () => {
  await app?.close();
  await oss?.close();
});

const en = (ns: string, key: string) => text('en', ns, key);

describe('a folder pair made in the Folders view', () => {
  it('uploads the files written into the folder; they are in the bucket and in the UI', async () => {
    const folder = path.join(app.dir, 'Documents');
    mkdirSync(folder);
    const { page, problems } = await app.open();
    const nav = page.getByRole('navigation', { name: en('common', 'nav.label') });
    await nav.getByRole('button', { name: en('common', 'nav.folders') }).click();
    await page.getByRole('heading', { level: 1, name: en('folders', 'title') }).waitFor(WAIT);

    // With no pair yet, the view says so and shows the form at once.
    await page.getByText(en('folders', 'empty')).waitFor(WAIT);
    const form = page.getByRole('form', { name: en('folders', 'add.title') });
    await form.getByLabel(en('folders', 'add.fieldName.localRoot'), { exact: true }).fill(folder);
    await form
      .getByLabel(en('folders', 'add.fieldName.bucket'), { exact: true })
      .selectOption(BUCKET);
    await form.getByLabel(en('folders', 'add.fieldName.prefix'), { exact: true }).fill('laptop');
    await form
      .getByText(en('folders', 'add.prefix.where').replace('{{where}}', `oss://${BUCKET}/laptop/`))
      .waitFor(WAIT);
    await form.getByLabel(en('folders', 'mode.backup.name'), { exact: true }).check();
    await form.getByRole('button', { name: en('folders', 'add.create') }).click();

    const card = page.getByRole('article', { name: folder });
    await card.getByText(`oss://${BUCKET}/laptop/`).waitFor(WAIT);
    const { pairs } = await app.call('pairs.list', {});
    expect(pairs.map((status) => status.pair)).toMatchObject([
      { localRoot: folder, bucket: BUCKET, prefix: 'laptop/', mode: 'backup' },
    ]);

    // Files written after the pair exists are picked up and uploaded.
    const files: Record<string, string> = {
      'notes.txt': 'written after the pair was added\n',
      'photos/2024/beach.jpg': 'not really a jpeg, but bytes all the same',
    };
    for (const [name, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
      writeFileSync(path.join(folder, name), body);
    }
    const client = oss.client({ bucket: BUCKET });
    for (const [name, body] of Object.entries(files)) {
      const got = await waitFor(
        async () => (await client.get(`laptop/${name}`)).content as Buffer,
        () => true,
        { timeout: 60_000, what: `laptop/${name} in the bucket` },
      );
      expect(got.toString('utf8')).toBe(body);
    }

    // The card says nothing is pending; the Browser lists what arrived.
    await card
      .getByRole('definition')
      .getByText(text('en', 'folders', 'card.nothingPending'), { exact: true })
      .waitFor({ timeout: 60_000 });
    await nav.getByRole('button', { name: en('common', 'nav.browser') }).click();
    await page
      .getByLabel(en('browser', 'address.label'), { exact: true })
      .fill(`oss://${BUCKET}/laptop/`);
    await page.getByRole('button', { name: en('browser', 'address.go'), exact: true }).click();
    const grid = page.getByRole('grid', {
      name: en('browser', 'list.label').replace('{{where}}', `oss://${BUCKET}/laptop/`),
    });
    await grid.getByRole('gridcell', { name: 'notes.txt', exact: true }).waitFor(WAIT);
    await grid.getByRole('button', { name: /^photos/ }).waitFor(WAIT);

    // And Status shows the pair.
    await nav.getByRole('button', { name: en('common', 'nav.status') }).click();
    const row = page
      .getByRole('table', { name: en('status', 'pairs.caption') })
      .getByRole('row', { name: new RegExp(`^${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
    await row.getByRole('cell', { name: `oss://${BUCKET}/laptop/` }).waitFor(WAIT);
    await row
      .getByText(text('en', 'status', 'pairState.idle'), { exact: true })
      .first()
      .waitFor(WAIT);
    expectNoProblems(problems);
  }, 180_000);
});
