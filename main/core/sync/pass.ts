import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import type { JobStore } from '../db/job-store.js';
import type { NewJob } from '../db/job-types.js';
import type { SyncStore } from '../db/sync-store.js';
import { CoreError, isCoreError } from '../errors.js';
import type { Crc64Pool } from '../hash/crc64-pool.js';
import type { RemoteStore } from '../remote/remote-store.js';
import type { TransferEngine } from '../transfer/engine.js';
import { createIgnoreMatcher } from './ignore-rules.js';
import { mergeSides, type LocalItem, type Triple } from './merge.js';
import { contentNeeded, plan, type PlanAction } from './planner.js';
import { listRemote } from './remote-listing.js';
import { findRename } from './renames.js';
import { coveredBy, listFolders, listedFolders } from './scoped-listing.js';
import { scanLocal } from './scanner.js';
import { normalizeScope, scopeRanges, type Scope } from './scope.js';
import { conflictKey, isSpecialPath } from './special-keys.js';
import type { StabilityGate } from './stability.js';
import type { JournalEntry, LocalEntry, PairConfig, RemoteEntry, SyncIssue } from './types.js';

/** Jobs and journal writes go to SQLite in transactions of this many. */
const FLUSH = 500;
const JOURNAL_PAGE = 1000;

export interface PassDeps {
  sync: SyncStore;
  jobs: JobStore;
  engine: TransferEngine;
  remote: RemoteStore;
  crc: Crc64Pool;
  stability: StabilityGate;
  now: () => number;
}

export interface PassRequest {
  pair: PairConfig;
  scope: Scope;
  /** List the remote side (start and periodic passes); otherwise HEAD where it matters. */
  listRemote: boolean;
  /** The jobs of this pass are added with this batch id. */
  batch: string;
  signal?: AbortSignal;
}

export interface PassResult {
  uploads: number;
  copies: number;
  records: number;
  forgets: number;
  /** Deletions planned in this pass (held in the pending table until the guard allows). */
  deletes: number;
  conflicts: number;
  issues: number;
  /** Files not stable yet: rescan each at its time. */
  deferred: { path: string; at: number }[];
  /** Paths with an unfinished job: rescan when it ends. */
  busy: string[];
}

/**
 * One reconcile pass over a scope of a pair: merge the local scan, the remote listing (or
 * HEADs) and the journal; plan each path; queue jobs, write the journal where nothing needs
 * to move, and hold deletions in the pending table for the guard. Nothing here waits for a
 * transfer: the engine works through the batch while the pass goes on.
 */
export async function runPass(deps: PassDeps, request: PassRequest): Promise<PassResult> {
  return new Pass(deps, request).run();
}

class Pass {
  private readonly pair: PairConfig;
  private readonly result: PassResult = {
    uploads: 0,
    copies: 0,
    records: 0,
    forgets: 0,
    deletes: 0,
    conflicts: 0,
    issues: 0,
    deferred: [],
    busy: [],
  };
  private jobs: NewJob[] = [];
  private deletes: { path: string; etag: string; size: number }[] = [];
  private readonly forgets: string[] = [];
  /** Old paths of renames found in this pass: their objects move, they are not deleted. */
  private readonly movedFrom = new Set<string>();
  private readonly ignore;
  /** The pair had unfinished jobs when the pass started (no path can be busy otherwise). */
  private mayBeBusy = true;
  /** The journal had rows when the pass started (a new file can be a rename only then). */
  private mayBeRenamed = true;
  /** When the pass began: a job that ended since may have changed one side after it was read. */
  private startedAt = 0;

  constructor(
    private readonly deps: PassDeps,
    private readonly request: PassRequest,
  ) {
    this.pair = request.pair;
    this.ignore = createIgnoreMatcher({ root: this.pair.localRoot, patterns: this.pair.ignore });
  }

