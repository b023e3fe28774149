// Secrets in the desktop app: Electron's safeStorage as the cipher of core's
// EncryptedFileSecretStore, and the consent asked before a secret is stored on a weak backend
// (Linux without a keyring, where safeStorage falls back to 'basic_text': a fixed key, so
// anyone who can read the file can read the secret). Plain code; main.ts passes safeStorage
// and the dialog in.
import { readFile } from 'node:fs/promises';
import { CoreError } from '../core/errors.js';
import type { SecretCipher } from '../core/secrets/encrypted-file-secret-store.js';
import { writeFileAtomic } from '../core/secrets/secret-file.js';
import type { SecretStore } from '../core/secrets/secret-store.js';

/** The part of Electron's safeStorage used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(cipher: Buffer): string;
  /** Linux only; Electron throws elsewhere. */
  getSelectedStorageBackend?(): string;
}

export interface SecretBackendInfo {
  /** `keychain` (macOS), `dpapi` (Windows), or the Linux backend's name. */
  backend: string;
  /** True when the cipher protects nothing worth the name. */
  weak: boolean;
}

/** Which backend safeStorage uses; call after 'ready' (before it Linux answers 'unknown'). */
export function secretBackendInfo(
  safeStorage: SafeStorageLike,
  platform: string,
): SecretBackendInfo {
  if (platform === 'darwin') return { backend: 'keychain', weak: false };
  if (platform === 'win32') return { backend: 'dpapi', weak: false };
  let backend = 'unknown';
  try {
    backend = safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
  } catch {
    // an Electron without the call: treat as unknown, hence weak
  }
  // 'unknown' after ready means no keyring was found either.
  return { backend, weak: backend === 'basic_text' || backend === 'unknown' };
}

const NO_ENCRYPTION =
  'No system key storage is available to encrypt the secret, so it was not stored. Unlock or install a keyring (GNOME Keyring or KWallet) and try again.';

/** safeStorage as core's SecretCipher; refuses to "encrypt" when encryption is unavailable. */
export function safeStorageCipher(safeStorage: SafeStorageLike): SecretCipher {
  return {
    encrypt(plain) {
      if (!safeStorage.isEncryptionAvailable()) {
        throw new CoreError('invalid-argument', NO_ENCRYPTION, { subject: 'secret-storage' });
      }
      return safeStorage.encryptString(plain);
    },
    decrypt(cipher) {
      return safeStorage.decryptString(cipher);
    },
  };
}

export type WeakStorageAnswer = 'allow' | 'deny';

/** What the user chose in the dialog. */
export interface ConsentChoice {
  store: boolean;
  /** "Remember my choice" was ticked. */
  remember: boolean;
}

/** Where the remembered answer lives (shell-preferences.json in the data folder). */
export interface AnswerMemory {
  get(): Promise<WeakStorageAnswer | undefined>;
  set(answer: WeakStorageAnswer): Promise<void>;
}

export interface ConsentOptions {
  /** Whether to ask at all: the backend is weak. */
  weak: boolean;
  ask: () => Promise<ConsentChoice>;
  memory: AnswerMemory;
}

export const WEAK_STORAGE_REFUSED =
  'The secret was not stored: this computer has no secure key storage (no keyring), and storing it with weak protection was declined.';

/**
 * A SecretStore that, on a weak backend, asks before each `set` unless an answer was
 * remembered. A refusal fails the set with CoreError 'invalid-argument' (accounts.add then
 * removes the half-made account). One question at a time: calls that arrive while the
 * dialog is open wait for its answer. Reads and deletes never ask.
 */
export function withWeakStorageConsent(inner: SecretStore, options: ConsentOptions): SecretStore {
  let pending: Promise<boolean> | undefined;

  async function decide(): Promise<boolean> {
    const remembered = await options.memory.get();
    if (remembered !== undefined) return remembered === 'allow';
    const choice = await options.ask();
    if (choice.remember) await options.memory.set(choice.store ? 'allow' : 'deny');
    return choice.store;
  }

  async function allowed(): Promise<boolean> {
    if (!options.weak) return true;
    pending ??= decide().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  return {
    kind: inner.kind,
    get: (ref) => inner.get(ref),
    delete: (ref) => inner.delete(ref),
    async set(ref, secret) {
      if (!(await allowed())) {
        throw new CoreError('invalid-argument', WEAK_STORAGE_REFUSED, {
          subject: 'secret-storage',
        });
      }
      await inner.set(ref, secret);
    },
  };
}

/** Small preferences of the desktop shell itself, kept as JSON next to the database. */
export interface ShellPreferences {
  weakSecretStorage?: WeakStorageAnswer;
}

export async function readShellPreferences(file: string): Promise<ShellPreferences> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return {};
    const answer = (parsed as Record<string, unknown>).weakSecretStorage;
    return answer === 'allow' || answer === 'deny' ? { weakSecretStorage: answer } : {};
  } catch {
    return {}; // a damaged file: ask again rather than fail the app
  }
}

/** The remembered answer, in `file`. */
export function fileAnswerMemory(file: string): AnswerMemory {
  return {
    async get() {
      return (await readShellPreferences(file)).weakSecretStorage;
    },
    async set(answer) {
      const current = await readShellPreferences(file);
      await writeFileAtomic(
        file,
        `${JSON.stringify({ ...current, weakSecretStorage: answer }, null, 2)}\n`,
      );
    },
  };
}
