/**
 * The API contract (shared/contract): every method and event has schemas, representative
 * payloads round-trip, and malformed ones are refused with the field named.
 */
import { describe, expect, it } from 'vitest';
import {
  CORE_ERROR_CODES,
  ContractError,
  EVENTS,
  METHODS,
  MAX_KEY_BYTES,
  isEventName,
  isMethodName,
  parseEvent,
  parseParams,
  parseResult,
  utf8Length,
} from '../../../shared/contract/index.js';
// Representative valid payloads for every method and event, typed by the contract.
import type {
  AccountDto,
  ActivityEntryDto,
  AppStatusDto,
  EventName,
  EventPayload,
  MethodName,
  Params,
  PairStatusDto,
  Result,
  SettingsDto,
  TransferDto,
  TransferLimits,
} from '../../../shared/contract/index.js';

const T = 1_700_000_000_000;

export const account: AccountDto = {
  id: 1,
  kind: 'aliyun',
  name: 'Work',
  endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
  region: 'cn-hangzhou',
  defaultBucket: 'my-bucket',
  accessKeyIdMasked: 'LTAI****wxyz',
  hasSecret: true,
  hasSecurityToken: false,
  securityTokenExpiresAt: null,
  createdAt: T,
};

export const transfer: TransferDto = {
  id: 7,
  accountId: 1,
  kind: 'upload',
  state: 'failed',
  batch: 'b-1',
  bucket: 'my-bucket',
  key: 'photos/2024/猫.jpg',
  localPath: '/home/me/猫.jpg',
  sourceKey: null,
  size: 12345,
  bytesDone: 100,
  attempts: 3,
  nextAttemptAt: null,
  error: { code: 'access-denied', message: 'Access denied', requestId: '65A1B2C3D4' },
  pairId: null,
  createdAt: T,
  updatedAt: T + 1,
  finishedAt: T + 2,
};

export const limits: TransferLimits = {
  maxFiles: 4,
  maxPartsPerFile: 4,
  maxParts: 8,
  uploadBytesPerSecond: null,
  downloadBytesPerSecond: 1_000_000,
};

export const pairStatus: PairStatusDto = {
  pair: {
    id: 3,
    accountId: 1,
    localRoot: 'C:\\Users\\me\\Docs',
    bucket: 'my-bucket',
    prefix: 'docs/',
    mode: 'mirror',
    deleteMode: 'trash',
    ignore: ['*.tmp', 'node_modules/'],
    followSymlinks: false,
    trashRetentionDays: 30,
    deleteGuard: { maxFraction: 0.5, maxCount: 1000 },
    paused: false,
    createdAt: T,
  },
  state: 'waiting-for-confirmation',
  detail: null,
  watching: 'events',
  counters: {
    filesPending: 2,
    bytesPending: 2048,
    lastSyncedAt: T,
    errors: 0,
    conflicts: 1,
    deletesAwaiting: 1500,
  },
};

export const settings: SettingsDto = {
  language: 'zh-CN',
  launchAtLogin: true,
  logLevel: 'info',
  limits,
};

export const activityEntry: ActivityEntryDto = {
  id: 9,
  at: T,
  kind: 'uploaded',
  accountId: 1,
  pairId: 3,
  bucket: 'my-bucket',
  key: 'docs/a.txt',
  localPath: '/home/me/Docs/a.txt',
  size: 10,
  error: null,
};

export const appStatus: AppStatusDto = {
  state: 'syncing',
  paused: false,
  offline: false,
  counts: {
    active: 12,
    queued: 300,
    failed: 1,
    pairs: 2,
    pairsWithErrors: 0,
    pairsAwaitingConfirmation: 1,
    conflicts: 1,
  },
  uploadBytesPerSecond: 3_400_000,
  downloadBytesPerSecond: 0,
  recent: [
    { id: 7, kind: 'upload', state: 'done', bucket: 'my-bucket', key: 'a.txt', finishedAt: T },
  ],
};

