/**
 * Screenshots of every view, in English and Chinese, light and dark, with some data showing
 * (an account, a synced folder, finished and failed transfers, a bucket with files, the
 * activity they made): test-results/screenshots/<view>-<lng>-<scheme>.png, kept by CI. A
 * few of them are copied by hand into docs/screenshots/ for the README.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLocalOss,
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  type LocalOss,
} from '../helpers/osslocal.js';
import { screenshot } from './helpers/browser.js';
import { expectNoProblems, startApp, text, waitFor, WAIT, type E2eApp } from './helpers/app.js';

const BUCKET = 'team-photos';
let app: E2eApp;
let oss: LocalOss;
let folder: string;

/** Deterministic bytes of a given size (sizes that look like real files). */
const bytes = (size: number, seed: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251));

beforeAll(async () => {
  [app, oss] = await Promise.all([startApp('screenshots'), startLocalOss()]);
  const client = oss.client({ bucket: BUCKET });
  await oss.client().putBucket(BUCKET);
  const objects: [string, number][] = [
    ['README.md', 2_400],
    ['contracts/2024-supplier.pdf', 412_000],
    ['design/logo.svg', 18_300],
    ['design/banner.png', 1_204_000],
    ['reports/q3-summary.xlsx', 96_500],
    ['reports/q4-draft.docx', 58_200],
  ];
  for (const [index, [key, size]] of objects.entries()) await client.put(key, bytes(size, index));

  const account = await app.call('accounts.add', {
    name: 'Work',
    endpoint: `http://localhost:${oss.server.port}`,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    defaultBucket: BUCKET,
  });

  // A synced folder with a few files, all uploaded.
  folder = path.join(app.dir, 'Documents');
  const files: [string, number][] = [
    ['notes/meeting-2024-11-18.md', 3_100],
    ['notes/todo.txt', 640],
    ['photos/beach.jpg', 734_000],
    ['photos/city-at-night.jpg', 1_530_000],
    ['budget.xlsx', 48_200],
  ];
  for (const [index, [name, size]] of files.entries()) {
    mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    writeFileSync(path.join(folder, name), bytes(size, 10 + index));
  }
  await app.call('pairs.add', {
    accountId: account.id,
    localRoot: folder,
    bucket: BUCKET,
    prefix: 'laptop/',
    mode: 'mirror',
    deleteMode: 'trash',
    trashRetentionDays: 30,
  });
  await waitFor(
    () => app.call('pairs.list', {}),
    ({ pairs }) =>
      pairs.length === 1 &&
      pairs[0]?.state === 'idle' &&
      pairs[0].counters.lastSyncedAt !== null &&
      pairs[0].counters.filesPending === 0,
    { what: 'the folder to be synced', timeout: 60_000 },
  );

  // One upload the server refuses, for the Failed tab and the activity's error.
  oss.server.faults.addRule({
    op: ['PutObject', 'InitiateMultipartUpload'],
    key: 'shared/*',
    fault: { kind: 'error', status: 403, code: 'AccessDenied' },
  });
  const refused = path.join(app.dir, 'handover.pdf');
  writeFileSync(refused, bytes(220_000, 99));
  await app.call('objects.upload', {
    accountId: account.id,
    bucket: BUCKET,
    prefix: 'shared/',
    localPaths: [refused],
  });
  await waitFor(
    () => app.call('app.status', {}),
    (status) =>
      status.counts.failed === 1 &&
      status.counts.active === 0 &&
      status.counts.queued === 0 &&
      // Speeds are over a sliding window: wait until it has emptied, so none is shown.
      status.uploadBytesPerSecond === 0,
    { what: 'the refused upload to fail and the speeds to settle' },
  );
  // Its notification comes once the failures of 2 s are gathered: before the first page
  // opens, so no screenshot has the toast over it.
  await waitFor(
    () => Promise.resolve(app.events),
    (events) =>
      events.some(
        ({ event, payload }) =>
          event === 'app.notification' && (payload as { kind?: string }).kind === 'transfer-failed',
      ),
    { what: 'the failure notification' },
  );
}, 240_000);

afterAll(async () => {
  await app?.close();
  await oss?.close();
});

type Lng = 'en' | 'zh-CN';
const VIEWS = ['status', 'transfers', 'browser', 'folders', 'settings', 'activity'] as const;
type View = (typeof VIEWS)[number];

/** Waits until the view shows its data (so the screenshot is not of a loading state). */
async function showing(page: Page, view: View, lng: Lng): Promise<void> {
  const t = (ns: string, key: string) => text(lng, ns, key);
  await page.getByRole('heading', { level: 1, name: t(view, 'title') }).waitFor(WAIT);
  switch (view) {
    case 'status':
      await page
        .getByRole('table', { name: t('status', 'pairs.caption') })
        .getByText(folder)
        .waitFor(WAIT);
      await page.getByTestId('app-state').waitFor(WAIT);
      break;
    case 'transfers':
      await page
        .getByRole('tab', { name: new RegExp(`^${t('transfers', 'tabs.completed')}`) })
        .click();
      await page
        .getByRole('tabpanel')
        .getByText(t('transfers', 'state.done'), { exact: true })
        .first()
        .waitFor(WAIT);
      break;
    case 'browser':
      await page.getByRole('gridcell', { name: 'README.md', exact: true }).waitFor(WAIT);
      break;
    case 'folders':
      await page.getByRole('article', { name: folder }).waitFor(WAIT);
      break;
    case 'settings':
      await page.getByRole('heading', { level: 3, name: 'Work' }).waitFor(WAIT);
      break;
    case 'activity':
      await page
        .getByRole('feed', { name: t('activity', 'listLabel') })
        .getByRole('article')
        .first()
        .waitFor(WAIT);
      break;
  }
}

describe('screenshots of every view', () => {
  for (const lng of ['en', 'zh-CN'] as const)
    for (const scheme of ['light', 'dark'] as const)
      it(`in ${lng}, ${scheme}`, async () => {
        // The language follows the system's (the browser's locale) while the setting is "system".
        const { page, problems } = await app.open({
          colorScheme: scheme,
          locale: lng === 'en' ? 'en-US' : 'zh-CN',
        });
        const nav = page.getByRole('navigation', { name: text(lng, 'common', 'nav.label') });
        for (const view of VIEWS) {
          await nav.getByRole('button', { name: text(lng, 'common', `nav.${view}`) }).click();
          await showing(page, view, lng);
          // The theme follows the system: the page's background differs between the schemes.
          const background = await page.evaluate(
            () =>
              (
                globalThis as unknown as {
                  getComputedStyle(element: unknown): { backgroundColor: string };
                  document: { body: unknown };
                }
              ).getComputedStyle(
                (globalThis as unknown as { document: { body: unknown } }).document.body,
              ).backgroundColor,
          );
          const [r = 0, g = 0, b = 0] = (background.match(/\d+/g) ?? []).map(Number);
          if (scheme === 'dark') expect(r + g + b).toBeLessThan(300);
          else expect(r + g + b).toBeGreaterThan(450);
          const file = await screenshot(page, `${view}-${lng}-${scheme}`);
          expect(statSync(file).size).toBeGreaterThan(10_000);
        }
        expectNoProblems(problems);
      }, 120_000);
});
