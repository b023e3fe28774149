/**
 * The sync planner: for one path, from what the scan saw locally (L), what the listing or a
 * HEAD saw remotely (R) and the journal of the last synced state (B, the base), one action.
 * Pure: no I/O, no clock; the caller fetches CRC64s when `contentNeeded` asks and plans again.
 *
 * One-way sync (backup and mirror): the local side always wins, nothing is downloaded, and
 * a remote version newer than the last sync is never overwritten or deleted without being
 * kept (conflict). A CRC64 that is missing counts as "different": the outcome is then an
 * upload with the remote kept aside, never a delete.
 *
 * Definitions (against the base B):
 * - L same: sizes equal and, if L.crc64 is known, L.crc64 = B.crc64 (a known CRC is
 *   authoritative), else size, mtimeNs and ino all equal (identity unchanged: not read).
 *   Identity changed, same size, no CRC: unknown, planned as changed.
 * - R same: sizes equal and, if R.crc64 is known, R.crc64 = B.remoteCrc64, else
 *   R.etag = B.remoteEtag. Etag moved, same size, no CRC: unknown, planned as changed.
 * - L = R (same content): sizes equal and both CRC64s known and equal, where L's CRC may come
 *   from B when L's identity is unchanged and R's from B when R.etag = B.remoteEtag.
 *
 *  L B R  condition                           backup                      mirror
 *  + - -                                      upload 'new'                same
 *  + - +  L = R                               record 'same-content'       same
 *  + - +  otherwise                           upload 'remote-untracked', preserveRemote,
 *                                             conflict local-won          same
 *  + + +  L same, R same, identity and etag   nothing                     same
 *         as in B
 *  + + +  L same, R same, identity or etag    record 'refresh'            same
 *         moved (touched; same content
 *         uploaded again by someone)
 *  + + +  L changed/unknown, R same           upload 'changed'            same
 *  + + +  R changed/unknown, L = R            record 'same-content'       same
 *  + + +  R changed/unknown, otherwise        upload 'remote-changed', preserveRemote,
 *                                             conflict local-won, report remote-changed
 *  + + -                                      upload 'remote-removed', report remote-removed
 *  - + +  R same                              nothing if the ETag is      delete-remote
 *                                             unchanged (the row stays),  (expected etag)
 *                                             else forget
 *  - + +  R changed/unknown                   forget                      forget, conflict
 *                                                                         remote-kept, report
 *                                                                         remote-changed
 *  - + -                                      forget                      forget
 *  - - +                                      nothing                     nothing, report
 *                                                                         remote-only
 *  - - -                                      nothing (the runner never asks)
 *
 * Choices beyond the first sketch, and why:
 * - L same and R same but the etag moved (same content put again, e.g. as multipart):
 *   record, so the next pass does not need a HEAD again.
 * - Backup keeps no conflict when a locally deleted file changed remotely (backup deletes
 *   nothing anyway, so nothing was decided against the remote), and does not report
 *   'remote-only': every file deleted locally after a backup is remote-only from then on,
 *   and reporting each one on every pass would bury real issues.
 * - A computed CRC64 overrides an unchanged identity (a file rewritten within the mtime
 *   granularity): planned as changed.
 * - Between planning and executing the object may change again: delete-remote carries the
 *   etag and preserveRemote the entry seen, so the executor can make both conditional.
 * - `local = null` must mean the scan saw the path absent, not that it failed to read it:
 *   an unreadable path is reported by the scanner and must not reach the planner.
 *
 * Renames are not detected here: the runner pairs an upload 'new' (no base, no remote) with
 * a journal entry whose path vanished locally and may replace the upload by a server-side
 * copy (and, in mirror, the delete of the old key).
 */
import type { JournalEntry, LocalEntry, RemoteEntry, SyncIssueCode, SyncMode } from './types.js';

/** What the planner knows of one path. All three refer to the same path. */
export interface PlanInput {
  local: LocalEntry | null;
  remote: RemoteEntry | null;
  base: JournalEntry | null;
}

export interface PlanPolicy {
  mode: SyncMode;
}

export interface PlanConflict {
  /** local-won: the local file overwrites a remote version (kept aside first);
   * remote-kept: the local delete is not carried out. */
  resolution: 'local-won' | 'remote-kept';
  /** The remote version the conflict is about. */
  remoteEtag: string;
}

export interface PlanReport {
  code: SyncIssueCode;
  message: string;
}

export type UploadReason =
  /** No base, no remote object. */
  | 'new'
  /** The local file changed since the last sync; the remote did not. */
  | 'changed'
  /** Someone else changed the remote object since the last sync. */
  | 'remote-changed'
  /** Someone else removed the remote object since the last sync. */
  | 'remote-removed'
  /** An object this pair never synced sits at the key with other content. */
  | 'remote-untracked';