const where = { accountId: 1, bucket: 'my-bucket' };
const page = <I>(items: I[]) => ({ items, nextCursor: 'c2', total: items.length });

export const METHOD_SAMPLES: { [M in MethodName]: { params: Params<M>; result: Result<M> } } = {
  'accounts.list': { params: {}, result: { accounts: [account] } },
  'accounts.add': {
    params: {
      name: 'Work',
      region: 'cn-hangzhou',
      accessKeyId: 'LTAI5tAbcdEfgh',
      accessKeySecret: 'not-a-real-secret',
    },
    result: account,
  },
  'accounts.update': {
    params: { id: 1, name: 'Home', defaultBucket: null, securityToken: null },
    result: account,
  },
  'accounts.remove': { params: { id: 1 }, result: {} },
  'accounts.addLocalStorage': { params: {}, result: { ...account, kind: 'local', region: null } },
  'accounts.testConnection': {
    params: { id: 1, bucket: 'my-bucket' },
    result: {
      ok: false,
      problem: 'clock-skew',
      error: {
        code: 'clock-skew',
        messageKey: 'errors.clock-skew',
        message: "This computer's clock is too far from the server's time.",
        requestId: 'ABC123',
        ossCode: 'RequestTimeTooSkewed',
      },
    },
  },
  'buckets.list': {
    params: { accountId: 1 },
    result: {
      buckets: [{ name: 'my-bucket', region: 'oss-cn-hangzhou', createdAt: T, storageClass: null }],
    },
  },
  'objects.list': {
    params: {
      ...where,
      prefix: 'photos/',
      namePrefix: 'IMG_',
      continuationToken: 't',
      pageSize: 1000,
    },
    result: {
      prefixes: ['photos/2024/'],
      objects: [
        { key: 'photos/a.jpg', size: 1, lastModified: T, etag: 'ABC', storageClass: 'Standard' },
      ],
      nextContinuationToken: null,
    },
  },
  'objects.details': {
    params: { ...where, key: 'photos/a.jpg' },
    result: {
      key: 'photos/a.jpg',
      size: 1,
      lastModified: T,
      etag: 'ABC-2',
      crc64: '18446744073709551615',
      storageClass: 'IA',
      contentType: 'image/jpeg',
      userMetadata: [{ name: 'author', value: 'me' }],
    },
  },
  'objects.preview': {
    params: { ...where, key: 'notes/a.txt' },
    result: { contentType: 'text/plain', size: 5, truncated: false, data: 'aGVsbG8=' },
  },
  'objects.createFolder': { params: { ...where, prefix: 'new/' }, result: { key: 'new/' } },
  'objects.upload': {
    params: { ...where, prefix: '', localPaths: ['/home/me/a', '/home/me/b.txt'] },
    result: { batch: 'b-2', jobsQueued: 2 },
  },
  'objects.download': {
    params: { ...where, keys: ['photos/', 'a.txt'], targetDir: '/home/me/Downloads' },
    result: { batch: 'b-3', jobsQueued: 10 },
  },
  'objects.delete': {
    params: { ...where, keys: ['photos/'] },
    result: {
      status: 'needs-confirmation',
      count: 20_000,
      confirmationToken: 'ct-1',
      expiresAt: T,
    },
  },
  'objects.shareLink': {
    params: { ...where, key: 'a.txt', expiresInSeconds: 3600 },
    result: {
      url: 'https://my-bucket.oss-cn-hangzhou.aliyuncs.com/a.txt?Signature=x',
      expiresAt: T,
    },
  },
  'transfers.list': {
    params: { states: ['failed'], cursor: 'c1', pageSize: 200 },
    result: page([transfer]),
  },
  'transfers.pause': { params: { ids: [1, 2] }, result: { changed: 2 } },
  'transfers.resume': { params: { ids: [1] }, result: { changed: 1 } },
  'transfers.retry': { params: { ids: [7] }, result: { changed: 1 } },
  'transfers.cancel': { params: { ids: [7] }, result: { changed: 0 } },
  'transfers.clearFinished': { params: { states: ['done'] }, result: { removed: 5 } },
  'transfers.pauseAll': { params: {}, result: {} },
  'transfers.resumeAll': { params: {}, result: {} },
  'transfers.getLimits': { params: {}, result: limits },
  'transfers.setLimits': { params: { maxFiles: 8, uploadBytesPerSecond: null }, result: limits },
  'pairs.list': { params: {}, result: { pairs: [pairStatus] } },
  'pairs.get': { params: { pairId: 3 }, result: pairStatus },
  'pairs.add': {
    params: {
      accountId: 1,
      localRoot: '/home/me/Docs',
      bucket: 'my-bucket',
      prefix: 'docs/',
      mode: 'backup',
    },
    result: pairStatus,
  },
  'pairs.update': { params: { pairId: 3, changes: { ignore: ['*.log'] } }, result: pairStatus },
  'pairs.remove': { params: { pairId: 3 }, result: {} },
  'pairs.pause': { params: { pairId: 3 }, result: pairStatus },
  'pairs.resume': { params: { pairId: 3 }, result: pairStatus },
  'pairs.syncNow': { params: { pairId: 3 }, result: pairStatus },
  'pairs.pendingDeletes': {
    params: { pairId: 3, pageSize: 100 },
    result: page([{ path: 'old/a.txt', key: 'docs/old/a.txt', size: null }]),
  },
  'pairs.confirmDeletes': { params: { pairId: 3, expectedCount: 1500 }, result: pairStatus },
  'pairs.rejectDeletes': { params: { pairId: 3 }, result: pairStatus },
  'pairs.issues': {
    params: { pairId: 3 },
    result: page([{ path: 'a:b.txt', code: 'invalid-name', message: 'name cannot be a key' }]),
  },
  'pairs.conflicts': {
    params: { pairId: 3, cursor: 'x' },
    result: page([
      {
        path: 'a.txt',
        keptAs: 'docs/.conflicts/a.txt',
        resolution: 'local-won',
        remoteEtag: 'E',
        at: T,
      },
    ]),
  },
  'settings.get': { params: {}, result: settings },
  'settings.update': { params: { language: 'system', limits: { maxParts: 16 } }, result: settings },
  'activity.list': {
    params: { kinds: ['uploaded', 'error'], pairId: 3, since: 0, search: 'a.txt', pageSize: 50 },
    result: page([activityEntry]),
  },
  'app.status': { params: {}, result: appStatus },
  'app.info': { params: {}, result: { version: '0.1.0', host: 'headless', platform: 'linux' } },
  'app.pickFolder': { params: { defaultPath: '/home/me' }, result: { path: '/home/me/Photos' } },
  'app.showInFolder': { params: { path: '/home/me/Photos/a.jpg' }, result: {} },
};

