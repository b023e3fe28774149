import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /**
   * Wraps the connection before anything is written to it (pragmas and migrations included).
   * Nothing in the app passes it: the journal fault sweep (test/stress/journal-faults.test.ts)
   * uses it to fail the N-th write.
   */
  wrap?: (db: Db) => Db;
}

/**
 * Opens (creating if needed) the state database: WAL, one writer connection per process,
 * synchronous=NORMAL (a commit survives a crash of the process; a power loss may roll
 * back the last ones, never half-apply them), foreign keys on, migrations applied.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  const raw = new Database(file);
  const db = options.wrap ? options.wrap(raw) : raw;
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (error) {
    // A failed open (disk full during a migration) must not keep the file open: the caller
    // may try again, and a second connection would be a second writer.
    raw.close();
    throw error;
  }
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `The state database ${db.name} was written by a newer OSSync (schema ${version}, this one knows ${MIGRATIONS.length}); update OSSync or use another --data-dir.`,
    );
  }
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i] as string);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
