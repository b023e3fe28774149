/**
 * Bandwidth limits and concurrency (transfers.getLimits / setLimits). A rate is a number in
 * KB/s or MB/s; empty means unlimited. Counts are whole numbers within the engine's bounds.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferLimits } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { SETTINGS_QUERY_KEY } from '../../shell/language-select.js';
import { LIMITS_QUERY_KEY } from './queries.js';

const KIB = 1024;
const MIB = 1024 * 1024;
type Unit = 'kib' | 'mib';
type RateField = 'uploadBytesPerSecond' | 'downloadBytesPerSecond';
type CountField = 'maxFiles' | 'maxPartsPerFile' | 'maxParts';
export const COUNT_BOUNDS: Record<CountField, { min: number; max: number }> = {
  maxFiles: { min: 1, max: 64 },
  maxPartsPerFile: { min: 1, max: 32 },
  maxParts: { min: 1, max: 256 },
};

interface RateDraft {
  value: string;
  unit: Unit;
}

/** A rate as the form shows it: '' when unlimited, MB/s when it is a whole number of them. */
export function rateDraft(bytes: number | null): RateDraft {
  if (bytes === null) return { value: '', unit: 'mib' };
  if (bytes % MIB === 0) return { value: String(bytes / MIB), unit: 'mib' };
  return { value: String(Math.round((bytes / KIB) * 10) / 10), unit: 'kib' };
}

/** Bytes per second from the form, null for unlimited, undefined when not a positive number. */
export function rateBytes(draft: RateDraft): number | null | undefined {
  const text = draft.value.trim().replace(',', '.');
  if (text === '') return null;
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const bytes = Math.round(Number(text) * (draft.unit === 'mib' ? MIB : KIB));
  return bytes >= 1 ? bytes : undefined;
}

