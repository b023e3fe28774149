/** The filters of the activity log: kinds, a search in keys and paths, account and folder. */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ACTIVITY_KINDS } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ACCOUNTS_QUERY_KEY } from '../settings/queries.js';
import { PAIRS_QUERY_KEY } from '../status-view.js';
import { KIND_ICONS } from './activity-row.js';
import type { ActivityFilters as Filters, ActivityKind } from './use-activity-pages.js';

/** Typing settles for this long before the search is sent. */
export const SEARCH_DELAY_MS = 300;

export function ActivityFilters({
  filters,
  onChange,
}: {
  filters: Filters;
  onChange: (filters: Filters) => void;
}) {
  const api = useApi();
  const { t } = useTranslation(['activity', 'common']);
  const baseId = useId();
  const [search, setSearch] = useState(filters.search);
  const accounts = useQuery({
    queryKey: ACCOUNTS_QUERY_KEY,
    queryFn: () => api['accounts.list']({}),
  });
  const pairs = useQuery({ queryKey: PAIRS_QUERY_KEY, queryFn: () => api['pairs.list']({}) });

  // Send the search once typing pauses.
  useEffect(() => {
    if (search === filters.search) return;
    const timer = setTimeout(() => onChange({ ...filters, search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, filters, onChange]);

  const toggleKind = (kind: ActivityKind) => {
    const kinds = filters.kinds.includes(kind)
      ? filters.kinds.filter((entry) => entry !== kind)
      : ACTIVITY_KINDS.filter((entry) => entry === kind || filters.kinds.includes(entry));
    onChange({ ...filters, kinds });
  };

  const pairList = pairs.data?.pairs ?? [];
  const accountList = accounts.data?.accounts ?? [];
  const filtered =
    filters.kinds.length > 0 ||
    filters.search !== '' ||
    filters.accountId !== null ||
    filters.pairId !== null;

  return (
    <form
      className="activity-filters"
      role="search"
      aria-label={t('filters.label')}
      onSubmit={(event) => event.preventDefault()}
    >
      <fieldset className="activity-filters__kinds">
        <legend>{t('filters.kinds')}</legend>
        {ACTIVITY_KINDS.map((kind) => (
          <label key={kind} className="chip">
            <input
              type="checkbox"
              checked={filters.kinds.includes(kind)}
              onChange={() => toggleKind(kind)}
            />
            <span aria-hidden="true">{KIND_ICONS[kind]}</span> {t(`kind.${kind}`)}
          </label>
        ))}
        <p className="hint">{t('filters.kindsHint')}</p>
      </fieldset>
      <div className="activity-filters__row">
        <div className="form-field">
          <label htmlFor={`${baseId}-search`}>{t('filters.search')}</label>
          <input
            id={`${baseId}-search`}
            type="search"
            value={search}
            maxLength={256}
            placeholder={t('filters.searchPlaceholder')}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <div className="form-field">
          <label htmlFor={`${baseId}-account`}>{t('filters.account')}</label>
          <select
            id={`${baseId}-account`}
            value={filters.accountId ?? ''}
            onChange={(event) =>
              onChange({
                ...filters,
                accountId: event.target.value === '' ? null : Number(event.target.value),
                pairId: null,
              })
            }
          >
            <option value="">{t('filters.allAccounts')}</option>
            {accountList.map((account) => (
              <option key={account.id} value={account.id}>
                {account.name}
              </option>
            ))}
          </select>
        </div>
        <div className="form-field">
          <label htmlFor={`${baseId}-pair`}>{t('filters.pair')}</label>
          <select
            id={`${baseId}-pair`}
            value={filters.pairId ?? ''}
            onChange={(event) => {
              const pair = pairList.find((entry) => entry.pair.id === Number(event.target.value));
              onChange({
                ...filters,
                pairId: pair === undefined ? null : pair.pair.id,
                // A pair id is only meaningful within its account.
                accountId: pair === undefined ? filters.accountId : pair.pair.accountId,
              });
            }}
          >
            <option value="">{t('filters.allPairs')}</option>
            {pairList
              .filter(
                (entry) => filters.accountId === null || entry.pair.accountId === filters.accountId,
              )
              .map((entry) => (
                <option key={entry.pair.id} value={entry.pair.id}>
                  {entry.pair.localRoot}
                </option>
              ))}
          </select>
        </div>
        {filtered ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setSearch('');
              onChange({ kinds: [], search: '', accountId: null, pairId: null });
            }}
          >
            {t('filters.clear')}
          </button>
        ) : null}
      </div>
    </form>
  );
}
