/** Query keys shared by the views that show accounts, limits and app facts. */
export const ACCOUNTS_QUERY_KEY = ['accounts.list'] as const;
export const LIMITS_QUERY_KEY = ['transfers.getLimits'] as const;
export { APP_INFO_QUERY_KEY } from '../../api/use-app-info.js';
export const bucketsQueryKey = (accountId: number) => ['buckets.list', accountId] as const;
