import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../../../main/core/errors.js';
import {
  HeadlessSecretStore,
  secretEnvName,
} from '../../../../main/core/secrets/headless-secret-store.js';
import { redact } from '../../../../main/core/secrets/secret-registry.js';

const posix = process.platform !== 'win32';
const SECRET = 'hs-Secret-4f1c9a7e2b';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ossync-secrets-'));
  file = join(dir, 'secrets.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeSecrets(mode: number, data: Record<string, unknown>): Promise<void> {
  await writeFile(file, JSON.stringify(data), { mode });
  await chmod(file, mode); // the umask may have taken bits off
}

async function refusal(store: HeadlessSecretStore): Promise<CoreError> {
  const error: unknown = await store.get('account:1:accessKeySecret').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

describe('secretEnvName', () => {
  it('turns a ref into upper snake case with the OSSYNC_SECRET_ prefix', () => {
    expect(secretEnvName('account:3:accessKeySecret')).toBe(
      'OSSYNC_SECRET_ACCOUNT_3_ACCESS_KEY_SECRET',
    );
    expect(secretEnvName('account:default:securityToken')).toBe(
      'OSSYNC_SECRET_ACCOUNT_DEFAULT_SECURITY_TOKEN',
    );
    expect(secretEnvName('local-oss.key')).toBe('OSSYNC_SECRET_LOCAL_OSS_KEY');
  });
});

describe('HeadlessSecretStore from the environment', () => {
  it('reads OSSYNC_SECRET_<REF>', async () => {
    const store = new HeadlessSecretStore({
      env: { OSSYNC_SECRET_ACCOUNT_3_ACCESS_KEY_SECRET: SECRET },
    });
    expect(store.kind).toBe('headless');
    expect(await store.get('account:3:accessKeySecret')).toBe(SECRET);
    expect(await store.get('account:4:accessKeySecret')).toBeUndefined();
    // What it handed out is registered for redaction.
    expect(redact(`key=${SECRET}`)).toBe('key=***');
  });

  it('reads OSS_ACCESS_KEY_SECRET and OSS_SESSION_TOKEN for the default account only', async () => {
    const env = {
      OSS_ACCESS_KEY_SECRET: 'legacy-secret-123',
      OSS_SESSION_TOKEN: 'legacy-token-456',
    };
    const store = new HeadlessSecretStore({ env });
    expect(await store.get('account:default:accessKeySecret')).toBe('legacy-secret-123');
    expect(await store.get('account:default:securityToken')).toBe('legacy-token-456');
    expect(await store.get('account:2:accessKeySecret')).toBeUndefined();
    const numbered = new HeadlessSecretStore({ env, defaultAccountId: 2 });
    expect(await numbered.get('account:2:accessKeySecret')).toBe('legacy-secret-123');
  });

  it('prefers the environment to the file, and cannot save without a file', async () => {
    await writeSecrets(0o600, { 'account:1:accessKeySecret': 'from-the-file' });
    const store = new HeadlessSecretStore({
      env: { OSSYNC_SECRET_ACCOUNT_1_ACCESS_KEY_SECRET: 'from-the-env' },
      file,
    });
    expect(await store.get('account:1:accessKeySecret')).toBe('from-the-env');
    const noFile = new HeadlessSecretStore({ env: {} });
    await expect(noFile.set('account:1:accessKeySecret', SECRET)).rejects.toThrow(
      /No secrets file/,
    );
  });

  it('rejects a malformed ref', async () => {
    const store = new HeadlessSecretStore({ env: {} });
    await expect(store.get('../etc/passwd')).rejects.toThrow(TypeError);
  });
});

describe('HeadlessSecretStore secrets file', () => {
  it('reads a 0600 file', async () => {
    await writeSecrets(0o600, { 'account:1:accessKeySecret': SECRET });
    const store = new HeadlessSecretStore({ env: {}, file });
    await store.check();
    expect(await store.get('account:1:accessKeySecret')).toBe(SECRET);
    expect(await store.get('account:1:securityToken')).toBeUndefined();
  });

  it('treats a missing file as empty and creates it with mode 0600 on set', async () => {
    const store = new HeadlessSecretStore({ env: {}, file });
    expect(await store.get('account:1:accessKeySecret')).toBeUndefined();
    await store.set('account:1:accessKeySecret', SECRET);
    await store.set('account:1:securityToken', 'token-value-789');
    await store.delete('account:1:securityToken');
    if (posix) expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      'account:1:accessKeySecret': SECRET,
    });
    const again = new HeadlessSecretStore({ env: {}, file });
    expect(await again.get('account:1:accessKeySecret')).toBe(SECRET);
  });

  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    it.skipIf(!posix)(
      `refuses a file with mode 0${mode.toString(8)}, with the chmod to run`,
      async () => {
        await writeSecrets(mode, { 'account:1:accessKeySecret': SECRET });
        const error = await refusal(new HeadlessSecretStore({ env: {}, file }));
        expect(error.code).toBe('local-permission');
        expect(error.message).toContain(file);
        expect(error.message).toContain(`mode 0${mode.toString(8)}`);
        expect(error.message).toContain(`chmod 600 '${file}'`);
        expect(error.message).not.toContain(SECRET);
      },
    );
  }

  it.skipIf(!posix)('accepts 0400 (stricter than 0600)', async () => {
    await writeSecrets(0o400, { 'account:1:accessKeySecret': SECRET });
    expect(await new HeadlessSecretStore({ env: {}, file }).get('account:1:accessKeySecret')).toBe(
      SECRET,
    );
  });

  it.skipIf(!posix)('refuses a set that would write into a loosened file', async () => {
    const store = new HeadlessSecretStore({ env: {}, file });
    await store.set('account:1:accessKeySecret', SECRET);
    await chmod(file, 0o644);
    await expect(store.set('account:2:accessKeySecret', SECRET)).rejects.toThrow(/chmod 600/);
  });

  // Owned by another user: as root we can hand the file to nobody; as anyone else we cannot
  // create such a file, so the test needs root.
  const root = posix && process.getuid?.() === 0;
  it.skipIf(!root)('refuses a file owned by another user (needs root to chown)', async () => {
    await writeSecrets(0o600, { 'account:1:accessKeySecret': SECRET });
    await chown(file, 65534, 65534);
    const error = await refusal(new HeadlessSecretStore({ env: {}, file }));
    expect(error.code).toBe('local-permission');
    expect(error.message).toContain(file);
    expect(error.message).toContain('owned by uid 65534');
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses malformed content without quoting it', async () => {
    await writeSecrets(0o600, { 'account:1:accessKeySecret': 42 });
    await expect(
      new HeadlessSecretStore({ env: {}, file }).get('account:1:accessKeySecret'),
    ).rejects.toThrow(/must be a string/);
    await writeFile(file, `{"account:1:accessKeySecret": "${SECRET}"`, { mode: 0o600 });
    const error = await refusal(new HeadlessSecretStore({ env: {}, file }));
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).not.toContain(SECRET);
  });
});