interface Extras {
  conflict?: PlanConflict;
  report?: PlanReport;
}

export interface NothingAction extends Extras {
  kind: 'nothing';
}

export interface UploadAction extends Extras {
  kind: 'upload';
  reason: UploadReason;
  local: LocalEntry;
  base: JournalEntry | null;
  /** The remote version to copy under the conflicts prefix before it is overwritten. */
  preserveRemote: RemoteEntry | null;
}

export interface RecordAction extends Extras {
  kind: 'record';
  /** refresh: same content, the local identity or the remote etag moved;
   * same-content: both sides hold the same content the journal did not know. */
  reason: 'refresh' | 'same-content';
  /**
   * The journal entry to write. syncedAt is the remote object's lastModified (when that
   * content landed there): the planner has no clock; the runner may stamp its own time.
   */
  entry: JournalEntry;
}

export interface DeleteRemoteAction extends Extras {
  kind: 'delete-remote';
  /** The etag the object must still have: delete (or trash) only that version. */
  etag: string;
  base: JournalEntry;
  remote: RemoteEntry;
}

export interface ForgetAction extends Extras {
  kind: 'forget';
  /** The journal row to drop. */
  base: JournalEntry;
}

export type PlanAction =
  NothingAction | UploadAction | RecordAction | DeleteRemoteAction | ForgetAction;

export type PlanActionKind = PlanAction['kind'];

export interface ContentNeeded {
  /** Hash the local file and plan again with local.crc64 set. */
  localCrc: boolean;
  /** HEAD the object and plan again with remote.crc64 set. */
  remoteCrc: boolean;
}

type Sameness = 'same' | 'changed' | 'unknown';

function sameIdentity(local: LocalEntry, base: JournalEntry): boolean {
  return local.size === base.size && local.mtimeNs === base.mtimeNs && local.ino === base.ino;
}

function localVsBase(local: LocalEntry, base: JournalEntry): Sameness {
  if (local.size !== base.size) return 'changed';
  if (local.crc64 !== undefined) return local.crc64 === base.crc64 ? 'same' : 'changed';
  return sameIdentity(local, base) ? 'same' : 'unknown';
}

function remoteVsBase(remote: RemoteEntry, base: JournalEntry): Sameness {
  if (remote.size !== base.size) return 'changed';
  if (remote.crc64 !== undefined) return remote.crc64 === base.remoteCrc64 ? 'same' : 'changed';
  return remote.etag === base.remoteEtag ? 'same' : 'unknown';
}

/** The local CRC64 known without reading the file: computed this pass, or from the journal. */
function localCrcOf(local: LocalEntry, base: JournalEntry | null): string | undefined {
  if (local.crc64 !== undefined) return local.crc64;
  return base !== null && sameIdentity(local, base) ? base.crc64 : undefined;
}

/** The remote CRC64 known without a HEAD: from this pass, or from the journal. */
function remoteCrcOf(remote: RemoteEntry, base: JournalEntry | null): string | undefined {
  if (remote.crc64 !== undefined) return remote.crc64;
  return base !== null && remote.etag === base.remoteEtag && remote.size === base.size
    ? base.remoteCrc64
    : undefined;
}

function checkPaths(input: PlanInput): void {
  const paths = [input.local?.path, input.remote?.path, input.base?.path].filter(
    (p): p is string => p !== undefined,
  );
  // A merge that paired entries of different paths could otherwise plan a wrong delete.
  if (paths.some((p) => p !== paths[0]))
    throw new Error(`planner: entries of different paths (${paths.join(', ')})`);
}

/** The one action for a path. See the decision table at the top of this file. */
export function plan(input: PlanInput, policy: PlanPolicy): PlanAction {
  checkPaths(input);
  const { local, remote, base } = input;
  if (local !== null) return planLocal(local, remote, base);
  if (base !== null) return planLocalGone(remote, base, policy);
  if (remote !== null && policy.mode === 'mirror')
    return {
      kind: 'nothing',
      report: {
        code: 'remote-only',
        message: `The object for ${JSON.stringify(remote.path)} was not synced by this pair and has no local file; it is left alone.`,
      },
    };
  return { kind: 'nothing' };
}

