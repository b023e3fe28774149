/**
 * Run by hostile-local.test.ts as an unprivileged user (`setpriv --reuid=65534`): tests run as
 * root, and root reads files whatever their mode, so only another user shows what OSSync does
 * with files and folders it may not read. A mirror pair over `<base>/folder` syncs once with
 * everything readable; then, as the owner, this process takes away read permission (a new
 * file, a changed synced file, a synced folder) and syncs again. It prints one JSON line: the
 * pair's issues, status and pending deletions, and its jobs.
 *
 * Usage: node --import tsx hostile-local-unprivileged.ts '{"port":N,"base":"/tmp/...","prefix":"p/"}'
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createTransferRuntime } from '../../../main/core/runtime.js';
import { SyncManager } from '../../../main/core/sync/sync-manager.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, TEST_REGION } from '../../helpers/osslocal.js';
import { HOSTILE_BUCKET } from './hostile-local-world.js';

interface Args {
  port: number;
  base: string;
  prefix: string;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const root = path.join(args.base, 'folder');
  const runtime = createTransferRuntime({
    dataDir: path.join(args.base, 'data'),
    account: {
      endpoint: `http://localhost:${args.port}`,
      region: TEST_REGION,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
      pathStyle: true,
      authorizationV4: true,
    },
  });
  runtime.engine.start();
  const manager = new SyncManager(
    {
      sync: runtime.sync,
      jobs: runtime.store,
      engine: runtime.engine,
      remote: runtime.remote,
      crc: runtime.crc,
      dataDir: path.join(args.base, 'data'),
    },
    { watch: false, rescanMs: 0, stabilityMs: 0 },
  );
  const pair = manager.addPair({
    localRoot: root,
    bucket: HOSTILE_BUCKET,
    prefix: args.prefix,
    mode: 'mirror',
  });
  await manager.start();
  const runner = manager.runner(pair.id)!;
  const first = await runner.settled();

  // Unreadable now: a new file, a synced file that changed, and a synced folder.
  writeFileSync(path.join(root, 'new-secret.txt'), 'never readable');
  chmodSync(path.join(root, 'new-secret.txt'), 0o000);
  writeFileSync(path.join(root, 'changed.txt'), 'changed, then locked');
  chmodSync(path.join(root, 'changed.txt'), 0o000);
  chmodSync(path.join(root, 'locked'), 0o000);
  writeFileSync(path.join(root, 'after.txt'), 'written after');
  runner.requestPass([''], true);
  const second = await runner.settled();

  const issues = runtime.sync.issuesPage(pair.id, undefined, 1000);
  const jobs = runtime.db
    .prepare<[number], { id: number }>('SELECT id FROM jobs WHERE pair_id = ? ORDER BY id')
    .all(pair.id)
    .map(({ id }) => runtime.store.get(id));
  const out = {
    uid: process.getuid?.(),
    first: { state: first.state, detail: first.detail },
    second: { state: second.state, detail: second.detail },
    pendingDeletes: runtime.sync.countPendingDeletes(pair.id),
    issues,
    jobs: jobs.map((job) => ({
      key: job?.key,
      kind: job?.kind,
      state: job?.state,
      error: job?.error ?? null,
    })),
  };
  await manager.stop();
  await runtime.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
