// Secrets over safeStorage: which backends are weak, the cipher refusing when there is no
// encryption, and the consent asked before storing on a weak backend (real files).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  fileAnswerMemory,
  readShellPreferences,
  safeStorageCipher,
  secretBackendInfo,
  withWeakStorageConsent,
  type AnswerMemory,
  type ConsentChoice,
  type SafeStorageLike,
  type WeakStorageAnswer,
} from '../../../main/electron/secret-storage.js';
import { CoreError } from '../../../main/core/errors.js';
import { EncryptedFileSecretStore } from '../../../main/core/secrets/encrypted-file-secret-store.js';

/** A reversible stand-in for the OS cipher (the real one needs Electron). */
function fakeSafeStorage(backend = 'gnome_libsecret', available = true): SafeStorageLike {
  return {
    isEncryptionAvailable: () => available,
    encryptString: (plain) => Buffer.from(Buffer.from(`enc:${plain}`).map((b) => b ^ 0x5a)),
    decryptString: (cipher) =>
      Buffer.from(cipher.map((b) => b ^ 0x5a))
        .toString()
        .slice(4),
    getSelectedStorageBackend: () => backend,
  };
}

function memory(initial?: WeakStorageAnswer): AnswerMemory & { value?: WeakStorageAnswer } {
  const m: AnswerMemory & { value?: WeakStorageAnswer } = {
    async get() {
      return m.value;
    },
    async set(answer) {
      m.value = answer;
    },
  };
  if (initial !== undefined) m.value = initial;
  return m;
}

describe('secretBackendInfo', () => {
  it.each([
    ['linux', 'basic_text', true],
    ['linux', 'unknown', true],
    ['linux', 'gnome_libsecret', false],
    ['linux', 'kwallet6', false],
    ['darwin', 'basic_text', false], // not asked on macOS: the keychain
    ['win32', 'basic_text', false], // DPAPI
  ])('%s %s -> weak %s', (platform, backend, weak) => {
    expect(secretBackendInfo(fakeSafeStorage(backend), platform).weak).toBe(weak);
  });

  it('a throwing getSelectedStorageBackend counts as unknown, weak', () => {
    const storage = {
      ...fakeSafeStorage(),
      getSelectedStorageBackend: () => {
        throw new Error('not on this platform');
      },
    };
    expect(secretBackendInfo(storage, 'linux')).toEqual({ backend: 'unknown', weak: true });
  });
});

describe('safeStorageCipher', () => {
  it('round-trips through safeStorage', () => {
    const cipher = safeStorageCipher(fakeSafeStorage());
    const encrypted = cipher.encrypt('s3cr3t');
    expect(encrypted.toString()).not.toContain('s3cr3t');
    expect(cipher.decrypt(encrypted)).toBe('s3cr3t');
  });

  it('refuses to store when encryption is unavailable', () => {
    const storage = fakeSafeStorage('unknown', false);
    const encrypt = vi.spyOn(storage, 'encryptString');
    expect(() => safeStorageCipher(storage).encrypt('s3cr3t')).toThrow(CoreError);
    expect(encrypt).not.toHaveBeenCalled();
  });
});

