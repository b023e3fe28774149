import { CoreError } from '../errors.js';
import {
  DEFAULT_DELETE_GUARD,
  type ConflictRecord,
  type JournalEntry,
  type NewPair,
  type PairConfig,
  type SyncIssue,
  type SyncIssueCode,
} from '../sync/types.js';
import type { Db } from './database.js';
import {
  JOURNAL_COLUMNS,
  JOURNAL_DELETE_SQL,
  JOURNAL_UPSERT_SQL,
  journalParams,
  toJournalEntry,
  fromJournalTuple,
  type JournalTuple,
  type JournalRow,
} from './journal-rows.js';
import {
  ISSUE_COLUMNS,
  checkPair,
  pairParams,
  toConflict,
  toIssue,
  toPair,
  type ConflictRow,
  type IssueRow,
  type PairRow,
  type PendingDelete,
  type StoredConflict,
  type StoredIssue,
} from './sync-rows.js';
import { nextIdSql } from './ids.js';

export type { PendingDelete, StoredConflict, StoredIssue } from './sync-rows.js';

/** What can change in a pair. Its folder and target are its identity: the journal describes them. */
export type PairPatch = Partial<
  Pick<
    PairConfig,
    | 'mode'
    | 'deleteMode'
    | 'ignore'
    | 'followSymlinks'
    | 'trashRetentionDays'
    | 'deleteGuard'
    | 'paused'
  >
>;

export interface JournalPageQuery {
  /** Exclusive lower bound. */
  after?: string;
  /** Exclusive upper bound. */
  before?: string;
  limit: number;
}

/**
 * Folder sync state in SQLite: the pairs, the journal of what was last synced per path,
 * the issues and conflicts the user sees, and deletions waiting for the delete guard.
 * Every read is one row or one page (keyset pagination in BINARY path order, never a
 * statement left iterating: the caller writes between pages); batch writes are one
 * transaction each.
 */
