/**
 * `npm run bench -- transfer`: the transfer engine against the local OSS server, next to
 * baselines driven against the same server in the same run:
 * - one 1 GiB file up and down, against a raw single-stream HTTP PUT / GET of the same file
 *   (presigned URLs, node:http, streamed from / to disk) and against ali-oss
 *   `multipartUpload` with its defaults;
 * - 10,000 files of 4 KiB up, end to end through the job database, against a bare loop of
 *   ali-oss `put` calls at the engine's file concurrency, with no persistence;
 * - the engine process's peak RSS in each phase.
 *
 * Three processes: the local OSS server (a child, as in osslocal.ts), the engine (a child:
 * this file run with `engine`, driven over IPC, so its memory is its own) and this process,
 * which runs the baselines. Each variant runs `rounds` times, the order alternating, and the
 * best round is kept, as the machines are noisy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type OSS from 'ali-oss';
import type { NewJob } from '../../main/core/db/job-types.js';
import { createTransferRuntime } from '../../main/core/runtime.js';
import { DEFAULT_LIMITS, type EngineOptions } from '../../main/core/transfer/engine.js';
import { localOssArgs, startLocalOssProcess } from '../helpers/local-oss-process.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  createClient,
} from '../helpers/osslocal.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = 'bench';
const CONTENT_TYPE = 'application/octet-stream';
const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = path.resolve(path.dirname(THIS_FILE), '../..');

export interface TransferBenchOptions {
  /** Size of the big file. */
  bigMiB?: number;
  /** How many small files, and their size. */
  smallCount?: number;
  smallBytes?: number;
  /** Rounds per variant; the best is kept. */
  rounds?: number;
  /** Engine options (limits, part size); default: none, the engine's defaults. */
  engine?: EngineOptions;
}

// ---- the engine child, driven over IPC ---------------------------------------------------

type Command =
  | { op: 'upload'; key: string; file: string; size: number }
  | { op: 'download'; key: string; file: string }
  | { op: 'upload-many'; prefix: string; dir: string; count: number; size: number }
  | { op: 'exit' };

interface PhaseReply {
  seconds: number;
  /** CPU time of the engine process (all threads, user + system) during the phase. */
  cpuSeconds: number;
  /** Peak RSS of the phase (VmHWM, reset when the phase starts), KiB. */
  peakRssKiB: number;
  /** process.memoryUsage() at the end of the phase, MiB: where the RSS is. */
  memoryMiB: Record<string, number>;
  /** The CRC64 the engine verified (one file). */
  crc64?: string | undefined;
  /** The part size the engine chose (a multipart upload). */
  partSize?: number | undefined;
}

interface ReadyReply {
  idleRssKiB: number;
  limits: Record<string, number | null>;
}

interface ExitReply {
  closed: true;
}

function procStatusKiB(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return match ? Number(match[1]) : Number.NaN;
}

/** Resets the peak RSS (VmHWM) to the current RSS: Linux `clear_refs` mode 5. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux: the peak then covers the process so far.
  }
}

/** CPU seconds (user + system, every thread) since `start`. */
function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const smallName = (i: number): string => `f${String(i).padStart(5, '0')}.bin`;