describe('withWeakStorageConsent', () => {
  let dir: string;
  let file: string;
  let inner: EncryptedFileSecretStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ossync-secrets-'));
    file = path.join(dir, 'secrets.json');
    inner = new EncryptedFileSecretStore({ file, cipher: safeStorageCipher(fakeSafeStorage()) });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const stored = async () => {
    try {
      return Object.keys(JSON.parse(await readFile(file, 'utf8')) as object);
    } catch {
      return [];
    }
  };

  it('a strong backend never asks', async () => {
    const ask = vi.fn(async (): Promise<ConsentChoice> => ({ store: false, remember: false }));
    const store = withWeakStorageConsent(inner, { weak: false, ask, memory: memory() });
    await store.set('account:1:accessKeySecret', 'abc');
    expect(ask).not.toHaveBeenCalled();
    await expect(store.get('account:1:accessKeySecret')).resolves.toBe('abc');
  });

  it('asks each time when the answer is not remembered', async () => {
    const ask = vi.fn(async (): Promise<ConsentChoice> => ({ store: true, remember: false }));
    const mem = memory();
    const store = withWeakStorageConsent(inner, { weak: true, ask, memory: mem });
    await store.set('account:1:accessKeySecret', 'abc');
    await store.set('account:2:accessKeySecret', 'def');
    expect(ask).toHaveBeenCalledTimes(2);
    expect(mem.value).toBeUndefined();
    expect(await stored()).toEqual(['account:1:accessKeySecret', 'account:2:accessKeySecret']);
  });

  it('a refusal fails the set, stores nothing, and a remembered refusal asks no more', async () => {
    const ask = vi.fn(async (): Promise<ConsentChoice> => ({ store: false, remember: true }));
    const mem = memory();
    const store = withWeakStorageConsent(inner, { weak: true, ask, memory: mem });
    const error = await store.set('account:1:accessKeySecret', 'abc').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('invalid-argument');
    expect(mem.value).toBe('deny');
    await expect(store.set('account:1:accessKeySecret', 'abc')).rejects.toThrow(/not stored/);
    expect(ask).toHaveBeenCalledTimes(1);
    expect(await stored()).toEqual([]);
  });

  it('a remembered allow stores without asking', async () => {
    const ask = vi.fn(async (): Promise<ConsentChoice> => ({ store: false, remember: false }));
    const store = withWeakStorageConsent(inner, { weak: true, ask, memory: memory('allow') });
    await store.set('account:1:accessKeySecret', 'abc');
    expect(ask).not.toHaveBeenCalled();
    expect(await stored()).toEqual(['account:1:accessKeySecret']);
  });

  it('asks once for sets that arrive while the dialog is open', async () => {
    let answer!: (choice: ConsentChoice) => void;
    const ask = vi.fn(
      () =>
        new Promise<ConsentChoice>((resolve) => {
          answer = resolve;
        }),
    );
    const store = withWeakStorageConsent(inner, { weak: true, ask, memory: memory() });
    const first = store.set('account:1:accessKeySecret', 'abc');
    const second = store.set('account:1:securityToken', 'tok');
    await vi.waitFor(() => expect(ask).toHaveBeenCalledTimes(1));
    answer({ store: true, remember: false });
    await Promise.all([first, second]);
    expect(ask).toHaveBeenCalledTimes(1);
    expect((await stored()).sort()).toEqual([
      'account:1:accessKeySecret',
      'account:1:securityToken',
    ]);
  });

  it('reads and deletes never ask', async () => {
    await inner.set('account:1:accessKeySecret', 'abc');
    const ask = vi.fn(async (): Promise<ConsentChoice> => ({ store: false, remember: false }));
    const store = withWeakStorageConsent(inner, { weak: true, ask, memory: memory() });
    await expect(store.get('account:1:accessKeySecret')).resolves.toBe('abc');
    await store.delete('account:1:accessKeySecret');
    expect(ask).not.toHaveBeenCalled();
    expect(store.kind).toBe('encrypted-file');
  });
});

describe('fileAnswerMemory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ossync-prefs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('remembers across instances, in a file only the user can read', async () => {
    const file = path.join(dir, 'shell-preferences.json');
    await expect(fileAnswerMemory(file).get()).resolves.toBeUndefined();
    await fileAnswerMemory(file).set('deny');
    await expect(fileAnswerMemory(file).get()).resolves.toBe('deny');
    await fileAnswerMemory(file).set('allow');
    await expect(readShellPreferences(file)).resolves.toEqual({ weakSecretStorage: 'allow' });
    if (process.platform !== 'win32') {
      const { stat } = await import('node:fs/promises');
      expect((await stat(file)).mode & 0o077).toBe(0);
    }
  });

  it.each(['{not json', '[]', '{"weakSecretStorage":"maybe"}', 'null'])(
    'a damaged file (%s) means no answer',
    async (content) => {
      const file = path.join(dir, 'p.json');
      await writeFile(file, content);
      await expect(fileAnswerMemory(file).get()).resolves.toBeUndefined();
    },
  );
});
