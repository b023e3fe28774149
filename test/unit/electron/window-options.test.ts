// The window's security settings and CSP, checked under plain Node: flipping any flag,
// dropping a directive or loosening a source fails here.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  CSP_DIRECTIVES,
  cspHeadersListener,
  mainWindowOptions,
  secureWebPreferences,
  withContentSecurityPolicy,
} from '../../../main/electron/window-options.js';

/** The complete expected preferences: an added, removed or changed key fails. */
const EXPECTED_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
};

describe('mainWindowOptions', () => {
  it('has exactly the secure preferences, spellcheck off, no preload by default', () => {
    expect(mainWindowOptions().webPreferences).toStrictEqual({
      ...EXPECTED_PREFERENCES,
      spellcheck: false,
    });
    expect(secureWebPreferences).toStrictEqual(EXPECTED_PREFERENCES);
    expect(Object.isFrozen(secureWebPreferences)).toBe(true);
  });

  it('adds the preload and spellcheck as asked and keeps every flag', () => {
    const preload = path.resolve('dist/main/preload/preload.cjs');
    const options = mainWindowOptions({ preloadPath: preload, spellcheck: true });
    expect(options.webPreferences).toStrictEqual({
      ...EXPECTED_PREFERENCES,
      spellcheck: true,
      preload,
    });
    expect(options.show).toBe(false);
  });

  it.each(Object.keys(EXPECTED_PREFERENCES))('fails the check when %s is flipped', (flag) => {
    // the assertion used above really catches a single flipped flag
    const flipped = { ...mainWindowOptions().webPreferences } as Record<string, unknown>;
    flipped[flag] = !flipped[flag];
    expect(flipped).not.toStrictEqual({ ...EXPECTED_PREFERENCES, spellcheck: false });
  });

  it('refuses a relative preload path', () => {
    expect(() => mainWindowOptions({ preloadPath: 'preload.cjs' })).toThrow(/absolute/);
  });

  it('returns fresh objects', () => {
    mainWindowOptions().webPreferences!.sandbox = false;
    expect(mainWindowOptions().webPreferences?.sandbox).toBe(true);
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources];
    }),
  );

  it.each([
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['connect-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['form-action', ["'none'"]],
  ])('has %s %j', (name, sources) => {
    expect(directives.get(name)).toEqual(sources);
  });

  it('allows no eval, no inline code and no remote sources', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:|ws:|wss:/);
    expect(Object.keys(CSP_DIRECTIVES)).toHaveLength(directives.size);
  });
});

describe('withContentSecurityPolicy', () => {
  it('replaces any CSP, whatever its case, and keeps the other headers', () => {
    const headers = withContentSecurityPolicy({
      'content-security-policy': ["default-src *; script-src 'unsafe-eval'"],
      'CONTENT-SECURITY-POLICY': ['default-src *'],
      'Content-Type': ['text/html'],
    });
    expect(headers).toStrictEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
  });

  it('works as the onHeadersReceived listener', () => {
    const callback = vi.fn();
    cspHeadersListener({ responseHeaders: undefined }, callback);
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
});
