/**
 * End to end in Chromium against `ossync serve`: the first run with "Storage on this
 * computer" (offered when there is no account; it becomes an account whose bucket the
 * Browser opens), and adding an account with a wrong secret against a local OSS server with
 * known keys (the wrong-secret message), then fixing it (the connection test passes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLocalOss,
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  type LocalOss,
} from '../helpers/osslocal.js';
import { expectNoProblems, startApp, text, waitFor, WAIT, type E2eApp } from './helpers/app.js';

let app: E2eApp;
let oss: LocalOss;

beforeAll(async () => {
  [app, oss] = await Promise.all([startApp('accounts'), startLocalOss()]);
  await oss.client().putBucket('e2e-accounts');
}, 240_000);

afterAll(async () => {
  await app?.close();
  await oss?.close();
});

const en = (ns: string, key: string) => text('en', ns, key);

describe('first run', () => {
  it('offers storage on this computer with no account; it becomes an account whose bucket is browsable', async () => {
    const { page, problems } = await app.open();
    const nav = page.getByRole('navigation', { name: en('common', 'nav.label') });

    // The Browser has nothing to show yet and leads to Settings.
    await nav.getByRole('button', { name: en('common', 'nav.browser') }).click();
    await page.getByText(en('browser', 'accounts.none')).waitFor(WAIT);
    await page.getByRole('button', { name: en('browser', 'accounts.add') }).click();
    await page.getByRole('heading', { level: 1, name: en('settings', 'title') }).waitFor(WAIT);
    await page.getByText(en('settings', 'accounts.empty')).waitFor(WAIT);
    const offer = page.getByRole('region', { name: en('settings', 'local.title') });
    await offer.getByText(en('settings', 'local.explainFirst')).waitFor(WAIT);

    await offer.getByRole('button', { name: en('settings', 'local.start') }).click();
    await page
      .getByRole('listitem')
      .filter({ hasText: en('settings', 'accounts.kind.local') })
      .waitFor(WAIT);
    const { accounts } = await app.call('accounts.list', {});
    expect(accounts).toHaveLength(1);
    const local = accounts[0];
    expect(local).toMatchObject({ kind: 'local', defaultBucket: 'ossync-local' });
    if (local === undefined) throw new Error('no account');
    // The offer is gone once the local storage is an account.
    await offer.waitFor({ state: 'detached', ...WAIT });

    // A file in its bucket (sent the way a drop in the browser sends one), then browse it.
    const body = 'hello from the storage on this computer\n';
    const query = new URLSearchParams({
      accountId: String(local.id),
      bucket: 'ossync-local',
      prefix: 'first-run/',
      path: 'hello.txt',
    });
    const sent = await fetch(`${app.serve.origin}/api/upload?${query.toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.serve.token}` },
      body,
    });
    expect(sent.status).toBe(201);
    await waitFor(
      () =>
        app.call('objects.list', {
          accountId: local.id,
          bucket: 'ossync-local',
          prefix: 'first-run/',
        }),
      (page) => page.objects.some((object) => object.key === 'first-run/hello.txt'),
      { what: 'the uploaded file in the local bucket' },
    );

    await nav.getByRole('button', { name: en('common', 'nav.browser') }).click();
    await page.getByRole('heading', { level: 1, name: en('browser', 'title') }).waitFor(WAIT);
    const grid = page.getByRole('grid', {
      name: en('browser', 'list.label').replace('{{where}}', 'oss://ossync-local/'),
    });
    await grid.getByRole('button', { name: /^first-run/ }).click();
    const folderGrid = page.getByRole('grid', {
      name: en('browser', 'list.label').replace('{{where}}', 'oss://ossync-local/first-run/'),
    });
    await folderGrid.getByRole('gridcell', { name: 'hello.txt', exact: true }).click();
    const details = page.getByRole('region', { name: en('browser', 'details.title') });
    await details.getByText(`oss://ossync-local/first-run/hello.txt`).waitFor(WAIT);
    await details.getByText(`${body.length} bytes`).waitFor(WAIT);
    expectNoProblems(problems);
  }, 120_000);
});

describe('adding an account', () => {
  it('says the secret is wrong, and passes the connection test once it is right', async () => {
    const { page, problems } = await app.open();
    const nav = page.getByRole('navigation', { name: en('common', 'nav.label') });
    await nav.getByRole('button', { name: en('common', 'nav.settings') }).click();
    await page.getByRole('heading', { level: 1, name: en('settings', 'title') }).waitFor(WAIT);

    await page.getByRole('button', { name: en('settings', 'accounts.add') }).click();
    const form = page.getByRole('form', { name: en('settings', 'form.addTitle') });
    await form.getByLabel(en('settings', 'form.name.label'), { exact: true }).fill('E2E account');
    await form.getByLabel(en('settings', 'form.whereEndpoint')).check();
    await form
      .getByLabel(en('settings', 'form.endpoint.label'), { exact: true })
      .fill(`http://localhost:${oss.server.port}`);
    await form
      .getByLabel(en('settings', 'form.accessKeyId.label'), { exact: true })
      .fill(TEST_ACCESS_KEY_ID);
    await form
      .getByLabel(en('settings', 'form.secret.label'))
      .fill(`${TEST_ACCESS_KEY_SECRET}-wrong`);
    await form.getByLabel(en('settings', 'form.defaultBucket.label')).fill('e2e-accounts');
    await form.getByRole('button', { name: en('settings', 'form.addAndTest') }).click();

    const card = page.getByRole('listitem', { name: 'E2E account' });
    const wrong = card.getByRole('alert').filter({
      hasText: en('settings', 'test.problem.wrong-secret'),
    });
    await wrong.waitFor(WAIT);
    // The message for the code and its next step, not a generic failure.
    await wrong.getByText(text('en', 'errors', 'signature-mismatch.next')).waitFor(WAIT);
    const added = (await app.call('accounts.list', {})).accounts.find(
      (account) => account.name === 'E2E account',
    );
    expect(added).toMatchObject({ kind: 'aliyun', hasSecret: true });
    if (added === undefined) throw new Error('no account');
    expect(await app.call('accounts.testConnection', { id: added.id })).toMatchObject({
      ok: false,
      problem: 'wrong-secret',
    });

    // "Edit the account" from the failed test, the right secret, save: the test passes.
    await wrong.getByRole('button', { name: en('settings', 'accounts.fix') }).click();
    const edit = page.getByRole('form', {
      name: en('settings', 'form.editTitle').replace('{{name}}', 'E2E account'),
    });
    await edit.getByLabel(en('settings', 'form.secret.label')).fill(TEST_ACCESS_KEY_SECRET);
    await edit.getByRole('button', { name: en('settings', 'form.saveAndTest') }).click();
    const [before, after] = en('settings', 'test.ok')
      .replace('{{name}}', 'E2E account')
      .split('{{ms}}') as [string, string];
    await card.getByText(before).filter({ hasText: after }).waitFor(WAIT);
    expect(await card.getByRole('alert').count()).toBe(0);
    expect(await app.call('accounts.testConnection', { id: added.id })).toMatchObject({
      ok: true,
    });
    expectNoProblems(problems);
  }, 120_000);
});
