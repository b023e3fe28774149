/**
 * The end of a one-shot `ossync sync`: one line per pair with what its jobs did in this run
 * (stdout), then what needs the user (stderr): the pass's error, the pair's issues, the
 * conflicts of this run, deletions held back by the delete guard with how to confirm them,
 * and transfers left queued. Whether the pair came out clean decides the exit code.
 */
import type { JobStore } from '../core/db/job-store.js';
import type { SyncStore } from '../core/db/sync-store.js';
import type { PairConfig, PairStatus, SyncIssueCode } from '../core/sync/types.js';
import { formatBytes } from './byte-size.js';
import { formatOssUrl } from './oss-url.js';
import type { Output } from './output.js';
import { formatDuration, formatRate } from './progress-display.js';
import { count, describeTally, files, type PairTally } from './sync-display.js';
import { pairName } from './sync-state.js';

const SHOWN = 20;
const PAGE = 500;

/** Reports, not errors: a symbolic link or device left out, an object the pair never synced. */
export const NOTICE_CODES: readonly SyncIssueCode[] = ['skipped-special', 'remote-only'];

/** Where the pair's conflicts stood before this run (conflicts are only ever added). */
export interface ConflictMark {
  lastId: number;
  count: number;
}

export function conflictMark(sync: SyncStore, pairId: number): ConflictMark {
  let lastId = 0;
  for (;;) {
    const page = sync.conflictsPage(pairId, lastId, PAGE);
    const last = page[page.length - 1];
    if (last === undefined) break;
    lastId = last.id;
  }
  return { lastId, count: sync.countConflicts(pairId) };
}

export interface PairReport {
  pair: PairConfig;
  /** The pair's status once it settled (undefined if it never did). */
  status: PairStatus | undefined;
  tally: PairTally;
  conflicts: ConflictMark;
  seconds: number;
  /** ` --data-dir "..."` when the command named one, for the hints. */
  hint: string;
}

/** Prints the report of one pair; returns whether it is clean (nothing for the user to do). */
export function reportPair(
  output: Output,
  stores: { sync: SyncStore; jobs: JobStore },
  report: PairReport,
): boolean {
  const { pair, status, tally, hint } = report;
  const { sync, jobs } = stores;
  const problems: string[] = [];

  if (status?.state === 'error') problems.push(`  error: ${status.detail ?? 'unknown error'}`);

  let issues = 0;
  let failing = 0;
  for (let after: { path: string; code: SyncIssueCode } | undefined; ;) {
    const page = sync.issuesPage(pair.id, after, PAGE);
    for (const issue of page) {
      issues++;
      if (!NOTICE_CODES.includes(issue.code)) failing++;
      if (issues <= SHOWN) problems.push(`  ${issue.code} ${issue.path}: ${issue.message}`);
    }
    const last = page[page.length - 1];
    if (last === undefined) break;
    after = { path: last.path, code: last.code };
  }
  if (issues > SHOWN)
    problems.push(`  ... and ${issues - SHOWN} more: ossync pairs issues ${pair.id}${hint}`);

  const conflicts = sync.countConflicts(pair.id) - report.conflicts.count;
  for (const conflict of sync.conflictsPage(pair.id, report.conflicts.lastId, SHOWN))
    problems.push(
      conflict.resolution === 'local-won'
        ? `  conflict ${conflict.path}: the object had been changed by someone else and the local file replaced it${conflict.keptAs === null ? '' : `; their version is kept as ${formatOssUrl(pair.bucket, conflict.keptAs)}`}`
        : `  conflict ${conflict.path}: deleted here, but its object had been changed by someone else, so the object was kept`,
    );
  if (conflicts > SHOWN)
    problems.push(
      `  ... and ${conflicts - SHOWN} more conflicts: ossync pairs issues ${pair.id} --conflicts${hint}`,
    );

  const awaiting = sync.countPendingDeletes(pair.id);
  if (awaiting > 0) {
    const { maxFraction, maxCount } = pair.deleteGuard;
    problems.push(
      `  ${count(awaiting, 'deletion is', 'deletions are')} held back by the delete guard (it asks before deleting more than ${Math.round(maxFraction * 100)}% of the pair's files or more than ${maxCount}); nothing was deleted.`,
      `  To carry them out: ossync pairs confirm ${pair.id}${hint} (they run on the next ossync sync). To keep the objects: ossync pairs reject ${pair.id}${hint}`,
    );
  }

  const left = jobs.pairPending(pair.id).files;
  if (left > 0)
    problems.push(`  ${files(left)} still queued: the next ossync sync goes on with them`);

  const clean =
    status !== undefined &&
    status.state !== 'error' &&
    failing === 0 &&
    tally.failed === 0 &&
    conflicts === 0 &&
    awaiting === 0 &&
    left === 0;
  const parts = describeTally(tally);
  const seconds = report.seconds;
  const elapsed = seconds < 60 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
  const rate = seconds >= 0.5 && tally.bytes > 0 ? `, ${formatRate(tally.bytes / seconds)}` : '';
  const what =
    parts.length > 0
      ? `${parts.join(', ')} (${tally.bytes > 0 ? `${formatBytes(tally.bytes)} in ` : ''}${elapsed}${rate})`
      : `${clean ? 'in sync, nothing to transfer' : 'nothing transferred'} (${elapsed})`;
  output.out(`sync ${pairName(pair)}: ${what}`);
  for (const line of problems) output.err(line);
  return clean;
}
