import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EncryptedFileSecretStore,
  type SecretCipher,
} from '../../../../main/core/secrets/encrypted-file-secret-store.js';

/** AES-256-GCM, standing in for Electron's safeStorage. */
function testCipher(key = randomBytes(32)): SecretCipher {
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(data) {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

const SECRET = 'enc-Secret-9d3e0b5a77';
const TOKEN = 'enc-Token-CAISxyz0123456789';
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ossync-enc-'));
  file = join(dir, 'data', 'secrets.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EncryptedFileSecretStore', () => {
  it('round-trips secrets, keeps only ciphertext on disk, mode 0600', async () => {
    const cipher = testCipher();
    const store = new EncryptedFileSecretStore({ file, cipher });
    expect(store.kind).toBe('encrypted-file');
    expect(store.isWeakBackend).toBe(false);
    expect(await store.get('account:1:accessKeySecret')).toBeUndefined();
    await store.set('account:1:accessKeySecret', SECRET);
    await store.set('account:1:securityToken', TOKEN);
    expect(await store.get('account:1:accessKeySecret')).toBe(SECRET);

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'account:1:accessKeySecret',
      'account:1:securityToken',
    ]);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    // No temp file left behind.
    expect(await readdir(join(dir, 'data'))).toEqual(['secrets.json']);

    // A new instance (the next start) reads the same file with the same key.
    const next = new EncryptedFileSecretStore({ file, cipher });
    expect(await next.get('account:1:securityToken')).toBe(TOKEN);
    await next.delete('account:1:securityToken');
    await next.delete('account:9:securityToken');
    expect(await next.get('account:1:securityToken')).toBeUndefined();
    expect(
      await new EncryptedFileSecretStore({ file, cipher }).get('account:1:securityToken'),
    ).toBe(undefined);
  });

  it('serializes concurrent writes', async () => {
    const store = new EncryptedFileSecretStore({ file, cipher: testCipher() });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.set(`account:${i}:accessKeySecret`, `${SECRET}-${i}`),
      ),
    );
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')) as object)).toHaveLength(20);
  });

  it('reports an undecryptable secret (another key) without the ciphertext', async () => {
    await new EncryptedFileSecretStore({ file, cipher: testCipher() }).set(
      'account:1:accessKeySecret',
      SECRET,
    );
    const other = new EncryptedFileSecretStore({ file, cipher: testCipher() });
    await expect(other.get('account:1:accessKeySecret')).rejects.toThrow(/cannot be decrypted/);
  });

  it('carries the weak-backend flag for the app to warn', () => {
    const store = new EncryptedFileSecretStore({
      file,
      cipher: testCipher(),
      isWeakBackend: true,
      backend: 'basic_text',
    });
    expect(store.isWeakBackend).toBe(true);
    expect(store.backend).toBe('basic_text');
  });
});
