import { describe, expect, it } from 'vitest';
import {
  contentNeeded,
  plan,
  type PlanAction,
  type PlanInput,
} from '../../../../main/core/sync/planner.js';
import type {
  JournalEntry,
  LocalEntry,
  RemoteEntry,
  SyncMode,
} from '../../../../main/core/sync/types.js';

const PATH = 'docs/a.txt';

const base: JournalEntry = {
  path: PATH,
  size: 10,
  mtimeNs: 100n,
  ino: 7n,
  crc64: '111',
  remoteEtag: 'E1',
  remoteCrc64: '111',
  syncedAt: 1_000,
};

function local(change: Partial<LocalEntry> = {}): LocalEntry {
  return { path: PATH, fsPath: PATH, size: 10, mtimeNs: 100n, ino: 7n, ...change };
}

function remote(change: Partial<RemoteEntry> = {}): RemoteEntry {
  return { path: PATH, size: 10, etag: 'E1', lastModified: 900, ...change };
}

/** The parts of an action a row of the table pins down; absent fields must be absent. */
function summary(action: PlanAction): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: action.kind };
  if (action.kind === 'upload') {
    out.reason = action.reason;
    out.preserve = action.preserveRemote?.etag ?? null;
  }
  if (action.kind === 'record') out.reason = action.reason;
  if (action.kind === 'delete-remote') out.etag = action.etag;
  if (action.conflict) out.conflict = `${action.conflict.resolution}:${action.conflict.remoteEtag}`;
  if (action.report) out.report = action.report.code;
  return out;
}

interface Row {
  name: string;
  input: PlanInput;
  backup: Record<string, unknown>;
  /** Same as backup when omitted. */
  mirror?: Record<string, unknown>;
}

