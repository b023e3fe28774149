/**
 * Secrets for the desktop app: each one encrypted by a cipher the caller passes in (Electron's
 * safeStorage, which uses the OS keychain) and kept as base64 in a JSON file in the data
 * directory, written atomically with mode 0600. Core never imports electron; the glue wires
 * `safeStorage.encryptString` / `decryptString` in and says whether the backend is weak.
 */
import { CoreError } from '../errors.js';
import { readSecretFile, secretJson, writeFileAtomic } from './secret-file.js';
import { registerSecret } from './secret-registry.js';
import { checkSecretRef, type SecretStore } from './secret-store.js';

export interface SecretCipher {
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

export interface EncryptedFileSecretStoreOptions {
  /** The JSON file, for example `<dataDir>/secrets.json`. */
  file: string;
  cipher: SecretCipher;
  /**
   * The cipher gives little protection: on Linux safeStorage falls back to `basic_text` (a
   * fixed key) without a keyring. Carried for the app to warn and ask before storing.
   */
  isWeakBackend?: boolean;
  /** Name of the backend for diagnostics (`gnome_libsecret`, `basic_text`, `keychain`). */
  backend?: string;
}

export class EncryptedFileSecretStore implements SecretStore {
  readonly kind = 'encrypted-file';
  readonly isWeakBackend: boolean;
  readonly backend: string | undefined;
  private readonly file: string;
  private readonly cipher: SecretCipher;
  /** ref -> base64 ciphertext, read once. */
  private cache: Map<string, string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: EncryptedFileSecretStoreOptions) {
    this.file = options.file;
    this.cipher = options.cipher;
    this.isWeakBackend = options.isWeakBackend ?? false;
    this.backend = options.backend;
  }

  async get(ref: string): Promise<string | undefined> {
    checkSecretRef(ref);
    const stored = (await this.load()).get(ref);
    if (stored === undefined) return undefined;
    let plain: string;
    try {
      plain = this.cipher.decrypt(Buffer.from(stored, 'base64'));
    } catch (error) {
      // A keychain reset or a copied data directory: the user must enter the secret again.
      throw new CoreError(
        'invalid-argument',
        `The stored secret ${ref} cannot be decrypted (the system keychain changed?); enter it again.`,
        { subject: this.file, cause: error },
      );
    }
    registerSecret(plain);
    return plain;
  }

  async set(ref: string, secret: string): Promise<void> {
    checkSecretRef(ref);
    registerSecret(secret);
    const stored = this.cipher.encrypt(secret).toString('base64');
    await this.update((map) => map.set(ref, stored));
  }

  async delete(ref: string): Promise<void> {
    checkSecretRef(ref);
    await this.update((map) => map.delete(ref));
  }

  private async load(): Promise<Map<string, string>> {
    if (this.cache !== undefined) return this.cache;
    // Ciphertexts only, and the app writes the file itself: a loose mode is no reason to refuse.
    const map =
      (await readSecretFile(this.file, { ownerOnly: false, what: 'secret store' })) ??
      new Map<string, string>();
    this.cache = map;
    return map;
  }

  private update(change: (map: Map<string, string>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const next = new Map(await this.load());
      change(next);
      await writeFileAtomic(this.file, secretJson(next));
      this.cache = next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
