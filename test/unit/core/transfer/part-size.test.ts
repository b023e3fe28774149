import { describe, expect, it } from 'vitest';
import {
  MAX_PARTS,
  MIN_PART_SIZE,
  choosePartSize,
  partCount,
} from '../../../../main/core/transfer/part-size.js';

const MiB = 1024 * 1024;

describe('choosePartSize', () => {
  it('keeps the preferred size while the file fits in 10,000 parts', () => {
    expect(choosePartSize(8 * MiB, 8 * MiB)).toBe(8 * MiB);
    expect(choosePartSize(10_000 * 8 * MiB, 8 * MiB)).toBe(8 * MiB);
  });

  it('never goes below the OSS minimum part size', () => {
    expect(choosePartSize(5 * MiB, 10 * 1024)).toBe(MIN_PART_SIZE);
  });

  it('raises the size to a whole MiB when the file would need more than 10,000 parts', () => {
    const size = 10_000 * 8 * MiB + 1;
    const partSize = choosePartSize(size, 8 * MiB);
    expect(partSize).toBe(9 * MiB);
    expect(partCount(size, partSize)).toBeLessThanOrEqual(MAX_PARTS);
    for (const fileSize of [48.8 * 1024 ** 4, 1024 ** 4 + 7, 10_001 * MIN_PART_SIZE]) {
      const chosen = choosePartSize(Math.floor(fileSize), MIN_PART_SIZE);
      expect(partCount(Math.floor(fileSize), chosen)).toBeLessThanOrEqual(MAX_PARTS);
    }
  });

  it('counts at least one part, also for an empty file', () => {
    expect(partCount(0, MiB)).toBe(1);
    expect(partCount(MiB + 1, MiB)).toBe(2);
  });
});