const touched = { mtimeNs: 200n };
const rows: Row[] = [
  // L, no B
  {
    name: 'new local file',
    input: { local: local(), remote: null, base: null },
    backup: { kind: 'upload', reason: 'new', preserve: null },
  },
  {
    name: 'local and untracked remote, same content',
    input: { local: local({ crc64: '5' }), remote: remote({ crc64: '5' }), base: null },
    backup: { kind: 'record', reason: 'same-content' },
  },
  {
    name: 'local and untracked remote, different content',
    input: { local: local({ crc64: '5' }), remote: remote({ crc64: '6' }), base: null },
    backup: {
      kind: 'upload',
      reason: 'remote-untracked',
      preserve: 'E1',
      conflict: 'local-won:E1',
    },
  },
  {
    name: 'local and untracked remote, sizes differ',
    input: { local: local({ size: 3 }), remote: remote(), base: null },
    backup: {
      kind: 'upload',
      reason: 'remote-untracked',
      preserve: 'E1',
      conflict: 'local-won:E1',
    },
  },
  {
    name: 'local and untracked remote, CRC64s missing: kept, not assumed equal',
    input: { local: local(), remote: remote(), base: null },
    backup: {
      kind: 'upload',
      reason: 'remote-untracked',
      preserve: 'E1',
      conflict: 'local-won:E1',
    },
  },
  // L, B, R same
  {
    name: 'nothing changed',
    input: { local: local(), remote: remote(), base },
    backup: { kind: 'nothing' },
  },
  {
    name: 'nothing changed, local CRC64 known and equal',
    input: { local: local({ crc64: '111' }), remote: remote(), base },
    backup: { kind: 'nothing' },
  },
  {
    name: 'touched (identity moved, same CRC64)',
    input: { local: local({ ...touched, crc64: '111' }), remote: remote(), base },
    backup: { kind: 'record', reason: 'refresh' },
  },
  {
    name: 'new inode (atomic save), same CRC64',
    input: { local: local({ ino: 8n, crc64: '111' }), remote: remote(), base },
    backup: { kind: 'record', reason: 'refresh' },
  },
  {
    name: 'touched, CRC64 not computed: uploaded (safe)',
    input: { local: local(touched), remote: remote(), base },
    backup: { kind: 'upload', reason: 'changed', preserve: null },
  },
  {
    name: 'changed, same size',
    input: { local: local({ ...touched, crc64: '222' }), remote: remote(), base },
    backup: { kind: 'upload', reason: 'changed', preserve: null },
  },
  {
    name: 'changed, other size',
    input: { local: local({ ...touched, size: 12 }), remote: remote(), base },
    backup: { kind: 'upload', reason: 'changed', preserve: null },
  },
  {
    name: 'identity unchanged but a computed CRC64 differs: the CRC64 wins',
    input: { local: local({ crc64: '999' }), remote: remote(), base },
    backup: { kind: 'upload', reason: 'changed', preserve: null },
  },
  {
    name: 'remote put again with the same content (new etag, CRC64 equal)',
    input: { local: local(), remote: remote({ etag: 'E2', crc64: '111' }), base },
    backup: { kind: 'record', reason: 'refresh' },
  },
  {
    name: 'local changed, remote put again with the same content',
    input: {
      local: local({ ...touched, size: 12 }),
      remote: remote({ etag: 'E2', crc64: '111' }),
      base,
    },
    backup: { kind: 'upload', reason: 'changed', preserve: null },
  },
  // L, B, R changed
  {
    name: 'remote changed, local unchanged: local wins, remote kept',
    input: { local: local(), remote: remote({ etag: 'E3', size: 14 }), base },
    backup: {
      kind: 'upload',
      reason: 'remote-changed',
      preserve: 'E3',
      conflict: 'local-won:E3',
      report: 'remote-changed',
    },
  },
  {
    name: 'remote etag moved, same size, CRC64 unknown: treated as changed',
    input: { local: local(), remote: remote({ etag: 'E3' }), base },
    backup: {
      kind: 'upload',
      reason: 'remote-changed',
      preserve: 'E3',
      conflict: 'local-won:E3',
      report: 'remote-changed',
    },
  },
  {
    name: 'both changed to the same content',
    input: {
      local: local({ ...touched, crc64: '222' }),
      remote: remote({ etag: 'E3', crc64: '222' }),
      base,
    },
    backup: { kind: 'record', reason: 'same-content' },
  },
  {
    name: 'both changed, different content',
    input: {
      local: local({ ...touched, crc64: '222' }),
      remote: remote({ etag: 'E3', crc64: '333' }),
      base,
    },
    backup: {
      kind: 'upload',
      reason: 'remote-changed',
      preserve: 'E3',
      conflict: 'local-won:E3',
      report: 'remote-changed',
    },
  },
  {
    name: 'both changed, local CRC64 missing',
    input: { local: local(touched), remote: remote({ etag: 'E3', crc64: '333' }), base },
    backup: {
      kind: 'upload',
      reason: 'remote-changed',
      preserve: 'E3',
      conflict: 'local-won:E3',
      report: 'remote-changed',
    },
  },
  // L, B, no R
  {
    name: 'remote removed by someone else',
    input: { local: local(), remote: null, base },
    backup: { kind: 'upload', reason: 'remote-removed', preserve: null, report: 'remote-removed' },
  },
  {
    name: 'remote removed and local changed',
    input: { local: local({ ...touched, size: 3 }), remote: null, base },
    backup: { kind: 'upload', reason: 'remote-removed', preserve: null, report: 'remote-removed' },
  },
  // no L, B
  {
    name: 'local deleted, remote as synced',
    input: { local: null, remote: remote(), base },
    backup: { kind: 'nothing' },
    mirror: { kind: 'delete-remote', etag: 'E1' },
  },
  {
    name: 'local deleted, remote put again with the same content',
    input: { local: null, remote: remote({ etag: 'E2', crc64: '111' }), base },
    backup: { kind: 'forget' },
    mirror: { kind: 'delete-remote', etag: 'E2' },
  },
  {
    name: 'local deleted, remote changed',
    input: { local: null, remote: remote({ etag: 'E3', size: 14 }), base },
    backup: { kind: 'forget' },
    mirror: { kind: 'forget', conflict: 'remote-kept:E3', report: 'remote-changed' },
  },
  {
    name: 'local deleted, remote etag moved and CRC64 unknown: never deleted',
    input: { local: null, remote: remote({ etag: 'E3' }), base },
    backup: { kind: 'forget' },
    mirror: { kind: 'forget', conflict: 'remote-kept:E3', report: 'remote-changed' },
  },
  {
    name: 'deleted on both sides',
    input: { local: null, remote: null, base },
    backup: { kind: 'forget' },
  },
  // no L, no B
  {
    name: 'remote only: never deleted without a journal entry',
    input: { local: null, remote: remote(), base: null },
    backup: { kind: 'nothing' },
    mirror: { kind: 'nothing', report: 'remote-only' },
  },
  {
    name: 'nothing anywhere',
    input: { local: null, remote: null, base: null },
    backup: { kind: 'nothing' },
  },
];

