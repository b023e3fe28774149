/**
 * Where account secrets (AccessKey secrets, STS tokens) live, behind one narrow port: the
 * desktop app keeps them encrypted by the OS keychain (Electron safeStorage), the headless
 * host reads them from the environment or an owner-only file. Everything else stores only
 * the opaque `ref`, never the secret.
 */

export interface SecretStore {
  /** The secret stored under `ref`, or undefined when there is none. */
  get(ref: string): Promise<string | undefined>;
  set(ref: string, secret: string): Promise<void>;
  /** Removes the secret; deleting a missing one is not an error. */
  delete(ref: string): Promise<void>;
  /** Which implementation this is (`encrypted-file`, `headless`), for status and diagnostics. */
  readonly kind: string;
}

export type AccountSecretField = 'accessKeySecret' | 'securityToken';

/** `account:3:accessKeySecret`: the ref of one secret of one account. */
export function accountSecretRef(accountId: string | number, field: AccountSecretField): string {
  return `account:${accountId}:${field}`;
}

/** Refs are short printable ids; anything else is a programming error, caught early. */
export function checkSecretRef(ref: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/.test(ref))
    throw new TypeError(`Not a secret ref: ${JSON.stringify(ref.slice(0, 60))}`);
}
