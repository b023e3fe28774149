/**
 * The virtualizer every long list uses (Transfers, Browser, the Folders lists): fixed-height
 * rows in a scrolling element, the active row kept rendered even when scrolled away (focus
 * and aria-activedescendant need it), and row keys that change only with the rows (the
 * virtualizer remeasures every row whenever getItemKey is a new function).
 */
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useRef, type RefObject } from 'react';

export interface ListVirtualizerOptions<T> {
  scrollRef: RefObject<HTMLElement | null>;
  /** Rows loaded so far; `count` may exceed them (placeholders for what is loading). */
  rows: readonly T[];
  count: number;
  rowHeight: number;
  overscan: number;
  /** The row that must stay rendered. */
  active: number;
  /** A stable key for a row; may be an inline function (it is read through a ref). */
  keyOf: (row: T) => string;
}

export function useListVirtualizer<T>(options: ListVirtualizerOptions<T>) {
  const { scrollRef, rows, count, rowHeight, overscan, active } = options;
  const keyOf = useRef(options.keyOf);
  keyOf.current = options.keyOf;
  return useVirtualizer({
    // React 19 batches the scroll updates itself; flushSync from a scroll handler only
    // warns ("flushSync was called from inside a lifecycle method").
    useFlushSync: false,
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan,
    rangeExtractor: useCallback(
      (range: Range) => {
        const indexes = defaultRangeExtractor(range);
        if (active < range.count && !indexes.includes(active)) {
          indexes.push(active);
          indexes.sort((a, b) => a - b);
        }
        return indexes;
      },
      [active],
    ),
    getItemKey: useCallback(
      (index: number) => {
        const row = rows[index];
        return row === undefined ? `placeholder-${index}` : keyOf.current(row);
      },
      [rows],
    ),
  });
}
