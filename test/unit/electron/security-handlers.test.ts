// Navigation, new windows, external links, permissions and IPC senders: denied unless
// explicitly ours (or an allow-listed https page for the user's browser).
import { describe, expect, it, vi } from 'vitest';
import {
  createWindowOpenHandler,
  isAllowedNavigation,
  isSafeExternalUrl,
  navigationHandler,
  permissionCheckHandler,
  permissionRequestHandler,
  validateIpcSender,
  windowOpenHandler,
  type IpcSenderInfo,
} from '../../../main/electron/security-handlers.js';

const PROTOCOL_ORIGIN = 'ossync://app';
const FILE_ORIGIN = 'file:///opt/OSSync/resources/app.asar/dist/renderer/';

/** URLs that are never the app nor a page to open externally. */
const HOSTILE_URLS = [
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'blob:ossync://app/1234',
  'about:blank',
  'file:///etc/passwd',
  'file:///opt/OSSync/resources/app.asar/dist/renderer/../../../../../etc/passwd',
  'file:///opt/OSSync/resources/app.asar/dist/renderer/%2e%2e/%2e%2e/secret',
  'file:///opt/OSSync/resources/app.asar/dist/renderer/..%2f..%2fsecret',
  'file://evil.example/opt/OSSync/resources/app.asar/dist/renderer/index.html',
  'file:///opt/OSSync/resources/app.asar/dist/renderer-evil/index.html',
  'http://aliyun.com/',
  'http://localhost:5173/',
  'https://evil.example/',
  'https://evilaliyun.com/',
  'https://aliyun.com.evil.example/',
  'https://user:pass@ossync.example/',
  'ossync://evil/index.html',
  'ossync://app.evil/index.html',
  'ossync://user:pass@app/index.html',
  'other://app/index.html',
  'chrome://settings',
  'view-source:ossync://app/index.html',
  '',
  'not a url',
];

describe('isAllowedNavigation', () => {
  it.each([
    ['ossync://app/', PROTOCOL_ORIGIN],
    ['ossync://app/index.html#/transfers', PROTOCOL_ORIGIN],
    ['OSSYNC://APP/index.html', PROTOCOL_ORIGIN],
    [`${FILE_ORIGIN}index.html`, FILE_ORIGIN],
    [`${FILE_ORIGIN}index.html#/pairs`, FILE_ORIGIN],
    [`${FILE_ORIGIN}assets/../index.html`, FILE_ORIGIN],
  ])('allows %s in %s', (url, origin) => {
    expect(isAllowedNavigation(url, origin)).toBe(true);
  });

  it.each(HOSTILE_URLS)('denies %j', (url) => {
    expect(isAllowedNavigation(url, PROTOCOL_ORIGIN)).toBe(false);
    expect(isAllowedNavigation(url, FILE_ORIGIN)).toBe(false);
  });

  it('denies file: URLs under a protocol origin and the reverse', () => {
    expect(isAllowedNavigation(`${FILE_ORIGIN}index.html`, PROTOCOL_ORIGIN)).toBe(false);
    expect(isAllowedNavigation('ossync://app/index.html', FILE_ORIGIN)).toBe(false);
  });

  it.each([undefined, null, 42, {}, 'x'.repeat(5000)])('denies a non-URL %#', (url) => {
    expect(isAllowedNavigation(url, PROTOCOL_ORIGIN)).toBe(false);
  });

  it.each([
    'https://app.example',
    'http://localhost',
    'file:///opt/OSSync/renderer',
    'data:,x',
    'ossync:',
  ])('refuses %s as an app origin', (origin) => {
    expect(() => isAllowedNavigation('ossync://app/', origin)).toThrow();
  });
});

