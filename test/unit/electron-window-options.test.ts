// The renderer's security settings, checked under plain Node: turning any flag off (or
// letting a handler allow something) fails here.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  createWindowOptions,
  denyNavigation,
  denyPermissionCheck,
  denyPermissionRequest,
  denyWebviewAttach,
  denyWindowOpen,
  secureWebPreferences,
} from '../../main/electron/window-options.js';

const REQUIRED_FLAGS = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
} as const;

describe('secureWebPreferences', () => {
  it('keeps every security flag on', () => {
    expect(secureWebPreferences).toMatchObject(REQUIRED_FLAGS);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(secureWebPreferences)).toBe(true);
  });
});

describe('createWindowOptions', () => {
  it('uses the secure preferences without a preload', () => {
    const options = createWindowOptions();
    expect(options.webPreferences).toMatchObject(REQUIRED_FLAGS);
    expect(options.webPreferences?.preload).toBeUndefined();
    expect(options.show).toBe(false);
  });

  it('adds an absolute preload and keeps the flags', () => {
    const preload = path.resolve('dist/main/preload/preload.cjs');
    const options = createWindowOptions(preload);
    expect(options.webPreferences).toMatchObject({ ...REQUIRED_FLAGS, preload });
  });

  it('refuses a relative preload path', () => {
    expect(() => createWindowOptions('preload.cjs')).toThrow(/absolute/);
  });

  it('returns a fresh object each time', () => {
    const first = createWindowOptions();
    first.webPreferences!.sandbox = false;
    expect(createWindowOptions().webPreferences?.sandbox).toBe(true);
    expect(secureWebPreferences.sandbox).toBe(true);
  });
});

describe('handlers', () => {
  it('denies navigation', () => {
    const event = { preventDefault: vi.fn() };
    denyNavigation(event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
  });

  it('denies new windows', () => {
    expect(denyWindowOpen()).toEqual({ action: 'deny' });
  });

  it('denies webview attachment', () => {
    const event = { preventDefault: vi.fn() };
    denyWebviewAttach(event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
  });

  it('denies every permission request and check', () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'openExternal']) {
      const callback = vi.fn();
      denyPermissionRequest(null, permission, callback);
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
    }
    expect(denyPermissionCheck()).toBe(false);
  });
});
