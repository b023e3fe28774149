/**
 * How the scan worker hands its results to the main thread: batches of packed columns (the
 * key paths as one joined string; sizes, mtimes and inodes in typed arrays that are
 * transferred, not copied), about 1,000 items each. Each batch spends a credit; without one
 * the worker sleeps on Atomics.wait until the consumer takes a batch, so a slow consumer
 * never makes the worker buffer the tree.
 */
import type { BigIntStats } from 'node:fs';
import type { ScanSummary } from './scanner.js';
import type { SyncIssue } from './types.js';

export interface ScanWorkerData {
  root: string;
  /** Normalised. */
  prefix: string;
  patterns: string[];
  followSymlinks: boolean;
  scope: string[] | undefined;
  ignoreCase: boolean | undefined;
  batchSize: number;
  /** Int32Array view: [CREDITS, ABORTED]. */
  control: SharedArrayBuffer;
}

/** Indexes into the control array. */
export const CREDITS = 0;
export const ABORTED = 1;

/** A batch with anything in it is sent after this long even if not full (progress). */
const FLUSH_AFTER_MS = 250;

export type ScanExtra =
  { type: 'issue'; issue: SyncIssue } | { type: 'unknown'; path: string; subtree: boolean };

export interface ScanBatchMessage {
  type: 'batch';
  count: number;
  /** Key paths of the files, joined by '\n' (which no valid key contains). */
  paths: string;
  /** [index, fsPath, ...] for files whose on-disk path is not their key path. */
  fsPaths: (number | string)[];
  sizes: Float64Array;
  mtimes: BigInt64Array;
  inos: BigUint64Array;
  /** Issues and unknowns, each before the file at index `at`. */
  extras: { at: number; item: ScanExtra }[];
  summary: ScanSummary;
}

export type ScanWorkerMessage =
  | ScanBatchMessage
  | { type: 'done'; summary: ScanSummary }
  | {
      type: 'failed';
      code: string | undefined;
      syscall: string | undefined;
      message: string;
      /** The message is written for the user. */
      final: boolean;
    };

/** Thrown through the walk when the main thread gave up on the scan. */
export class Aborted extends Error {}

export class BatchWriter {
  readonly summary: ScanSummary = {
    files: 0,
    folders: 0,
    bytes: 0,
    issues: 0,
    unknown: 0,
    ignored: 0,
  };
  private readonly control: Int32Array;
  private readonly size: number;
  private count = 0;
  private paths: string[] = [];
  private fsPaths: (number | string)[] = [];
  private sizes: Float64Array;
  private mtimes: BigInt64Array;
  private inos: BigUint64Array;
  private extras: { at: number; item: ScanExtra }[] = [];
  private lastFlush = performance.now();

  constructor(
    data: ScanWorkerData,
    private readonly post: (message: ScanWorkerMessage, transfer?: ArrayBuffer[]) => void,
  ) {
    this.control = new Int32Array(data.control);
    this.size = data.batchSize;
    this.sizes = new Float64Array(this.size);
    this.mtimes = new BigInt64Array(this.size);
    this.inos = new BigUint64Array(this.size);
  }

  /** `fsPath`: only when the on-disk path is not the key path. */
  file(path: string, fsPath: string | undefined, stats: BigIntStats): void {
    const i = this.count++;
    this.paths.push(path);
    if (fsPath !== undefined) this.fsPaths.push(i, fsPath);
    const size = Number(stats.size);
    this.sizes[i] = size;
    this.mtimes[i] = stats.mtimeNs;
    this.inos[i] = stats.ino;
    this.summary.files++;
    this.summary.bytes += size;
    if (this.count + this.extras.length >= this.size) this.flush();
  }

  issue(path: string, code: SyncIssue['code'], message: string): void {
    this.summary.issues++;
    this.extra({ type: 'issue', issue: { path, code, message } });
  }

  unknown(path: string, subtree: boolean): void {
    this.summary.unknown++;
    this.extra({ type: 'unknown', path, subtree });
  }

  /** Between folders: stops if aborted, and sends a partial batch that waited too long. */
  checkpoint(): void {
    if (Atomics.load(this.control, ABORTED) !== 0) throw new Aborted();
    if (this.count + this.extras.length > 0 && performance.now() - this.lastFlush > FLUSH_AFTER_MS)
      this.flush();
  }

  finish(): void {
    this.flush();
    this.post({ type: 'done', summary: { ...this.summary } });
  }

  fail(
    code: string | undefined,
    syscall: string | undefined,
    message: string,
    final = false,
  ): never {
    this.post({ type: 'failed', code, syscall, message, final });
    throw new Aborted();
  }

  private extra(item: ScanExtra): void {
    this.extras.push({ at: this.count, item });
    if (this.count + this.extras.length >= this.size) this.flush();
  }

  /** Sends the batch once the consumer has granted a credit for it. */
  private flush(): void {
    this.lastFlush = performance.now();
    if (this.count === 0 && this.extras.length === 0) return;
    const control = this.control;
    for (;;) {
      if (Atomics.load(control, ABORTED) !== 0) throw new Aborted();
      const credits = Atomics.load(control, CREDITS);
      if (credits > 0) {
        Atomics.sub(control, CREDITS, 1);
        break;
      }
      // Woken by the consumer's notify; the timeout only re-checks the abort flag.
      Atomics.wait(control, CREDITS, credits, 1000);
    }
    const message: ScanBatchMessage = {
      type: 'batch',
      count: this.count,
      paths: this.paths.join('\n'),
      fsPaths: this.fsPaths,
      sizes: this.sizes,
      mtimes: this.mtimes,
      inos: this.inos,
      extras: this.extras,
      summary: { ...this.summary },
    };
    this.post(message, [this.sizes.buffer, this.mtimes.buffer, this.inos.buffer] as ArrayBuffer[]);
    this.count = 0;
    this.paths = [];
    this.fsPaths = [];
    this.extras = [];
    this.sizes = new Float64Array(this.size);
    this.mtimes = new BigInt64Array(this.size);
    this.inos = new BigUint64Array(this.size);
    this.lastFlush = performance.now();
  }
}