describe('isSafeExternalUrl', () => {
  it.each([
    'https://aliyun.com/',
    'https://help.aliyun.com/zh/oss/',
    'https://oss.console.aliyun.com/bucket',
    'https://www.alibabacloud.com/help/en/oss',
    'https://HELP.ALIYUN.COM/x',
    'https://github.com/ossync/ossync',
  ])('allows %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(true);
  });

  it.each([
    ...HOSTILE_URLS,
    'https://evilaliyun.com/',
    'https://aliyun.com.evil.example/',
    'https://aliyun.co/',
    'https://aliyun.com./',
    'https://xn--aliyn-jua.com/',
    'https://user@help.aliyun.com/',
    'https://user:secret@help.aliyun.com/',
    'https://help.aliyun.com:8443/',
    'http://help.aliyun.com/',
    'ftp://help.aliyun.com/',
    'file://help.aliyun.com/etc/passwd',
    'ms-settings:privacy',
    'smb://aliyun.com/share',
  ])('refuses %j', (url) => {
    expect(isSafeExternalUrl(url)).toBe(false);
  });
});

describe('windowOpenHandler', () => {
  it('always denies and hands only allow-listed https URLs to the browser', () => {
    const openExternal = vi.fn();
    expect(windowOpenHandler({ url: 'https://help.aliyun.com/oss' }, openExternal)).toEqual({
      action: 'deny',
    });
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://help.aliyun.com/oss');
  });

  it.each([...HOSTILE_URLS, 'ossync://app/index.html'])('drops %j', (url) => {
    const openExternal = vi.fn();
    expect(createWindowOpenHandler(openExternal)({ url } as never)).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
  });
});

describe('navigationHandler', () => {
  it('lets the app navigate within itself', () => {
    const event = { preventDefault: vi.fn() };
    const openExternal = vi.fn();
    navigationHandler(event, 'ossync://app/index.html', PROTOCOL_ORIGIN, openExternal);
    expect(event.preventDefault).not.toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('stops a link to an allow-listed page and opens it in the browser', () => {
    const event = { preventDefault: vi.fn() };
    const openExternal = vi.fn();
    navigationHandler(event, 'https://help.aliyun.com/', PROTOCOL_ORIGIN, openExternal);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://help.aliyun.com/');
  });

  it.each(HOSTILE_URLS)('stops %j and opens nothing', (url) => {
    const event = { preventDefault: vi.fn() };
    const openExternal = vi.fn();
    navigationHandler(event, url, PROTOCOL_ORIGIN, openExternal);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(openExternal).not.toHaveBeenCalled();
  });
});

describe('permissions', () => {
  it.each([
    'media',
    'notifications',
    'geolocation',
    'clipboard-read',
    'clipboard-sanitized-write',
    'openExternal',
    'fileSystem',
    'hid',
    'serial',
    'usb',
    'unknown',
  ])('denies %s', (permission) => {
    const callback = vi.fn();
    permissionRequestHandler({}, permission, callback);
    expect(callback).toHaveBeenCalledExactlyOnceWith(false);
    expect(permissionCheckHandler()).toBe(false);
  });
});

describe('validateIpcSender', () => {
  const ours = new Set([7]);
  const policy = { appOrigin: PROTOCOL_ORIGIN, isOurWebContents: (id: number) => ours.has(id) };
  const good: IpcSenderInfo = {
    frameUrl: 'ossync://app/index.html',
    isMainFrame: true,
    webContentsId: 7,
  };

  it('accepts the main frame of our window on our origin', () => {
    expect(validateIpcSender(good, policy)).toBe(true);
  });

  it.each<[string, Partial<IpcSenderInfo>]>([
    ['an iframe', { isMainFrame: false }],
    ['another webContents', { webContentsId: 8 }],
    ['a destroyed frame', { frameUrl: undefined }],
    ['a foreign page', { frameUrl: 'https://evil.example/' }],
    ['a data: page', { frameUrl: 'data:text/html,hi' }],
    ['a file page', { frameUrl: 'file:///tmp/evil.html' }],
    ['a lookalike host', { frameUrl: 'ossync://app.evil/index.html' }],
    ['a non-integer id', { webContentsId: Number.NaN }],
  ])('refuses %s', (_name, change) => {
    expect(validateIpcSender({ ...good, ...change }, policy)).toBe(false);
  });
});
