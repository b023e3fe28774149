/**
 * The Browser: pick an account and a bucket (the account's default bucket preselected), go
 * through folders by clicking, by the breadcrumbs or by typing an `oss://bucket/prefix/`
 * address, filter by name prefix (on the server), and work on the listing (ObjectList).
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/api-context.js';
import { ErrorDisplay } from '../components/error-display.js';
import { Loading } from '../components/loading.js';
import { useNavigation } from '../shell/navigation.js';
import { breadcrumbs, formatAddress, parseAddress, type AddressError } from './browser/address.js';
import { ObjectList } from './browser/object-list.js';
import './browser/browser.css';
import { ViewHeader } from './view-header.js';

/** The name filter asks the server once typing pauses this long. */
export const FILTER_DEBOUNCE_MS = 300;

export function BrowserView() {
  const api = useApi();
  const { t } = useTranslation(['browser', 'common']);
  const { navigate } = useNavigation();
  const [accountId, setAccountId] = useState<number | null>(null);
  const [bucket, setBucket] = useState<string | null>(null);
  const [prefix, setPrefix] = useState('');
  const [filter, setFilter] = useState('');
  const [namePrefix, setNamePrefix] = useState('');
  const [address, setAddress] = useState('');
  const [addressError, setAddressError] = useState<AddressError | null>(null);
  const ids = { account: useId(), bucket: useId(), address: useId(), filter: useId() };

  const accounts = useQuery({
    queryKey: ['accounts.list'],
    queryFn: () => api['accounts.list']({}),
  });
  const account =
    accounts.data?.accounts.find((a) => a.id === accountId) ?? accounts.data?.accounts[0] ?? null;

  const buckets = useQuery({
    queryKey: ['buckets.list', account?.id],
    queryFn: () => api['buckets.list']({ accountId: account?.id ?? 0 }),
    enabled: account !== null,
  });
  const bucketNames = buckets.data?.buckets.map((b) => b.name) ?? [];
  const shownBucket =
    bucket ??
    account?.defaultBucket ??
    (buckets.data !== undefined ? (bucketNames[0] ?? null) : null);

  // The address bar follows the location (and is reset when a typed one was refused).
  useEffect(() => {
    if (shownBucket !== null) setAddress(formatAddress({ bucket: shownBucket, prefix }));
    setAddressError(null);
  }, [shownBucket, prefix]);

  useEffect(() => {
    const timer = setTimeout(() => setNamePrefix(filter), FILTER_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [filter]);

  const go = (nextBucket: string, nextPrefix: string) => {
    setBucket(nextBucket);
    setPrefix(nextPrefix);
    setFilter('');
    setNamePrefix('');
  };

  const onAddress = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseAddress(address);
    if (!parsed.ok) {
      setAddressError(parsed.error);
      return;
    }
    go(parsed.location.bucket, parsed.location.prefix);
  };

  const filterProblem = filter.includes('/') ? 'slash' : null;

  return (
    <>
      <ViewHeader title={t('title')} />
      {accounts.isPending ? <Loading label={t('accounts.loading')} /> : null}
      {accounts.isError ? (
        <ErrorDisplay
          error={accounts.error}
          title={t('accounts.failed')}
          onRetry={() => void accounts.refetch()}
        />
      ) : null}
      {accounts.data?.accounts.length === 0 ? (
        <div className="empty" data-testid="no-accounts">
          <p>{t('accounts.none')}</p>
          <button type="button" className="button" onClick={() => navigate('settings')}>
            {t('accounts.add')}
          </button>
        </div>
      ) : null}
      {account !== null ? (
        <div className="browser-pickers">
          <label htmlFor={ids.account}>{t('accounts.label')}</label>
          <select
            id={ids.account}
            value={account.id}
            onChange={(event) => {
              setAccountId(Number(event.target.value));
              setBucket(null);
              setPrefix('');
              setFilter('');
              setNamePrefix('');
            }}
          >
            {accounts.data?.accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.kind === 'local' ? t('accounts.local', { name: a.name }) : a.name}
              </option>
            ))}
          </select>
          <label htmlFor={ids.bucket}>{t('buckets.label')}</label>
          <select
            id={ids.bucket}
            value={shownBucket ?? ''}
            disabled={buckets.isPending && shownBucket === null}
            onChange={(event) => go(event.target.value, '')}
          >
            {shownBucket === null ? <option value="">{t('buckets.loading')}</option> : null}
            {shownBucket !== null && !bucketNames.includes(shownBucket) ? (
              <option value={shownBucket}>{shownBucket}</option>
            ) : null}
            {bucketNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {buckets.isError ? (
        <ErrorDisplay
          error={buckets.error}
          title={t('buckets.failed')}
          onRetry={() => void buckets.refetch()}
        />
      ) : null}
      {account !== null && buckets.data !== undefined && shownBucket === null ? (
        <p className="empty" data-testid="no-buckets">
          {t('buckets.none')}
        </p>
      ) : null}

      {account !== null && shownBucket !== null ? (
        <>
          <form className="browser-address" onSubmit={onAddress} noValidate>
            <label htmlFor={ids.address}>{t('address.label')}</label>
            <input
              id={ids.address}
              type="text"
              className="browser-field"
              value={address}
              spellCheck={false}
              autoComplete="off"
              placeholder={t('address.placeholder')}
              aria-invalid={addressError !== null}
              aria-describedby={addressError !== null ? `${ids.address}-error` : undefined}
              onChange={(event) => {
                setAddress(event.target.value);
                setAddressError(null);
              }}
            />
            <button type="submit" className="button">
              {t('address.go')}
            </button>
            {addressError !== null ? (
              <p className="browser-field-error" id={`${ids.address}-error`} role="alert">
                {t(`address.errors.${addressError}`)}
              </p>
            ) : null}
          </form>
          <nav className="browser-breadcrumbs" aria-label={t('breadcrumbs.label')}>
            <ol>
              <li>
                <button
                  type="button"
                  className="link"
                  aria-current={prefix === '' ? 'location' : undefined}
                  onClick={() => go(shownBucket, '')}
                >
                  {shownBucket}
                </button>
              </li>
              {breadcrumbs(prefix).map((crumb) => (
                <li key={crumb.prefix}>
                  <button
                    type="button"
                    className="link"
                    aria-current={crumb.prefix === prefix ? 'location' : undefined}
                    onClick={() => go(shownBucket, crumb.prefix)}
                  >
                    {crumb.name}
                  </button>
                </li>
              ))}
            </ol>
          </nav>
          <div className="browser-filter">
            <label htmlFor={ids.filter}>{t('filter.label')}</label>
            <input
              id={ids.filter}
              type="search"
              className="browser-field"
              value={filter}
              placeholder={t('filter.placeholder')}
              aria-invalid={filterProblem !== null}
              aria-describedby={`${ids.filter}-hint`}
              onChange={(event) => setFilter(event.target.value)}
            />
            <p
              id={`${ids.filter}-hint`}
              className={filterProblem !== null ? 'browser-field-error' : 'browser-hint'}
            >
              {filterProblem !== null ? t('filter.slash') : t('filter.hint')}
            </p>
          </div>
          <ObjectList
            key={`${account.id}/${shownBucket}/${prefix}/${filterProblem === null ? namePrefix : ''}`}
            accountId={account.id}
            bucket={shownBucket}
            prefix={prefix}
            namePrefix={namePrefix.includes('/') ? '' : namePrefix}
            onOpenPrefix={(next) => go(shownBucket, next)}
          />
        </>
      ) : null}
    </>
  );
}