  async run(): Promise<PassResult> {
    const { pair, request, deps } = this;
    await this.checkRoot();
    const roots = normalizeScope(request.scope);
    for (const root of roots) deps.sync.clearIssuesUnder(pair.id, root);
    // Per-path lookups that cannot find anything are skipped: on a new pair's first pass
    // they were most of its time (100,000 files: 3.5 s of 6 s).
    this.startedAt = deps.now();
    this.mayBeBusy = deps.jobs.pairPending(pair.id).files > 0;
    this.mayBeRenamed = deps.sync.journalCount(pair.id) > 0;

    const local = this.localItems(roots);
    // A scoped pass lists the subtrees of its folders (a LIST per 1,000 keys instead of a HEAD
    // per file, and never the objects outside its scope); what no listing covers is asked
    // with a HEAD where it matters.
    const listed = roots[0] === '' ? undefined : await listedFolders(deps.sync, pair, roots);
    let remote: AsyncIterable<RemoteEntry[]> | undefined;
    if (listed !== undefined)
      remote = listFolders(deps.remote, pair, listed, (p) => this.skipped(p), request.signal);
    else if (request.listRemote)
      remote = listRemote(
        deps.remote,
        pair.bucket,
        pair.prefix,
        (p) => this.skipped(p),
        request.signal,
      );
    for await (let triple of mergeSides(local, remote, this.journal(request.scope))) {
      request.signal?.throwIfAborted();
      if (listed !== undefined && triple.remote === null && !coveredBy(listed, triple.path))
        triple = { ...triple, remote: undefined };
      // The scan reports no ignored file and the listings skip ignored keys: only a journal
      // row with nothing local can be a path that is ignored now (and must stay untouched).
      if (triple.base !== null && triple.local === null && this.skipped(triple.path)) continue;
      await this.decide(triple);
      if (this.jobs.length >= FLUSH) this.flushJobs();
      if (this.deletes.length >= FLUSH) this.flushDeletes();
    }
    this.flushJobs();
    this.flushDeletes();
    for (const p of this.forgets) deps.sync.journalRemove(pair.id, p);
    this.result.forgets = this.forgets.length;
    return this.result;
  }

  /** A missing root is a missing drive or a typo, never "every file was deleted". */
  private async checkRoot(): Promise<void> {
    const root = this.pair.localRoot;
    const info = await stat(root).catch((error: NodeJS.ErrnoException) => {
      throw new CoreError(
        'local-not-found',
        `The folder ${root} cannot be read (${error.code ?? error.message}). Is its drive mounted? Nothing is deleted while it is missing.`,
        { cause: error },
      );
    });
    if (!info.isDirectory())
      throw new CoreError('local-not-found', `${root} is not a folder. Pick a folder to sync.`);
  }

  private skipped(p: string): boolean {
    return isSpecialPath(p) || this.ignore.ignores(p, false);
  }

  private async *localItems(roots: string[]): AsyncGenerator<LocalItem[]> {
    const { pair } = this;
    for await (const batch of scanLocal(
      {
        root: pair.localRoot,
        prefix: pair.prefix,
        patterns: pair.ignore,
        followSymlinks: pair.followSymlinks,
        scope: roots[0] === '' ? undefined : roots,
      },
      this.request.signal,
    )) {
      const items: LocalItem[] = [];
      for (const item of batch) {
        if (item.type === 'issue') this.issue(item.issue);
        else items.push(item);
      }
      yield items;
    }
  }

  private async *journal(scope: Scope): AsyncGenerator<JournalEntry[]> {
    const { sync } = this.deps;
    const pairId = this.pair.id;
    for (const range of scopeRanges(scope)) {
      if (range.to === `${range.from}\u0000`) {
        const row = sync.journalGet(pairId, range.from);
        if (row) yield [row];
        continue;
      }
      let after: string | undefined = range.from === '' ? undefined : range.from;
      for (;;) {
        const page = sync.journalPage(pairId, { after, before: range.to, limit: JOURNAL_PAGE });
        if (page.length === 0) break;
        yield page;
        after = (page[page.length - 1] as JournalEntry).path;
      }
    }
  }

  private issue(issue: SyncIssue): void {
    this.deps.sync.setIssue(this.pair.id, issue);
    this.result.issues++;
  }

