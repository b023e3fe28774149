import { InvalidArgumentError, type Command } from 'commander';
import type { SyncIssueCode } from '../../core/sync/types.js';
import { SYNC_ISSUE_CODES } from '../../core/sync/types.js';
import { pairStatus } from '../../core/sync/pair-runner.js';
import { formatBytes } from '../byte-size.js';
import { usageError } from '../cli-error.js';
import { formatOssUrl } from '../oss-url.js';
import { processOutput, type Output } from '../output.js';
import {
  addPairOptions,
  describeMode,
  newPair,
  parsePairTarget,
  resolveFolder,
  type PairFlags,
} from '../pair-options.js';
import {
  dataDirHint,
  getPair,
  openPairsState,
  pairId,
  pairName,
  pairSettingError,
  pairUrl,
  type PairsState,
} from '../sync-state.js';
import { count } from '../sync-display.js';
import { addDataDirOption } from '../transfer-options.js';
import { resolveDataDir } from './jobs.js';

interface DataDirFlags {
  dataDir?: string;
}

interface IssuesFlags extends DataDirFlags {
  conflicts?: boolean;
  limit: number;
  after?: string;
  json?: boolean;
}

const NOT_RUNNING = { running: false, error: null, watchDetail: null, watching: 'off' } as const;
/** Sorts after every issue code: `(path, LAST_CODE)` is past every issue of `path`. */
const LAST_CODE = [...SYNC_ISSUE_CODES].sort().at(-1) as SyncIssueCode;

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('Expected a whole number, at least 1.');
  return n;
}

