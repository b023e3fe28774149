import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentNeeded, plan } from '../../../../main/core/sync/planner.js';
import type { JournalEntry } from '../../../../main/core/sync/types.js';
import {
  contentArb,
  crcOf,
  hashesArb,
  modeArb,
  ModelWorld,
  PATHS,
  scenarioArb,
  type SyncResult,
} from './planner-model.js';

/*
 * Random sequences of local changes, changes by someone else in the bucket, and syncs in
 * both modes (some with failed actions, some without the CRC64s the planner asked for) in
 * the model world, checking that:
 * (1) a final successful sync converges: every local file is at its key, the journal knows
 *     exactly the local files, in mirror what the local side deleted is gone unless it
 *     changed remotely, and a second pass plans only 'nothing' and reads nothing;
 * (2) backup never deletes;
 * (3) no delete without a journal entry, and only of the synced version;
 * (4) no version that was the newest on either side is ever lost;
 * plus contentNeeded's cost (never an unchanged file, never unequal sizes) and precision.
 */

// Seeded so a failure replays; the environment can ask for a longer hunt with other seeds.
const RUNS = Number(process.env.PLANNER_PROPERTY_RUNS ?? 400);
const SEED = Number(process.env.PLANNER_PROPERTY_SEED ?? 20261122);

/** Checks that hold for every sync, failed actions or not. */
function checkSync(
  world: ModelWorld,
  result: SyncResult,
  journalBefore: Map<string, JournalEntry>,
): void {
  for (const p of result.planned) {
    const { action, bare, asked } = p;
    // (2) backup never deletes.
    if (result.mode === 'backup') expect(action.kind).not.toBe('delete-remote');
    // (3) no delete without a journal entry, and only of the version that was synced.
    if (action.kind === 'delete-remote') {
      expect(journalBefore.get(p.path)).toEqual(action.base);
      expect(p.localContent).toBeUndefined();
      expect(p.remoteContent).toBeDefined();
      expect(crcOf(p.remoteContent as string)).toBe(action.base.remoteCrc64);
      expect(action.etag).toBe(bare.remote?.etag);
    }
    // contentNeeded stays cheap: never re-read an unchanged file, never compare unequal sizes.
    if (asked.localCrc) {
      const l = bare.local;
      expect(l).not.toBeNull();
      const sizes = [bare.base?.size, bare.remote?.size];
      expect(sizes).toContain(l?.size);
      if (bare.base)
        expect(
          l?.size === bare.base.size && l.mtimeNs === bare.base.mtimeNs && l.ino === bare.base.ino,
        ).toBe(false);
    }
    if (asked.remoteCrc) {
      expect(bare.remote).not.toBeNull();
      expect([bare.base?.size, bare.local?.size]).toContain(bare.remote?.size);
    }
    // With the CRC64s it asked for, the planner uploads and keeps conflicts only when the
    // contents really differ (contentNeeded asks for everything that matters).
    if (result.hashes === 'as-asked') {
      if (action.kind === 'upload' && p.remoteContent !== undefined)
        expect(p.remoteContent).not.toBe(p.localContent);
      if (action.conflict && bare.base)
        expect(crcOf(p.remoteContent as string)).not.toBe(bare.base.remoteCrc64);
    }
  }
  // (4) never lose the newest version of a file.
  expect(world.lostVersions()).toEqual([]);
}

function snapshot(world: ModelWorld): Map<string, JournalEntry> {
  return new Map(world.journal);
}

describe('planner properties (model world)', () => {
  it('converges, deletes only what it synced, and never loses the newest version', () => {
    fc.assert(
      fc.property(scenarioArb, ({ deleteMode, commands, final }) => {
        const world = new ModelWorld(deleteMode);
        for (const command of commands) {
          const before = snapshot(world);
          const keysBefore = new Set(world.remote.keys());
          const result = world.run(command);
          if (!result) continue;
          checkSync(world, result, before);
          // (2) in backup no key disappears because of a sync.
          if (result.mode === 'backup')
            for (const key of keysBefore) expect(world.remote.has(key)).toBe(true);
        }

        // A final sync where every action succeeds.
        const before = snapshot(world);
        const result = world.sync(final.mode, final.hashes, []);
        checkSync(world, result, before);

        // (1) every local file is at its key, and the journal knows exactly the local files.
        for (const [path, file] of world.local) {
          expect(world.remote.get(path)?.content).toBe(file.content);
          const entry = world.journal.get(path);
          expect(entry).toMatchObject({
            size: file.content.length,
            mtimeNs: file.mtimeNs,
            ino: file.ino,
            crc64: crcOf(file.content),
            remoteEtag: world.remote.get(path)?.etag,
          });
        }
        // Backup also keeps the rows of files deleted locally whose objects are still the
        // pair's own version (a file created again under the name is then a plain change).
        for (const [path, entry] of world.journal) {
          if (world.local.has(path)) continue;
          expect(final.mode).toBe('backup');
          expect(world.remote.get(path)?.etag).toBe(entry.remoteEtag);
        }
        // In mirror, what the journal knew and the local side deleted is gone, unless the
        // remote changed since (kept as a conflict).
        if (final.mode === 'mirror')
          for (const [path, entry] of before) {
            if (world.local.has(path) || !world.remote.has(path)) continue;
            const kept = result.planned.find((p) => p.path === path)?.action.conflict;
            expect(kept?.resolution).toBe('remote-kept');
            // Without the CRC64 a moved etag is enough to keep it; with it, only new content.
            const object = world.remote.get(path);
            if (final.hashes === 'none') expect(object?.etag).not.toBe(entry.remoteEtag);
            else expect(crcOf(object?.content as string)).not.toBe(entry.remoteCrc64);
          }
        // A second pass plans nothing and reads nothing (after a backup sync, in backup: a
        // mirror pass would now delete what backup kept).
        const modes =
          final.mode === 'backup' ? (['backup'] as const) : (['backup', 'mirror'] as const);
        for (const path of world.paths()) {
          const input = world.bareInput(path);
          for (const mode of modes) {
            expect(contentNeeded(input, { mode })).toEqual({ localCrc: false, remoteCrc: false });
            expect(plan(input, { mode }).kind).toBe('nothing');
          }
        }
        // (4) at the end too.
        expect(world.lostVersions()).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('the second pass plans nothing after any final sync mode and hashing', () => {
    // The same convergence from a dense start: every path exists on both sides, unsynced.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(contentArb, contentArb), {
          minLength: PATHS.length,
          maxLength: PATHS.length,
        }),
        modeArb,
        hashesArb,
        (contents, mode, hashes) => {
          const world = new ModelWorld('trash');
          PATHS.forEach((path, i) => {
            const [localContent, remoteContent] = contents[i] ?? ['', ''];
            world.run({ kind: 'local-write', path, content: localContent });
            world.run({ kind: 'remote-put', path, content: remoteContent });
          });
          const result = world.sync(mode, hashes, []);
          checkSync(world, result, new Map());
          for (const path of PATHS) {
            expect(world.remote.get(path)?.content).toBe(world.local.get(path)?.content);
            expect(plan(world.bareInput(path), { mode }).kind).toBe('nothing');
          }
          // The untracked remote versions that differed are kept as conflicts.
          for (const [i, path] of PATHS.entries()) {
            const [localContent, remoteContent] = contents[i] ?? ['', ''];
            if (localContent !== remoteContent)
              expect(world.conflicts).toContainEqual({ path, content: remoteContent });
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED + 1 },
    );
  });
});
