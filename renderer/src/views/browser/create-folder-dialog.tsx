/** Creating a folder (an empty object whose key ends in '/') in the shown prefix. */
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { checkFolderName } from './address.js';
import { Dialog } from '../../components/dialog.js';

export interface CreateFolderDialogProps {
  accountId: number;
  bucket: string;
  prefix: string;
  onClose: () => void;
  onCreated: (prefix: string) => void;
}

export function CreateFolderDialog({
  accountId,
  bucket,
  prefix,
  onClose,
  onCreated,
}: CreateFolderDialogProps) {
  const api = useApi();
  const { t } = useTranslation('browser');
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const fieldId = useId();
  const problem = checkFolderName(prefix, name);

  const create = useMutation({
    mutationFn: (folder: string) =>
      api['objects.createFolder']({ accountId, bucket, prefix: folder }),
    onSuccess: ({ key }) => onCreated(key),
  });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (problem === null) create.mutate(`${prefix}${name.trim()}/`);
  };

  return (
    <Dialog title={t('createFolder.title')} onClose={onClose} testId="create-folder-dialog">
      <form onSubmit={onSubmit} noValidate>
        <label htmlFor={fieldId}>{t('createFolder.name')}</label>
        <input
          id={fieldId}
          type="text"
          className="browser-field"
          value={name}
          spellCheck={false}
          autoComplete="off"
          data-autofocus
          aria-invalid={touched && problem !== null}
          aria-describedby={`${fieldId}-hint`}
          onChange={(event) => setName(event.target.value)}
        />
        <p
          id={`${fieldId}-hint`}
          className={touched && problem !== null ? 'browser-field-error' : 'browser-hint'}
        >
          {touched && problem !== null
            ? t(`createFolder.errors.${problem}`)
            : t('createFolder.hint', { where: `oss://${bucket}/${prefix}` })}
        </p>
        {create.isError ? (
          <ErrorDisplay error={create.error} title={t('createFolder.failed')} />
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            {t('actions.cancel')}
          </button>
          <button type="submit" className="button button--primary" disabled={create.isPending}>
            {t('createFolder.action')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