export const EVENT_SAMPLES: { [E in EventName]: EventPayload<E> } = {
  'transfers.progress': {
    accountId: 1,
    jobs: [{ jobId: 7, bytesDone: 10, bytesTotal: 100, bytesPerSecond: 12.5, etaSeconds: null }],
    totalBytesDone: 10,
    totalBytesTotal: 100,
    uploadBytesPerSecond: 12.5,
    downloadBytesPerSecond: 0,
    etaSeconds: 7.2,
  },
  'transfers.jobChanged': transfer,
  'transfers.listChanged': { added: 30_000, removed: 0 },
  'pairs.statusChanged': pairStatus,
  'pairs.removed': { pairId: 3 },
  'app.notification': {
    id: 'n-1',
    at: T,
    kind: 'deletes-held',
    level: 'warning',
    titleKey: 'notifications.deletesHeld.title',
    bodyKey: 'notifications.deletesHeld.body',
    values: [{ name: 'count', value: '1500' }],
    pairId: 3,
  },
  'app.statusChanged': appStatus,
  'activity.appended': { entries: [activityEntry] },
};

// ---------------------------------------------------------------------------------------

const methodNames = Object.keys(METHODS) as MethodName[];
const eventNames = Object.keys(EVENTS) as EventName[];

/** Parses params and returns the ContractError (failing the test if the payload passed). */
function refused(method: MethodName, params: unknown): ContractError {
  const parsed = parseParams(method, params);
  if (parsed.ok) throw new Error(`${method} accepted ${JSON.stringify(params)}`);
  expect(parsed.error).toBeInstanceOf(ContractError);
  expect(parsed.error.code).toBe('invalid-payload');
  expect(parsed.error.messageKey).toBe('errors.invalid-payload');
  return parsed.error;
}