function isoTime(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Runs `action` on the pairs of the data directory. `write` takes the data directory's
 * lock (no sync may run meanwhile) and creates the database if needed; a read on a data
 * directory without one prints `empty` and creates nothing.
 */
async function withPairs(
  flags: DataDirFlags,
  write: boolean,
  action: (state: PairsState, context: { output: Output; hint: string }) => void | Promise<void>,
): Promise<void> {
  const output = processOutput();
  const dataDir = resolveDataDir(flags.dataDir);
  const state = openPairsState(dataDir, write);
  if (state === undefined) {
    output.out(`no folder pairs: nothing was set up in ${dataDir} yet`);
    return;
  }
  try {
    await action(state, { output, hint: dataDirHint(flags.dataDir, dataDir) });
  } catch (error) {
    throw pairSettingError(error);
  } finally {
    await state.close();
  }
}

export function registerPairs(program: Command): void {
  const pairs = addDataDirOption(
    program
      .command('pairs')
      .description(
        'the folder pairs kept in the data directory (no credentials needed; ossync sync runs them)',
      ),
  )
    // Subcommands take --data-dir from here, wherever it is written on the command line.
    .configureHelp({ showGlobalOptions: true });
  const globals = (command: Command): DataDirFlags => command.optsWithGlobals<DataDirFlags>();

  addPairOptions(
    pairs
      .command('add')
      .description('store a pair of FOLDER and oss://BUCKET/PREFIX/ (ossync sync runs it)')
      .argument('<folder>', 'the local folder')
      .argument('<destination>', 'oss://BUCKET/PREFIX/'),
  ).action(async (folder: string, destination: string, flags: PairFlags, command: Command) => {
    const target = parsePairTarget(destination);
    const root = resolveFolder(folder);
    await withPairs(globals(command), true, ({ manager }, { output, hint }) => {
      const pair = manager.addPair(newPair(root, target, flags));
      output.out(
        `added ${pairName(pair)}: ${describeMode(pair)}; ossync sync ${JSON.stringify(pair.localRoot)} ${pairUrl(pair)}${hint} runs it`,
      );
    });
  });

  pairs
    .command('list')
    .description('every pair with its settings, state and counters')
    .option('--json', 'one JSON object per line')
    .action(async (flags: { json?: boolean }, command: Command) => {
      await withPairs(globals(command), false, (state, { output, hint }) =>
        listPairs(state, output, flags.json === true, hint),
      );
    });

  pairs
    .command('remove')
    .description('forget a pair; its files and objects stay where they are')
    .argument('<id>', 'pair id', pairId)
    .action(async (id: number, _flags: unknown, command: Command) => {
      await withPairs(
        globals(command),
        true,
        async ({ manager, sync, jobs, engine }, { output }) => {
          const pair = getPair(sync, id);
          // SyncManager.removePair cancels one page of the pair's unfinished jobs: all pages first.
          let cancelled = 0;
          for (
            let page = jobs.unfinishedJobsOfPair(id);
            page.length > 0;
            page = jobs.unfinishedJobsOfPair(id)
          )
            for (const jobId of page) {
              await engine.cancel(jobId);
              cancelled++;
            }
          await manager.removePair(id);
          output.out(
            `removed ${pairName(pair)}. Nothing was deleted: the files in ${pair.localRoot} and the objects under ${pairUrl(pair)} (its .ossync-trash/ and .ossync-conflicts/ included) stay as they are.`,
          );
          if (cancelled > 0)
            output.out(
              `${count(cancelled, 'unfinished transfer was', 'unfinished transfers were')} of the pair cancelled.`,
            );
        },
      );
    });

  pairs
    .command('pause')
    .description('stop syncing a pair until it is resumed')
    .argument('<id>', 'pair id', pairId)
    .action(async (id: number, _flags: unknown, command: Command) => {
      await withPairs(globals(command), true, ({ manager, sync }, { output, hint }) => {
        const pair = getPair(sync, id);
        manager.pause(id);
        output.out(
          `paused ${pairName(pair)}: ossync sync leaves it alone until ossync pairs resume ${id}${hint}`,
        );
      });
    });

  pairs
    .command('resume')
    .description('sync a paused pair again')
    .argument('<id>', 'pair id', pairId)
    .action(async (id: number, _flags: unknown, command: Command) => {
      await withPairs(globals(command), true, ({ manager, sync }, { output }) => {
        const pair = getPair(sync, id);
        manager.resume(id);
        output.out(`resumed ${pairName(pair)}: the next ossync sync syncs it`);
      });
    });

  pairs
    .command('confirm')
    .description('carry out the deletions the delete guard held back (on the next ossync sync)')
    .argument('<id>', 'pair id', pairId)
    .action(async (id: number, _flags: unknown, command: Command) => {
      await withPairs(globals(command), true, ({ manager, sync }, { output, hint }) => {
        const pair = getPair(sync, id);
        const queued = manager.confirmDeletes(id);
        if (queued === 0) {
          output.out(`${pairName(pair)} has no deletions awaiting confirmation`);
          return;
        }
        const how =
          pair.deleteMode === 'trash'
            ? `moved under ${pairUrl(pair)}.ossync-trash/`
            : 'deleted permanently';
        output.out(
          `queued ${count(queued, 'deletion')} of ${pairName(pair)} (the objects are ${how}); they run on the next ossync sync${hint}`,
        );
      });
    });

  pairs
    .command('reject')
    .description('keep the objects the delete guard held back from deletion')
    .argument('<id>', 'pair id', pairId)
    .action(async (id: number, _flags: unknown, command: Command) => {
      await withPairs(globals(command), true, ({ manager, sync }, { output }) => {
        const pair = getPair(sync, id);
        const kept = manager.rejectDeletes(id);
        output.out(
          kept === 0
            ? `${pairName(pair)} has no deletions awaiting confirmation`
            : `kept ${count(kept, 'object')} under ${pairUrl(pair)}: the pair no longer counts them as synced, so no later sync deletes them`,
        );
      });
    });

  pairs
    .command('issues')
    .description(
      "a pair's issues (paths it could not sync, reports), or with --conflicts its conflicts",
    )
    .argument('<id>', 'pair id', pairId)
    .option('--conflicts', 'list the conflicts instead')
    .option('--limit <n>', 'entries shown', positive, 50)
    .option('--after <cursor>', 'the page after this path (issues) or conflict id (--conflicts)')
    .option('--json', 'one JSON object per line')
    .action(async (id: number, flags: IssuesFlags, command: Command) => {
      await withPairs(globals(command), false, (state, { output, hint }) =>
        listIssues(state, output, id, flags, hint),
      );
    });
}

function listPairs(state: PairsState, output: Output, json: boolean, hint: string): void {
  const { sync, jobs, engine } = state;
  let listed = 0;
  for (let after = 0; ;) {
    const page = sync.listPairs(after, 100);
    const last = page[page.length - 1];
    if (last === undefined) break;
    after = last.id;
    for (const pair of page) {
      listed++;
      const status = pairStatus({ sync, jobs, engine }, pair, NOT_RUNNING);
      const { counters } = status;
      if (json) {
        output.out(
          JSON.stringify({
            id: pair.id,
            folder: pair.localRoot,
            url: pairUrl(pair),
            mode: pair.mode,
            deleteMode: pair.deleteMode,
            ignore: pair.ignore,
            followSymlinks: pair.followSymlinks,
            paused: pair.paused,
            state: status.state,
            lastSyncedAt: counters.lastSyncedAt === null ? null : isoTime(counters.lastSyncedAt),
            filesPending: counters.filesPending,
            bytesPending: counters.bytesPending,
            issues: counters.errors,
            conflicts: counters.conflicts,
            deletesAwaiting: counters.deletesAwaiting,
          }),
        );
        continue;
      }
      output.out(`pair ${pair.id}: ${pair.localRoot} <-> ${pairUrl(pair)}`);
      const settings = [describeMode(pair)];
      if (pair.ignore.length > 0) settings.push(`ignoring ${pair.ignore.join(', ')}`);
      if (pair.followSymlinks) settings.push('following symbolic links');
      output.out(`  ${settings.join(', ')}`);
      output.out(
        `  ${status.state.replace(/-/g, ' ')}, last synced ${counters.lastSyncedAt === null ? 'never' : isoTime(counters.lastSyncedAt)}`,
      );
      output.out(
        `  ${counters.filesPending} pending (${formatBytes(counters.bytesPending)}), ${counters.errors} with issues, ${count(counters.conflicts, 'conflict')}, ${count(counters.deletesAwaiting, 'deletion')} awaiting confirmation`,
      );
      if (counters.deletesAwaiting > 0)
        output.out(
          `  ossync pairs confirm ${pair.id}${hint} carries the deletions out on the next sync; ossync pairs reject ${pair.id}${hint} keeps the objects`,
        );
    }
  }
  if (listed === 0 && !json)
    output.out('no folder pairs yet: ossync pairs add FOLDER oss://BUCKET/PREFIX/ sets one up');
}

function listIssues(
  state: PairsState,
  output: Output,
  id: number,
  flags: IssuesFlags,
  hint: string,
): void {
  const { sync } = state;
  const pair = getPair(sync, id);
  const json = flags.json === true;
  if (flags.conflicts) {
    const after = flags.after === undefined ? 0 : Number(flags.after);
    if (!Number.isSafeInteger(after) || after < 0)
      throw usageError(
        `--after with --conflicts takes a conflict id, not ${JSON.stringify(flags.after)}.`,
      );
    if (!json) output.out(`${pairName(pair)}: ${count(sync.countConflicts(id), 'conflict')}`);
    const page = sync.conflictsPage(id, after, flags.limit);
    for (const conflict of page) {
      const kept = conflict.keptAs === null ? null : formatOssUrl(pair.bucket, conflict.keptAs);
      if (json) output.out(JSON.stringify({ ...conflict, keptAs: kept, at: isoTime(conflict.at) }));
      else
        output.out(
          `  #${conflict.id}  ${isoTime(conflict.at)}  ${conflict.resolution === 'local-won' ? 'local won' : 'remote kept'}  ${conflict.path}${kept === null ? '' : `  (their version: ${kept})`}`,
        );
    }
    const last = page[page.length - 1];
    if (!json && last !== undefined && sync.conflictsPage(id, last.id, 1).length > 0)
      output.out(`  more: ossync pairs issues ${id} --conflicts --after ${last.id}${hint}`);
    return;
  }
  if (!json)
    output.out(
      `${pairName(pair)}: ${count(sync.countIssues(id), 'path')} with issues, ${count(sync.countConflicts(id), 'conflict')}`,
    );
  const after = flags.after === undefined ? undefined : { path: flags.after, code: LAST_CODE };
  const page = sync.issuesPage(id, after, flags.limit);
  // A page ends after a whole path: the next one starts --after it.
  const cut = page[page.length - 1];
  if (cut !== undefined)
    page.push(
      ...sync
        .issuesPage(id, { path: cut.path, code: cut.code }, SYNC_ISSUE_CODES.length)
        .filter((issue) => issue.path === cut.path),
    );
  for (const issue of page) {
    if (json) output.out(JSON.stringify({ ...issue, at: isoTime(issue.at) }));
    else output.out(`  ${isoTime(issue.at)}  ${issue.code}  ${issue.path}: ${issue.message}`);
  }
  const last = page[page.length - 1];
  if (json || last === undefined) return;
  const more = sync.issuesPage(id, { path: last.path, code: last.code }, 1);
  if (more.length > 0)
    output.out(`  more: ossync pairs issues ${id} --after ${JSON.stringify(last.path)}${hint}`);
}
