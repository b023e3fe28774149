/** Uploads of files dropped into a browser: staged in the data dir, then queued (being built). */
import type { ServiceContext } from './context.js';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in with the host's upload endpoint
export interface StagingApi {}

export function createStaging(_ctx: ServiceContext) {
  const api: StagingApi = {};
  return { api, async close() {} };
}
