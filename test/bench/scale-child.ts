/**
 * The engine process of `npm run bench -- scale` (test/bench/scale.ts): opens a data
 * directory whose job database the bench filled, starts the transfer engine with its
 * defaults and lets it work through the queue for a while, sampling its RSS. One task per
 * process, given as JSON in argv[2]; the one reply goes over IPC. Run as built JS (see
 * buildChild in test/bench/sync.ts) or under tsx.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createTransferRuntime } from '../../main/core/runtime.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, TEST_REGION } from '../helpers/osslocal.js';

export interface EngineTask {
  dataDir: string;
  port: number;
  /** How long the started engine runs while its RSS is sampled. */
  runSeconds: number;
}

export interface EngineReply {
  /** RSS with the modules loaded, nothing opened yet, MiB. */
  rssLoadedMiB: number;
  /** RSS once the runtime is open (database, CRC64 pool, OSS client), engine not started. */
  rssOpenMiB: number;
  /** engine.start(): queuing interrupted jobs again and the first claim, seconds. */
  startSeconds: number;
  /** Peak RSS (VmHWM, reset just before start) over the run, and the RSS at its end, MiB. */
  peakRssMiB: number;
  endRssMiB: number;
  /** VmRSS every 500 ms over the run, MiB. */
  samplesMiB: number[];
  /** process.memoryUsage() at the end of the run, MiB. */
  memoryMiB: Record<string, number>;
  /** Jobs by state at the end of the run. */
  counts: Record<string, number>;
  runSeconds: number;
}

function procStatusKiB(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return match ? Number(match[1]) : Number.NaN;
}

const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

/** Resets the peak RSS (VmHWM) to the current RSS: Linux `clear_refs` mode 5. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux: the peak then covers the process so far.
  }
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('no IPC channel'));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

async function engineTask(task: EngineTask): Promise<EngineReply> {
  const rssLoadedMiB = mib(procStatusKiB('VmRSS'));
  const runtime = createTransferRuntime({
    dataDir: task.dataDir,
    account: {
      endpoint: `http://localhost:${task.port}`,
      region: TEST_REGION,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
      pathStyle: true,
    },
  });
  const rssOpenMiB = mib(procStatusKiB('VmRSS'));
  resetPeakRss();
  const runStart = performance.now();
  runtime.engine.start();
  const startSeconds = (performance.now() - runStart) / 1000;
  const samplesMiB: number[] = [];
  while (performance.now() - runStart < task.runSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    samplesMiB.push(mib(procStatusKiB('VmRSS')));
  }
  const runSeconds = (performance.now() - runStart) / 1000;
  const peakRssMiB = mib(procStatusKiB('VmHWM'));
  const endRssMiB = mib(procStatusKiB('VmRSS'));
  const memoryMiB = Object.fromEntries(
    Object.entries(process.memoryUsage()).map(([name, bytes]) => [
      name,
      Math.round((bytes / 1024 / 1024) * 10) / 10,
    ]),
  );
  const counts = Object.fromEntries(
    Object.entries(runtime.store.counts()).filter(([, n]) => n > 0),
  );
  await runtime.close();
  return {
    rssLoadedMiB,
    rssOpenMiB,
    startSeconds,
    peakRssMiB,
    endRssMiB,
    samplesMiB,
    memoryMiB,
    counts,
    runSeconds,
  };
}

engineTask(JSON.parse(process.argv[2] ?? '{}') as EngineTask).then(
  async (reply) => {
    await send(reply);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`scale-child: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
