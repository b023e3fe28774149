/**
 * End to end in Chromium against `ossync serve`: switching the language at runtime (and
 * keeping it across a reload), and pausing and resuming everything from the Status view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoProblems, startApp, text, WAIT, type E2eApp } from './helpers/app.js';

let app: E2eApp;

beforeAll(async () => {
  app = await startApp('language-pause');
}, 240_000);

afterAll(async () => {
  await app?.close();
});

describe('the language switch', () => {
  it('turns the navigation and the view into Chinese and back, and a reload keeps the choice', async () => {
    // The system language is English: the UI starts in English.
    const { page, problems } = await app.open({ locale: 'en-US' });
    const english = page.getByRole('navigation', { name: text('en', 'common', 'nav.label') });
    const chinese = page.getByRole('navigation', { name: text('zh-CN', 'common', 'nav.label') });
    await english.getByRole('button', { name: text('en', 'common', 'nav.status') }).waitFor(WAIT);
    await page
      .getByRole('heading', { level: 1, name: text('en', 'status', 'title') })
      .waitFor(WAIT);

    await page.getByLabel(text('en', 'common', 'language.label')).selectOption('zh-CN');
    await chinese
      .getByRole('button', { name: text('zh-CN', 'common', 'nav.transfers') })
      .waitFor(WAIT);
    await page
      .getByRole('heading', { level: 1, name: text('zh-CN', 'status', 'title') })
      .waitFor(WAIT);
    expect(await english.count()).toBe(0);
    // Another view opens in Chinese too.
    await chinese.getByRole('button', { name: text('zh-CN', 'common', 'nav.transfers') }).click();
    await page
      .getByRole('heading', { level: 1, name: text('zh-CN', 'transfers', 'title') })
      .waitFor(WAIT);
    await expect
      .poll(async () => (await app.call('settings.get', {})).language, WAIT)
      .toBe('zh-CN');

    // The saved choice wins over the (English) system language after a reload.
    await page.reload();
    await page
      .getByRole('heading', { level: 1, name: text('zh-CN', 'status', 'title') })
      .waitFor(WAIT);
    await chinese
      .getByRole('button', { name: text('zh-CN', 'common', 'nav.folders') })
      .waitFor(WAIT);
    expect(await english.count()).toBe(0);

    await page.getByLabel(text('zh-CN', 'common', 'language.label')).selectOption('en');
    await english.getByRole('button', { name: text('en', 'common', 'nav.folders') }).waitFor(WAIT);
    await expect.poll(async () => (await app.call('settings.get', {})).language, WAIT).toBe('en');
    await page.reload();
    await page
      .getByRole('heading', { level: 1, name: text('en', 'status', 'title') })
      .waitFor(WAIT);
    await english.getByRole('button', { name: text('en', 'common', 'nav.settings') }).waitFor(WAIT);
    expect(await chinese.count()).toBe(0);
    expectNoProblems(problems);
  }, 120_000);
});

describe('pause and resume everything', () => {
  it('pauses from the Status view, app.status says so, and resumes', async () => {
    const { page, problems } = await app.open();
    await page
      .getByRole('heading', { level: 1, name: text('en', 'status', 'title') })
      .waitFor(WAIT);
    expect((await app.call('app.status', {})).paused).toBe(false);

    await page.getByRole('button', { name: text('en', 'status', 'pauseAll') }).click();
    await page.getByRole('button', { name: text('en', 'status', 'resumeAll') }).waitFor(WAIT);
    await page.getByText(text('en', 'status', 'pausedExplanation')).waitFor(WAIT);
    await page.getByText(text('en', 'status', 'appState.paused')).waitFor(WAIT);
    await expect.poll(async () => (await app.call('app.status', {})).paused, WAIT).toBe(true);

    // Another window (a reload) sees the pause too: it is the app's state, not the page's.
    await page.reload();
    await page.getByRole('button', { name: text('en', 'status', 'resumeAll') }).waitFor(WAIT);

    await page.getByRole('button', { name: text('en', 'status', 'resumeAll') }).click();
    await page.getByRole('button', { name: text('en', 'status', 'pauseAll') }).waitFor(WAIT);
    await page
      .getByText(text('en', 'status', 'pausedExplanation'))
      .waitFor({ state: 'detached', ...WAIT });
    await expect.poll(async () => (await app.call('app.status', {})).paused, WAIT).toBe(false);
    expectNoProblems(problems);
  }, 120_000);
});
