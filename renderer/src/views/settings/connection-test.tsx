/**
 * The outcome of accounts.testConnection, in words: connected (with the latency), or the
 * exact problem (wrong key, wrong secret, expired token, clock skew, unreachable endpoint,
 * no such bucket, access denied) through the error display with its next step.
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ContractError, type Result } from '../../../../shared/contract/index.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { formatCount } from '../../format.js';

export type TestState =
  | { phase: 'testing' }
  | { phase: 'done'; result: Result<'accounts.testConnection'> }
  | { phase: 'failed'; error: unknown };

export function ConnectionTest({
  state,
  name,
  actions,
}: {
  state: TestState;
  name: string;
  actions?: ReactNode;
}) {
  const { t, i18n } = useTranslation(['settings', 'common']);
  if (state.phase === 'testing')
    return (
      <p className="loading" role="status" aria-live="polite">
        {t('test.testing', { name })}
      </p>
    );
  if (state.phase === 'failed')
    return (
      <ErrorDisplay
        error={state.error}
        title={t('test.couldNotTest', { name })}
        actions={actions}
      />
    );
  const { result } = state;
  if (result.ok)
    return (
      <p className="test-ok" role="status" aria-live="polite">
        {t('test.ok', { name, ms: formatCount(result.latencyMs, i18n.language) })}
      </p>
    );
  return (
    <ErrorDisplay
      error={ContractError.fromData(result.error)}
      title={t(`test.problem.${result.problem}`, { name })}
      actions={actions}
    />
  );
}
