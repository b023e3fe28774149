/** Edits a pair's own ignore patterns (gitignore syntax, one a line) with pairs.update. */
import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PairStatusDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';

export const MAX_PATTERN_LENGTH = 1024;
export const MAX_PATTERNS = 1000;

/** The lines of the text as patterns: trimmed at the end, blank lines dropped. */
export function patternsOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
}

export function IgnoreEditor({
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
  const id = useId();
  const [text, setText] = useState(status.pair.ignore.join('\n'));
  const [invalid, setInvalid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (ignore: string[]) =>
      api['pairs.update']({ pairId: status.pair.id, changes: { ignore } }),
    onSuccess: (next) => {
      onSaved(next);
      onClose();
    },
  });

  const onSubmit = () => {
    const patterns = patternsOf(text);
    if (patterns.length > MAX_PATTERNS) {
      setInvalid(t('ignore.tooMany', { max: MAX_PATTERNS }));
      return;
    }
    if (patterns.some((pattern) => pattern.length > MAX_PATTERN_LENGTH)) {
      setInvalid(t('ignore.tooLong', { max: MAX_PATTERN_LENGTH }));
      return;
    }
    setInvalid(null);
    save.mutate(patterns);
  };

  return (
    <form
      className="ignore-editor"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <label htmlFor={id}>{t('ignore.label')}</label>
      <p className="hint" id={`${id}-hint`}>
        {t('ignore.hint')}
      </p>
      <textarea
        id={id}
        rows={6}
        value={text}
        spellCheck={false}
        aria-describedby={`${id}-hint${invalid !== null ? ` ${id}-error` : ''}`}
        aria-invalid={invalid !== null}
        onChange={(event) => setText(event.target.value)}
      />
      {invalid !== null ? (
        <p className="field-error" id={`${id}-error`}>
          {invalid}
        </p>
      ) : null}
      {save.isError ? <ErrorDisplay error={save.error} title={t('ignore.saveFailed')} /> : null}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {t('ignore.save')}
        </button>
        <button type="button" className="button" onClick={onClose}>
          {t('ignore.cancel')}
        </button>
      </div>
    </form>
  );
}