async function engineChild(port: number, dataDir: string, options: EngineOptions): Promise<void> {
  // By default no options: the engine's own limits and part size.
  const runtime = createTransferRuntime({
    dataDir,
    engine: options,
    account: {
      endpoint: `http://localhost:${port}`,
      region: TEST_REGION,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
      pathStyle: true,
    },
  });
  const { engine, store } = runtime;
  engine.start();
  let batches = 0;
  const send = (message: PhaseReply | ReadyReply | ExitReply): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!process.send) return reject(new Error('no IPC channel'));
      process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
    });

  /** Adds the jobs as one batch and waits for it: the time covers the database too. */
  const runBatch = async (jobs: NewJob[]): Promise<PhaseReply & { ids: number[] }> => {
    const batch = `bench-${++batches}`;
    resetPeakRss();
    const cpu = process.cpuUsage();
    const start = performance.now();
    const ids = engine.add(jobs.map((job) => ({ ...job, batch })));
    const counts = await engine.waitForBatch(batch);
    const seconds = (performance.now() - start) / 1000;
    const cpuSeconds = cpuSince(cpu);
    const peakRssKiB = procStatusKiB('VmHWM');
    const memoryMiB = Object.fromEntries(
      Object.entries(process.memoryUsage()).map(([name, bytes]) => [name, fmt(bytes / MiB)]),
    );
    if (counts.done !== jobs.length) {
      const other = ids.map((id) => store.get(id)).find((job) => job?.state !== 'done');
      throw new Error(
        `${counts.done} of ${jobs.length} jobs done; one not: ${JSON.stringify(other, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))}`,
      );
    }
    return { seconds, cpuSeconds, peakRssKiB, memoryMiB, ids };
  };

  const handle = async (command: Command): Promise<void> => {
    switch (command.op) {
      case 'upload':
      case 'download': {
        // Sizes as the app passes them (known from its walk of the folder); a download's
        // comes from HEAD.
        const { ids, ...phase } = await runBatch([
          {
            kind: command.op,
            bucket: BUCKET,
            key: command.key,
            localPath: command.file,
            ...(command.op === 'upload' ? { size: command.size } : {}),
          },
        ]);
        const job = store.get(ids[0] as number);
        return send({
          ...phase,
          crc64: job?.resultCrc64 ?? undefined,
          partSize: job?.partSize ?? undefined,
        });
      }
      case 'upload-many': {
        const { ids: _ids, ...phase } = await runBatch(
          Array.from({ length: command.count }, (_, i) => ({
            kind: 'upload' as const,
            bucket: BUCKET,
            key: `${command.prefix}${i}`,
            localPath: path.join(command.dir, smallName(i)),
            size: command.size,
          })),
        );
        return send(phase);
      }
      case 'exit': {
        await runtime.close();
        await send({ closed: true });
        process.exit(0);
      }
    }
  };
  process.on('message', (command: Command) => {
    handle(command).catch((error: unknown) => {
      process.stderr.write(`engine: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
  });
  const limits = engine.getLimits();
  await send({
    idleRssKiB: procStatusKiB('VmRSS'),
    limits: {
      maxFiles: limits.maxFiles,
      maxPartsPerFile: limits.maxPartsPerFile,
      maxParts: limits.maxParts,
      uploadBytesPerSecond: limits.uploadBytesPerSecond ?? null,
      downloadBytesPerSecond: limits.downloadBytesPerSecond ?? null,
    },
  });
}

/** The parent's handle on the engine child: one command at a time, one reply each. */
class EngineProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: ReadyReply,
  ) {}

  static async start(
    port: number,
    dataDir: string,
    options: EngineOptions,
  ): Promise<EngineProcess> {
    const child = spawn(
      process.execPath,
      [
        // E.g. BENCH_ENGINE_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it.
        ...(process.env['BENCH_ENGINE_NODE_OPTIONS']?.split(' ').filter(Boolean) ?? []),
        '--import',
        'tsx',
        THIS_FILE,
        'engine',
        String(port),
        dataDir,
        JSON.stringify(options),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    const ready = await EngineProcess.reply<ReadyReply>(child);
    return new EngineProcess(child, ready);
  }

  private static reply<T>(child: ChildProcess): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`engine process exited with code ${code}`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as T);
      });
    });
  }

  async request<T>(command: Command): Promise<T> {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      throw new Error(`engine process exited with code ${this.child.exitCode}`);
    const reply = EngineProcess.reply<T>(this.child);
    this.child.send(command, (error) => {
      if (error) this.child.kill();
    });
    return reply;
  }

  /** Closes the engine and waits for its process to end (at once if it already did). */
  async exit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.request<ExitReply>({ op: 'exit' });
    await exited;
  }
}

// ---- baselines, from this process ---------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Streams `file` in one PUT (1 MiB reads); resolves with the server's CRC64. */
function rawPut(url: string, file: string, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        agent,
        headers: { 'Content-Type': CONTENT_TYPE, 'Content-Length': String(size) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(String(res.headers['x-oss-hash-crc64ecma']))
            : reject(new Error(`PUT ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    createReadStream(file, { highWaterMark: MiB }).on('error', reject).pipe(req);
  });
}

/** One GET streamed into `file` (no hashing, no fsync: what `curl -o` does). */
function rawGet(url: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${res.statusCode}`));
        return;
      }
      let size = 0;
      res.on('data', (chunk: Buffer) => (size += chunk.length));
      pipeline(res, createWriteStream(file)).then(() => resolve(size), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

// ---- fixtures -------------------------------------------------------------------------------

async function writeRandomFile(file: string, size: number): Promise<void> {
  const chunk = Buffer.allocUnsafe(Math.min(size, 64 * MiB));
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < size;) {
      const length = Math.min(chunk.length, size - written);
      randomFillSync(chunk, 0, length);
      await handle.write(chunk, 0, length);
      written += length;
    }
  } finally {
    await handle.close();
  }
}

async function writeSmallFiles(dir: string, count: number, size: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const data = randomFillSync(Buffer.allocUnsafe(count * size));
  await inParallel(count, 32, (i) =>
    writeFile(path.join(dir, smallName(i)), data.subarray(i * size, (i + 1) * size)),
  );
}

// ---- the bench ------------------------------------------------------------------------------

export async function runTransferBench(
  options: TransferBenchOptions = {},
): Promise<Record<string, unknown>> {
  const bigSize = (options.bigMiB ?? 1024) * MiB;
  const smallCount = options.smallCount ?? 10_000;
  const smallBytes = options.smallBytes ?? 4 * KiB;
  const rounds = options.rounds ?? 2;
  const engineOptions = options.engine ?? {};
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const root = mkdtempSync(path.join(tmpdir(), 'transfer-bench-'));
  const files = path.join(root, 'files');
  const bigFile = path.join(files, 'big.bin');
  const smallDir = path.join(files, 'small');
  const downDir = path.join(root, 'down');
  mkdirSync(files, { recursive: true });
  mkdirSync(downDir, { recursive: true });
  let server: Awaited<ReturnType<typeof startLocalOssProcess>> | undefined;
  let engine: EngineProcess | undefined;
  try {
    log(
      `load average ${loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')} on ${cpus().length} cores`,
    );
    log(
      `writing ${bigSize / MiB} MiB of random data and ${smallCount} files of ${smallBytes} B...`,
    );
    await writeRandomFile(bigFile, bigSize);
    await writeSmallFiles(smallDir, smallCount, smallBytes);

    const serverRoot = path.join(root, 'server');
    mkdirSync(serverRoot);
    server = await startLocalOssProcess(localOssArgs(serverRoot, ['--bucket', BUCKET]));
    engine = await EngineProcess.start(server.port, path.join(root, 'engine'), engineOptions);
    const eng = engine;
    const client: OSS = createClient(server.port, { bucket: BUCKET });
    const sign = (key: string, method: 'PUT' | 'GET'): string =>
      client.signatureUrl(key, {
        method,
        expires: 3600,
        ...(method === 'PUT' ? { 'Content-Type': CONTENT_TYPE } : {}),
      });
    const { limits } = engine.ready;
    const fileConcurrency = limits['maxFiles'] ?? DEFAULT_LIMITS.maxFiles;
    log(
      `engine limits ${JSON.stringify(limits)}, idle RSS ${fmt(engine.ready.idleRssKiB / KiB)} MiB`,
    );

    // Warm-up (connections, JIT, the server's first blobs), not measured.
    const warm = path.join(files, 'warm.bin');
    await writeRandomFile(warm, 32 * MiB);
    await eng.request<PhaseReply>({ op: 'upload', key: 'warm/engine', file: warm, size: 32 * MiB });
    await rawPut(sign('warm/raw', 'PUT'), warm, 32 * MiB);
    await client.multipartUpload('warm/ali', warm, {}); // {}: ali-oss's defaults

    /** Per variant: the best rate of the rounds, and the least CPU time per round. */
    const best: Record<string, { rate: number; cpuSeconds: number }> = {};
    const record = (name: string, rate: number, cpuSeconds: number, unit: string): void => {
      const seen = best[name] ?? { rate: 0, cpuSeconds: Infinity };
      best[name] = {
        rate: Math.max(seen.rate, rate),
        cpuSeconds: Math.min(seen.cpuSeconds, cpuSeconds),
      };
      log(
        `  ${name.padEnd(22)} ${fmt(rate).toString().padStart(7)} ${unit}, CPU ${fmt(cpuSeconds, 2)} s`,
      );
    };
    const peak = { big: 0, small: 0 };
    const engineRun = async (command: Command): Promise<PhaseReply> => {
      const reply = await eng.request<PhaseReply>(command);
      const phase = command.op === 'upload-many' ? 'small' : 'big';
      peak[phase] = Math.max(peak[phase], reply.peakRssKiB);
      log(
        `    (engine peak RSS ${fmt(reply.peakRssKiB / KiB)} MiB; at the end, MiB: ${JSON.stringify(reply.memoryMiB)})`,
      );
      return reply;
    };
    /** Runs a baseline in this process: wall and CPU seconds. */
    const baseline = async (fn: () => Promise<unknown>): Promise<[number, number]> => {
      const cpu = process.cpuUsage();
      const seconds = await timed(fn);
      return [seconds, cpuSince(cpu)];
    };
    const mibs = (seconds: number): number => bigSize / MiB / seconds;
    let uploadCrc = '';
    let partSize: number | undefined;
    let rawFsyncSeconds = Infinity;

    for (let round = 0; round < rounds; round++) {
      log(`round ${round + 1} of ${rounds} (load average ${loadavg()[0]?.toFixed(1)})`);
      const uploads = [
        async (): Promise<void> => {
          const key = `big/engine-${round}`;
          const reply = await engineRun({ op: 'upload', key, file: bigFile, size: bigSize });
          uploadCrc = reply.crc64 ?? '';
          partSize = reply.partSize;
          record('engine upload', mibs(reply.seconds), reply.cpuSeconds, 'MiB/s');
        },
        async (): Promise<void> => {
          let crc = '';
          const [seconds, cpu] = await baseline(async () => {
            crc = await rawPut(sign(`big/raw-${round}`, 'PUT'), bigFile, bigSize);
          });
          if (uploadCrc !== '' && crc !== uploadCrc) throw new Error('raw PUT CRC64 differs');
          record('raw PUT', mibs(seconds), cpu, 'MiB/s');
        },
        async (): Promise<void> => {
          const [seconds, cpu] = await baseline(() =>
            client.multipartUpload(`big/ali-${round}`, bigFile, {}),
          );
          record('ali-oss multipartUpload', mibs(seconds), cpu, 'MiB/s');
        },
      ];
      for (const variant of round % 2 === 0 ? uploads : uploads.reverse()) await variant();

      const downloads = [
        async (): Promise<void> => {
          const file = path.join(downDir, `engine-${round}.bin`);
          const key = `big/engine-${round}`;
          const reply = await engineRun({ op: 'download', key, file });
          if (reply.crc64 !== uploadCrc) throw new Error('downloaded CRC64 differs');
          record('engine download', mibs(reply.seconds), reply.cpuSeconds, 'MiB/s');
          await rm(file);
        },
        async (): Promise<void> => {
          const file = path.join(downDir, `raw-${round}.bin`);
          let size = 0;
          const [seconds, cpu] = await baseline(async () => {
            size = await rawGet(sign(`big/engine-${round}`, 'GET'), file);
          });
          if (size !== bigSize) throw new Error(`raw GET got ${size} bytes`);
          record('raw GET', mibs(seconds), cpu, 'MiB/s');
          // Not part of the baseline: what making those bytes durable would add.
          rawFsyncSeconds = Math.min(rawFsyncSeconds, await timed(() => fsyncFile(file)));
          await rm(file);
        },
      ];
      for (const variant of round % 2 === 0 ? downloads : downloads.reverse()) await variant();

      const smalls = [
        async (): Promise<void> => {
          const reply = await engineRun({
            op: 'upload-many',
            prefix: `small/engine-${round}/`,
            dir: smallDir,
            count: smallCount,
            size: smallBytes,
          });
          record('engine small files', smallCount / reply.seconds, reply.cpuSeconds, 'files/s');
        },
        async (): Promise<void> => {
          const [seconds, cpu] = await baseline(() =>
            inParallel(smallCount, fileConcurrency, (i) =>
              client.put(`small/bare-${round}/${i}`, path.join(smallDir, smallName(i))),
            ),
          );
          record('bare ali-oss put', smallCount / seconds, cpu, 'files/s');
        },
      ];
      for (const variant of round % 2 === 0 ? smalls : smalls.reverse()) await variant();
    }

    const idleRssKiB = engine.ready.idleRssKiB;
    await engine.exit();
    engine = undefined;
    const rate = (name: string): number => best[name]?.rate ?? Number.NaN;
    const cpu = (name: string): number => best[name]?.cpuSeconds ?? Number.NaN;
    const rawGetSeconds = bigSize / MiB / rate('raw GET');
    return {
      uploadMiBs: fmt(rate('engine upload')),
      rawPutMiBs: fmt(rate('raw PUT')),
      uploadRatioRaw: fmt(rate('engine upload') / rate('raw PUT'), 3),
      aliOssMultipartMiBs: fmt(rate('ali-oss multipartUpload')),
      uploadRatioAliOss: fmt(rate('engine upload') / rate('ali-oss multipartUpload'), 3),
      downloadMiBs: fmt(rate('engine download')),
      rawGetMiBs: fmt(rate('raw GET')),
      downloadRatioRaw: fmt(rate('engine download') / rate('raw GET'), 3),
      smallFilesPerSecond: fmt(rate('engine small files')),
      bareAliOssPutsPerSecond: fmt(rate('bare ali-oss put')),
      smallFilesRatio: fmt(rate('engine small files') / rate('bare ali-oss put'), 3),
      enginePeakRssMiB: fmt(Math.max(peak.big, peak.small) / KiB),
      // Context for the figures above.
      enginePeakRssBigFileMiB: fmt(peak.big / KiB),
      enginePeakRssSmallFilesMiB: fmt(peak.small / KiB),
      engineIdleRssMiB: fmt(idleRssKiB / KiB),
      rawGetThenFsyncMiBs: fmt(bigSize / MiB / (rawGetSeconds + rawFsyncSeconds)),
      engineUploadCpuSeconds: fmt(cpu('engine upload'), 2),
      rawPutClientCpuSeconds: fmt(cpu('raw PUT'), 2),
      engineDownloadCpuSeconds: fmt(cpu('engine download'), 2),
      rawGetClientCpuSeconds: fmt(cpu('raw GET'), 2),
      engineCpuMsPerSmallFile: fmt((cpu('engine small files') * 1000) / smallCount, 3),
      bareAliOssCpuMsPerPut: fmt((cpu('bare ali-oss put') * 1000) / smallCount, 3),
      loadAverage: loadavg().map((n) => fmt(n, 2)),
      settings: {
        // What the engine was given ({}: its defaults), its limits, and the part size it chose.
        engineOptions,
        ...limits,
        partSize: partSize ?? null,
        rounds,
        bigFileBytes: bigSize,
        smallFiles: smallCount,
        smallFileBytes: smallBytes,
        bareAliOssPutConcurrency: fileConcurrency,
        aliOssMultipartUpload: 'defaults: 1 MiB parts, 5 in parallel',
      },
    };
  } finally {
    agent.destroy();
    if (engine) await engine.exit().catch(() => undefined);
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function fmt(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(THIS_FILE);
  } catch {
    return false;
  }
}

if (isMain() && process.argv[2] === 'engine') {
  await engineChild(
    Number(process.argv[3]),
    process.argv[4] as string,
    JSON.parse(process.argv[5] ?? '{}') as EngineOptions,
  );
}
