/**
 * The row a navigation key moves to in a list of `count` rows: arrows by one, Page Up/Down
 * by a page, Home and End to the ends (the caller clamps and scrolls). Undefined for any
 * other key. Shared by the virtualized lists (Transfers, Browser, the Folders lists).
 */
export const PAGE_STEP = 10;

export function navigationTarget(
  key: string,
  current: number,
  count: number,
  pageStep: number = PAGE_STEP,
): number | undefined {
  switch (key) {
    case 'ArrowDown':
      return current + 1;
    case 'ArrowUp':
      return current - 1;
    case 'PageDown':
      return current + pageStep;
    case 'PageUp':
      return current - pageStep;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}
