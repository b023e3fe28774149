/**
 * A model world for the planner's property tests: a local folder, a bucket prefix, the
 * journal, the conflicts store and the trash, all in memory. `sync` plans every path with
 * the real planner and applies the actions the way a perfect executor would (or fails some
 * of them), so random command sequences can check what the planner promises over time.
 *
 * A content is a short string: its size is its length, its CRC64 a function of the string
 * (a perfect hash), so equal sizes with different contents and equal contents at different
 * times both happen often.
 */
import fc from 'fast-check';
import { contentNeeded, plan, type PlanAction } from '../../../../main/core/sync/planner.js';
import type {
  DeleteMode,
  JournalEntry,
  LocalEntry,
  RemoteEntry,
  SyncMode,
} from '../../../../main/core/sync/types.js';

export type HashMode = 'as-asked' | 'none' | 'all';
/** ok: applied; fail: not applied; partial: the first of two steps done (the conflict copy
 * before an upload, the trash copy before a delete), then failed. */
export type Outcome = 'ok' | 'fail' | 'partial';

export type Command =
  /** Create, or write in place (same inode); a write always moves mtime. */
  | { kind: 'local-write'; path: string; content: string }
  /** mtime moves, content and inode stay. */
  | { kind: 'local-touch'; path: string }
  /** An editor's atomic save: write a temp file, rename over (new inode). */
  | { kind: 'local-replace'; path: string; content: string }
  | { kind: 'local-delete'; path: string }
  /** Same inode and mtime under the new name; replaces `to` if it exists. */
  | { kind: 'local-rename'; from: string; to: string }
  /** Someone else puts an object (a new etag even for the same content). */
  | { kind: 'remote-put'; path: string; content: string }
  /** Someone else puts the same content again (a re-upload, a multipart copy): new etag. */
  | { kind: 'remote-reput'; path: string }
  | { kind: 'remote-delete'; path: string }
  | { kind: 'sync'; mode: SyncMode; hashes: HashMode; outcomes: Outcome[] };

export interface LocalFile {
  content: string;
  mtimeNs: bigint;
  ino: bigint;
}

export interface RemoteObject {
  content: string;
  etag: string;
  lastModified: number;
}

/** One path of one sync: what the planner saw, asked, decided, and what happened. */
export interface PlannedPath {
  path: string;
  /** The input before any CRC64 was computed. */
  bare: { local: LocalEntry | null; remote: RemoteEntry | null; base: JournalEntry | null };
  asked: { localCrc: boolean; remoteCrc: boolean };
  input: { local: LocalEntry | null; remote: RemoteEntry | null; base: JournalEntry | null };
  action: PlanAction;
  localContent: string | undefined;
  remoteContent: string | undefined;
  outcome: Outcome;
}

export interface SyncResult {
  mode: SyncMode;
  hashes: HashMode;
  planned: PlannedPath[];
}

/**
 * A version that was the latest on one side at some time. It may disappear only when the
 * same side superseded it (the user changed the local file; someone else changed the
 * object), or, for a remote version, when the journal recorded it as synced and the local
 * side then moved on (the local side owns synced content in a one-way sync).
 */
export interface Version {
  side: 'local' | 'remote';
  path: string;
  content: string;
  /** Not superseded: must still exist somewhere (locally, at its key, kept as a conflict or in the trash). */
  live: boolean;
  /** A remote version still at its key, written by someone else. */
  current: boolean;
}

