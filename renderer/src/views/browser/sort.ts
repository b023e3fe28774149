/** Sorting the loaded rows (null: as OSS lists them, page by page in key order): folders first, then by name, size or date, either way. */
import type { BrowserRow } from './use-object-pages.js';

export const SORT_FIELDS = ['name', 'size', 'date'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export interface SortOrder {
  field: SortField;
  direction: 'asc' | 'desc';
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a: BrowserRow, b: BrowserRow, field: SortField): number {
  if (field === 'size') {
    const sa = a.kind === 'file' ? a.size : -1;
    const sb = b.kind === 'file' ? b.size : -1;
    if (sa !== sb) return sa - sb;
  } else if (field === 'date') {
    const da = a.kind === 'file' ? a.lastModified : -1;
    const db = b.kind === 'file' ? b.lastModified : -1;
    if (da !== db) return da - db;
  }
  return collator.compare(a.key, b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** A sorted copy (folders always first); null (the order OSS lists in) returns `rows`. */
export function sortRows(
  rows: readonly BrowserRow[],
  order: SortOrder | null,
): readonly BrowserRow[] {
  if (order === null) return rows;
  const sign = order.direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'folder' ? -1 : 1;
    return sign * compare(a, b, order.field);
  });
}

/** A click on a column's header: that column ascending, or the other way if it was already. */
export function nextOrder(current: SortOrder | null, field: SortField): SortOrder {
  if (current?.field === field)
    return { field, direction: current.direction === 'asc' ? 'desc' : 'asc' };
  return { field, direction: 'asc' };
}