describe('registry', () => {
  it('declares params and result schemas for every method', () => {
    expect(methodNames.length).toBeGreaterThanOrEqual(40);
    for (const name of methodNames) {
      expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(typeof METHODS[name].params.safeParse, name).toBe('function');
      expect(typeof METHODS[name].result.safeParse, name).toBe('function');
    }
  });

  it('declares a payload schema for every event', () => {
    for (const name of eventNames) {
      expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(typeof EVENTS[name].safeParse, name).toBe('function');
    }
  });

  it('has a sample for every method and event (the samples are typed by the contract)', () => {
    expect(Object.keys(METHOD_SAMPLES).sort()).toEqual([...methodNames].sort());
    expect(Object.keys(EVENT_SAMPLES).sort()).toEqual([...eventNames].sort());
  });

  it('refuses unknown and inherited names', () => {
    for (const name of ['nope', 'toString', '__proto__', 'constructor', 42]) {
      expect(isMethodName(name)).toBe(false);
      expect(isEventName(name)).toBe(false);
      const parsed = parseParams(name, {});
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.code).toBe('unknown-method');
      expect(parseEvent(name, {}).ok).toBe(false);
    }
  });
});

describe('round trips', () => {
  it.each(methodNames)('%s: params and result survive JSON and parse unchanged', (name) => {
    const sample = METHOD_SAMPLES[name];
    const params = JSON.parse(JSON.stringify(sample.params)) as unknown;
    const result = JSON.parse(JSON.stringify(sample.result)) as unknown;
    expect(parseParams(name, params)).toEqual({ ok: true, value: sample.params });
    expect(parseResult(name, result)).toEqual({ ok: true, value: sample.result });
  });

  it.each(eventNames)('%s: payload survives JSON and parses unchanged', (name) => {
    const payload = JSON.parse(JSON.stringify(EVENT_SAMPLES[name])) as unknown;
    expect(parseEvent(name, payload)).toEqual({ ok: true, value: EVENT_SAMPLES[name] });
  });
});

