/** One row of the Browser listing: a folder or a file. Memoized: selection changes re-render only the rows they touch. */
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatBytes, formatDateTime } from '../../format.js';
import { nameIn } from './address.js';
import type { BrowserRow } from './use-object-pages.js';

export const ROW_HEIGHT = 36;

export const rowDomId = (index: number) => `browser-row-${index}`;

export type PointerMode = 'only' | 'toggle' | 'range';

export interface ObjectRowProps {
  row: BrowserRow;
  prefix: string;
  index: number;
  top: number;
  selected: boolean;
  active: boolean;
  onPointerSelect: (index: number, mode: PointerMode) => void;
  onOpen: (index: number) => void;
}

function ObjectRowImpl({
  row,
  prefix,
  index,
  top,
  selected,
  active,
  onPointerSelect,
  onOpen,
}: ObjectRowProps) {
  const { t, i18n } = useTranslation(['browser', 'common']);
  const locale = i18n.language;
  const name = nameIn(prefix, row.key);
  const none = t('common:none');
  return (
    <div
      className={`browser-row${selected ? ' is-selected' : ''}${active ? ' is-active' : ''}`}
      role="row"
      id={rowDomId(index)}
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid="browser-row"
      data-key={row.key}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={(event) =>
        onPointerSelect(
          index,
          event.shiftKey ? 'range' : event.ctrlKey || event.metaKey ? 'toggle' : 'only',
        )
      }
      onDoubleClick={() => onOpen(index)}
    >
      <div role="gridcell" className="cell cell--check">
        <input
          type="checkbox"
          tabIndex={-1}
          checked={selected}
          aria-label={t('row.select', { name })}
          onClick={(event) => event.stopPropagation()}
          onChange={() => onPointerSelect(index, 'toggle')}
        />
      </div>
      <div role="gridcell" className="cell cell--name" title={row.key}>
        {row.kind === 'folder' ? (
          <button
            type="button"
            tabIndex={-1}
            className="link browser-row__folder"
            onClick={(event) => {
              event.stopPropagation();
              onOpen(index);
            }}
          >
            <span aria-hidden="true" className="browser-row__icon browser-row__icon--folder" />
            {name}
            <span className="visually-hidden">{t('row.folder')}</span>
          </button>
        ) : (
          <span>
            <span aria-hidden="true" className="browser-row__icon browser-row__icon--file" />
            {name}
          </span>
        )}
      </div>
      <div role="gridcell" className="cell cell--size">
        {row.kind === 'file' ? formatBytes(row.size, locale) : none}
      </div>
      <div role="gridcell" className="cell cell--date">
        {row.kind === 'file' ? formatDateTime(row.lastModified, locale) : none}
      </div>
      <div role="gridcell" className="cell cell--class">
        {row.kind === 'file' ? (row.storageClass ?? none) : none}
      </div>
    </div>
  );
}

export const ObjectRow = memo(ObjectRowImpl);

/** A row whose page has not arrived yet (the next page loads when it comes into view). */
export function PlaceholderRow({ index, top }: { index: number; top: number }) {
  const { t } = useTranslation('browser');
  return (
    <div
      className="browser-row browser-row--placeholder"
      role="row"
      aria-rowindex={index + 2}
      data-testid="browser-placeholder"
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <div role="gridcell" className="cell cell--name">
        {t('list.loadingMore')}
      </div>
    </div>
  );
}