  private async decide(triple: Triple): Promise<void> {
    const { pair, deps } = this;
    const policy = { mode: pair.mode };
    // The remote side as the journal last saw it, when this pass did not list it.
    const assumed: RemoteEntry | null =
      triple.remote !== undefined ? triple.remote : remoteFromBase(triple.base);
    let input = { local: triple.local, remote: assumed, base: triple.base };
    let action = plan(input, policy);
    if (action.kind === 'nothing' && action.report === undefined) return;
    // A path whose job ended during the pass is busy too: the listing and the journal page
    // were read at different moments, so one side may predate the job and the other not (a
    // listing taken just before an upload landed, with the journal row that upload wrote:
    // "removed remotely", uploaded again). The runner looks at it again once the pass is over.
    if (this.mayBeBusy && deps.jobs.hasUnfinishedJob(pair.id, triple.path, this.startedAt)) {
      this.result.busy.push(triple.path);
      return;
    }
    if (triple.local !== null && writesRemote(action)) {
      const at = deps.stability.check(triple.path, triple.local.size, triple.local.mtimeNs);
      if (at !== undefined) {
        this.result.deferred.push({ path: triple.path, at });
        return;
      }
    }
    // Not listed in this pass: ask OSS before writing over or deleting anything.
    if (triple.remote === undefined && writesRemote(action)) {
      input = { ...input, remote: await this.head(triple.path) };
    }
    const needed = contentNeeded(input, policy);
    if (needed.localCrc && input.local !== null) {
      const crc64 = await this.hashLocal(input.local);
      if (crc64 !== undefined) input = { ...input, local: { ...input.local, crc64 } };
    }
    if (needed.remoteCrc && input.remote !== null && input.remote.crc64 === undefined) {
      const fresh = await this.head(triple.path);
      if (fresh !== null && fresh.etag === input.remote.etag) input = { ...input, remote: fresh };
    }
    action = plan(input, policy);
    await this.apply(triple.path, action, input);
  }

  private async apply(
    p: string,
    action: PlanAction,
    input: { local: LocalEntry | null; remote: RemoteEntry | null; base: JournalEntry | null },
  ): Promise<void> {
    const { pair, deps } = this;
    if (action.report) this.issue({ path: p, ...action.report });
    let keptAs: string | undefined;
    /** preserve() recorded the conflict itself (before its copy). */
    let recorded = false;
    switch (action.kind) {
      case 'nothing':
        break;
      case 'upload': {
        const local = action.local;
        if (
          this.mayBeRenamed &&
          action.reason === 'new' &&
          input.remote === null &&
          input.base === null
        ) {
          const taken = {
            has: (source: string): boolean =>
              this.movedFrom.has(source) ||
              (this.mayBeBusy && deps.jobs.hasUnfinishedJob(pair.id, source)),
          };
          const from = await findRename(deps.sync, pair, local, taken, (entry) =>
            this.hashLocal(entry),
          );
          // Its object must still be the synced version: someone else's newer one is neither
          // moved nor copied (the conditional copy would fail, and the file never upload).
          if (from !== undefined && (await this.head(from.path))?.etag === from.remoteEtag) {
            this.queueMove(local, from);
            break;
          }
        }
        if (action.preserveRemote !== null) {
          keptAs = await this.preserve(p, action.preserveRemote, action.conflict);
          if (keptAs === undefined) return;
          recorded = action.conflict !== undefined;
        }
        this.jobs.push({
          kind: 'upload',
          bucket: pair.bucket,
          key: pair.prefix + p,
          localPath: path.join(pair.localRoot, local.fsPath),
          size: local.size,
          batch: this.request.batch,
          pair: { pairId: pair.id, path: p, journal: 'put' },
        });
        this.result.uploads++;
        break;
      }
      case 'record':
        deps.sync.journalPut(pair.id, { ...action.entry, syncedAt: deps.now() });
        this.result.records++;
        break;
      case 'forget':
        this.forgets.push(p);
        break;
      case 'delete-remote':
        if (this.movedFrom.has(p)) break;
        this.deletes.push({ path: p, etag: action.etag, size: action.base.size });
        this.result.deletes++;
        break;
      default:
        assertNever(action);
    }
    if (action.conflict && !recorded) {
      deps.sync.addConflict(pair.id, {
        path: p,
        keptAs: keptAs ?? null,
        resolution: action.conflict.resolution,
        remoteEtag: action.conflict.remoteEtag ?? null,
        at: deps.now(),
      });
      this.result.conflicts++;
    }
  }

  /**
   * A new file that is a vanished synced file under a new name: copied server-side instead
   * of uploaded; in mirror the old object goes with the copy (a move).
   */
  private queueMove(local: LocalEntry, from: JournalEntry): void {
    const { pair } = this;
    const move = pair.mode === 'mirror';
    this.jobs.push({
      kind: 'copy',
      bucket: pair.bucket,
      key: pair.prefix + local.path,
      sourceKey: pair.prefix + from.path,
      size: local.size,
      batch: this.request.batch,
      expectEtag: from.remoteEtag,
      deleteSource: move,
      source: { size: local.size, mtimeNs: local.mtimeNs, ino: local.ino },
      pair: {
        pairId: pair.id,
        path: local.path,
        journal: 'put',
        ...(move ? { sourcePath: from.path } : {}),
      },
    });
    this.movedFrom.add(from.path);
    if (move) {
      // Planned already if it sorts first; the move deletes it now.
      if (this.deletes.some((d) => d.path === from.path))
        this.deletes = this.deletes.filter((d) => d.path !== from.path);
      else this.deps.sync.removePendingDelete(pair.id, from.path);
    }
    this.result.copies++;
  }

