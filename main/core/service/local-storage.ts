/** "Storage on this computer": the embedded local OSS server as an account (being built). */
import type { Handler, ServiceContext } from './context.js';

export function createLocalStorage(_ctx: ServiceContext) {
  const handlers: { 'accounts.addLocalStorage'?: Handler<'accounts.addLocalStorage'> } = {};
  return { handlers, async close() {} };
}
