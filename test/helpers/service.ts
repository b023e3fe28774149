/** What the service-level tests share: secrets in memory, and an account on the local server. */
import type { SecretStore } from '../../main/core/secrets/secret-store.js';
import type { Params } from '../../shared/contract/index.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  type LocalOss,
} from './osslocal.js';

/** Secrets in memory: a test's data dir then holds only what the service itself writes. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory';
  readonly values = new Map<string, string>();
  async get(ref: string) {
    return this.values.get(ref);
  }
  async set(ref: string, secret: string) {
    this.values.set(ref, secret);
  }
  async delete(ref: string) {
    this.values.delete(ref);
  }
}

/** accounts.add params for the test server's key, `bucket` as the default bucket. */
export function localAccountParams(
  oss: LocalOss,
  bucket: string,
  name = 'Local',
): Params<'accounts.add'> {
  return {
    name,
    endpoint: `http://localhost:${oss.server.port}`,
    region: TEST_REGION,
    defaultBucket: bucket,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
  };
}
