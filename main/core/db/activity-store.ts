/**
 * The activity log's rows (migration 4): what happened, appended in batches, kept bounded
 * (the oldest rows go first), paged newest first with a keyset on (at, id). Also what the
 * log has taken from each folder pair so far: its last conflict id and whether it holds
 * deletions, so a restart logs neither again.
 */
import type { Db } from './database.js';

export const ACTIVITY_ROW_KINDS = [
  'uploaded',
  'downloaded',
  'deleted',
  'trashed',
  'moved',
  'conflict',
  'deletes-held',
  'error',
] as const;
export type ActivityKind = (typeof ACTIVITY_ROW_KINDS)[number];

export interface NewActivity {
  at: number;
  kind: ActivityKind;
  accountId: number | null;
  pairId: number | null;
  bucket: string | null;
  key: string | null;
  localPath: string | null;
  size: number | null;
  error: { code: string; message: string; requestId?: string } | null;
}

export interface ActivityRow extends NewActivity {
  id: number;
}

export interface ActivityFilter {
  kinds?: readonly ActivityKind[];
  accountId?: number;
  pairId?: number;
  /** at >= since */
  since?: number;
  /** at < until */
  until?: number;
  /** Substring of the key or the local path (case-insensitive for ASCII). */
  search?: string;
}

/** Where the previous page ended: the last entry's time and id. */
export interface ActivityKeyset {
  at: number;
  id: number;
}

interface RawRow {
  id: number;
  at: number;
  kind: ActivityKind;
  account_id: number | null;
  pair_id: number | null;
  bucket: string | null;
  key: string | null;
  local_path: string | null;
  size: number | null;
  error_code: string | null;
  error_message: string | null;
  error_request_id: string | null;
}

export interface PairMark {
  lastConflictId: number;
  holdingDeletes: boolean;
}

