/**
 * In-window notifications (`app.notification`): the title and body from the
 * `notifications` namespace with their values, a way to the thing they are about, and a
 * dismiss button. Info toasts leave by themselves; warnings and errors stay until dismissed.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { NotificationDto } from '../../../shared/contract/index.js';
import { useEvent } from '../api/api-context.js';
import { useNavigation } from './navigation.js';

export const MAX_TOASTS = 5;
export const INFO_TOAST_MS = 10_000;

/** The key within the namespace: the service may or may not prefix it with 'notifications.'. */
const keyOf = (key: string) =>
  key.startsWith('notifications.') ? key.slice('notifications.'.length) : key;

export function Toasts() {
  const { t } = useTranslation(['common', 'notifications']);
  const { navigate } = useNavigation();
  const [toasts, setToasts] = useState<readonly NotificationDto[]>([]);

  useEvent('app.notification', (notification) =>
    setToasts((current) =>
      [notification, ...current.filter((toast) => toast.id !== notification.id)].slice(
        0,
        MAX_TOASTS,
      ),
    ),
  );

  const dismiss = (id: string) =>
    setToasts((current) => current.filter((toast) => toast.id !== id));

  const infoIds = toasts.filter((toast) => toast.level === 'info').map((toast) => toast.id);
  const infoKey = infoIds.join('|');
  useEffect(() => {
    if (infoKey === '') return;
    const timers = infoKey.split('|').map((id) => setTimeout(() => dismiss(id), INFO_TOAST_MS));
    return () => timers.forEach((timer) => clearTimeout(timer));
  }, [infoKey]);

  if (toasts.length === 0) return null;
  return (
    <section className="toasts" aria-label={t('common:toasts.label')}>
      {toasts.map((toast) => {
        const values = Object.fromEntries(toast.values.map(({ name, value }) => [name, value]));
        const target =
          toast.jobId !== undefined
            ? () => navigate('transfers', toast.kind === 'transfer-failed' ? { tab: 'failed' } : {})
            : toast.pairId !== undefined
              ? () => navigate('folders')
              : null;
        return (
          <div
            key={toast.id}
            className={`toast toast--${toast.level}`}
            role={toast.level === 'error' ? 'alert' : 'status'}
          >
            <p className="toast__title">
              <strong>{t(`notifications:${keyOf(toast.titleKey)}`, values)}</strong>
            </p>
            <p className="toast__body">{t(`notifications:${keyOf(toast.bodyKey)}`, values)}</p>
            <div className="toast__actions">
              {target !== null ? (
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    dismiss(toast.id);
                    target();
                  }}
                >
                  {t('common:toasts.show')}
                </button>
              ) : null}
              <button type="button" className="button" onClick={() => dismiss(toast.id)}>
                {t('common:actions.dismiss')}
              </button>
            </div>
          </div>
        );
      })}
    </section>
  );
}