describe('plan: decision table', () => {
  for (const row of rows)
    for (const mode of ['backup', 'mirror'] as const satisfies readonly SyncMode[])
      it(`${row.name} (${mode})`, () => {
        const expected = mode === 'mirror' ? (row.mirror ?? row.backup) : row.backup;
        expect(summary(plan(row.input, { mode }))).toEqual(expected);
      });
});

describe('plan: action contents', () => {
  it('an upload carries the local entry and the base', () => {
    const l = local({ size: 12, mtimeNs: 200n });
    const action = plan({ local: l, remote: remote(), base }, { mode: 'backup' });
    expect(action).toEqual({
      kind: 'upload',
      reason: 'changed',
      local: l,
      base,
      preserveRemote: null,
    });
  });

  it('preserveRemote is the remote entry that is about to be overwritten', () => {
    const r = remote({ etag: 'E3', size: 14 });
    const action = plan({ local: local(), remote: r, base }, { mode: 'mirror' });
    expect(action.kind === 'upload' && action.preserveRemote).toBe(r);
  });

  it('a refresh records the new identity and the current etag', () => {
    const l = local({ mtimeNs: 300n, ino: 9n, crc64: '111' });
    const action = plan(
      { local: l, remote: remote({ etag: 'E2', crc64: '111', lastModified: 5 }), base },
      { mode: 'backup' },
    );
    expect(action).toEqual({
      kind: 'record',
      reason: 'refresh',
      entry: {
        path: PATH,
        size: 10,
        mtimeNs: 300n,
        ino: 9n,
        crc64: '111',
        remoteEtag: 'E2',
        remoteCrc64: '111',
        syncedAt: 5,
      },
    });
  });

  it('an untracked pair of equal files is recorded with both CRC64s', () => {
    const action = plan(
      { local: local({ crc64: '5' }), remote: remote({ crc64: '5', etag: 'X' }), base: null },
      { mode: 'mirror' },
    );
    expect(action.kind === 'record' && action.entry).toMatchObject({
      crc64: '5',
      remoteEtag: 'X',
      remoteCrc64: '5',
      mtimeNs: 100n,
      ino: 7n,
    });
  });

  it('the local CRC64 of an unchanged identity comes from the journal', () => {
    // Local not read (identity as in the base); the remote changed to the very same content.
    const action = plan(
      { local: local(), remote: remote({ etag: 'E3', crc64: '111', size: 10 }), base },
      { mode: 'backup' },
    );
    // remoteCrc64 equal to the base: that is "remote same", a refresh of the etag.
    expect(summary(action)).toEqual({ kind: 'record', reason: 'refresh' });
  });

  it('delete-remote carries the expected etag, the base and the remote entry', () => {
    const r = remote();
    const action = plan({ local: null, remote: r, base }, { mode: 'mirror' });
    expect(action).toEqual({ kind: 'delete-remote', etag: 'E1', base, remote: r });
  });

  it('forget carries the journal row to drop', () => {
    expect(plan({ local: null, remote: null, base }, { mode: 'mirror' })).toEqual({
      kind: 'forget',
      base,
    });
  });

  it('refuses entries of different paths', () => {
    expect(() =>
      plan({ local: local(), remote: remote({ path: 'other' }), base }, { mode: 'mirror' }),
    ).toThrow(/different paths/);
  });
});