export function LimitsSection() {
  const api = useApi();
  const { t } = useTranslation(['settings', 'common']);
  const queryClient = useQueryClient();
  const baseId = useId();
  const limits = useQuery({
    queryKey: LIMITS_QUERY_KEY,
    queryFn: () => api['transfers.getLimits']({}),
  });
  const [rates, setRates] = useState<Record<RateField, RateDraft> | null>(null);
  const [counts, setCounts] = useState<Record<CountField, string> | null>(null);
  const [invalid, setInvalid] = useState<Partial<Record<RateField | CountField, string>>>({});
  const [saved, setSaved] = useState(false);

  const reset = (from: TransferLimits) => {
    setRates({
      uploadBytesPerSecond: rateDraft(from.uploadBytesPerSecond),
      downloadBytesPerSecond: rateDraft(from.downloadBytesPerSecond),
    });
    setCounts({
      maxFiles: String(from.maxFiles),
      maxPartsPerFile: String(from.maxPartsPerFile),
      maxParts: String(from.maxParts),
    });
  };
  useEffect(() => {
    if (limits.data !== undefined && rates === null) reset(limits.data);
  }, [limits.data, rates]);

  const save = useMutation({
    mutationFn: (next: TransferLimits) => api['transfers.setLimits'](next),
    onSuccess: (next) => {
      queryClient.setQueryData(LIMITS_QUERY_KEY, next);
      void queryClient.invalidateQueries({ queryKey: SETTINGS_QUERY_KEY });
      reset(next);
      setSaved(true);
    },
  });

  const onSubmit = () => {
    if (rates === null || counts === null) return;
    const problems: Partial<Record<RateField | CountField, string>> = {};
    const upload = rateBytes(rates.uploadBytesPerSecond);
    const download = rateBytes(rates.downloadBytesPerSecond);
    if (upload === undefined) problems.uploadBytesPerSecond = t('limits.rateInvalid');
    if (download === undefined) problems.downloadBytesPerSecond = t('limits.rateInvalid');
    const numbers = {} as Record<CountField, number>;
    for (const field of Object.keys(COUNT_BOUNDS) as CountField[]) {
      const { min, max } = COUNT_BOUNDS[field];
      const text = counts[field].trim();
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < min || value > max)
        problems[field] = t('limits.countInvalid', { min, max });
      numbers[field] = value;
    }
    setInvalid(problems);
    setSaved(false);
    const first = Object.keys(problems)[0];
    if (first !== undefined) {
      document.getElementById(`${baseId}-${first}`)?.focus();
      return;
    }
    save.mutate({
      ...numbers,
      uploadBytesPerSecond: upload ?? null,
      downloadBytesPerSecond: download ?? null,
    });
  };

  const describedBy = (field: RateField | CountField) =>
    [`${baseId}-${field}-hint`, invalid[field] !== undefined ? `${baseId}-${field}-error` : '']
      .filter((part) => part !== '')
      .join(' ');
  const problem = (field: RateField | CountField) =>
    invalid[field] !== undefined ? (
      <p className="field-error" id={`${baseId}-${field}-error`}>
        {invalid[field]}
      </p>
    ) : null;

  return (
    <section className="settings-section" aria-labelledby={`${baseId}-title`}>
      <h2 id={`${baseId}-title`}>{t('limits.title')}</h2>
      {limits.isPending ? <Loading label={t('limits.loading')} /> : null}
      {limits.isError ? (
        <ErrorDisplay
          error={limits.error}
          title={t('limits.loadFailed')}
          onRetry={() => void limits.refetch()}
        />
      ) : null}
      {rates !== null && counts !== null ? (
        <form
          className="form limits-form"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            onSubmit();
          }}
        >
          {(['uploadBytesPerSecond', 'downloadBytesPerSecond'] as const).map((field) => (
            <div className="form-field" key={field}>
              <label htmlFor={`${baseId}-${field}`}>{t(`limits.${field}`)}</label>
              <div className="form-field__row">
                <input
                  id={`${baseId}-${field}`}
                  type="text"
                  inputMode="decimal"
                  value={rates[field].value}
                  placeholder={t('limits.unlimited')}
                  aria-invalid={invalid[field] !== undefined}
                  aria-describedby={describedBy(field)}
                  onChange={(event) =>
                    setRates({ ...rates, [field]: { ...rates[field], value: event.target.value } })
                  }
                />
                <select
                  aria-label={t('limits.unitOf', { field: t(`limits.${field}`) })}
                  value={rates[field].unit}
                  onChange={(event) =>
                    setRates({
                      ...rates,
                      [field]: { ...rates[field], unit: event.target.value as Unit },
                    })
                  }
                >
                  <option value="kib">{t('limits.kib')}</option>
                  <option value="mib">{t('limits.mib')}</option>
                </select>
              </div>
              <p className="hint" id={`${baseId}-${field}-hint`}>
                {t('limits.rateHint')}
              </p>
              {problem(field)}
            </div>
          ))}
          {(Object.keys(COUNT_BOUNDS) as CountField[]).map((field) => (
            <div className="form-field" key={field}>
              <label htmlFor={`${baseId}-${field}`}>{t(`limits.${field}`)}</label>
              <input
                id={`${baseId}-${field}`}
                type="number"
                inputMode="numeric"
                min={COUNT_BOUNDS[field].min}
                max={COUNT_BOUNDS[field].max}
                value={counts[field]}
                aria-invalid={invalid[field] !== undefined}
                aria-describedby={describedBy(field)}
                onChange={(event) => setCounts({ ...counts, [field]: event.target.value })}
              />
              <p className="hint" id={`${baseId}-${field}-hint`}>
                {t(`limits.${field}Hint`, COUNT_BOUNDS[field])}
              </p>
              {problem(field)}
            </div>
          ))}
          {save.isError ? <ErrorDisplay error={save.error} title={t('limits.saveFailed')} /> : null}
          <div className="actions">
            <button type="submit" className="button button--primary" disabled={save.isPending}>
              {t('limits.save')}
            </button>
            <p className="muted" role="status" aria-live="polite">
              {saved ? t('limits.saved') : ''}
            </p>
          </div>
        </form>
      ) : null}
    </section>
  );
}
