/**
 * Accounts: the list with each account's place, masked key and default bucket; adding one
 * (then testing the connection at once), testing, editing and removing; and "Storage on this
 * computer", offered first when there is no account at all.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccountDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatDateTime } from '../../format.js';
import { ConfirmDialog } from '../../components/dialog.js';
import { AccountForm, type AccountSubmit } from './account-form.js';
import { ConnectionTest, type TestState } from './connection-test.js';
import { ACCOUNTS_QUERY_KEY } from './queries.js';

type AccountsData = { accounts: AccountDto[] };

function upsertAccount(data: AccountsData | undefined, account: AccountDto): AccountsData {
  const accounts = [...(data?.accounts ?? [])];
  const index = accounts.findIndex((entry) => entry.id === account.id);
  if (index === -1) accounts.push(account);
  else accounts[index] = account;
  return { accounts };
}

export function AccountsSection() {
  const api = useApi();
  const { t, i18n } = useTranslation(['settings', 'common']);
  const queryClient = useQueryClient();
  const [form, setForm] = useState<{ editing?: AccountDto } | null>(null);
  const [tests, setTests] = useState<ReadonlyMap<number, TestState>>(() => new Map());
  const [removing, setRemoving] = useState<AccountDto | null>(null);
  /** The account whose heading takes the focus next (the form it was saved from is gone). */
  const [focusId, setFocusId] = useState<number | null>(null);
  useEffect(() => {
    if (focusId === null) return;
    const heading = document.getElementById(`account-${focusId}-name`);
    if (heading === null) return;
    heading.focus();
    setFocusId(null);
  });

  const accounts = useQuery({
    queryKey: ACCOUNTS_QUERY_KEY,
    queryFn: () => api['accounts.list']({}),
  });
  const list = accounts.data?.accounts ?? [];

  const setTest = (id: number, state: TestState | null) =>
    setTests((current) => {
      const next = new Map(current);
      if (state === null) next.delete(id);
      else next.set(id, state);
      return next;
    });

  const runTest = (id: number) => {
    setTest(id, { phase: 'testing' });
    api['accounts.testConnection']({ id }).then(
      (result) => setTest(id, { phase: 'done', result }),
      (error: unknown) => setTest(id, { phase: 'failed', error }),
    );
  };

  const save = useMutation({
    mutationFn: (submit: AccountSubmit) =>
      submit.kind === 'add'
        ? api['accounts.add'](submit.params)
        : api['accounts.update'](submit.params),
    onSuccess: (account) => {
      queryClient.setQueryData<AccountsData>(ACCOUNTS_QUERY_KEY, (data) =>
        upsertAccount(data, account),
      );
      setForm(null);
      setFocusId(account.id);
      runTest(account.id);
      // The first account becomes the one in use: its pairs and status are shown now.
      void queryClient.invalidateQueries({ queryKey: ['pairs.list'] });
      void queryClient.invalidateQueries({ queryKey: ['app.status'] });
    },
  });

  const local = useMutation({
    mutationFn: () => api['accounts.addLocalStorage']({}),
    onSuccess: (account) => {
      queryClient.setQueryData<AccountsData>(ACCOUNTS_QUERY_KEY, (data) =>
        upsertAccount(data, account),
      );
      // Pairs and the status belong to the account in use, which may be this one now.
      void queryClient.invalidateQueries({ queryKey: ['pairs.list'] });
      void queryClient.invalidateQueries({ queryKey: ['app.status'] });
    },
  });

  const remove = useMutation({
    mutationFn: (id: number) => api['accounts.remove']({ id }),
    onSuccess: (_result, id) => {
      queryClient.setQueryData<AccountsData>(ACCOUNTS_QUERY_KEY, (data) => ({
        accounts: (data?.accounts ?? []).filter((entry) => entry.id !== id),
      }));
      setTest(id, null);
      setRemoving(null);
      void queryClient.invalidateQueries({ queryKey: ['pairs.list'] });
    },
  });

  const openForm = (editing?: AccountDto) => {
    save.reset();
    setForm(editing !== undefined ? { editing } : {});
  };

  const hasLocal = list.some((entry) => entry.kind === 'local');
  const localOffer = (prominent: boolean) => (
    <section
      className={prominent ? 'local-offer local-offer--prominent' : 'local-offer'}
      aria-labelledby="local-offer-title"
    >
      <h3 id="local-offer-title">{t('local.title')}</h3>
      <p>{prominent ? t('local.explainFirst') : t('local.explain')}</p>
      {local.isError ? <ErrorDisplay error={local.error} title={t('local.failed')} /> : null}
      <button
        type="button"
        className={prominent ? 'button button--primary' : 'button'}
        disabled={local.isPending}
        onClick={() => local.mutate()}
      >
        {local.isPending ? t('local.starting') : t('local.start')}
      </button>
    </section>
  );

  return (
    <section className="settings-section" aria-labelledby="settings-accounts-title">
      <h2 id="settings-accounts-title">{t('accounts.title')}</h2>
      {accounts.isPending ? <Loading label={t('accounts.loading')} /> : null}
      {accounts.isError ? (
        <ErrorDisplay
          error={accounts.error}
          title={t('accounts.loadFailed')}
          onRetry={() => void accounts.refetch()}
        />
      ) : null}

      {accounts.isSuccess && list.length === 0 ? (
        <>
          <p className="empty">{t('accounts.empty')}</p>
          {localOffer(true)}
        </>
      ) : null}

      {list.length > 0 ? (
        <ul className="account-list">
          {list.map((account) => {
            const test = tests.get(account.id);
            const headingId = `account-${account.id}-name`;
            return (
              <li
                key={account.id}
                className="account"
                data-testid={`account-${account.id}`}
                aria-labelledby={headingId}
              >
                <div className="account__head">
                  <h3 id={headingId} tabIndex={-1}>
                    {account.name}
                  </h3>
                  <span className="badge">{t(`accounts.kind.${account.kind}`)}</span>
                </div>
                <dl className="account__facts">
                  <div>
                    <dt>{t('accounts.where')}</dt>
                    <dd className="cell-path">
                      {account.endpoint ?? account.region ?? t('common:none')}
                    </dd>
                  </div>
                  <div>
                    <dt>{t('accounts.accessKeyId')}</dt>
                    <dd>
                      <code>{account.accessKeyIdMasked}</code>
                    </dd>
                  </div>
                  {account.hasSecurityToken ? (
                    <div>
                      <dt>{t('accounts.securityToken')}</dt>
                      <dd>
                        {account.securityTokenExpiresAt === null
                          ? t('accounts.tokenNoExpiry')
                          : t('accounts.tokenExpires', {
                              when: formatDateTime(account.securityTokenExpiresAt, i18n.language),
                            })}
                      </dd>
                    </div>
                  ) : null}
                  <div>
                    <dt>{t('accounts.defaultBucket')}</dt>
                    <dd>{account.defaultBucket ?? t('common:none')}</dd>
                  </div>
                </dl>
                <div
                  className="actions"
                  role="group"
                  aria-label={t('accounts.actions', { name: account.name })}
                >
                  <button
                    type="button"
                    className="button"
                    disabled={test?.phase === 'testing'}
                    onClick={() => runTest(account.id)}
                  >
                    {t('accounts.test')}
                  </button>
                  {account.kind === 'aliyun' ? (
                    <button type="button" className="button" onClick={() => openForm(account)}>
                      {t('accounts.edit')}
                    </button>
                  ) : null}
                  <button
                    type="button"
                    className="button"
                    onClick={() => {
                      remove.reset();
                      setRemoving(account);
                    }}
                  >
                    {t('accounts.remove')}
                  </button>
                </div>
                {test !== undefined ? (
                  <ConnectionTest
                    state={test}
                    name={account.name}
                    actions={
                      account.kind === 'aliyun' ? (
                        <button type="button" onClick={() => openForm(account)}>
                          {t('accounts.fix')}
                        </button>
                      ) : undefined
                    }
                  />
                ) : null}
                {form?.editing?.id === account.id ? (
                  <AccountForm
                    account={account}
                    busy={save.isPending}
                    error={save.isError ? save.error : null}
                    onSubmit={(submit) => save.mutate(submit)}
                    onCancel={() => setForm(null)}
                  />
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}

      {accounts.isSuccess ? (
        form !== null && form.editing === undefined ? (
          <AccountForm
            busy={save.isPending}
            error={save.isError ? save.error : null}
            onSubmit={(submit) => save.mutate(submit)}
            onCancel={() => setForm(null)}
          />
        ) : (
          <button
            type="button"
            className={list.length === 0 ? 'button' : 'button button--primary'}
            onClick={() => openForm()}
          >
            {t('accounts.add')}
          </button>
        )
      ) : null}

      {accounts.isSuccess && list.length > 0 && !hasLocal ? localOffer(false) : null}

      {removing !== null ? (
        <ConfirmDialog
          title={t('remove.title', { name: removing.name })}
          confirmLabel={t('remove.confirm')}
          cancelLabel={t('remove.cancel')}
          busy={remove.isPending}
          danger
          onConfirm={() => remove.mutate(removing.id)}
          onCancel={() => setRemoving(null)}
          error={
            remove.isError ? <ErrorDisplay error={remove.error} title={t('remove.failed')} /> : null
          }
        >
          <p>{removing.kind === 'local' ? t('remove.bodyLocal') : t('remove.body')}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
