import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../helpers/local-oss-process.js';

/**
 * Debian's chromium driven by playwright-core (`.ci/run` installs the package). The flags
 * keep it off the network this machine does not have, and let it run as root in CI.
 */
export const CHROMIUM = process.env['OSSYNC_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where the e2e run saves screenshots (kept by CI; the README shows a few). */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

export interface Chromium {
  browser: Browser;
  /** A fresh context (its own storage), for one scenario; `colorScheme` and `locale` as a person's system. */
  context(options?: { colorScheme?: 'light' | 'dark'; locale?: string }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  // playwright gives each context its own temporary profile.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async context(options = {}) {
      return browser.newContext({
        colorScheme: options.colorScheme ?? 'light',
        locale: options.locale ?? 'en-US',
        viewport: { width: 1280, height: 800 },
      });
    },
    async close() {
      await browser.close();
    },
  };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Collects what a page reports that a test should fail on: page errors, console errors, CSP violations. */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return problems;
}

/**
 * The few browser globals the e2e tests use inside page.evaluate (the tests compile with
 * Node's types, not the DOM's): `pageGlobals()` inside an evaluated function.
 */
export interface PageGlobals {
  location: { host: string; href: string };
  document: {
    createElement(tag: string): { textContent: string | null };
    body: { append(node: unknown): void };
  };
  __injected?: boolean;
}
