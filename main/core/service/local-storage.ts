/** "Storage on this computer": the embedded local OSS server as an account (being built). */
import type { AccountRow } from '../db/account-store.js';
import type { Handler, ServiceContext } from './context.js';

export function createLocalStorage(_ctx: ServiceContext) {
  const handlers: { 'accounts.addLocalStorage'?: Handler<'accounts.addLocalStorage'> } = {};
  return {
    handlers,
    /** Starts the server of a 'local' account if needed; returns its row (endpoint updated). */
    async ensureRunning(row: AccountRow): Promise<AccountRow> {
      return row;
    },
    /** Before a 'local' account is removed: stops its server (its data stays on disk). */
    async beforeRemove(_row: AccountRow): Promise<void> {},
    async close() {},
  };
}
