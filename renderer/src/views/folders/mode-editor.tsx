/**
 * Changes a pair's mode (backup or mirror) and, for mirror, what happens to deleted files
 * (the trash for N days, or for good), with pairs.update. The texts are the add form's, so
 * the choice reads the same in both places.
 */
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DELETE_MODES, PairStatusDto, SYNC_MODES } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';

type Mode = (typeof SYNC_MODES)[number];
type DeleteMode = (typeof DELETE_MODES)[number];

export function ModeEditor({
  status,
  onSaved,
  onClose,
}: {
  status: PairStatusDto;
  onSaved: (status: PairStatusDto) => void;
  onClose: () => void;
}) {
  const api = useApi();
  const { t } = useTranslation(['folders', 'common']);
  const baseId = useId();
  const { pair } = status;
  const [mode, setMode] = useState<Mode>(pair.mode);
  const [deleteMode, setDeleteMode] = useState<DeleteMode>(pair.deleteMode);
  const [days, setDays] = useState(String(pair.trashRetentionDays));
  const [invalid, setInvalid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (changes: { mode: Mode; deleteMode?: DeleteMode; trashRetentionDays?: number }) =>
      api['pairs.update']({ pairId: pair.id, changes }),
    onSuccess: (next) => {
      onSaved(next);
      onClose();
    },
  });

  const onSubmit = () => {
    if (mode === 'mirror' && deleteMode === 'trash') {
      const value = Number(days);
      if (!/^\d+$/.test(days.trim()) || value > 3650) {
        setInvalid(t('add.days.invalid'));
        document.getElementById(`${baseId}-days`)?.focus();
        return;
      }
    }
    setInvalid(null);
    save.mutate(
      mode === 'backup'
        ? { mode }
        : {
            mode,
            deleteMode,
            ...(deleteMode === 'trash' ? { trashRetentionDays: Number(days) } : {}),
          },
    );
  };

  return (
    <form
      className="mode-editor"
      aria-labelledby={`${baseId}-title`}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <fieldset className="form-field modes">
        <legend id={`${baseId}-title`}>{t('add.modeLegend')}</legend>
        {(['backup', 'mirror'] as const).map((option) => (
          <div className="choice" key={option}>
            <input
              type="radio"
              id={`${baseId}-mode-${option}`}
              name={`${baseId}-mode`}
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
                id={`${baseId}-trash`}
                name={`${baseId}-delete`}
                checked={deleteMode === 'trash'}
                onChange={() => setDeleteMode('trash')}
              />
              <label htmlFor={`${baseId}-trash`}>{t('add.deleteTrash')}</label>
            </div>
            {deleteMode === 'trash' ? (
              <div className="form-field form-field--inline">
                <label htmlFor={`${baseId}-days`}>{t('add.fieldName.trashRetentionDays')}</label>
                <input
                  id={`${baseId}-days`}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={3650}
                  value={days}
                  aria-invalid={invalid !== null}
                  aria-describedby={`${baseId}-days-hint${invalid !== null ? ` ${baseId}-days-error` : ''}`}
                  onChange={(event) => {
                    setDays(event.target.value);
                    setInvalid(null);
                  }}
                />
                <p className="hint" id={`${baseId}-days-hint`}>
                  {t('add.days.hint', { days: Number(days) || 0 })}
                </p>
                {invalid !== null ? (
                  <p className="field-error" id={`${baseId}-days-error`}>
                    {invalid}
                  </p>
                ) : null}
              </div>
            ) : null}
            <div className="choice">
              <input
                type="radio"
                id={`${baseId}-permanent`}
                name={`${baseId}-delete`}
                checked={deleteMode === 'permanent'}
                aria-describedby={`${baseId}-permanent-warn`}
                onChange={() => setDeleteMode('permanent')}
              />
              <label htmlFor={`${baseId}-permanent`}>{t('add.deletePermanent')}</label>
              <p className="hint hint--warning" id={`${baseId}-permanent-warn`}>
                {t('add.deletePermanentWarning')}
              </p>
            </div>
          </fieldset>
        ) : null}
        <p className="hint">{t('modeEditor.when')}</p>
      </fieldset>
      {save.isError ? <ErrorDisplay error={save.error} title={t('modeEditor.saveFailed')} /> : null}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {t('modeEditor.save')}
        </button>
        <button type="button" className="button" onClick={onClose}>
          {t('ignore.cancel')}
        </button>
      </div>
    </form>
  );
}