/** `text` for a LIKE pattern with `\` as the escape character. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

function fromRaw(raw: RawRow): ActivityRow {
  const error =
    raw.error_code === null
      ? null
      : {
          code: raw.error_code,
          message: raw.error_message ?? '',
          ...(raw.error_request_id === null ? {} : { requestId: raw.error_request_id }),
        };
  return {
    id: raw.id,
    at: raw.at,
    kind: raw.kind,
    accountId: raw.account_id,
    pairId: raw.pair_id,
    bucket: raw.bucket,
    key: raw.key,
    localPath: raw.local_path,
    size: raw.size,
    error,
  };
}

const COLUMNS =
  'id, at, kind, account_id, pair_id, bucket, key, local_path, size, error_code, error_message, error_request_id';

export class ActivityStore {
  private readonly insert;
  private readonly trim;
  private readonly getMark;
  private readonly putMark;
  private readonly dropMark;
  private readonly detach;
  /** The lowest id that may still be in the table (rows below it were trimmed). */
  private lowest: number;

  constructor(
    private readonly db: Db,
    /** Rows kept: the oldest go once there are more. */
    private readonly maxRows = 100_000,
  ) {
    this.insert = db.prepare(
      `INSERT INTO activity (at, kind, account_id, pair_id, bucket, key, local_path, size, error_code, error_message, error_request_id)
       VALUES (@at, @kind, @accountId, @pairId, @bucket, @key, @localPath, @size, @errorCode, @errorMessage, @errorRequestId)`,
    );
    this.trim = db.prepare<[number]>('DELETE FROM activity WHERE id <= ?');
    this.getMark = db.prepare<
      [number, number],
      { last_conflict_id: number; holding_deletes: number }
    >(
      'SELECT last_conflict_id, holding_deletes FROM activity_pair_marks WHERE account_id = ? AND pair_id = ?',
    );
    this.putMark = db.prepare(
      `INSERT INTO activity_pair_marks (account_id, pair_id, last_conflict_id, holding_deletes)
       VALUES (@accountId, @pairId, @lastConflictId, @holding)
       ON CONFLICT (account_id, pair_id) DO UPDATE SET
         last_conflict_id = excluded.last_conflict_id, holding_deletes = excluded.holding_deletes`,
    );
    this.dropMark = db.prepare<[number, number]>(
      'DELETE FROM activity_pair_marks WHERE account_id = ? AND pair_id = ?',
    );
    this.detach = db.prepare<[number, number]>(
      'UPDATE activity SET pair_id = NULL WHERE account_id = ? AND pair_id = ?',
    );
    const min = db.prepare('SELECT MIN(id) AS id FROM activity').get() as { id: number | null };
    this.lowest = min.id ?? 1;
  }

  /**
   * Appends `entries` in one transaction and trims the table to `maxRows`; returns the
   * entries with their ids, in order.
   */
  append(entries: readonly NewActivity[]): ActivityRow[] {
    if (entries.length === 0) return [];
    return this.db.transaction(() => {
      const out: ActivityRow[] = [];
      for (const entry of entries) {
        const result = this.insert.run({
          at: entry.at,
          kind: entry.kind,
          accountId: entry.accountId,
          pairId: entry.pairId,
          bucket: entry.bucket,
          key: entry.key,
          localPath: entry.localPath,
          size: entry.size,
          errorCode: entry.error?.code ?? null,
          errorMessage: entry.error?.message ?? null,
          errorRequestId: entry.error?.requestId ?? null,
        });
        out.push({ ...entry, id: Number(result.lastInsertRowid) });
      }
      // Ids only grow and only the oldest rows are deleted: the rows are the id range
      // [lowest, last], so bounding it needs no COUNT(*).
      const last = out.at(-1)?.id ?? 0;
      const keepFrom = last - this.maxRows + 1;
      if (keepFrom > this.lowest) {
        this.trim.run(keepFrom - 1);
        this.lowest = keepFrom;
      }
      return out;
    })();
  }

  /** One page, newest first (by time, then id), after `after` when given. */
  page(filter: ActivityFilter, after: ActivityKeyset | undefined, limit: number): ActivityRow[] {
    const { where, args } = this.where(filter);
    if (after !== undefined) {
      where.push('(at < ? OR (at = ? AND id < ?))');
      args.push(after.at, after.at, after.id);
    }
    const sql = `SELECT ${COLUMNS} FROM activity ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as RawRow[]).map(fromRaw);
  }

  /** How many entries match (without a search, which would scan every row). */
  count(filter: ActivityFilter): number {
    const { where, args } = this.where(filter);
    const sql = `SELECT COUNT(*) AS n FROM activity ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`;
    return (this.db.prepare(sql).get(...args) as { n: number }).n;
  }

  mark(accountId: number, pairId: number): PairMark {
    const row = this.getMark.get(accountId, pairId);
    return {
      lastConflictId: row?.last_conflict_id ?? 0,
      holdingDeletes: row?.holding_deletes === 1,
    };
  }

  setMark(accountId: number, pairId: number, mark: PairMark): void {
    this.putMark.run({
      accountId,
      pairId,
      lastConflictId: mark.lastConflictId,
      holding: mark.holdingDeletes ? 1 : 0,
    });
  }

  /**
   * Forgets a removed pair: its mark goes, and its entries stay as entries of no pair (the
   * account's database may give the pair's id, and its conflicts' ids, to a new pair).
   */
  forgetPair(accountId: number, pairId: number): void {
    this.db.transaction(() => {
      this.dropMark.run(accountId, pairId);
      this.detach.run(accountId, pairId);
    })();
  }

  private where(filter: ActivityFilter): { where: string[]; args: (string | number)[] } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.kinds !== undefined && filter.kinds.length > 0) {
      where.push(`kind IN (${filter.kinds.map(() => '?').join(', ')})`);
      args.push(...filter.kinds);
    }
    if (filter.accountId !== undefined) {
      where.push('account_id = ?');
      args.push(filter.accountId);
    }
    if (filter.pairId !== undefined) {
      where.push('pair_id = ?');
      args.push(filter.pairId);
    }
    if (filter.since !== undefined) {
      where.push('at >= ?');
      args.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('at < ?');
      args.push(filter.until);
    }
    if (filter.search !== undefined && filter.search !== '') {
      const pattern = `%${escapeLike(filter.search)}%`;
      where.push("(key LIKE ? ESCAPE '\\' OR local_path LIKE ? ESCAPE '\\')");
      args.push(pattern, pattern);
    }
    return { where, args };
  }
}
