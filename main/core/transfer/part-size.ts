/** OSS allows at most 10,000 parts; every part but the last must be at least 100 KB. */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 100 * 1024;
const ALIGN = 1024 * 1024;

/**
 * The part size for a file: the preferred size, raised (to a whole MiB) when the file would
 * otherwise need more than 10,000 parts.
 */
export function choosePartSize(fileSize: number, preferred: number): number {
  const needed = Math.ceil(fileSize / MAX_PARTS);
  const floor = Math.max(preferred, MIN_PART_SIZE);
  return needed <= floor ? floor : Math.ceil(needed / ALIGN) * ALIGN;
}

export function partCount(fileSize: number, partSize: number): number {
  return Math.max(1, Math.ceil(fileSize / partSize));
}
