/**
 * Downloading the selection into a local folder typed as a path (the contract has no
 * folder picker yet, in Electron or the browser), checked here (absolute, no '..') and by
 * main (exists, no key escapes it); the last folder used is remembered.
 */
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { formatCount } from '../../format.js';
import { checkLocalDir } from './address.js';
import { Dialog } from '../../components/dialog.js';
import { useIsDesktop } from '../../api/use-app-info.js';

export const DOWNLOAD_DIR_KEY = 'ossync.browser.downloadDir';

export function lastDownloadDir(): string {
  try {
    return localStorage.getItem(DOWNLOAD_DIR_KEY) ?? '';
  } catch {
    return '';
  }
}

function rememberDownloadDir(dir: string): void {
  try {
    localStorage.setItem(DOWNLOAD_DIR_KEY, dir);
  } catch {
    // storage may be disabled: the field is then empty next time
  }
}

export interface DownloadDialogProps {
  accountId: number;
  bucket: string;
  keys: readonly string[];
  onClose: () => void;
  onQueued: (jobs: number) => void;
}

export function DownloadDialog({
  accountId,
  bucket,
  keys,
  onClose,
  onQueued,
}: DownloadDialogProps) {
  const api = useApi();
  const desktop = useIsDesktop();
  const { t, i18n } = useTranslation('browser');
  const [dir, setDir] = useState(lastDownloadDir);
  const [touched, setTouched] = useState(false);
  const fieldId = useId();
  const problem = checkLocalDir(dir);

  const download = useMutation({
    mutationFn: (targetDir: string) =>
      api['objects.download']({ accountId, bucket, keys: [...keys], targetDir }),
    onSuccess: (result, targetDir) => {
      rememberDownloadDir(targetDir);
      onQueued(result.jobsQueued);
    },
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (problem === null) download.mutate(dir.trim());
  };

  return (
    <Dialog title={t('download.title')} onClose={onClose} testId="download-dialog">
      <form onSubmit={onSubmit} noValidate>
        <p>
          {t('download.what', {
            count: keys.length,
            formatted: formatCount(keys.length, i18n.language),
          })}
        </p>
        <label htmlFor={fieldId}>{t('download.folder')}</label>
        <input
          id={fieldId}
          type="text"
          className="browser-field"
          value={dir}
          placeholder={t('download.placeholder')}
          spellCheck={false}
          autoComplete="off"
          data-autofocus
          aria-invalid={touched && problem !== null}
          aria-describedby={`${fieldId}-hint`}
          onChange={(event) => setDir(event.target.value)}
        />
        {desktop ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              const current = dir.trim();
              api['app.pickFolder'](current === '' ? {} : { defaultPath: current }).then(
                ({ path }) => {
                  if (path !== null) setDir(path);
                },
                () => undefined,
              );
            }}
          >
            {t('download.choose')}
          </button>
        ) : null}
        <p
          id={`${fieldId}-hint`}
          className={touched && problem !== null ? 'browser-field-error' : 'browser-hint'}
        >
          {touched && problem !== null ? t(`download.errors.${problem}`) : t('download.hint')}
        </p>
        {download.isError ? (
          <ErrorDisplay error={download.error} title={t('download.failed')} />
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            {t('actions.cancel')}
          </button>
          <button type="submit" className="button button--primary" disabled={download.isPending}>
            {t('download.action')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
