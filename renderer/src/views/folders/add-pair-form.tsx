/**
 * Adding a folder pair in one short form: the local folder (a path, checked to be
 * absolute), the account, the bucket, the folder in the bucket, and the mode with what it
 * does to deletions in plain words. An error from pairs.add that names a field is shown at
 * that field.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type AccountDto,
  type DELETE_MODES,
  type PairStatusDto,
  type Params,
  type SYNC_MODES,
} from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { useIsDesktop } from '../../api/use-app-info.js';
import { ErrorDisplay, toContractError } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { useNavigation } from '../../shell/navigation.js';
import { ACCOUNTS_QUERY_KEY, bucketsQueryKey } from '../settings/queries.js';

type Mode = (typeof SYNC_MODES)[number];
type DeleteMode = (typeof DELETE_MODES)[number];
export type PairField = 'localRoot' | 'accountId' | 'bucket' | 'prefix' | 'trashRetentionDays';

/** Absolute on POSIX (`/home/x`), Windows (`C:\x`, `C:/x`) or a UNC share (`\\server\x`). */
export function isAbsolutePath(value: string): boolean {
  return /^\//.test(value) || /^[A-Za-z]:[\\/]/.test(value) || /^\\\\[^\\]+\\/.test(value);
}

/** The prefix as the contract wants it: '' or ending with '/' (a missing '/' is added). */
export function normalizePrefix(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return '';
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/** The field a refusal is about, from its subject (`params.localRoot`, ...). */
export function fieldOfSubject(subject: string | undefined): PairField | null {
  const match = /^params\.(localRoot|accountId|bucket|prefix|trashRetentionDays)\b/.exec(
    subject ?? '',
  );
  return match === null ? null : (match[1] as PairField);
}

export interface AddPairFormProps {
  onAdded: (status: PairStatusDto) => void;
  onCancel?: () => void;
}

export function AddPairForm({ onAdded, onCancel }: AddPairFormProps) {
  const api = useApi();
  const desktop = useIsDesktop();
  const [pickFailed, setPickFailed] = useState(false);
  const { t } = useTranslation(['folders', 'common']);
  const { navigate } = useNavigation();
  const baseId = useId();
  const fieldId = (field: PairField) => `${baseId}-${field}`;

  const [localRoot, setLocalRoot] = useState('');
  const [accountId, setAccountId] = useState<number | null>(null);
  const [bucket, setBucket] = useState('');
  const [prefix, setPrefix] = useState('');
  const [mode, setMode] = useState<Mode>('backup');
  const [deleteMode, setDeleteMode] = useState<DeleteMode>('trash');
  const [days, setDays] = useState('30');
  const [invalid, setInvalid] = useState<Partial<Record<PairField, string>>>({});
  const fieldRefs = useRef(new Map<PairField, HTMLElement>());
  const register = (field: PairField) => (element: HTMLElement | null) => {
    if (element) fieldRefs.current.set(field, element);
    else fieldRefs.current.delete(field);
  };

  const accounts = useQuery({
    queryKey: ACCOUNTS_QUERY_KEY,
    queryFn: () => api['accounts.list']({}),
  });
  const list = accounts.data?.accounts ?? [];
  // The account in use (the lowest id) is the natural choice.
  const chosen: AccountDto | undefined =
    list.find((account) => account.id === accountId) ?? [...list].sort((a, b) => a.id - b.id)[0];

  const buckets = useQuery({
    queryKey: bucketsQueryKey(chosen?.id ?? 0),
    queryFn: () => api['buckets.list']({ accountId: chosen?.id ?? 0 }),
    enabled: chosen !== undefined,
  });
  useEffect(() => {
    if (bucket !== '' || chosen === undefined) return;
    const names = buckets.data?.buckets.map((entry) => entry.name) ?? [];
    const preferred =
      chosen.defaultBucket !== null && names.includes(chosen.defaultBucket)
        ? chosen.defaultBucket
        : names[0];
    if (preferred !== undefined) setBucket(preferred);
  }, [bucket, chosen, buckets.data]);

  const add = useMutation({
    mutationFn: (params: Params<'pairs.add'>) => api['pairs.add'](params),
    onSuccess: onAdded,
  });
  const serverField = add.isError ? fieldOfSubject(toContractError(add.error).subject) : null;
  useEffect(() => {
    if (serverField !== null) fieldRefs.current.get(serverField)?.focus();
  }, [serverField, add.error]);

  const validate = (): Partial<Record<PairField, string>> => {
    const problems: Partial<Record<PairField, string>> = {};
    const path = localRoot.trim();
    if (path === '') problems.localRoot = t('add.folder.required');
    else if (!isAbsolutePath(path)) problems.localRoot = t('add.folder.notAbsolute');
    if (chosen === undefined) problems.accountId = t('add.account.required');
    if (bucket === '') problems.bucket = t('add.bucket.required');
    const cleanPrefix = prefix.trim();
    if (cleanPrefix.startsWith('/') || cleanPrefix.startsWith('\\'))
      problems.prefix = t('add.prefix.leadingSlash');
    else if (
      cleanPrefix.split('/').some((segment, index, all) => segment === '' && index < all.length - 1)
    )
      problems.prefix = t('add.prefix.emptySegment');
    if (mode === 'mirror' && deleteMode === 'trash') {
      const value = Number(days);
      if (!/^\d+$/.test(days.trim()) || value < 0 || value > 3650)
        problems.trashRetentionDays = t('add.days.invalid');
    }
    return problems;
  };

  /** A field was changed: its problems (ours or the service's) are no longer current. */
  const clearProblem = (field: PairField) => {
    if (serverField === field) add.reset();
    setInvalidFor(field);
  };
  const setInvalidFor = (field: PairField) =>
    setInvalid((current) => {
      if (current[field] === undefined) return current;
      const next = { ...current };
      delete next[field];
      return next;
    });

  const onSubmit = () => {
    const problems = validate();
    setInvalid(problems);
    const first = (
      ['localRoot', 'accountId', 'bucket', 'prefix', 'trashRetentionDays'] as const
    ).find((field) => problems[field] !== undefined);
    if (first !== undefined) {
      fieldRefs.current.get(first)?.focus();
      return;
    }
    if (chosen === undefined) return;
    add.mutate({
      accountId: chosen.id,
      localRoot: localRoot.trim(),
      bucket,
      prefix: normalizePrefix(prefix),
      mode,
      ...(mode === 'mirror' ? { deleteMode } : {}),
      ...(mode === 'mirror' && deleteMode === 'trash' ? { trashRetentionDays: Number(days) } : {}),
    });
  };

  /** The client's problem with a field, else the server's when it named the field. */
  const fieldProblem = (field: PairField): ReactNode => {
    const own = invalid[field];
    if (own !== undefined)
      return (
        <p className="field-error" id={`${fieldId(field)}-error`}>
          {own}
        </p>
      );
    if (serverField === field)
      return (
        <div id={`${fieldId(field)}-error`}>
          <ErrorDisplay
            error={add.error}
            title={t('add.fieldFailed', { field: t(`add.fieldName.${field}`) })}
          />
        </div>
      );
    return null;
  };
  const hasProblem = (field: PairField) => invalid[field] !== undefined || serverField === field;
  const describedBy = (field: PairField, hint = true) =>
    [hint ? `${fieldId(field)}-hint` : '', hasProblem(field) ? `${fieldId(field)}-error` : '']
      .filter((part) => part !== '')
      .join(' ') || undefined;

  if (accounts.isPending) return <Loading label={t('add.accountsLoading')} />;
  if (accounts.isError)
    return (
      <ErrorDisplay
        error={accounts.error}
        title={t('add.accountsFailed')}
        onRetry={() => void accounts.refetch()}
      />
    );
  if (list.length === 0)
    return (
      <div className="notice">
        <p>{t('add.noAccount')}</p>
        <button
          type="button"
          className="button button--primary"
          onClick={() => navigate('settings')}
        >
          {t('add.goToSettings')}
        </button>
      </div>
    );

  const where =
    chosen !== undefined && bucket !== '' ? `oss://${bucket}/${normalizePrefix(prefix)}` : null;

  return (
    <form
      className="add-pair"
      aria-labelledby={`${baseId}-title`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <h2 id={`${baseId}-title`}>{t('add.title')}</h2>

      <div className="form-field">
        <label htmlFor={fieldId('localRoot')}>{t('add.fieldName.localRoot')}</label>
        <input
          id={fieldId('localRoot')}
          ref={register('localRoot')}
          type="text"
          value={localRoot}
          autoComplete="off"
          spellCheck={false}
          placeholder={t('add.folder.placeholder')}
          aria-invalid={hasProblem('localRoot')}
          aria-describedby={describedBy('localRoot')}
          onChange={(event) => {
            setLocalRoot(event.target.value);
            // Checked again on submit; a blur check would move the button under the pointer.
            clearProblem('localRoot');
          }}
        />
        {desktop ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              const current = localRoot.trim();
              api['app.pickFolder'](current === '' ? {} : { defaultPath: current }).then(
                ({ path }) => {
                  if (path === null) return;
                  setLocalRoot(path);
                  clearProblem('localRoot');
                },
                () => setPickFailed(true),
              );
            }}
          >
            {t('add.folder.choose')}
          </button>
        ) : null}
        <p className="hint" id={`${fieldId('localRoot')}-hint`}>
          {pickFailed ? t('add.folder.chooseFailed') : t('add.folder.hint')}
        </p>
        {fieldProblem('localRoot')}
      </div>

      <div className="form-field">
        <label htmlFor={fieldId('accountId')}>{t('add.fieldName.accountId')}</label>
        <select
          id={fieldId('accountId')}
          ref={register('accountId')}
          value={chosen?.id ?? ''}
          aria-invalid={hasProblem('accountId')}
          aria-describedby={describedBy('accountId')}
          onChange={(event) => {
            setAccountId(Number(event.target.value));
            setBucket('');
            clearProblem('accountId');
          }}
        >
          {list.map((account) => (
            <option key={account.id} value={account.id}>
              {account.kind === 'local'
                ? t('add.account.local', { name: account.name })
                : account.name}
            </option>
          ))}
        </select>
        <p className="hint" id={`${fieldId('accountId')}-hint`}>
          {t('add.account.hint')}
        </p>
        {fieldProblem('accountId')}
      </div>

      <div className="form-field">
        <label htmlFor={fieldId('bucket')}>{t('add.fieldName.bucket')}</label>
        {buckets.isPending ? <Loading label={t('add.bucket.loading')} /> : null}
        {buckets.isError ? (
          <ErrorDisplay
            error={buckets.error}
            title={t('add.bucket.loadFailed')}
            onRetry={() => void buckets.refetch()}
          />
        ) : null}
        {buckets.isError || (buckets.data !== undefined && buckets.data.buckets.length === 0) ? (
          <>
            <input
              id={fieldId('bucket')}
              ref={register('bucket')}
              type="text"
              value={bucket}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={hasProblem('bucket')}
              aria-describedby={describedBy('bucket')}
              onChange={(event) => setBucket(event.target.value.trim())}
            />
            <p className="hint" id={`${fieldId('bucket')}-hint`}>
              {t('add.bucket.typeName')}
            </p>
          </>
        ) : null}
        {buckets.data !== undefined && buckets.data.buckets.length > 0 ? (
          <select
            id={fieldId('bucket')}
            ref={register('bucket')}
            value={bucket}
            aria-invalid={hasProblem('bucket')}
            aria-describedby={describedBy('bucket', false)}
            onChange={(event) => setBucket(event.target.value)}
          >
            {buckets.data.buckets.map((entry) => (
              <option key={entry.name} value={entry.name}>
                {entry.region !== null ? `${entry.name} (${entry.region})` : entry.name}
              </option>
            ))}
          </select>
        ) : null}
        {fieldProblem('bucket')}
      </div>

      <div className="form-field">
        <label htmlFor={fieldId('prefix')}>{t('add.fieldName.prefix')}</label>
        <input
          id={fieldId('prefix')}
          ref={register('prefix')}
          type="text"
          value={prefix}
          autoComplete="off"
          spellCheck={false}
          placeholder={t('add.prefix.placeholder')}
          aria-invalid={hasProblem('prefix')}
          aria-describedby={describedBy('prefix')}
          onChange={(event) => {
            setPrefix(event.target.value);
            clearProblem('prefix');
          }}
        />
        <p className="hint" id={`${fieldId('prefix')}-hint`}>
          {where !== null ? t('add.prefix.where', { where }) : t('add.prefix.hint')}
        </p>
        {fieldProblem('prefix')}
      </div>

      <fieldset className="form-field modes">
        <legend>{t('add.modeLegend')}</legend>
        {(['backup', 'mirror'] as const).map((option) => (
          <div className="choice" key={option}>
            <input
              type="radio"
              id={`${baseId}-mode-${option}`}
              name={`${baseId}-mode`}
              value={option}
              checked={mode === option}
              aria-describedby={`${baseId}-mode-${option}-explain`}
              onChange={() => setMode(option)}
            />
            <label htmlFor={`${baseId}-mode-${option}`}>{t(`mode.${option}.name`)}</label>
            <p className="hint" id={`${baseId}-mode-${option}-explain`}>
              {t(`mode.${option}.explain`)}
            </p>
          </div>
        ))}
        {mode === 'mirror' ? (
          <fieldset className="form-field delete-modes">
            <legend>{t('add.deleteLegend')}</legend>
            <div className="choice">
              <input
                type="radio"
                id={`${baseId}-delete-trash`}
                name={`${baseId}-delete`}
                checked={deleteMode === 'trash'}
                onChange={() => setDeleteMode('trash')}
              />
              <label htmlFor={`${baseId}-delete-trash`}>{t('add.deleteTrash')}</label>
            </div>
            {deleteMode === 'trash' ? (
              <div className="form-field form-field--inline">
                <label htmlFor={fieldId('trashRetentionDays')}>
                  {t('add.fieldName.trashRetentionDays')}
                </label>
                <input
                  id={fieldId('trashRetentionDays')}
                  ref={register('trashRetentionDays')}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={3650}
                  value={days}
                  aria-invalid={hasProblem('trashRetentionDays')}
                  aria-describedby={describedBy('trashRetentionDays')}
                  onChange={(event) => setDays(event.target.value)}
                />
                <p className="hint" id={`${fieldId('trashRetentionDays')}-hint`}>
                  {t('add.days.hint', { days: Number(days) || 0 })}
                </p>
                {fieldProblem('trashRetentionDays')}
              </div>
            ) : null}
            <div className="choice">
              <input
                type="radio"
                id={`${baseId}-delete-permanent`}
                name={`${baseId}-delete`}
                checked={deleteMode === 'permanent'}
                aria-describedby={`${baseId}-delete-permanent-warn`}
                onChange={() => setDeleteMode('permanent')}
              />
              <label htmlFor={`${baseId}-delete-permanent`}>{t('add.deletePermanent')}</label>
              <p className="hint hint--warning" id={`${baseId}-delete-permanent-warn`}>
                {t('add.deletePermanentWarning')}
              </p>
            </div>
          </fieldset>
        ) : null}
        <p className="hint">{t('add.guardNote')}</p>
      </fieldset>

      {add.isError && serverField === null ? (
        <ErrorDisplay error={add.error} title={t('add.failed')} />
      ) : null}

      <div className="actions">
        <button type="submit" className="button button--primary" disabled={add.isPending}>
          {add.isPending ? t('add.creating') : t('add.create')}
        </button>
        {onCancel !== undefined ? (
          <button type="button" className="button" onClick={onCancel}>
            {t('add.cancel')}
          </button>
        ) : null}
      </div>
    </form>
  );
}