describe('refusals name the field', () => {
  it('unknown keys, at the top and nested', () => {
    let error = refused('pairs.get', { pairId: 1, extra: true });
    expect(error.subject).toBe('params.extra');
    expect(error.message).toContain('pairs.get: params.extra: unknown key');
    error = refused('pairs.update', { pairId: 1, changes: { mode: 'backup', localRoot: '/x' } });
    expect(error.subject).toBe('params.changes.localRoot');
  });

  it.each(methodNames)('%s: refuses __proto__ and constructor keys from JSON.parse', (name) => {
    const base = JSON.stringify(METHOD_SAMPLES[name].params).slice(1, -1);
    const comma = base === '' ? '' : ',';
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const payload = JSON.parse(`{${base}${comma}"${key}":{"polluted":true}}`) as unknown;
      expect(refused(name, payload).subject).toBe(`params.${key}`);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses prototype keys nested in arrays of objects', () => {
    const payload = JSON.parse(
      '{"accountId":1,"bucket":"my-bucket","prefix":"","continuationToken":"t","pageSize":1}',
    ) as unknown;
    expect(parseParams('objects.list', payload).ok).toBe(true);
    const result = JSON.parse(
      '{"key":"a","size":1,"lastModified":1,"etag":"e","crc64":null,"storageClass":null,' +
        '"contentType":null,"userMetadata":[{"name":"a","value":"b","__proto__":{"x":1}}]}',
    ) as unknown;
    const parsed = parseResult('objects.details', result);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.subject).toBe('result.userMetadata[0].__proto__');
  });

  it('wrong types', () => {
    expect(refused('pairs.get', { pairId: '3' }).subject).toBe('params.pairId');
    expect(refused('pairs.get', { pairId: 1.5 }).subject).toBe('params.pairId');
    expect(refused('pairs.get', { pairId: 0 }).subject).toBe('params.pairId');
    expect(refused('pairs.get', null).subject).toBe('params');
    expect(refused('pairs.get', []).subject).toBe('params');
    expect(refused('transfers.pause', { ids: [1, 'x'] }).subject).toBe('params.ids[1]');
    expect(refused('settings.update', { language: 'fr' }).subject).toBe('params.language');
    expect(refused('settings.update', { limits: { maxFiles: 0 } }).subject).toBe(
      'params.limits.maxFiles',
    );
    expect(refused('transfers.setLimits', { maxFiles: 4, bogus: 1 }).subject).toBe('params.bogus');
  });

  it('page sizes: negative, zero, fractional, above 1000', () => {
    for (const pageSize of [-1, 0, 2.5, 1001, Number.NaN, Infinity]) {
      expect(refused('transfers.list', { states: ['queued'], pageSize }).subject).toBe(
        'params.pageSize',
      );
    }
    expect(parseParams('transfers.list', { states: ['queued'], pageSize: 1000 }).ok).toBe(true);
    expect(refused('transfers.list', { states: [] }).subject).toBe('params.states');
  });

  it('oversized strings and arrays', () => {
    const ids = Array.from({ length: 1001 }, (_, i) => i + 1);
    expect(refused('transfers.cancel', { ids }).subject).toBe('params.ids');
    expect(parseParams('transfers.cancel', { ids: ids.slice(0, 1000) }).ok).toBe(true);
    expect(refused('transfers.cancel', { ids: [] }).subject).toBe('params.ids');
    const where = { accountId: 1, bucket: 'my-bucket' };
    expect(refused('objects.download', { ...where, keys: ['a'], targetDir: '' }).subject).toBe(
      'params.targetDir',
    );
    expect(refused('objects.download', { ...where, keys: ['a'], targetDir: '/a\0b' }).subject).toBe(
      'params.targetDir',
    );
    expect(
      refused('objects.upload', { ...where, prefix: '', localPaths: ['/a', 'x'.repeat(5000)] })
        .subject,
    ).toBe('params.localPaths[1]');
    expect(
      refused('accounts.add', { ...METHOD_SAMPLES['accounts.add'].params, name: 'n'.repeat(101) })
        .subject,
    ).toBe('params.name');
    expect(refused('activity.list', { search: 's'.repeat(257) }).subject).toBe('params.search');
  });

  it('object keys: at most 1023 UTF-8 bytes, no leading slash', () => {
    const where = { accountId: 1, bucket: 'my-bucket' };
    expect(parseParams('objects.details', { ...where, key: 'a'.repeat(1023) }).ok).toBe(true);
    expect(refused('objects.details', { ...where, key: 'a'.repeat(1024) }).subject).toBe(
      'params.key',
    );
    // 341 three-byte characters are 1023 bytes; 342 are 1026 (fewer than 1023 UTF-16 units).
    expect(parseParams('objects.details', { ...where, key: '猫'.repeat(341) }).ok).toBe(true);
    expect(refused('objects.details', { ...where, key: '猫'.repeat(342) }).subject).toBe(
      'params.key',
    );
    expect(refused('objects.details', { ...where, key: '😀'.repeat(256) }).subject).toBe(
      'params.key',
    );
    expect(refused('objects.details', { ...where, key: '' }).subject).toBe('params.key');
    expect(refused('objects.details', { ...where, key: '/a' }).subject).toBe('params.key');
    expect(refused('objects.list', { ...where, prefix: 'no-slash' }).subject).toBe('params.prefix');
    expect(refused('objects.createFolder', { ...where, prefix: '' }).subject).toBe('params.prefix');
  });

  it('utf8Length agrees with TextEncoder', () => {
    for (const sample of ['', 'abc', 'é', '猫', '😀', 'a\ud800b', '\udc00', 'ß猫😀x']) {
      expect(utf8Length(sample), JSON.stringify(sample)).toBe(
        new TextEncoder().encode(sample).length,
      );
    }
    expect(MAX_KEY_BYTES).toBe(1023);
  });

  it('bucket names per OSS rules', () => {
    for (const bucket of ['abc', 'a-b-c', 'x'.repeat(63), '0bucket']) {
      expect(parseParams('buckets.list', { accountId: 1 }).ok).toBe(true);
      expect(parseParams('objects.details', { accountId: 1, bucket, key: 'k' }).ok, bucket).toBe(
        true,
      );
    }
    for (const bucket of ['ab', 'x'.repeat(64), 'Abc', 'a_b', '-abc', 'abc-', 'a.b', '']) {
      expect(refused('objects.details', { accountId: 1, bucket, key: 'k' }).subject, bucket).toBe(
        'params.bucket',
      );
    }
  });

  it('share link expiry: whole seconds up to 7 days', () => {
    const base = { accountId: 1, bucket: 'my-bucket', key: 'a' };
    for (const expiresInSeconds of [1, 3600, 86_400, 604_800]) {
      expect(parseParams('objects.shareLink', { ...base, expiresInSeconds }).ok).toBe(true);
    }
    for (const expiresInSeconds of [0, -1, 604_801, 1.5]) {
      expect(refused('objects.shareLink', { ...base, expiresInSeconds }).subject).toBe(
        'params.expiresInSeconds',
      );
    }
  });

  it('events and results are checked too', () => {
    const parsed = parseEvent('transfers.progress', {
      ...EVENT_SAMPLES['transfers.progress'],
      totalBytesDone: -1,
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe('invalid-payload');
      expect(parsed.error.subject).toBe('payload.totalBytesDone');
    }
    const result = parseResult('accounts.list', {
      accounts: [{ ...account, accessKeySecret: 'leak' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.subject).toBe('result.accounts[0].accessKeySecret');
  });
});

describe('errors', () => {
  it('includes every core error code and the contract-level ones', async () => {
    const core = await import('../../../main/core/errors.js');
    expect([...CORE_ERROR_CODES]).toEqual([...core.ERROR_CODES]);
    const parsed = parseResult('accounts.testConnection', {
      ok: false,
      problem: 'unreachable',
      error: new ContractError('invalid-payload', 'x', { subject: 'params.a' }).toData(),
    });
    expect(parsed.ok).toBe(true);
  });

  it('round-trips a ContractError as data', () => {
    const error = new ContractError('access-denied', 'Access denied', {
      requestId: 'R1',
      ossCode: 'AccessDenied',
      subject: 'a.txt',
    });
    const data = JSON.parse(JSON.stringify(error.toData())) as unknown;
    const parsed = parseResult('accounts.testConnection', {
      ok: false,
      problem: 'access-denied',
      error: data,
    });
    expect(parsed.ok).toBe(true);
    const back = ContractError.fromData(error.toData());
    expect(back.toData()).toEqual({
      code: 'access-denied',
      messageKey: 'errors.access-denied',
      message: 'Access denied',
      requestId: 'R1',
      ossCode: 'AccessDenied',
      subject: 'a.txt',
    });
    expect(new ContractError('unauthorized').message).toBe('Not authorized.');
  });
});
