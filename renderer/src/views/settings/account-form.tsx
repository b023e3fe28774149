/**
 * Adding or editing an account: a name, where it is (a region or an endpoint URL), the
 * AccessKey ID and secret, and a default bucket. The secret is a password field, sent once
 * and never shown again: editing leaves it empty, and empty keeps the stored one.
 */
import { useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AccountDto, Params } from '../../../../shared/contract/index.js';
import { ErrorDisplay, toContractError } from '../../components/error-display.js';

export type AccountField =
  | 'name'
  | 'region'
  | 'endpoint'
  | 'accessKeyId'
  | 'accessKeySecret'
  | 'securityToken'
  | 'defaultBucket';
const FIELDS: readonly AccountField[] = [
  'name',
  'region',
  'endpoint',
  'accessKeyId',
  'accessKeySecret',
  'securityToken',
  'defaultBucket',
];

const ENDPOINT = /^https?:\/\/[^\s/?#]+\/?$/;
const REGION = /^[a-z0-9-]+$/;
const ACCESS_KEY_ID = /^[A-Za-z0-9._-]+$/;
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export type AccountSubmit =
  | { kind: 'add'; params: Params<'accounts.add'> }
  | { kind: 'update'; params: Params<'accounts.update'> };

export interface AccountFormProps {
  /** The account being edited; absent when adding. */
  account?: AccountDto;
  busy: boolean;
  /** The last refusal from accounts.add / accounts.update. */
  error: unknown;
  onSubmit: (submit: AccountSubmit) => void;
  onCancel: () => void;
}

/** The field a refusal is about (`params.accessKeyId`, ...), if it names one. */
export function accountFieldOfSubject(subject: string | undefined): AccountField | null {
  const name = /^params\.(\w+)/.exec(subject ?? '')?.[1];
  return FIELDS.find((field) => field === name) ?? null;
}

export function AccountForm({ account, busy, error, onSubmit, onCancel }: AccountFormProps) {
  const { t } = useTranslation(['settings', 'common']);
  const baseId = useId();
  const fieldId = (field: AccountField) => `${baseId}-${field}`;
  const editing = account !== undefined;
  const [name, setName] = useState(account?.name ?? '');
  const [where, setWhere] = useState<'region' | 'endpoint'>(
    account?.endpoint != null ? 'endpoint' : 'region',
  );
  const [region, setRegion] = useState(account?.region ?? '');
  const [endpoint, setEndpoint] = useState(account?.endpoint ?? '');
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [defaultBucket, setDefaultBucket] = useState(account?.defaultBucket ?? '');
  /** SECRET, like the AccessKey secret: an STS token, sent once, never shown back. */
  const [token, setToken] = useState('');
  const [dropToken, setDropToken] = useState(false);
  const [invalid, setInvalid] = useState<Partial<Record<AccountField, string>>>({});
  const refs = useRef(new Map<AccountField, HTMLInputElement>());
  const register = (field: AccountField) => (element: HTMLInputElement | null) => {
    if (element) refs.current.set(field, element);
    else refs.current.delete(field);
  };
  const serverField =
    error !== null && error !== undefined
      ? accountFieldOfSubject(toContractError(error).subject)
      : null;

  const validate = () => {
    const problems: Partial<Record<AccountField, string>> = {};
    if (name.trim() === '') problems.name = t('form.name.required');
    if (where === 'region' && !REGION.test(region.trim()))
      problems.region = t('form.region.invalid');
    if (where === 'endpoint' && !ENDPOINT.test(endpoint.trim()))
      problems.endpoint = t('form.endpoint.invalid');
    const id = accessKeyId.trim();
    if (!editing || id !== '') {
      if (!ACCESS_KEY_ID.test(id)) problems.accessKeyId = t('form.accessKeyId.invalid');
    }
    if ((!editing || id !== '') && secret === '')
      problems.accessKeySecret = t('form.secret.required');
    if (defaultBucket.trim() !== '' && !BUCKET.test(defaultBucket.trim()))
      problems.defaultBucket = t('form.defaultBucket.invalid');
    return problems;
  };

  const submit = () => {
    const problems = validate();
    setInvalid(problems);
    const first = FIELDS.find((field) => problems[field] !== undefined);
    if (first !== undefined) {
      refs.current.get(first)?.focus();
      return;
    }
    const place = where === 'region' ? { region: region.trim() } : { endpoint: endpoint.trim() };
    const bucket = defaultBucket.trim();
    if (!editing) {
      onSubmit({
        kind: 'add',
        params: {
          name: name.trim(),
          ...place,
          accessKeyId: accessKeyId.trim(),
          accessKeySecret: secret,
          ...(token !== '' ? { securityToken: token } : {}),
          ...(bucket !== '' ? { defaultBucket: bucket } : {}),
        },
      });
    } else {
      onSubmit({
        kind: 'update',
        params: {
          id: account.id,
          name: name.trim(),
          ...place,
          defaultBucket: bucket === '' ? null : bucket,
          ...(accessKeyId.trim() !== '' ? { accessKeyId: accessKeyId.trim() } : {}),
          ...(secret !== '' ? { accessKeySecret: secret } : {}),
          ...(token !== '' ? { securityToken: token } : dropToken ? { securityToken: null } : {}),
        },
      });
    }
    // The secrets leave the form with the request; they are not kept here.
    setSecret('');
    setToken('');
  };

  const problemOf = (field: AccountField): ReactNode => {
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
            error={error}
            title={t('form.fieldFailed', {
              field: t(`form.${field === 'accessKeySecret' ? 'secret' : field}.label`),
            })}
          />
        </div>
      );
    return null;
  };
  const hasProblem = (field: AccountField) => invalid[field] !== undefined || serverField === field;
  const describedBy = (field: AccountField) =>
    [`${fieldId(field)}-hint`, hasProblem(field) ? `${fieldId(field)}-error` : '']
      .filter((part) => part !== '')
      .join(' ');

  const input = (
    field: AccountField,
    labelKey: string,
    value: string,
    set: (value: string) => void,
    extra: { type?: string; placeholder?: string; autoComplete?: string } = {},
  ) => (
    <div className="form-field">
      <label htmlFor={fieldId(field)}>{t(`form.${labelKey}.label`)}</label>
      <input
        id={fieldId(field)}
        ref={register(field)}
        type={extra.type ?? 'text'}
        value={value}
        spellCheck={false}
        autoComplete={extra.autoComplete ?? 'off'}
        placeholder={extra.placeholder}
        aria-invalid={hasProblem(field)}
        aria-describedby={describedBy(field)}
        onChange={(event) => set(event.target.value)}
      />
      <p className="hint" id={`${fieldId(field)}-hint`}>
        {t(`form.${labelKey}.hint`)}
      </p>
      {problemOf(field)}
    </div>
  );

  return (
    <form
      className="form account-form"
      aria-labelledby={`${baseId}-title`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <h3 id={`${baseId}-title`}>
        {editing ? t('form.editTitle', { name: account.name }) : t('form.addTitle')}
      </h3>
      {input('name', 'name', name, setName)}
      <fieldset className="form-field">
        <legend>{t('form.where')}</legend>
        <div className="choice">
          <input
            type="radio"
            id={`${baseId}-where-region`}
            name={`${baseId}-where`}
            checked={where === 'region'}
            onChange={() => setWhere('region')}
          />
          <label htmlFor={`${baseId}-where-region`}>{t('form.whereRegion')}</label>
        </div>
        <div className="choice">
          <input
            type="radio"
            id={`${baseId}-where-endpoint`}
            name={`${baseId}-where`}
            checked={where === 'endpoint'}
            onChange={() => setWhere('endpoint')}
          />
          <label htmlFor={`${baseId}-where-endpoint`}>{t('form.whereEndpoint')}</label>
        </div>
      </fieldset>
      {where === 'region'
        ? input('region', 'region', region, setRegion, {
            placeholder: t('form.region.placeholder'),
          })
        : input('endpoint', 'endpoint', endpoint, setEndpoint, {
            placeholder: t('form.endpoint.placeholder'),
            type: 'url',
          })}
      {input('accessKeyId', 'accessKeyId', accessKeyId, setAccessKeyId, {
        placeholder: editing ? account.accessKeyIdMasked : t('form.accessKeyId.placeholder'),
      })}
      {input('accessKeySecret', 'secret', secret, setSecret, {
        type: 'password',
        autoComplete: 'new-password',
        ...(editing ? { placeholder: t('form.secret.keep') } : {}),
      })}
      {input('securityToken', 'securityToken', token, setToken, {
        type: 'password',
        autoComplete: 'off',
        ...(editing && account.hasSecurityToken ? { placeholder: t('form.secret.keep') } : {}),
      })}
      {editing && account.hasSecurityToken ? (
        <div className="choice">
          <input
            type="checkbox"
            id={`${baseId}-drop-token`}
            checked={dropToken}
            disabled={token !== ''}
            onChange={(event) => setDropToken(event.target.checked)}
          />
          <label htmlFor={`${baseId}-drop-token`}>{t('form.securityToken.remove')}</label>
        </div>
      ) : null}
      {input('defaultBucket', 'defaultBucket', defaultBucket, setDefaultBucket)}
      {error !== null && error !== undefined && serverField === null ? (
        <ErrorDisplay
          error={error}
          title={editing ? t('form.updateFailed') : t('form.addFailed')}
        />
      ) : null}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          {editing ? t('form.saveAndTest') : t('form.addAndTest')}
        </button>
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          {t('form.cancel')}
        </button>
      </div>
    </form>
  );
}
