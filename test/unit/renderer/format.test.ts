import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../renderer/src/format.js';

describe('formatBytes', () => {
  it('says bytes with their plural in English and 字节 in Chinese', () => {
    expect(formatBytes(6, 'en')).toBe('6 bytes');
    expect(formatBytes(1, 'en')).toBe('1 byte');
    expect(formatBytes(6, 'zh-CN')).toBe('6字节');
  });

  it('keeps the short units above a kilobyte', () => {
    // 1024-based, as file managers show sizes: 2,500,000 bytes is 2.4 MB.
    expect(formatBytes(2_500_000, 'en')).toBe('2.4 MB');
  });
});
