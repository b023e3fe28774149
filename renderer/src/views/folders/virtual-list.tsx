/**
 * A virtualized, paged list in the ARIA feed pattern: only the rows in view are in the DOM
 * (TanStack Virtual), the next page is asked for as the end of what is loaded comes into
 * view, and the keyboard moves between rows (arrows, Page Up/Down, Home, End) with a roving
 * tab stop, so one Tab enters the list and the next leaves it.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { navigationTarget } from '../../components/list-keys.js';
import { useListVirtualizer } from '../../components/use-list-virtualizer.js';

/** Start loading the next page when this many loaded rows are left below the window. */
const PREFETCH_ROWS = 30;

export interface VirtualListProps<T> {
  items: readonly T[];
  /** All items when known (the list's size and aria-setsize), else null. */
  total: number | null;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  itemKey: (item: T) => string;
  renderItem: (item: T, index: number) => ReactNode;
  /** The accessible name of the list. */
  label: string;
  rowHeight: number;
  /** For tests and styling. */
  testId?: string;
  className?: string;
  /** Told when the keyboard or a click makes a row the current one. */
  onActiveChange?: (item: T | undefined, index: number) => void;
  /** The text of a row still loading. */
  loadingRowLabel: string;
  /** Enter on a row (opens its details, for example). */
  onActivate?: (item: T, index: number) => void;
}

export function VirtualList<T>({
  items,
  total,
  hasNextPage,
  isFetchingNextPage,
  fetchNextPage,
  itemKey,
  renderItem,
  label,
  rowHeight,
  testId,
  className,
  onActiveChange,
  loadingRowLabel,
  onActivate,
}: VirtualListProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const baseId = useId();
  const [active, setActive] = useState(0);
  /** The row to focus once it is rendered (after a keyboard move). */
  const focusTarget = useRef<number | null>(null);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  const count = hasNextPage ? Math.max(total ?? 0, items.length + 1) : items.length;
  const current = Math.min(active, Math.max(0, count - 1));

  const virtualizer = useListVirtualizer({
    scrollRef,
    rows: items,
    count,
    rowHeight,
    overscan: 6,
    active: current,
    keyOf: itemKey,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems.at(-1)?.index ?? -1;

  useEffect(() => {
    if (!hasNextPage || isFetchingNextPage) return;
    if (lastIndex >= items.length - PREFETCH_ROWS) void fetchNextPage();
  }, [lastIndex, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const rowId = (index: number) => `${baseId}-row-${index}`;

  useEffect(() => {
    const target = focusTarget.current;
    if (target === null) return;
    const element = document.getElementById(rowId(target));
    if (element === null) return;
    focusTarget.current = null;
    element.focus();
  });

  const moveTo = (index: number) => {
    const target = Math.min(Math.max(0, index), Math.max(0, count - 1));
    setActive(target);
    focusTarget.current = target;
    virtualizer.scrollToIndex(target, { align: 'auto' });
    onActiveChange?.(itemsRef.current[target], target);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Enter' && onActivate !== undefined) {
      const item = itemsRef.current[current];
      if (item !== undefined && (event.target as HTMLElement).getAttribute('role') === 'article') {
        event.preventDefault();
        onActivate(item, current);
      }
      return;
    }
    const target = navigationTarget(event.key, current, count);
    if (target === undefined) return;
    event.preventDefault();
    moveTo(target);
  };

  return (
    <div
      className={`vlist${className !== undefined ? ` ${className}` : ''}`}
      ref={scrollRef}
      data-testid={testId}
      // As tall as the rows (plus the border), up to the CSS max-height, so a short list
      // takes little room.
      style={{ height: virtualizer.getTotalSize() + 2 }}
    >
      <div
        role="feed"
        aria-label={label}
        aria-busy={isFetchingNextPage}
        className="vlist__sizer"
        style={{ height: virtualizer.getTotalSize() }}
        onKeyDown={onKeyDown}
      >
        {virtualItems.map((row) => {
          const item = items[row.index];
          const isCurrent = row.index === current;
          return (
            <div
              key={row.key}
              id={rowId(row.index)}
              role="article"
              className={`vlist__row${isCurrent ? ' is-active' : ''}`}
              tabIndex={isCurrent ? 0 : -1}
              aria-posinset={row.index + 1}
              aria-setsize={total ?? (hasNextPage ? -1 : items.length)}
              style={{ transform: `translateY(${row.start}px)`, height: rowHeight }}
              onFocus={() => {
                if (row.index !== current) {
                  setActive(row.index);
                  onActiveChange?.(item, row.index);
                }
              }}
            >
              {item === undefined ? (
                <span className="vlist__placeholder">{loadingRowLabel}</span>
              ) : (
                renderItem(item, row.index)
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
