/**
 * A presigned share link for one file: an expiry of 1 hour, 1 day, 7 days (SHARE_LINK_PRESETS)
 * or a custom one (minutes, hours or days, up to 7 days), copied to the clipboard with a
 * visible confirmation; the link stays shown, selected, when the clipboard is not available.
 */
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_SHARE_LINK_SECONDS, SHARE_LINK_PRESETS } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { formatDateTime } from '../../format.js';
import { Dialog } from '../../components/dialog.js';

type Choice = keyof typeof SHARE_LINK_PRESETS | 'custom';
const CHOICES: readonly Choice[] = ['hour', 'day', 'week', 'custom'];
const UNITS = { minutes: 60, hours: 3600, days: 86_400 } as const;
type Unit = keyof typeof UNITS;

/** The custom expiry in seconds, or why it cannot be used. */
export function customSeconds(amount: string, unit: Unit): number | 'invalid' | 'tooLong' {
  if (!/^\d+$/.test(amount.trim())) return 'invalid';
  const seconds = Number(amount.trim()) * UNITS[unit];
  if (!Number.isSafeInteger(seconds) || seconds < 1) return 'invalid';
  if (seconds > MAX_SHARE_LINK_SECONDS) return 'tooLong';
  return seconds;
}

export interface ShareDialogProps {
  accountId: number;
  bucket: string;
  objectKey: string;
  onClose: () => void;
}

export function ShareDialog({ accountId, bucket, objectKey, onClose }: ShareDialogProps) {
  const api = useApi();
  const { t, i18n } = useTranslation('browser');
  const [choice, setChoice] = useState<Choice>('day');
  const [amount, setAmount] = useState('2');
  const [unit, setUnit] = useState<Unit>('hours');
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const groupId = useId();
  const custom = choice === 'custom' ? customSeconds(amount, unit) : null;
  const seconds = choice === 'custom' ? custom : SHARE_LINK_PRESETS[choice];

  const link = useMutation({
    mutationFn: (expiresInSeconds: number) =>
      api['objects.shareLink']({ accountId, bucket, key: objectKey, expiresInSeconds }),
    onSuccess: async ({ url }) => {
      setCopied(null);
      const clipboard = navigator.clipboard as Clipboard | undefined;
      try {
        if (clipboard === undefined) throw new Error('no clipboard');
        await clipboard.writeText(url);
        setCopied('yes');
      } catch {
        setCopied('no');
      }
    },
  });

  return (
    <Dialog title={t('share.title', { name: objectKey })} onClose={onClose} testId="share-dialog">
      <fieldset className="browser-share__expiry">
        <legend id={groupId}>{t('share.expiry')}</legend>
        {CHOICES.map((name) => (
          <label key={name} className="browser-share__choice">
            <input
              type="radio"
              name="share-expiry"
              value={name}
              checked={choice === name}
              onChange={() => {
                setChoice(name);
                link.reset();
              }}
              {...(name === 'day' ? { 'data-autofocus': true } : {})}
            />
            {t(`share.choices.${name}`)}
          </label>
        ))}
        {choice === 'custom' ? (
          <div className="browser-share__custom">
            <label>
              <span className="visually-hidden">{t('share.customAmount')}</span>
              <input
                type="number"
                min={1}
                inputMode="numeric"
                value={amount}
                aria-invalid={typeof custom === 'string'}
                aria-describedby={typeof custom === 'string' ? 'share-custom-error' : undefined}
                onChange={(event) => setAmount(event.target.value)}
              />
            </label>
            <label>
              <span className="visually-hidden">{t('share.customUnit')}</span>
              <select value={unit} onChange={(event) => setUnit(event.target.value as Unit)}>
                {(Object.keys(UNITS) as Unit[]).map((name) => (
                  <option key={name} value={name}>
                    {t(`share.units.${name}`)}
                  </option>
                ))}
              </select>
            </label>
            {typeof custom === 'string' ? (
              <p className="browser-field-error" id="share-custom-error" role="alert">
                {t(`share.errors.${custom}`)}
              </p>
            ) : null}
          </div>
        ) : null}
      </fieldset>
      {link.isError ? <ErrorDisplay error={link.error} title={t('share.failed')} /> : null}
      {link.data !== undefined ? (
        <div className="browser-share__result">
          <label>
            {t('share.link')}
            <input
              type="text"
              readOnly
              className="browser-share__url"
              value={link.data.url}
              onFocus={(event) => event.target.select()}
            />
          </label>
          <p role="status" className={copied === 'no' ? 'notice notice--warning' : 'notice'}>
            {copied === 'yes'
              ? t('share.copied', { until: formatDateTime(link.data.expiresAt, i18n.language) })
              : copied === 'no'
                ? t('share.copyFailed')
                : t('share.until', { until: formatDateTime(link.data.expiresAt, i18n.language) })}
          </p>
        </div>
      ) : null}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onClose}>
          {t('actions.close')}
        </button>
        <button
          type="button"
          className="button button--primary"
          disabled={typeof seconds !== 'number' || link.isPending}
          onClick={() => {
            if (typeof seconds === 'number') link.mutate(seconds);
          }}
        >
          {t('share.create')}
        </button>
      </div>
    </Dialog>
  );
}