  /**
   * Keeps the remote version that is about to be overwritten, and records the conflict (if
   * `conflict`): where it was kept, or undefined if that failed. The record is written before
   * the copy, so a pass that failed after the copy (its upload never queued) leaves a record,
   * and the next pass reuses that copy of this very version instead of making another.
   */
  private async preserve(
    p: string,
    remote: RemoteEntry,
    conflict: PlanAction['conflict'],
  ): Promise<string | undefined> {
    const { pair, deps } = this;
    const earlier = deps.sync.keptConflict(pair.id, p, remote.etag);
    if (earlier !== undefined) {
      const kept = await this.deps.remote.headObject(pair.bucket, earlier.keptAs, {
        signal: this.request.signal,
      });
      if (kept !== undefined && kept.size === remote.size && sameVersion(kept, remote))
        return earlier.keptAs;
    }
    const keptAs = earlier?.keptAs ?? conflictKey(pair.prefix, p, deps.now());
    const recordId =
      earlier === undefined && conflict !== undefined
        ? deps.sync.addConflict(pair.id, {
            path: p,
            keptAs,
            resolution: conflict.resolution,
            remoteEtag: conflict.remoteEtag ?? null,
            at: deps.now(),
          })
        : undefined;
    try {
      await deps.remote.copyObject(pair.bucket, pair.prefix + p, keptAs, {
        signal: this.request.signal,
        sourceEtag: remote.etag,
      });
      return keptAs;
    } catch (error) {
      if (recordId !== undefined) deps.sync.removeConflict(recordId);
      if (!isCoreError(error)) throw error;
      // Transient (5xx, throttling, the network): the pass fails and the runner runs it
      // again after its backoff. Reported and skipped, the local change would wait for the
      // next full pass (the periodic rescan), with the pair idle meanwhile.
      if (error.retryable) throw error;
      this.issue({
        path: p,
        code: 'remote-changed',
        message: `The object ${pair.prefix + p} changed remotely and could not be kept aside before uploading the local file (${error.message}); it was not overwritten. It is tried again on the next pass.`,
      });
      return undefined;
    }
  }

  private async head(p: string): Promise<RemoteEntry | null> {
    const info = await this.deps.remote.headObject(this.pair.bucket, this.pair.prefix + p, {
      signal: this.request.signal,
    });
    if (info === undefined) return null;
    return {
      path: p,
      size: info.size,
      etag: info.etag,
      lastModified: info.lastModified.getTime(),
      ...(info.crc64 !== undefined ? { crc64: info.crc64 } : {}),
    };
  }

  /** CRC64 of a local file, or undefined if it changed or vanished while being read. */
  private async hashLocal(entry: LocalEntry): Promise<string | undefined> {
    const file = path.join(this.pair.localRoot, entry.fsPath);
    try {
      const { crc64, size } = await this.deps.crc.hashFile(file);
      const after = await lstat(file, { bigint: true });
      if (size !== entry.size || after.mtimeNs !== entry.mtimeNs || after.ino !== entry.ino)
        return undefined;
      return crc64;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private flushJobs(): void {
    if (this.jobs.length === 0) return;
    this.deps.engine.add(this.jobs);
    this.jobs = [];
  }

  private flushDeletes(): void {
    if (this.deletes.length === 0) return;
    this.deps.sync.addPendingDeletes(this.pair.id, this.deletes);
    this.deletes = [];
  }
}

/** A kept copy holds `remote`'s version: same CRC64 where both have one, else same ETag. */
function sameVersion(
  kept: { etag: string; crc64: string | undefined },
  remote: RemoteEntry,
): boolean {
  if (kept.crc64 !== undefined && remote.crc64 !== undefined) return kept.crc64 === remote.crc64;
  return kept.etag === remote.etag;
}

/** The remote side as the journal last saw it (for a pass that did not list it). */
export function remoteFromBase(base: JournalEntry | null): RemoteEntry | null {
  if (base === null) return null;
  return {
    path: base.path,
    size: base.size,
    etag: base.remoteEtag,
    lastModified: base.syncedAt,
    crc64: base.remoteCrc64,
  };
}

function writesRemote(action: PlanAction): boolean {
  return action.kind === 'upload' || action.kind === 'delete-remote';
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
