/**
 * End to end in Chromium against `ossync serve` and a local OSS server with injected faults
 * (through its admin endpoint): an upload refused by the server shows in Transfers > Failed
 * with its message and next step; once the fault is cleared, Retry in the UI completes it.
 *
 * A 403 AccessDenied fails the job at once. A 500 is retried by the engine, 10 attempts with
 * exponential backoff (about four minutes in all) before the job fails, and `ossync serve`
 * has no option to shorten that: so the 500 case is a job waiting to retry (its Retry-After
 * keeps it there), shown in the Active tab with its message, and retried now from the UI.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLocalOss,
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  type LocalOss,
} from '../helpers/osslocal.js';
import { expectNoProblems, startApp, text, waitFor, WAIT, type E2eApp } from './helpers/app.js';

const BUCKET = 'e2e-faults';
let app: E2eApp;
let oss: LocalOss;
let accountId: number;

beforeAll(async () => {
  [app, oss] = await Promise.all([startApp('faults'), startLocalOss()]);
  await oss.client().putBucket(BUCKET);
  accountId = (
    await app.call('accounts.add', {
      name: 'Local OSS',
      endpoint: `http://localhost:${oss.server.port}`,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
      defaultBucket: BUCKET,
    })
  ).id;
}, 240_000);

afterAll(async () => {
  await app?.close();
  await oss?.close();
});

const en = (ns: string, key: string) => text('en', ns, key);

/** The local OSS server's admin endpoint (`/-/faults`). */
async function admin(method: string, route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${oss.server.url}/-/${route}`, {
    method,
    headers: {
      authorization: `Bearer ${oss.server.adminToken}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe('a transfer failed by an injected fault', () => {
  it('shows in Transfers > Failed with its message, and Retry completes it once the fault is gone', async () => {
    await admin('POST', 'faults', {
      id: 'deny-report',
      op: ['PutObject', 'InitiateMultipartUpload'],
      key: 'faulty/report.txt',
      fault: { kind: 'error', status: 403, code: 'AccessDenied', message: 'Injected by e2e' },
    });
    const file = path.join(app.dir, 'report.txt');
    const body = 'a report the server refuses at first\n';
    writeFileSync(file, body);
    await app.call('objects.upload', {
      accountId,
      bucket: BUCKET,
      prefix: 'faulty/',
      localPaths: [file],
    });
    await waitFor(
      () => app.call('app.status', {}),
      (status) => status.counts.failed === 1,
      { what: 'the upload to fail' },
    );

    const { page, problems } = await app.open();
    const nav = page.getByRole('navigation', { name: en('common', 'nav.label') });
    await nav.getByRole('button', { name: en('common', 'nav.transfers') }).click();
    await page.getByRole('tab', { name: new RegExp(`^${en('transfers', 'tabs.failed')}`) }).click();
    const panel = page.getByRole('tabpanel');
    const row = panel.getByRole('row').filter({ hasText: 'oss://e2e-faults/faulty/report.txt' });
    await row.getByText(en('transfers', 'state.failed'), { exact: true }).waitFor(WAIT);
    await row.getByText(text('en', 'errors', 'access-denied.message')).waitFor(WAIT);
    // The row's details say what to do next.
    await row.click();
    const details = page.getByRole('region', { name: en('transfers', 'details.title') });
    await details.getByText(text('en', 'errors', 'access-denied.next')).waitFor(WAIT);
    await expect(oss.client({ bucket: BUCKET }).head('faulty/report.txt')).rejects.toMatchObject({
      status: 404,
    });

    // The permission is fixed (the fault goes), and Retry in the UI sends it again.
    const counters = (await admin('GET', 'faults')) as { rules: { injected: number }[] };
    expect(counters.rules[0]?.injected).toBeGreaterThanOrEqual(1);
    await admin('DELETE', 'faults');
    await row
      .getByRole('button', {
        name: en('transfers', 'actions.retryNamed').replace('{{name}}', 'report.txt'),
      })
      .click();
    await row.waitFor({ state: 'detached', ...WAIT });
    await page
      .getByRole('tab', { name: new RegExp(`^${en('transfers', 'tabs.completed')}`) })
      .click();
    const done = page
      .getByRole('tabpanel')
      .getByRole('row')
      .filter({ hasText: 'oss://e2e-faults/faulty/report.txt' });
    await done.getByText(en('transfers', 'state.done'), { exact: true }).waitFor(WAIT);
    const stored = await oss.client({ bucket: BUCKET }).get('faulty/report.txt');
    expect((stored.content as Buffer).toString('utf8')).toBe(body);
    await expect.poll(async () => (await app.call('app.status', {})).counts.failed, WAIT).toBe(0);
    expectNoProblems(problems);
  }, 120_000);

  it('shows a 500 as waiting to retry in the Active tab, and Retry sends it now once the fault is gone', async () => {
    await admin('POST', 'faults', {
      id: 'fail-500',
      op: ['PutObject', 'InitiateMultipartUpload'],
      key: 'flaky/data.csv',
      fault: {
        kind: 'error',
        status: 500,
        code: 'InternalError',
        message: 'Injected by e2e',
        retryAfterSeconds: 3600,
      },
    });
    const file = path.join(app.dir, 'data.csv');
    const body = 'a,b\n1,2\n';
    writeFileSync(file, body);
    await app.call('objects.upload', {
      accountId,
      bucket: BUCKET,
      prefix: 'flaky/',
      localPaths: [file],
    });

    const { page, problems } = await app.open();
    const nav = page.getByRole('navigation', { name: en('common', 'nav.label') });
    await nav.getByRole('button', { name: en('common', 'nav.transfers') }).click();
    await page.getByRole('tab', { name: new RegExp(`^${en('transfers', 'tabs.active')}`) }).click();
    const row = page
      .getByRole('tabpanel')
      .getByRole('row')
      .filter({ hasText: 'oss://e2e-faults/flaky/data.csv' });
    await row.getByText(en('transfers', 'state.waiting-retry'), { exact: true }).waitFor(WAIT);
    await row.getByText(text('en', 'errors', 'server-error.message')).waitFor(WAIT);
    await row.click();
    const details = page.getByRole('region', { name: en('transfers', 'details.title') });
    await details.getByText(en('transfers', 'details.nextAttempt')).waitFor(WAIT);

    await admin('DELETE', 'faults');
    await row
      .getByRole('button', {
        name: en('transfers', 'actions.retryNamed').replace('{{name}}', 'data.csv'),
      })
      .click();
    await row.waitFor({ state: 'detached', ...WAIT });
    const stored = await waitFor(
      async () => (await oss.client({ bucket: BUCKET }).get('flaky/data.csv')).content as Buffer,
      () => true,
      { what: 'flaky/data.csv in the bucket' },
    );
    expect(stored.toString('utf8')).toBe(body);
    await page
      .getByRole('tab', { name: new RegExp(`^${en('transfers', 'tabs.completed')}`) })
      .click();
    await page
      .getByRole('tabpanel')
      .getByRole('row')
      .filter({ hasText: 'oss://e2e-faults/flaky/data.csv' })
      .getByText(en('transfers', 'state.done'), { exact: true })
      .waitFor(WAIT);
    expectNoProblems(problems);
  }, 120_000);
});
