import { unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Job } from '../../../../main/core/db/job-types.js';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

// PairRunner.settled() is what a one-shot `ossync sync` (and the journal fault sweep) waits
// for. When a pair's upload ends, the runner looks (asynchronously) whether its file is still
// there and passes over the path if not; settled() must not resolve while that look is under
// way, or the caller goes on (the user edits, the CLI exits) before the pass it asks for.
// Found by test/stress/journal-faults.test.ts: the first sync "settled", the script renamed
// docs/b.txt, and the late look saw it gone and moved it to the trash instead of a move.

let world: SyncWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

it('settled() waits for the look at an ended upload whose file is gone, and the pass it asks for', async () => {
  // Enough synced files that one deletion stays below the delete guard.
  world = await startSyncWorld({
    pair: { mode: 'mirror' },
    files: { '1.txt': 'one', '2.txt': 'two', '3.txt': 'three', '4.txt': 'four' },
  });
  const w = world;
  await w.sync();
  w.write('gone.txt', 'uploaded, then deleted as its upload ends');
  // Before the runner's own listener: the file is gone by the time the runner looks.
  w.runtime.engine.prependListener('job', (job: Job) => {
    if (job.pair?.path === 'gone.txt' && job.pair.journal === 'put' && job.state === 'done')
      unlinkSync(path.join(w.root, 'gone.txt'));
  });
  await w.sync();
  // Read at once, before anything else can run: the pass over the gone path already ran and
  // its deletion (a move into the trash) is done.
  const jobs = w.jobs().filter((job) => job.pair?.path === 'gone.txt');
  expect(jobs.map((job) => [job.kind, job.pair?.journal, job.state])).toEqual([
    ['upload', 'put', 'done'],
    ['copy', 'remove', 'done'],
  ]);
  expect([...(await w.bucket()).keys()]).toEqual(['1.txt', '2.txt', '3.txt', '4.txt']);
});
