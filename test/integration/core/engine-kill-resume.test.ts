/**
 * Kill and resume: a child process (test/helpers/engine-child.ts) uploads two multipart
 * files and many small ones to the local OSS server (in this process) and is SIGKILLed
 * several times at seeded points: after its Nth accepted UploadPart of the run, once right
 * after a part was committed whose answer never reached it (the part landed on the server
 * but not in the child's database). After the final run every object is correct, no
 * multipart upload is left, every job is done in an intact database, and the bytes sent
 * twice are bounded by what was in flight at the kills: duplicate parts <= kills x maxParts,
 * duplicate single PUTs <= kills x maxFiles; the part whose record was lost is not sent again
 * (the resume keeps it by hashing the local range against ListParts).
 *
 * Reproduce a failure with ENGINE_KILL_SEED=<seed in the test name>.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OssLocalServer, RequestRecord } from '../../../main/osslocal/index.js';
import {
  KiB,
  MiB,
  accountFor,
  expectObjectMatches,
  writeRandomFile,
} from '../../helpers/engine.js';
import type { EngineChildConfig } from '../../helpers/engine-child.js';
import { REPO_ROOT } from '../../helpers/local-oss-process.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';
import { mulberry32 } from '../../helpers/random.js';

const SEED = Number(process.env['ENGINE_KILL_SEED'] ?? 0x6b111);
const BUCKET = 'engine-kill';
const BATCH = 'kill-resume';
const CHILD = path.join(REPO_ROOT, 'test', 'helpers', 'engine-child.ts');
const PART = 256 * KiB;
const LIMITS = { maxFiles: 4, maxPartsPerFile: 4, maxParts: 8 };
const KILLS = 5;
/** The kill (0-based) right after an Initiate was committed and its answer dropped. */
const LOST_INITIATE_KILL = 0;
/** The kill (0-based) right after a part was committed and its answer dropped. */
const DROP_KILL = 2;

interface FileSpec {
  key: string;
  size: number;
}

/** An accepted request (the server performed it; its answer may have been dropped). */
interface Accepted {
  op: string;
  key: string;
  partNumber: number | undefined;
  run: number;
}

let local: LocalOss;
let work: string;

beforeAll(async () => {
  local = await startLocalOss({ buckets: [BUCKET] });
  work = mkdtempSync(path.join(tmpdir(), 'engine-kill-'));
});

afterAll(async () => {
  await local?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/**
 * Part numbers and upload ids of requests, by request id. The `request` records do not carry
 * the query, so this listens on the server's own node:http server, whose handler sets the
 * request id header before anything else.
 */
function trackQueries(server: OssLocalServer): {
  partNumbers: Map<string, number>;
  uploadIds: Map<string, string>;
} {
  const http = (server as unknown as { server?: unknown }).server;
  if (!(http instanceof Server))
    throw new Error('OssLocalServer no longer keeps its node:http server in `server`');
  const partNumbers = new Map<string, number>();
  const uploadIds = new Map<string, string>();
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = res.getHeader('x-oss-request-id');
    if (typeof id !== 'string') return;
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const partNumber = query.get('partNumber');
    const uploadId = query.get('uploadId');
    if (partNumber !== null) partNumbers.set(id, Number(partNumber));
    if (uploadId !== null) uploadIds.set(id, uploadId);
  });
  return { partNumbers, uploadIds };
}

interface RunResult {
  killed: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the child once. `killWhen` sees every request the server finishes during the run and
 * says when to SIGKILL the child (at once, from the server's own event).
 */
function runChild(
  configPath: string,
  killWhen: ((record: RequestRecord) => boolean) | undefined,
): Promise<RunResult> {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configPath], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let killed = false;
  const onRequest = (record: RequestRecord): void => {
    if (!killed && killWhen?.(record)) {
      killed = child.kill('SIGKILL');
    }
  };
  local.server.on('request', onRequest);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      local.server.off('request', onRequest);
      resolve({ killed, code, stdout, stderr });
    });
  });
}

function openState(dataDir: string, readonly: boolean): Database.Database {
  return new Database(path.join(dataDir, 'state.db'), { readonly, fileMustExist: true });
}

