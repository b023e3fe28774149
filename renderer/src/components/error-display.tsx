/**
 * An error as a person should see it: the translated message for its stable code, the next
 * step, and the technical details (code, OSS code, request id, subject) on demand.
 */
import type { TFunction } from 'i18next';
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import {
  ContractError,
  isContractError,
  type JobErrorDto,
} from '../../../shared/contract/index.js';

/** Anything thrown, as a ContractError (a stray exception becomes code 'unknown'). */
export function toContractError(error: unknown): ContractError {
  if (isContractError(error)) return error;
  return new ContractError('unknown');
}

export function jobErrorToContractError(error: JobErrorDto): ContractError {
  return new ContractError(
    error.code,
    error.message,
    error.requestId !== undefined ? { requestId: error.requestId } : {},
  );
}

/** The key under the `errors` namespace: the messageKey's code when it is `errors.<code>`. */
function errorKey(error: ContractError): string {
  const prefix = 'errors.';
  return error.messageKey.startsWith(prefix) ? error.messageKey.slice(prefix.length) : error.code;
}

export function errorMessage(t: TFunction, error: ContractError): string {
  return t(`errors:${errorKey(error)}.message`, {
    defaultValue: t(`errors:${error.code}.message`, { defaultValue: error.message }),
  });
}

export function errorNextStep(t: TFunction, error: ContractError): string {
  return t(`errors:${errorKey(error)}.next`, {
    defaultValue: t(`errors:${error.code}.next`, { defaultValue: '' }),
  });
}

export interface ErrorDisplayProps {
  error: unknown;
  /** A short heading above the message ("Could not load the transfers"). */
  title?: string;
  /** Shown as a button after the next step. */
  onRetry?: () => void;
  /** Extra actions (dismiss, ...). */
  actions?: ReactNode;
}

export function ErrorDisplay({ error, title, onRetry, actions }: ErrorDisplayProps) {
  const { t } = useTranslation(['common', 'errors']);
  const contractError = toContractError(error);
  const headingId = useId();
  const next = errorNextStep(t, contractError);
  return (
    <section className="error-display" role="alert" aria-labelledby={headingId}>
      <p className="error-display__message" id={headingId}>
        {title !== undefined ? <strong>{title} </strong> : null}
        {errorMessage(t, contractError)}
      </p>
      {next !== '' ? <p className="error-display__next">{next}</p> : null}
      <details className="error-display__details">
        <summary>{t('common:error.details')}</summary>
        <dl>
          <dt>{t('common:error.code')}</dt>
          <dd>
            <code>{contractError.code}</code>
          </dd>
          {contractError.ossCode !== undefined ? (
            <>
              <dt>{t('common:error.ossCode')}</dt>
              <dd>
                <code>{contractError.ossCode}</code>
              </dd>
            </>
          ) : null}
          {contractError.requestId !== undefined ? (
            <>
              <dt>{t('common:error.requestId')}</dt>
              <dd>
                <code>{contractError.requestId}</code>
              </dd>
            </>
          ) : null}
          {contractError.subject !== undefined && contractError.subject !== '' ? (
            <>
              <dt>{t('common:error.subject')}</dt>
              <dd>
                <code>{contractError.subject}</code>
              </dd>
            </>
          ) : null}
          <dt>{t('common:error.original')}</dt>
          <dd>{contractError.message}</dd>
        </dl>
      </details>
      {onRetry !== undefined || actions !== undefined ? (
        <div className="error-display__actions">
          {onRetry !== undefined ? (
            <button type="button" onClick={onRetry}>
              {t('common:actions.retry')}
            </button>
          ) : null}
          {actions}
        </div>
      ) : null}
    </section>
  );
}
