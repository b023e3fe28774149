/**
 * How running the same command again resumes it. While a `put` or `get` is unfinished, a
 * small file in `<data-dir>/cli-runs/` records its batch id and how far its walk (or bucket
 * listing) got. The same command line (same account, sources, destination) finds it: the
 * queued jobs of that batch run on, and the walk continues after the last file queued, so
 * nothing finished is queued again. The file is removed when the command completes, so the
 * next run of that command starts afresh.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './data-dir.js';

export interface RunMarker {
  batch: string;
  /** Where the walk or listing goes on from (command-specific JSON); undefined: the start. */
  cursor: unknown;
  /** The walk or listing reached its end: every job of the command is queued. */
  walkDone: boolean;
}

export class RunMarkers {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'cli-runs');
  }

  /** A stable name for a command, from whatever identifies it. */
  static idFor(identity: unknown): string {
    return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
  }

  read(id: string): RunMarker | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.file(id), 'utf8')) as Partial<RunMarker>;
      if (typeof parsed.batch !== 'string' || typeof parsed.walkDone !== 'boolean')
        return undefined;
      return { batch: parsed.batch, cursor: parsed.cursor, walkDone: parsed.walkDone };
    } catch {
      return undefined;
    }
  }

  write(id: string, marker: RunMarker): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file(id), `${JSON.stringify(marker)}\n`);
  }

  remove(id: string): void {
    try {
      unlinkSync(this.file(id));
    } catch {
      // already gone
    }
  }

  /** Forgets every unfinished command (their jobs were dropped): the next runs start afresh. */
  removeAll(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