describe('contentNeeded', () => {
  interface NeedRow {
    name: string;
    input: PlanInput;
    need: [localCrc: boolean, remoteCrc: boolean];
    /** Mirror differs only for a locally deleted file. */
    mirror?: [boolean, boolean];
  }
  const needRows: NeedRow[] = [
    { name: 'unchanged', input: { local: local(), remote: remote(), base }, need: [false, false] },
    {
      name: 'touched, same size: maybe only touched',
      input: { local: local(touched), remote: remote(), base },
      need: [true, false],
    },
    {
      name: 'touched, CRC64 already known',
      input: { local: local({ ...touched, crc64: '1' }), remote: remote(), base },
      need: [false, false],
    },
    {
      name: 'size changed: an upload whatever the content',
      input: { local: local({ ...touched, size: 11 }), remote: remote(), base },
      need: [false, false],
    },
    {
      name: 'remote etag moved, same size: HEAD decides the conflict',
      input: { local: local(), remote: remote({ etag: 'E2' }), base },
      need: [false, true],
    },
    {
      name: 'remote etag moved, local changed size: HEAD still decides the conflict',
      input: { local: local({ ...touched, size: 11 }), remote: remote({ etag: 'E2' }), base },
      need: [false, true],
    },
    {
      name: 'remote changed size, local unchanged identity: sizes differ',
      input: { local: local(), remote: remote({ etag: 'E2', size: 11 }), base },
      need: [false, false],
    },
    {
      name: 'both changed to the same size: maybe the same content',
      input: {
        local: local({ ...touched, size: 11 }),
        remote: remote({ etag: 'E2', size: 11 }),
        base,
      },
      need: [true, true],
    },
    {
      name: 'both changed, different sizes',
      input: {
        local: local({ ...touched, size: 11 }),
        remote: remote({ etag: 'E2', size: 12 }),
        base,
      },
      need: [false, false],
    },
    {
      name: 'touched while the remote was put again',
      input: { local: local(touched), remote: remote({ etag: 'E2' }), base },
      need: [true, true],
    },
    {
      name: 'remote CRC64 already known',
      input: { local: local(touched), remote: remote({ etag: 'E2', crc64: '111' }), base },
      need: [true, false],
    },
    {
      name: 'untracked remote, same size',
      input: { local: local(), remote: remote(), base: null },
      need: [true, true],
    },
    {
      name: 'untracked remote, other size',
      input: { local: local({ size: 3 }), remote: remote(), base: null },
      need: [false, false],
    },
    { name: 'new file', input: { local: local(), remote: null, base: null }, need: [false, false] },
    {
      name: 'remote removed',
      input: { local: local(touched), remote: null, base },
      need: [false, false],
    },
    {
      name: 'local deleted, remote etag moved with the same size',
      input: { local: null, remote: remote({ etag: 'E2' }), base },
      need: [false, false],
      mirror: [false, true],
    },
    {
      name: 'local deleted, remote as synced',
      input: { local: null, remote: remote(), base },
      need: [false, false],
    },
    {
      name: 'local deleted, remote changed size',
      input: { local: null, remote: remote({ etag: 'E2', size: 3 }), base },
      need: [false, false],
    },
    {
      name: 'remote only',
      input: { local: null, remote: remote(), base: null },
      need: [false, false],
    },
  ];

  for (const row of needRows)
    for (const mode of ['backup', 'mirror'] as const)
      it(`${row.name} (${mode})`, () => {
        const [localCrc, remoteCrc] = mode === 'mirror' ? (row.mirror ?? row.need) : row.need;
        expect(contentNeeded(row.input, { mode })).toEqual({ localCrc, remoteCrc });
      });

  it('once the asked CRC64s are given, a touched file is a record, not an upload', () => {
    const input: PlanInput = { local: local(touched), remote: remote({ etag: 'E2' }), base };
    expect(plan(input, { mode: 'mirror' }).kind).toBe('upload');
    const hashed: PlanInput = {
      local: local({ ...touched, crc64: '111' }),
      remote: remote({ etag: 'E2', crc64: '111' }),
      base,
    };
    expect(contentNeeded(hashed, { mode: 'mirror' })).toEqual({
      localCrc: false,
      remoteCrc: false,
    });
    expect(summary(plan(hashed, { mode: 'mirror' }))).toEqual({
      kind: 'record',
      reason: 'refresh',
    });
  });
});
