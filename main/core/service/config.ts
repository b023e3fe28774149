/** Service helpers: account endpoints, limits between contract and engine, test problems. */
import type { TransferLimits } from '../../../shared/contract/index.js';
import type { EngineLimits } from '../transfer/engine.js';

/** A region id from an Aliyun endpoint (`https://oss-cn-hangzhou.aliyuncs.com`). */
export function regionOfEndpoint(endpoint: string): string | undefined {
  const host = new URL(endpoint).hostname;
  return /^(oss-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/.exec(host)?.[1];
}

/** Loopback and IP endpoints (the local server, a gateway) get path-style requests. */
export function wantsPathStyle(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || /^[0-9.]+$/.test(host) || host.startsWith('[');
}

export function limitsToDto(limits: EngineLimits): TransferLimits {
  return {
    maxFiles: limits.maxFiles,
    maxPartsPerFile: limits.maxPartsPerFile,
    maxParts: limits.maxParts,
    uploadBytesPerSecond: limits.uploadBytesPerSecond ?? null,
    downloadBytesPerSecond: limits.downloadBytesPerSecond ?? null,
  };
}

export function limitsToEngine(limits: TransferLimits): EngineLimits {
  return {
    maxFiles: limits.maxFiles,
    maxPartsPerFile: limits.maxPartsPerFile,
    maxParts: limits.maxParts,
    uploadBytesPerSecond: limits.uploadBytesPerSecond ?? undefined,
    downloadBytesPerSecond: limits.downloadBytesPerSecond ?? undefined,
  };
}

export const PROBLEMS = {
  'invalid-access-key': 'wrong-key',
  'signature-mismatch': 'wrong-secret',
  'token-expired': 'token-expired',
  'clock-skew': 'clock-skew',
  network: 'unreachable',
  timeout: 'unreachable',
  'no-such-bucket': 'no-such-bucket',
  'access-denied': 'access-denied',
} as const;