function planLocal(
  local: LocalEntry,
  remote: RemoteEntry | null,
  base: JournalEntry | null,
): PlanAction {
  if (remote === null) {
    if (base === null) return upload('new', local, null, null);
    return {
      ...upload('remote-removed', local, base, null),
      report: {
        code: 'remote-removed',
        message: `The object for ${JSON.stringify(local.path)} was removed remotely since the last sync; the local file is uploaded again.`,
      },
    };
  }
  if (base === null) {
    if (sameContent(local, remote, null))
      return { kind: 'record', reason: 'same-content', entry: journalEntry(local, remote, null) };
    return {
      ...upload('remote-untracked', local, null, remote),
      conflict: { resolution: 'local-won', remoteEtag: remote.etag },
    };
  }
  const r = remoteVsBase(remote, base);
  if (r === 'same') {
    if (localVsBase(local, base) !== 'same') return upload('changed', local, base, null);
    if (sameIdentity(local, base) && remote.etag === base.remoteEtag) return { kind: 'nothing' };
    // Same content on both sides, but the journal's identity or etag is stale: refresh it so
    // the next pass neither hashes nor HEADs again.
    return { kind: 'record', reason: 'refresh', entry: journalEntry(local, remote, base) };
  }
  if (sameContent(local, remote, base))
    return { kind: 'record', reason: 'same-content', entry: journalEntry(local, remote, base) };
  return {
    ...upload('remote-changed', local, base, remote),
    conflict: { resolution: 'local-won', remoteEtag: remote.etag },
    report: {
      code: 'remote-changed',
      message: `The object for ${JSON.stringify(local.path)} was changed remotely since the last sync; that version is kept under the conflicts prefix and the local file is uploaded.`,
    },
  };
}

function planLocalGone(
  remote: RemoteEntry | null,
  base: JournalEntry,
  policy: PlanPolicy,
): PlanAction {
  if (remote === null) return { kind: 'forget', base };
  // Backup keeps the row while the object is exactly the one it synced (same ETag), so a
  // file created again under the name replaces it as a plain change, not as a conflict.
  if (policy.mode === 'backup')
    return remote.etag === base.remoteEtag ? { kind: 'nothing' } : { kind: 'forget', base };
  if (remoteVsBase(remote, base) === 'same')
    return { kind: 'delete-remote', etag: remote.etag, base, remote };
  // Never delete a version newer than what was synced.
  return {
    kind: 'forget',
    base,
    conflict: { resolution: 'remote-kept', remoteEtag: remote.etag },
    report: {
      code: 'remote-changed',
      message: `${JSON.stringify(base.path)} was deleted locally, but its object was changed remotely since the last sync; the object is kept.`,
    },
  };
}

function upload(
  reason: UploadReason,
  local: LocalEntry,
  base: JournalEntry | null,
  preserveRemote: RemoteEntry | null,
): UploadAction {
  return { kind: 'upload', reason, local, base, preserveRemote };
}

function sameContent(local: LocalEntry, remote: RemoteEntry, base: JournalEntry | null): boolean {
  if (local.size !== remote.size) return false;
  const l = localCrcOf(local, base);
  const r = remoteCrcOf(remote, base);
  return l !== undefined && r !== undefined && l === r;
}

/** Only called when both CRCs are known (same content, or both sides same as the base). */
function journalEntry(
  local: LocalEntry,
  remote: RemoteEntry,
  base: JournalEntry | null,
): JournalEntry {
  return {
    path: local.path,
    size: local.size,
    mtimeNs: local.mtimeNs,
    ino: local.ino,
    crc64: localCrcOf(local, base) as string,
    remoteEtag: remote.etag,
    remoteCrc64: remoteCrcOf(remote, base) as string,
    syncedAt: remote.lastModified,
  };
}

/**
 * Which CRC64s the caller should compute before planning (hash the local file; HEAD the
 * object), only where one can avoid an upload or tell a real conflict from a false one.
 * Never asks for a CRC that is known (given or from the journal), never when the sizes to
 * compare differ, and never for a local file whose identity matches the journal.
 */
export function contentNeeded(input: PlanInput, policy: PlanPolicy): ContentNeeded {
  checkPaths(input);
  const { local, remote, base } = input;
  let localCrc = false;
  let remoteCrc = false;
  if (local !== null && remote !== null) {
    if (base === null) {
      // Both present, never synced: equal content is a record instead of a conflict.
      localCrc = remoteCrc = local.size === remote.size;
    } else {
      const l = localVsBase(local, base);
      const r = remoteVsBase(remote, base);
      // Maybe touched only: a hash turns an upload into nothing (or a record).
      if (l === 'unknown' && r !== 'changed') localCrc = true;
      // Etag moved, same size: a HEAD tells a real remote change (conflict) from a re-put.
      if (r === 'unknown') remoteCrc = true;
      // The remote moved: it may hold exactly what the local file holds (record).
      if (r !== 'same' && local.size === remote.size) localCrc = remoteCrc = true;
    }
  } else if (local === null && remote !== null && base !== null && policy.mode === 'mirror') {
    // Decides between deleting the object and keeping it as a conflict.
    remoteCrc = remoteVsBase(remote, base) === 'unknown';
  }
  return {
    localCrc: localCrc && local !== null && localCrcOf(local, base) === undefined,
    remoteCrc: remoteCrc && remote !== null && remoteCrcOf(remote, base) === undefined,
  };
}
