/**
 * Write faults for the state database (Nextcloud's journal fault sweep): every statement that
 * changes the database (a prepared INSERT/UPDATE/DELETE/REPLACE run, an exec of writing SQL, a
 * pragma that sets something, and the commit of an outermost transaction that wrote) is a
 * write; the N-th of them fails with the error SQLite gives on a real fault (SqliteError
 * SQLITE_IOERR or SQLITE_FULL), before it touches the file. The connection is patched on its
 * instance, through `openDatabase`'s `wrap` option, so the stores run their own SQL on a real
 * SQLite file.
 */
import Database from 'better-sqlite3';
import type { Db } from '../../../main/core/db/database.js';

export type FaultMode = 'once' | 'die';

const MESSAGES = {
  SQLITE_IOERR: 'disk I/O error',
  SQLITE_FULL: 'database or disk is full',
} as const;

export type FaultCode = keyof typeof MESSAGES;

export class WriteFaults {
  /** Writes counted so far (those refused after a death are not counted). */
  count = 0;
  /** The label of every counted write, in order (a failing run names the write it failed). */
  readonly labels: string[] = [];
  /** The write that failed, once it did. */
  fired: { n: number; label: string } | undefined;
  /** Mode 'die': the process is considered dead from the failed write on. */
  dead = false;
  private readonly deathWaiters: (() => void)[] = [];

  constructor(
    /** 1-based; undefined: no fault (a reference run that only counts). */
    readonly failAt: number | undefined = undefined,
    readonly mode: FaultMode = 'once',
    readonly code: FaultCode = 'SQLITE_IOERR',
  ) {}

  /** Resolves when the process "dies" (mode 'die'). */
  whenDead(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => this.deathWaiters.push(resolve));
  }

  /** Called before each write: throws if this one fails. */
  write(label: string): void {
    // A dead process writes nothing more (whatever of it still runs until it is torn down).
    if (this.dead) throw this.error();
    this.count++;
    this.labels.push(label);
    if (this.count !== this.failAt) return;
    this.fired = { n: this.count, label };
    if (this.mode === 'die') {
      this.dead = true;
      for (const wake of this.deathWaiters.splice(0)) wake();
    }
    throw this.error();
  }

  private error(): Error {
    return new Database.SqliteError(MESSAGES[this.code], this.code);
  }
}

/** First words of a statement, for labels: `UPDATE jobs SET state = 'done'`. */
function labelOf(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 60);
}

/** SQL an exec runs that writes: anything but comments, SELECTs and read-only pragmas. */
function execWrites(sql: string): boolean {
  return /\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b/i.test(sql);
}

/** `db.pragma('x = y')` sets something; `user_version` and `journal_mode` change the file. */
function pragmaWrites(source: string): boolean {
  return /^\s*(user_version|journal_mode)\s*=/i.test(source);
}

type Statement = ReturnType<Db['prepare']>;

function patchStatement(statement: Statement, sql: string, faults: WriteFaults): Statement {
  if (statement.readonly) return statement;
  const label = labelOf(sql);
  // RETURNING statements are run through get/all/iterate: each call is a write too.
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    const original = statement[method].bind(statement) as (...args: unknown[]) => unknown;
    Object.defineProperty(statement, method, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        faults.write(label);
        return original(...args);
      },
    });
  }
  return statement;
}

/** Patches `db` (returned as is) so that every write goes through `faults`. */
export function withWriteFaults(db: Db, faults: WriteFaults): Db {
  const prepare = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  const pragma = db.pragma.bind(db);
  const transaction = db.transaction.bind(db);
  let depth = 0;
  /** Writes counted when the outermost transaction began. */
  let countAtBegin = 0;
  Object.assign(db, {
    prepare: (sql: string) => patchStatement(prepare(sql), sql, faults),
    exec: (sql: string) => {
      if (execWrites(sql)) faults.write(`exec ${labelOf(sql.replace(/--[^\n]*\n/g, ''))}`);
      return exec(sql);
    },
    pragma: (source: string, options?: Database.PragmaOptions) => {
      if (pragmaWrites(source)) faults.write(`PRAGMA ${source}`);
      return pragma(source, options);
    },
    transaction: <F extends (...args: never[]) => unknown>(fn: F) =>
      transaction(((...args: Parameters<F>) => {
        if (depth++ === 0) countAtBegin = faults.count;
        try {
          const result = fn(...args);
          // The outermost transaction's COMMIT: failing it rolls the whole transaction back,
          // as SQLite does when a commit hits an I/O error. A transaction that only read (the
          // engine's claim when nothing is due) writes nothing at its commit, and SQLite
          // cannot fail it so: not a write. (Counted, it made the fault-free run's count
          // depend on timing: a download ending before or after a pass queued its jobs.)
          if (depth === 1 && faults.count !== countAtBegin) faults.write('COMMIT');
          return result;
        } finally {
          depth--;
        }
      }) as F),
  });
  return db;
}
