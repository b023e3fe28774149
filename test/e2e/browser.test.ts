/**
 * End to end in Chromium against `ossync serve` and a local OSS server: the Browser view on
 * a prefix of 20,000 objects (scrolled to the end, an object's details opened), an upload by
 * dropping a file on the listing (in the bucket, done in Transfers), and a share link
 * fetched with a plain HTTP client.
 */
import path from 'node:path';
import type OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataStore } from '../../main/osslocal/store/metadata-store.js';
import {
  startLocalOss,
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  type LocalOss,
} from '../helpers/osslocal.js';
import { expectNoProblems, startApp, text, waitFor, WAIT, type E2eApp } from './helpers/app.js';

const BUCKET = 'e2e-browser';
/** 19,999 objects seeded into the server's metadata, and one real one that sorts last. */
const SEEDED = 19_999;
const LAST = 'big/zz-last.txt';
const LAST_BODY = 'the last of twenty thousand objects\n';
let app: E2eApp;
let oss: LocalOss;

/** Object rows straight into the local server's metadata store (listing and HEAD need no bytes). */
function seed(root: string): void {
  mkdirSync(root, { recursive: true });
  new MetadataStore(path.join(root, 'meta.db')).close();
  const db = new Database(path.join(root, 'meta.db'));
  db.prepare(
    'INSERT INTO buckets (name, location, storage_class, created_ms) VALUES (?, ?, ?, ?)',
  ).run(BUCKET, TEST_REGION, 'Standard', Date.now());
  const insert = db.prepare(
    `INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, last_modified_ms, object_type,
       storage_class, headers, user_meta, segments)
     VALUES (?, ?, 4096, '5EB63BBBE01EEED093CB22BB8F5ACDC3', '0', NULL, ?, 'Normal', 'Standard', '{}', '{}', '[]')`,
  );
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < SEEDED; i++)
      insert.run(BUCKET, `big/f${String(i).padStart(5, '0')}.bin`, now - i * 1000);
  })();
  db.close();
}

beforeAll(async () => {
  app = await startApp('browser');
  const root = path.join(app.dir, 'oss');
  seed(root);
  oss = await startLocalOss({ root });
  await oss.client({ bucket: BUCKET }).put(LAST, Buffer.from(LAST_BODY), {
    mime: 'text/plain',
    // @types/ali-oss wants uid and pid in every UserMeta; OSS does not.
    meta: { origin: 'e2e' } as unknown as OSS.UserMeta,
  });
  await app.call('accounts.add', {
    name: 'Local OSS',
    endpoint: `http://localhost:${oss.server.port}`,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    defaultBucket: BUCKET,
  });
}, 240_000);

afterAll(async () => {
  await oss?.close();
  await app?.close();
});

const en = (ns: string, key: string) => text('en', ns, key);
const listing = (page: Page, prefix: string) =>
  page.getByRole('grid', {
    name: en('browser', 'list.label').replace('{{where}}', `oss://${BUCKET}/${prefix}`),
  });

async function openBrowserAt(page: Page, prefix: string): Promise<void> {
  const nav = page.getByRole('navigation', { name: en('common', 'nav.label') });
  await nav.getByRole('button', { name: en('common', 'nav.browser') }).click();
  const address = page.getByLabel(en('browser', 'address.label'), { exact: true });
  await address.fill(`oss://${BUCKET}/${prefix}`);
  await address.press('Enter');
}