export class SyncStore {
  private readonly stmts;
  /** journalPage's four bound combinations, prepared once each. */
  private readonly journalPages = new Map<string, ReturnType<Db['prepare']>>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.stmts = {
      insertPair: db.prepare(
        `INSERT INTO pairs (id, local_root, bucket, prefix, mode, delete_mode, ignore_json, follow_symlinks,
           trash_retention_days, guard_fraction, guard_count, paused, created_at)
         VALUES (${nextIdSql('pairs')}, @localRoot, @bucket, @prefix, @mode, @deleteMode, @ignoreJson, @followSymlinks,
           @trashRetentionDays, @guardFraction, @guardCount, @paused, @createdAt)`,
      ),
      updatePair: db.prepare(
        `UPDATE pairs SET mode = @mode, delete_mode = @deleteMode, ignore_json = @ignoreJson,
           follow_symlinks = @followSymlinks, trash_retention_days = @trashRetentionDays,
           guard_fraction = @guardFraction, guard_count = @guardCount, paused = @paused WHERE id = @id`,
      ),
      getPair: db.prepare<[number], PairRow>('SELECT * FROM pairs WHERE id = ?'),
      pairByRoot: db.prepare<[string], PairRow>('SELECT * FROM pairs WHERE local_root = ?'),
      listPairs: db.prepare<[number, number], PairRow>(
        'SELECT * FROM pairs WHERE id > ? ORDER BY id LIMIT ?',
      ),
      removePair: db.prepare<[number]>('DELETE FROM pairs WHERE id = ?'),
      setPaused: db.prepare<[number, number]>('UPDATE pairs SET paused = ? WHERE id = ?'),
      setLastSynced: db.prepare<[number, number]>(
        'UPDATE pairs SET last_synced_at = ? WHERE id = ?',
      ),
      lastSynced: db.prepare<[number], { t: number | null }>(
        'SELECT last_synced_at AS t FROM pairs WHERE id = ?',
      ),

      journalGet: db.prepare<[number, string], JournalRow>(
        `SELECT ${JOURNAL_COLUMNS} FROM journal WHERE pair_id = ? AND path = ?`,
      ),
      journalPut: db.prepare(JOURNAL_UPSERT_SQL),
      journalRemove: db.prepare<[number, string]>(JOURNAL_DELETE_SQL),
      journalCount: db.prepare<[number], { n: number }>(
        'SELECT COUNT(*) AS n FROM journal WHERE pair_id = ?',
      ),
      journalByIno: db.prepare<[number, string, number], JournalRow>(
        `SELECT ${JOURNAL_COLUMNS} FROM journal INDEXED BY journal_by_ino WHERE pair_id = ? AND ino = ? LIMIT ?`,
      ),
      journalBySize: db.prepare<[number, number, number], JournalRow>(
        `SELECT ${JOURNAL_COLUMNS} FROM journal INDEXED BY journal_by_size WHERE pair_id = ? AND size = ? LIMIT ?`,
      ),

      setIssue: db.prepare<[number, string, string, string, number]>(
        `INSERT INTO sync_issues (pair_id, path, code, message, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pair_id, path, code) DO UPDATE SET message = excluded.message, at = excluded.at`,
      ),
      clearIssue: db.prepare<[number, string]>(
        'DELETE FROM sync_issues WHERE pair_id = ? AND path = ?',
      ),
      clearIssueCode: db.prepare<[number, string, string]>(
        'DELETE FROM sync_issues WHERE pair_id = ? AND path = ? AND code = ?',
      ),
      // Everything under 'a/b' sorts from 'a/b/' up to 'a/b0' ('0' follows '/'): an index
      // range, not a scan of the pair's issues.
      clearIssuesRange: db.prepare<[number, string, string]>(
        'DELETE FROM sync_issues WHERE pair_id = ? AND path >= ? AND path < ?',
      ),
      clearAllIssues: db.prepare<[number]>('DELETE FROM sync_issues WHERE pair_id = ?'),
      issuesPage: db.prepare<[number, string, string, number], IssueRow>(
        `SELECT ${ISSUE_COLUMNS} FROM sync_issues WHERE pair_id = ? AND (path, code) > (?, ?)
         ORDER BY path, code LIMIT ?`,
      ),
      countIssuePaths: db.prepare<[number], { n: number }>(
        'SELECT COUNT(DISTINCT path) AS n FROM sync_issues WHERE pair_id = ?',
      ),

      addConflict: db.prepare(
        `INSERT INTO sync_conflicts (id, pair_id, path, kept_as, resolution, remote_etag, at)
         VALUES (${nextIdSql('sync_conflicts')}, @pairId, @path, @keptAs, @resolution, @remoteEtag, @at)`,
      ),
      keptConflict: db.prepare<[number, string, string], { id: number; kept_as: string }>(
        `SELECT id, kept_as FROM sync_conflicts INDEXED BY sync_conflicts_by_pair
         WHERE pair_id = ? AND path = ? AND remote_etag = ? AND kept_as IS NOT NULL
         ORDER BY id DESC LIMIT 1`,
      ),
      removeConflict: db.prepare<[number]>('DELETE FROM sync_conflicts WHERE id = ?'),
      conflictsPage: db.prepare<[number, number, number], ConflictRow>(
        `SELECT id, path, kept_as, resolution, remote_etag, at FROM sync_conflicts
         WHERE pair_id = ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      countConflicts: db.prepare<[number], { n: number }>(
        'SELECT COUNT(*) AS n FROM sync_conflicts WHERE pair_id = ?',
      ),

      addPendingDelete: db.prepare<[number, string, string, number]>(
        `INSERT INTO sync_pending_deletes (pair_id, path, etag, size) VALUES (?, ?, ?, ?)
         ON CONFLICT (pair_id, path) DO UPDATE SET etag = excluded.etag, size = excluded.size`,
      ),
      pendingDeletesPage: db.prepare<[number, string, number], PendingDelete>(
        `SELECT path, etag, size FROM sync_pending_deletes WHERE pair_id = ? AND path > ?
         ORDER BY path LIMIT ?`,
      ),
      countPendingDeletes: db.prepare<[number], { n: number }>(
        'SELECT COUNT(*) AS n FROM sync_pending_deletes WHERE pair_id = ?',
      ),
      removePendingDelete: db.prepare<[number, string]>(
        'DELETE FROM sync_pending_deletes WHERE pair_id = ? AND path = ?',
      ),
      clearPendingDeletes: db.prepare<[number]>(
        'DELETE FROM sync_pending_deletes WHERE pair_id = ?',
      ),
    };
  }

  // ---- pairs

  /** Adds a pair; a folder already paired is refused (two pairs would fight over it). */
  addPair(pair: NewPair): PairConfig {
    const config: Omit<PairConfig, 'id'> = {
      localRoot: pair.localRoot,
      bucket: pair.bucket,
      prefix: pair.prefix,
      mode: pair.mode ?? 'backup',
      deleteMode: pair.deleteMode ?? 'trash',
      ignore: pair.ignore ?? [],
      followSymlinks: pair.followSymlinks ?? false,
      trashRetentionDays: pair.trashRetentionDays ?? 30,
      deleteGuard: pair.deleteGuard ?? DEFAULT_DELETE_GUARD,
      paused: false,
      createdAt: this.now(),
    };
    checkPair(config);
    return this.db.transaction(() => {
      const existing = this.stmts.pairByRoot.get(config.localRoot);
      if (existing) {
        throw new CoreError(
          'invalid-argument',
          `The folder ${config.localRoot} is already synced with oss://${existing.bucket}/${existing.prefix} (pair ${existing.id}): remove that pair first, or choose another folder.`,
          { subject: config.localRoot },
        );
      }
      const id = Number(this.stmts.insertPair.run(pairParams(config)).lastInsertRowid);
      return { id, ...config };
    })();
  }

  getPair(id: number): PairConfig | undefined {
    const row = this.stmts.getPair.get(id);
    return row && toPair(row);
  }

  /** One page of pairs by id. */
  listPairs(afterId = 0, limit = 100): PairConfig[] {
    return this.stmts.listPairs.all(afterId, limit).map(toPair);
  }

  /** Changes a pair's settings; undefined if there is no such pair. */
  updatePair(id: number, patch: PairPatch): PairConfig | undefined {
    return this.db.transaction(() => {
      const current = this.getPair(id);
      if (!current) return undefined;
      const next: PairConfig = { ...current, ...patch };
      checkPair(next);
      this.stmts.updatePair.run({ id, ...pairParams(next) });
      return next;
    })();
  }

  /**
   * Removes a pair with its journal, issues, conflicts and pending deletes. Its jobs stay
   * as plain transfers: cancel the unfinished ones first (JobStore.unfinishedJobsOfPair).
   */
  removePair(id: number): boolean {
    return this.stmts.removePair.run(id).changes > 0;
  }

  setPaused(id: number, paused: boolean): void {
    this.stmts.setPaused.run(paused ? 1 : 0, id);
  }

  /** When a pass last went over the whole pair without errors. */
  setLastSynced(id: number, at: number): void {
    this.stmts.setLastSynced.run(at, id);
  }

  lastSynced(id: number): number | null {
    return this.stmts.lastSynced.get(id)?.t ?? null;
  }

  // ---- journal

  journalGet(pairId: number, path: string): JournalEntry | undefined {
    const row = this.stmts.journalGet.get(pairId, path);
    return row && toJournalEntry(row);
  }

  journalPut(pairId: number, entry: JournalEntry): void {
    this.stmts.journalPut.run(journalParams(pairId, entry));
  }

  /** Records many entries in one transaction. */
  journalPutMany(pairId: number, entries: readonly JournalEntry[]): void {
    this.db.transaction(() => {
      for (const entry of entries) this.stmts.journalPut.run(journalParams(pairId, entry));
    })();
  }

  journalRemove(pairId: number, path: string): void {
    this.stmts.journalRemove.run(pairId, path);
  }

  journalCount(pairId: number): number {
    return this.stmts.journalCount.get(pairId)?.n ?? 0;
  }

  /** One page of the journal in path order (BINARY: UTF-8 bytes), strictly between the bounds. */
  journalPage(pairId: number, query: JournalPageQuery): JournalEntry[] {
    const shape = `${query.after === undefined ? '' : 'a'}${query.before === undefined ? '' : 'b'}`;
    let stmt = this.journalPages.get(shape);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT ${JOURNAL_COLUMNS} FROM journal WHERE pair_id = @pairId
         ${query.after === undefined ? '' : 'AND path > @after'}
         ${query.before === undefined ? '' : 'AND path < @before'}
         ORDER BY path LIMIT @limit`,
      );
      // Arrays, not row objects: a rescan reads every row, and half its time went to them.
      stmt.raw(true);
      this.journalPages.set(shape, stmt);
    }
    const rows = stmt.all({
      pairId,
      limit: query.limit,
      ...(query.after === undefined ? {} : { after: query.after }),
      ...(query.before === undefined ? {} : { before: query.before }),
    }) as JournalTuple[];
    return rows.map(fromJournalTuple);
  }

  /** Entries with this inode (a renamed file keeps it; hard links and reuse make it several). */
  journalFindByIno(pairId: number, ino: bigint, limit = 16): JournalEntry[] {
    return this.stmts.journalByIno.all(pairId, ino.toString(), limit).map(toJournalEntry);
  }

  /** Entries of this size: candidates for a file renamed across file systems (new inode). */
  journalFindBySize(pairId: number, size: number, limit: number): JournalEntry[] {
    return this.stmts.journalBySize.all(pairId, size, limit).map(toJournalEntry);
  }

  // ---- issues

  /** Records an issue (one per path and code; a newer one replaces the message and time). */
  setIssue(pairId: number, issue: SyncIssue): void {
    this.stmts.setIssue.run(pairId, issue.path, issue.code, issue.message, this.now());
  }

  /** Clears the issues of `path` (of one code, if given). */
  clearIssue(pairId: number, path: string, code?: SyncIssueCode): void {
    if (code === undefined) this.stmts.clearIssue.run(pairId, path);
    else this.stmts.clearIssueCode.run(pairId, path, code);
  }

  /** Clears the issues of `scopePath` and of everything under it ('' is the whole pair). */
  clearIssuesUnder(pairId: number, scopePath: string): void {
    if (scopePath === '') this.stmts.clearAllIssues.run(pairId);
    else
      this.db.transaction(() => {
        this.stmts.clearIssue.run(pairId, scopePath);
        this.stmts.clearIssuesRange.run(pairId, `${scopePath}/`, `${scopePath}0`);
      })();
  }

  /** One page of issues by path, then code. */
  issuesPage(
    pairId: number,
    after?: { path: string; code: SyncIssueCode },
    limit = 100,
  ): StoredIssue[] {
    return this.stmts.issuesPage
      .all(pairId, after?.path ?? '', after?.code ?? '', limit)
      .map(toIssue);
  }

  /** Paths with at least one open issue. */
  countIssues(pairId: number): number {
    return this.stmts.countIssuePaths.get(pairId)?.n ?? 0;
  }

  // ---- conflicts

  /** Records a conflict; returns its id. */
  addConflict(pairId: number, conflict: ConflictRecord): number {
    return Number(
      this.stmts.addConflict.run({
        pairId,
        path: conflict.path,
        keptAs: conflict.keptAs,
        resolution: conflict.resolution,
        remoteEtag: conflict.remoteEtag,
        at: conflict.at,
      }).lastInsertRowid,
    );
  }

  /**
   * The latest conflict of `path` whose remote version (`remoteEtag`) was kept: a pass that
   * meets that version again reuses the copy rather than keeping it twice.
   */
  keptConflict(
    pairId: number,
    path: string,
    remoteEtag: string,
  ): { id: number; keptAs: string } | undefined {
    const row = this.stmts.keptConflict.get(pairId, path, remoteEtag);
    return row && { id: row.id, keptAs: row.kept_as };
  }

  /** Forgets a conflict record (its copy could not be made after all). */
  removeConflict(id: number): void {
    this.stmts.removeConflict.run(id);
  }

  /** One page of conflicts, oldest first. */
  conflictsPage(pairId: number, afterId = 0, limit = 100): StoredConflict[] {
    return this.stmts.conflictsPage.all(pairId, afterId, limit).map(toConflict);
  }

  countConflicts(pairId: number): number {
    return this.stmts.countConflicts.get(pairId)?.n ?? 0;
  }

  // ---- pending deletes

  /** Records deletions a pass planned (one transaction; a path planned again is updated). */
  addPendingDeletes(pairId: number, deletes: readonly PendingDelete[]): void {
    this.db.transaction(() => {
      for (const d of deletes) this.stmts.addPendingDelete.run(pairId, d.path, d.etag, d.size);
    })();
  }

  /** One page of pending deletes in path order, after `afterPath` (exclusive). */
  pendingDeletesPage(pairId: number, afterPath?: string, limit = 500): PendingDelete[] {
    return this.stmts.pendingDeletesPage.all(pairId, afterPath ?? '', limit);
  }

  countPendingDeletes(pairId: number): number {
    return this.stmts.countPendingDeletes.get(pairId)?.n ?? 0;
  }

  removePendingDelete(pairId: number, path: string): void {
    this.stmts.removePendingDelete.run(pairId, path);
  }

  /** Takes these paths off the pending deletes (one transaction): they are being carried out. */
  removePendingDeletes(pairId: number, paths: readonly string[]): void {
    this.db.transaction(() => {
      for (const p of paths) this.stmts.removePendingDelete.run(pairId, p);
    })();
  }

  /**
   * The user declined these deletions: the objects stay and the pair stops treating them as
   * its own (their journal rows go with the pending rows, in one transaction), so no later
   * pass plans them again.
   */
  forgetPendingDeletes(pairId: number, paths: readonly string[]): void {
    this.db.transaction(() => {
      for (const p of paths) {
        this.stmts.removePendingDelete.run(pairId, p);
        this.stmts.journalRemove.run(pairId, p);
      }
    })();
  }

  clearPendingDeletes(pairId: number): number {
    return this.stmts.clearPendingDeletes.run(pairId).changes;
  }
}