export function crcOf(content: string): string {
  return `crc:${content}`;
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

export class ModelWorld {
  readonly local = new Map<string, LocalFile>();
  readonly remote = new Map<string, RemoteObject>();
  readonly journal = new Map<string, JournalEntry>();
  readonly conflicts: Array<{ path: string; content: string }> = [];
  readonly trash: Array<{ path: string; content: string }> = [];
  readonly versions: Version[] = [];
  private clock = 0;
  private nextIno = 1n;
  private nextEtag = 1;

  constructor(readonly deleteMode: DeleteMode) {}

  run(command: Command): SyncResult | undefined {
    switch (command.kind) {
      case 'local-write': {
        const existing = this.local.get(command.path);
        this.localChanged(command.path);
        this.local.set(command.path, {
          content: command.content,
          mtimeNs: this.tick(),
          ino: existing?.ino ?? this.newIno(),
        });
        this.addVersion('local', command.path, command.content);
        return undefined;
      }
      case 'local-touch': {
        const file = this.local.get(command.path);
        if (file) file.mtimeNs = this.tick();
        return undefined;
      }
      case 'local-replace':
        this.localChanged(command.path);
        this.local.set(command.path, {
          content: command.content,
          mtimeNs: this.tick(),
          ino: this.newIno(),
        });
        this.addVersion('local', command.path, command.content);
        return undefined;
      case 'local-delete':
        if (this.local.has(command.path)) {
          this.localChanged(command.path);
          this.local.delete(command.path);
        }
        return undefined;
      case 'local-rename': {
        const file = this.local.get(command.from);
        if (!file || command.from === command.to) return undefined;
        this.localChanged(command.from);
        this.localChanged(command.to);
        this.local.delete(command.from);
        this.local.set(command.to, file);
        this.addVersion('local', command.to, file.content);
        return undefined;
      }
      case 'remote-put': {
        this.remoteChangedByOthers(command.path);
        this.remote.set(command.path, {
          content: command.content,
          etag: this.newEtag(),
          lastModified: Number(this.tick()),
        });
        // The synced content put again is no newer version than the one the journal holds.
        if (this.journal.get(command.path)?.remoteCrc64 !== crcOf(command.content))
          this.addVersion('remote', command.path, command.content);
        return undefined;
      }
      case 'remote-reput': {
        const object = this.remote.get(command.path);
        if (object) {
          object.etag = this.newEtag();
          object.lastModified = Number(this.tick());
        }
        return undefined;
      }
      case 'remote-delete':
        this.remoteChangedByOthers(command.path);
        this.remote.delete(command.path);
        return undefined;
      case 'sync':
        return this.sync(command.mode, command.hashes, command.outcomes);
      default:
        return assertNever(command);
    }
  }

  /** Every path of the union of the three sides, in order. */
  paths(): string[] {
    return [
      ...new Set([...this.local.keys(), ...this.remote.keys(), ...this.journal.keys()]),
    ].sort();
  }

  localEntry(path: string): LocalEntry | null {
    const file = this.local.get(path);
    if (!file) return null;
    return {
      path,
      fsPath: path,
      size: file.content.length,
      mtimeNs: file.mtimeNs,
      ino: file.ino,
    };
  }

  remoteEntry(path: string): RemoteEntry | null {
    const object = this.remote.get(path);
    if (!object) return null;
    return {
      path,
      size: object.content.length,
      etag: object.etag,
      lastModified: object.lastModified,
    };
  }

  /** The planner's input for a path as a pass would see it before hashing anything. */
  bareInput(path: string): PlannedPath['bare'] {
    return {
      local: this.localEntry(path),
      remote: this.remoteEntry(path),
      base: this.journal.get(path) ?? null,
    };
  }

  sync(mode: SyncMode, hashes: HashMode, outcomes: Outcome[]): SyncResult {
    const policy = { mode };
    const planned: PlannedPath[] = [];
    for (const [index, path] of this.paths().entries()) {
      const bare = this.bareInput(path);
      const asked = contentNeeded(bare, policy);
      const localFile = this.local.get(path);
      const remoteObject = this.remote.get(path);
      const input = { ...bare };
      if (
        bare.local &&
        localFile &&
        (hashes === 'all' || (hashes === 'as-asked' && asked.localCrc))
      )
        input.local = { ...bare.local, crc64: crcOf(localFile.content) };
      if (
        bare.remote &&
        remoteObject &&
        (hashes === 'all' || (hashes === 'as-asked' && asked.remoteCrc))
      )
        input.remote = { ...bare.remote, crc64: crcOf(remoteObject.content) };
      const action = plan(input, policy);
      const outcome = outcomes.length === 0 ? 'ok' : (outcomes[index % outcomes.length] ?? 'ok');
      planned.push({
        path,
        bare,
        asked,
        input,
        action,
        localContent: localFile?.content,
        remoteContent: remoteObject?.content,
        outcome,
      });
      this.apply(path, action, outcome);
    }
    return { mode, hashes, planned };
  }

  /** Versions that must still exist but exist nowhere. */
  lostVersions(): Version[] {
    return this.versions.filter((v) => v.live && !this.holds(v.path, v.content));
  }

  private holds(path: string, content: string): boolean {
    return (
      this.local.get(path)?.content === content ||
      this.remote.get(path)?.content === content ||
      this.conflicts.some((c) => c.path === path && c.content === content) ||
      this.trash.some((t) => t.path === path && t.content === content)
    );
  }

  /** Applies one action as a perfect executor would; checks the action against the world. */
  private apply(path: string, action: PlanAction, outcome: Outcome): void {
    if (outcome === 'fail') return;
    switch (action.kind) {
      case 'nothing':
        return;
      case 'upload': {
        const file = this.local.get(path);
        if (!file || action.local.ino !== file.ino || action.local.mtimeNs !== file.mtimeNs)
          throw new Error(`upload of ${path} does not match the local file`);
        if (action.preserveRemote) {
          const object = this.remote.get(path);
          if (!object || object.etag !== action.preserveRemote.etag)
            throw new Error(`preserveRemote of ${path} does not match the object`);
          this.conflicts.push({ path, content: object.content });
        }
        if (outcome === 'partial') return;
        this.ourRemoteWrite(path, file.content);
        const etag = this.newEtag();
        this.remote.set(path, { content: file.content, etag, lastModified: Number(this.tick()) });
        this.journal.set(path, {
          path,
          size: file.content.length,
          mtimeNs: file.mtimeNs,
          ino: file.ino,
          crc64: crcOf(file.content),
          remoteEtag: etag,
          remoteCrc64: crcOf(file.content),
          syncedAt: this.clock,
        });
        return;
      }
      case 'record': {
        if (outcome === 'partial') return;
        const { entry } = action;
        const file = this.local.get(path);
        const object = this.remote.get(path);
        // A record claims both sides hold this content now: it must be true.
        if (
          !file ||
          !object ||
          entry.path !== path ||
          entry.size !== file.content.length ||
          entry.mtimeNs !== file.mtimeNs ||
          entry.ino !== file.ino ||
          entry.crc64 !== crcOf(file.content) ||
          entry.remoteEtag !== object.etag ||
          entry.remoteCrc64 !== crcOf(object.content)
        )
          throw new Error(`record of ${path} does not match the world: ${String(entry.crc64)}`);
        this.journal.set(path, entry);
        return;
      }
      case 'delete-remote': {
        const object = this.remote.get(path);
        if (!object || object.etag !== action.etag)
          throw new Error(`delete-remote of ${path} expects etag ${action.etag}`);
        if (this.deleteMode === 'trash') this.trash.push({ path, content: object.content });
        if (outcome === 'partial') return;
        this.ourRemoteWrite(path, undefined);
        this.remote.delete(path);
        this.journal.delete(path);
        return;
      }
      case 'forget':
        if (outcome === 'partial') return;
        this.journal.delete(path);
        return;
      default:
        assertNever(action);
    }
  }

  private tick(): bigint {
    this.clock += 1;
    return BigInt(this.clock);
  }

  private newIno(): bigint {
    const ino = this.nextIno;
    this.nextIno += 1n;
    return ino;
  }

  private newEtag(): string {
    return `E${this.nextEtag++}`;
  }

  private addVersion(side: Version['side'], path: string, content: string): void {
    this.versions.push({ side, path, content, live: true, current: side === 'remote' });
  }

  /** The user changed or removed the local file at `path`. */
  private localChanged(path: string): void {
    const synced = this.journal.get(path);
    for (const v of this.versions) {
      if (v.path !== path || !v.live) continue;
      if (v.side === 'local') v.live = false;
      // The journal says both sides held this content: the local side has moved on from it.
      else if (v.current && synced && crcOf(v.content) === synced.remoteCrc64) v.live = false;
    }
  }

  private remoteChangedByOthers(path: string): void {
    for (const v of this.versions)
      if (v.side === 'remote' && v.path === path && v.current) v.live = v.current = false;
  }

  /** Our sync overwrites or deletes the object: other contents are no longer at the key (the
   * same content uploaded again still is). */
  private ourRemoteWrite(path: string, content: string | undefined): void {
    for (const v of this.versions)
      if (v.side === 'remote' && v.path === path && v.content !== content) v.current = false;
  }
}

// ---------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------

// Few paths and short contents over three letters: collisions of paths, sizes and contents
// are what the planner has to get right, so make them frequent.
export const PATHS = ['a', 'b', 'd/c', 'd/e'] as const;
export const pathArb = fc.constantFrom(...PATHS);
export const contentArb = fc.string({ unit: fc.constantFrom('x', 'y', 'z'), maxLength: 2 });
export const modeArb = fc.constantFrom<SyncMode>('backup', 'mirror');
export const hashesArb = fc.constantFrom<HashMode>('as-asked', 'as-asked', 'none', 'none', 'all');

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('local-write'), path: pathArb, content: contentArb }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('local-touch'), path: pathArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('local-replace'),
      path: pathArb,
      content: contentArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('local-delete'), path: pathArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('local-rename'), from: pathArb, to: pathArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('remote-put'), path: pathArb, content: contentArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remote-reput'), path: pathArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remote-delete'), path: pathArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('sync'),
      mode: modeArb,
      hashes: hashesArb,
      outcomes: fc.array(fc.constantFrom('ok', 'ok', 'fail', 'partial'), { maxLength: 3 }),
    }),
  },
);

export const scenarioArb = fc.record({
  deleteMode: fc.constantFrom<DeleteMode>('trash', 'permanent'),
  commands: fc.array(commandArb, { minLength: 4, maxLength: 40, size: 'max' }),
  final: fc.record({ mode: modeArb, hashes: hashesArb }),
});