describe('a prefix of 20,000 objects', () => {
  it('scrolls to the end, loading page after page, and opens the last object’s details', async () => {
    const { page, problems } = await app.open();
    await openBrowserAt(page, 'big/');
    const grid = listing(page, 'big/');
    await grid.getByRole('gridcell', { name: 'f00000.bin', exact: true }).waitFor(WAIT);
    const count = page.getByText(/^[\d,]+ items?( loaded, more to come as you scroll)?$/);
    expect(await count.textContent()).toBe(
      en('browser', 'list.countMore_other').replace('{{formatted}}', '1,000'),
    );
    // Only the rows in view are in the DOM.
    expect(await grid.getByRole('row').count()).toBeLessThan(100);

    // End, again and again: each brings the next page until the last row is there.
    await grid.focus();
    const last = grid.getByRole('gridcell', { name: 'zz-last.txt', exact: true });
    const deadline = Date.now() + 120_000;
    while (!(await last.isVisible())) {
      if (Date.now() > deadline)
        throw new Error(`never reached the end: ${await count.textContent()}`);
      const before = await count.textContent();
      await grid.press('End');
      await waitFor(
        async () => [await count.textContent(), await last.isVisible()] as const,
        ([now, visible]) => now !== before || visible,
        { what: 'the next page', timeout: 30_000 },
      ).catch(() => undefined);
    }
    await waitFor(
      () => count.textContent(),
      (value) => value === en('browser', 'list.count_other').replace('{{formatted}}', '20,000'),
      { what: 'every row loaded' },
    );
    expect(await grid.getByRole('row').count()).toBeLessThan(100);

    // The last row's details: what HEAD says about it, and a preview of its text.
    await last.click();
    const details = page.getByRole('region', { name: en('browser', 'details.title') });
    await details.getByText(`oss://${BUCKET}/${LAST}`).waitFor(WAIT);
    const head = await oss.client({ bucket: BUCKET }).head(LAST);
    const headers = head.res.headers as Record<string, string>;
    await details
      .getByText(
        en('browser', 'details.bytes_other').replace('{{formatted}}', String(LAST_BODY.length)),
      )
      .waitFor(WAIT);
    // ETag as OSS gives it, without the quotes of the header.
    await details.getByText((headers['etag'] ?? 'no etag').replace(/"/g, '')).waitFor(WAIT);
    await details.getByText(headers['x-oss-hash-crc64ecma'] ?? 'no crc64').waitFor(WAIT);
    await details.getByText('text/plain').waitFor(WAIT);
    await details.getByText('e2e', { exact: true }).waitFor(WAIT);
    await details.getByRole('button', { name: en('browser', 'preview.show') }).click();
    const preview = details.getByLabel(
      en('browser', 'preview.textLabel').replace('{{name}}', LAST),
    );
    await waitFor(
      () => preview.textContent(),
      (value) => value === LAST_BODY,
      { what: 'the text preview' },
    );
    expectNoProblems(problems);
  }, 180_000);
});

describe('dropping a file on the listing', () => {
  it('uploads it to the prefix shown; it is in the bucket and done in Transfers', async () => {
    const { page, problems } = await app.open();
    await openBrowserAt(page, 'drops/');
    const empty = page.getByText(en('browser', 'list.empty'));
    await empty.waitFor(WAIT);
    const content = `dropped at ${new Date().toISOString()} — 拖放上传\n`;
    const dataTransfer = await page.evaluateHandle((body) => {
      const g = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
      };
      const transfer = new g.DataTransfer();
      transfer.items.add(new g.File([body], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    }, content);
    await empty.dispatchEvent('dragenter', { dataTransfer });
    await empty.dispatchEvent('dragover', { dataTransfer });
    await empty.dispatchEvent('drop', { dataTransfer });

    const queued = page
      .getByRole('status')
      .filter({ hasText: en('browser', 'upload.queued_one').replace('{{formatted}}', '1') });
    await queued.waitFor(WAIT);
    const stored = await waitFor(
      async () => (await oss.client({ bucket: BUCKET }).get('drops/dropped.txt')).content as Buffer,
      () => true,
      { what: 'drops/dropped.txt in the bucket' },
    );
    expect(stored.toString('utf8')).toBe(content);
    // The listing reloads when the upload is done.
    await listing(page, 'drops/')
      .getByRole('gridcell', { name: 'dropped.txt', exact: true })
      .waitFor(WAIT);

    await queued.getByRole('button', { name: en('browser', 'queued.openTransfers') }).click();
    await page.getByRole('heading', { level: 1, name: en('transfers', 'title') }).waitFor(WAIT);
    await page
      .getByRole('tab', { name: new RegExp(`^${en('transfers', 'tabs.completed')}`) })
      .click();
    await page
      .getByRole('tabpanel')
      .getByRole('row')
      .filter({ hasText: `oss://${BUCKET}/drops/dropped.txt` })
      .getByText(en('transfers', 'state.done'), { exact: true })
      .waitFor(WAIT);
    expectNoProblems(problems);
  }, 120_000);
});

describe('a share link', () => {
  it('is created for a file and gives its bytes to a plain HTTP client', async () => {
    const { page, problems } = await app.open();
    await openBrowserAt(page, 'big/');
    const grid = listing(page, 'big/');
    await grid.getByRole('gridcell', { name: 'f00000.bin', exact: true }).waitFor(WAIT);
    // Straight to the last name with the filter, then select it.
    await page.getByLabel(en('browser', 'filter.label'), { exact: true }).fill('zz-');
    const row = grid.getByRole('gridcell', { name: 'zz-last.txt', exact: true });
    await row.click();
    await page
      .getByRole('toolbar', { name: en('browser', 'toolbar.label') })
      .getByRole('button', { name: en('browser', 'actions.share') })
      .click();
    const dialog = page.getByRole('dialog', {
      name: en('browser', 'share.title').replace('{{name}}', LAST),
    });
    await dialog.getByLabel(en('browser', 'share.choices.day'), { exact: true }).check();
    await dialog.getByRole('button', { name: en('browser', 'share.create') }).click();
    const field = dialog.getByLabel(en('browser', 'share.link'), { exact: true });
    await field.waitFor(WAIT);
    const url = await field.inputValue();
    expect(url).toMatch(/^http:\/\//);
    expect(url).not.toContain(TEST_ACCESS_KEY_SECRET);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).toString('utf8')).toBe(LAST_BODY);
    // The link is signed: without its query it is refused.
    expect((await fetch(url.split('?')[0] as string)).status).toBe(403);
    expectNoProblems(problems);
  }, 120_000);
});