function duplicates(accepted: readonly Accepted[], op: string): { count: number; list: string[] } {
  const seen = new Map<string, number>();
  for (const entry of accepted.filter((a) => a.op === op)) {
    const id = entry.partNumber === undefined ? entry.key : `${entry.key}#${entry.partNumber}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const list = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);
  return { count: [...seen.values()].reduce((sum, n) => sum + n - 1, 0), list };
}

describe(`kill and resume (seed ${SEED})`, () => {
  it(`survives ${KILLS} SIGKILLs; the bytes sent again are bounded by what was in flight`, async () => {
    const random = mulberry32(SEED);
    const srcDir = path.join(work, 'src');
    const dataDir = path.join(work, 'data');
    const files: FileSpec[] = [
      { key: 'big/large.bin', size: 16 * MiB + 12_345 },
      { key: 'big/medium.bin', size: 3 * MiB + 7 },
    ];
    for (let i = 0; i < 80; i++)
      files.push({
        key: `small/f${String(i).padStart(3, '0')}.bin`,
        size: 1 + Math.floor(random() * 96 * KiB),
      });
    for (const [i, file] of files.entries())
      await writeRandomFile(path.join(srcDir, file.key), file.size, `${SEED}-kill-${i}`);
    const config: EngineChildConfig = {
      dataDir,
      account: accountFor(local),
      batch: BATCH,
      jobs: files.map((file) => ({
        kind: 'upload',
        bucket: BUCKET,
        key: file.key,
        localPath: path.join(srcDir, file.key),
      })),
      engine: { ...LIMITS, partSize: PART, multipartThreshold: 2 * PART },
      seed: SEED,
    };
    const configPath = path.join(work, 'child.json');
    writeFileSync(configPath, JSON.stringify(config));

    const { partNumbers, uploadIds } = trackQueries(local.server);
    const accepted: Accepted[] = [];
    const aborted: string[] = [];
    let run = 0;
    const record = (r: RequestRecord): void => {
      if (r.bucket !== BUCKET || r.key === undefined) return;
      const ok = r.status === 200 || r.code === 'DroppedResponse';
      if (r.op === 'AbortMultipartUpload' && r.status === 204)
        aborted.push(uploadIds.get(r.requestId) ?? '?');
      if (ok && (r.op === 'UploadPart' || r.op === 'PutObject'))
        accepted.push({ op: r.op, key: r.key, partNumber: partNumbers.get(r.requestId), run });
    };
    local.server.on('request', record);

    const log: string[] = [];
    let kills = 0;
    let lostPart: { key: string; partNumber: number } | undefined;
    let lostUploadId: string | undefined;
    try {
      for (; kills < KILLS; run++) {
        const target = 3 + Math.floor(random() * 10);
        let parts = 0;
        let killWhen: (r: RequestRecord) => boolean;
        let when = `after ${target} parts`;
        if (kills === LOST_INITIATE_KILL) {
          // The upload is created, its answer dropped, and the child killed at once: an
          // upload nobody knows the id of, which the resumed job must find and abort.
          local.server.faults.setRules([
            {
              id: 'lost-initiate',
              bucket: BUCKET,
              op: 'InitiateMultipartUpload',
              key: 'big/large.bin',
              times: 1,
              fault: { kind: 'drop-response' },
            },
          ]);
          killWhen = (r) => r.op === 'InitiateMultipartUpload' && r.code === 'DroppedResponse';
          when = 'at a lost Initiate';
        } else if (kills === DROP_KILL) {
          // The part is committed, its answer dropped, and the child killed at once: the
          // server has it, the child's database does not.
          local.server.faults.setRules([
            {
              id: 'lost-part',
              bucket: BUCKET,
              op: 'UploadPart',
              key: 'big/*',
              after: target,
              times: 1,
              fault: { kind: 'drop-response' },
            },
          ]);
          killWhen = (r) => r.op === 'UploadPart' && r.code === 'DroppedResponse';
          when = `at a lost part (after ${target} parts)`;
        } else {
          killWhen = (r) => r.op === 'UploadPart' && r.status === 200 && ++parts >= target;
        }
        const result = await runChild(configPath, killWhen);
        local.server.faults.setRules([]);
        log.push(`run ${run}: ${result.killed ? `killed ${when}` : `exit ${result.code}`}`);
        if (!result.killed) {
          // Finished before the kill point: nothing left to interrupt.
          expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
          break;
        }
        kills++;
        if (kills - 1 === LOST_INITIATE_KILL) {
          const listed = await local
            .client({ bucket: BUCKET })
            .listUploads({ prefix: 'big/large.bin' });
          expect(listed.uploads.map((u) => u.name)).toEqual(['big/large.bin']);
          lostUploadId = listed.uploads[0]?.uploadId;
        }
        if (kills - 1 === DROP_KILL) {
          const dropped = accepted.filter((a) => a.run === run && a.op === 'UploadPart').at(-1);
          expect(dropped?.partNumber).toBeDefined();
          lostPart = { key: dropped!.key, partNumber: dropped!.partNumber! };
          const db = openState(dataDir, true);
          try {
            const recorded = db
              .prepare(
                'SELECT p.part_number AS n FROM parts p JOIN jobs j ON j.id = p.job_id WHERE j.key = ? AND p.part_number = ?',
              )
              .all(lostPart.key, lostPart.partNumber);
            expect(recorded, 'the dropped part is not in the database').toEqual([]);
          } finally {
            db.close();
          }
        }
      }
      // The final run, to the end.
      const final = await runChild(configPath, undefined);
      log.push(`final run ${run}: exit ${final.code}`);
      expect(final.code, `${final.stdout}\n${final.stderr}`).toBe(0);
      expect(final.stdout).toMatch(/^start resumed=true/m);
      expect(final.stdout).toMatch(/^done /m);
    } finally {
      local.server.off('request', record);
      local.server.faults.setRules([]);
      console.log(`seed ${SEED}: ${log.join('; ')}`);
    }
    expect(kills, log.join('; ')).toBeGreaterThanOrEqual(4);

    // Every object is its file; nothing is left half-uploaded.
    const client = local.client({ bucket: BUCKET });
    for (const file of files) {
      const head = await expectObjectMatches(client, BUCKET, file.key, path.join(srcDir, file.key));
      if (file.size >= 2 * PART) expect(head.partCount).toBe(Math.ceil(file.size / PART));
    }
    const uploads = await client.listUploads({ 'max-uploads': 1000 });
    expect(uploads.uploads.map((u) => `${u.name} ${u.uploadId}`)).toEqual([]);

    // Every job done, in an intact database.
    const db = openState(dataDir, false);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const states = db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all();
      expect(states).toEqual([{ state: 'done', n: files.length }]);
      expect(db.prepare('SELECT COUNT(*) AS n FROM parts').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    // The bytes sent twice: only what was in flight when a child died.
    const parts = duplicates(accepted, 'UploadPart');
    const puts = duplicates(accepted, 'PutObject');
    const partBound = kills * LIMITS.maxParts;
    const putBound = kills * LIMITS.maxFiles;
    console.log(
      `seed ${SEED}: ${kills} kills; duplicate parts ${parts.count} (bound ${partBound}, ` +
        `${(parts.count * PART) / MiB} MiB at most) [${parts.list.join(', ')}]; ` +
        `duplicate PUTs ${puts.count} (bound ${putBound}) [${puts.list.join(', ')}]`,
    );
    expect(parts.count).toBeLessThanOrEqual(partBound);
    expect(puts.count).toBeLessThanOrEqual(putBound);
    expect(accepted.filter((a) => a.op === 'UploadPart' && a.partNumber === undefined)).toEqual([]);
    // The upload whose Initiate answer was lost with the child was found and aborted.
    expect(lostUploadId).toBeDefined();
    expect(aborted.filter((id) => id === lostUploadId)).toHaveLength(1);
    // The part the server had but the database did not was kept, not sent again.
    expect(lostPart).toBeDefined();
    const lost = accepted.filter(
      (a) => a.key === lostPart?.key && a.partNumber === lostPart?.partNumber,
    );
    expect(lost, `sends of ${lostPart?.key} part ${lostPart?.partNumber}`).toHaveLength(1);
  });
});
