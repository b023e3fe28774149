import { Option, type Command } from 'commander';
import type { SyncStore } from '../../core/db/sync-store.js';
import type { PairConfig } from '../../core/sync/types.js';
import { usageError } from '../cli-error.js';
import type { Output } from '../output.js';
import { processOutput } from '../output.js';
import {
  addPairOptions,
  describeMode,
  newPair,
  pairChanges,
  parsePairTarget,
  resolveFolder,
  type PairFlags,
} from '../pair-options.js';
import { runSync, type PairChoice, type WatchBackend } from '../sync-run.js';
import { pairName, pairUrl } from '../sync-state.js';
import { addTransferOptions, type TransferFlags } from '../transfer-options.js';

interface SyncFlags extends TransferFlags, PairFlags {
  all?: boolean;
  watch?: boolean;
  backend: WatchBackend;
}

const BACKENDS: readonly WatchBackend[] = ['auto', 'parcel', 'chokidar', 'chokidar-polling'];

export function registerSync(program: Command): void {
  addTransferOptions(
    addPairOptions(
      program
        .command('sync')
        .description(
          'sync FOLDER with oss://BUCKET/PREFIX/: one pass, or continuously with --watch. The pair is stored on first use; its options given again change it',
        )
        .argument('[folder]', 'the local folder')
        .argument('[destination]', 'oss://BUCKET/PREFIX/')
        .option('--all', 'sync every stored pair (ossync pairs list)')
        .option('--watch', 'keep syncing every change until Ctrl+C or SIGTERM')
        .addOption(
          new Option(
            '--backend <name>',
            'with --watch: how the folder is watched (auto: parcel, else chokidar; chokidar-polling for network shares)',
          )
            .choices(BACKENDS)
            .default('auto'),
        ),
    ),
  ).action(
    async (folder: string | undefined, destination: string | undefined, flags: SyncFlags) => {
      process.exitCode = await syncCommand(folder, destination, flags, processOutput());
    },
  );
}

function hasPairFlags(flags: PairFlags): boolean {
  return (
    flags.mode !== undefined ||
    flags.deleteMode !== undefined ||
    flags.ignore !== undefined ||
    flags.followSymlinks !== undefined
  );
}

async function syncCommand(
  folder: string | undefined,
  destination: string | undefined,
  flags: SyncFlags,
  output: Output,
): Promise<number> {
  const common = { named: !flags.all, watch: flags.watch === true, backend: flags.backend };
  if (flags.all) {
    if (folder !== undefined)
      throw usageError('--all syncs every stored pair: give no folder or oss:// URL with it.');
    if (hasPairFlags(flags))
      throw usageError(
        '--mode, --delete-mode, --ignore and --follow-symlinks set up one pair: give them with its folder and oss:// URL.',
      );
    return runSync({ ...common, select: allPairs }, flags, output);
  }
  if (folder === undefined || destination === undefined)
    throw usageError(
      'Give the folder and where to sync it, like: ossync sync photos oss://BUCKET/photos/ (or --all for every stored pair).',
    );
  // Checked before the account and the data directory: a typo fails fast and clearly.
  const target = parsePairTarget(destination);
  const root = resolveFolder(folder);
  return runSync(
    {
      ...common,
      select: async (choice) => [await pairFor(choice, { folder, root, target, flags })],
    },
    flags,
    output,
  );
}

function allPairs({ sync, output }: PairChoice): Promise<PairConfig[]> {
  const pairs: PairConfig[] = [];
  for (let after = 0; ;) {
    const page = sync.listPairs(after, 100);
    const last = page[page.length - 1];
    if (last === undefined) break;
    pairs.push(...page);
    after = last.id;
  }
  if (pairs.length === 0)
    output.err(
      'no folder pairs yet: ossync sync FOLDER oss://BUCKET/PREFIX/ (or ossync pairs add) sets one up',
    );
  return Promise.resolve(pairs);
}

/** The pair of this folder: found (and changed as the flags say) or created. */
async function pairFor(
  { manager, sync, remote, output }: PairChoice,
  args: {
    folder: string;
    root: string;
    target: { bucket: string; prefix: string };
    flags: PairFlags;
  },
): Promise<PairConfig> {
  const { folder, root, target, flags } = args;
  const existing = findByRoot(sync, root);
  if (existing === undefined) {
    // A bucket that is missing or out of reach fails here, before a pair that cannot work is stored.
    await remote.listPage(target.bucket, { prefix: target.prefix, maxKeys: 1 });
    const pair = manager.addPair(newPair(root, target, flags));
    output.out(`added ${pairName(pair)}: ${describeMode(pair)}`);
    return pair;
  }
  if (existing.bucket !== target.bucket || existing.prefix !== target.prefix)
    throw usageError(
      `${folder} is already synced with ${pairUrl(existing)} (pair ${existing.id}): sync it with that URL, or remove the pair first (ossync pairs remove ${existing.id}; no file or object is deleted).`,
    );
  const { patch, changes } = pairChanges(existing, flags);
  if (changes.length === 0) return existing;
  const updated = sync.updatePair(existing.id, patch) ?? existing;
  output.out(`changed pair ${existing.id}: ${changes.join(', ')}`);
  return updated;
}

/** Every page of pairs (SyncManager.listPairs returns the first one only). */
function findByRoot(sync: SyncStore, root: string): PairConfig | undefined {
  for (let after = 0; ;) {
    const page = sync.listPairs(after, 500);
    const last = page[page.length - 1];
    if (last === undefined) return undefined;
    const found = page.find((pair) => pair.localRoot === root);
    if (found) return found;
    after = last.id;
  }
}
