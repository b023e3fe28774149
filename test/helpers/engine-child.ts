/**
 * A transfer engine in a process of its own, for kill-and-resume tests:
 * `node --import tsx test/helpers/engine-child.ts CONFIG.json`.
 *
 * It opens the runtime on the config's data dir, adds the config's jobs (one batch) only
 * when the queue is empty, so a restart after a SIGKILL resumes what the last run left, and
 * runs until the batch is finished. It prints one line per event on stdout:
 * `start resumed=BOOL jobs=N`, `job ID STATE KEY`, `progress DONE/TOTAL` and, last,
 * `done COUNTS_JSON`, then exits 0 (1 on an error, with the error on stderr).
 */
import { readFileSync } from 'node:fs';
import type { NewJob } from '../../main/core/db/job-types.js';
import type { RemoteAccount } from '../../main/core/remote/remote-store.js';
import { createTransferRuntime } from '../../main/core/runtime.js';
import type { EngineLimits } from '../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../main/core/transfer/retry-policy.js';
import { mulberry32 } from './random.js';

export interface EngineChildConfig {
  dataDir: string;
  account: RemoteAccount;
  batch: string;
  jobs: NewJob[];
  engine: Pick<EngineLimits, 'maxFiles' | 'maxPartsPerFile' | 'maxParts'> & {
    partSize: number;
    multipartThreshold: number;
    maxCopyBytes?: number;
    copyPartSize?: number;
  };
  /** Seeds the retry jitter. */
  seed: number;
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath === undefined) throw new Error('usage: engine-child.ts CONFIG.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as EngineChildConfig;
  const runtime = createTransferRuntime({
    dataDir: config.dataDir,
    account: config.account,
    engine: {
      ...config.engine,
      retry: new RetryPolicy({
        initialDelayMs: 10,
        maxDelayMs: 200,
        random: mulberry32(config.seed),
      }),
      progressIntervalMs: 100,
    },
  });
  const { engine, store } = runtime;
  const existing = Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
  if (existing === 0) store.add(config.jobs.map((job) => ({ ...job, batch: config.batch })));
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  out(`start resumed=${existing > 0} jobs=${existing > 0 ? existing : config.jobs.length}`);
  engine.on('job', (job) => out(`job ${job.id} ${job.state} ${job.key}`));
  engine.on('progress', (snapshot) =>
    out(`progress ${snapshot.totalBytesDone}/${snapshot.totalBytesTotal}`),
  );
  engine.start();
  const counts = await engine.waitForBatch(config.batch);
  await runtime.close();
  out(`done ${JSON.stringify(counts)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
