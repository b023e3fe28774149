/**
 * A copy in parts (UploadPartCopy) survives SIGKILLs of the engine's process
 * (test/helpers/engine-child.ts) and leaks no multipart upload: killed right after an
 * Initiate whose answer was lost (the upload was never recorded: the next attempt finds and
 * aborts it), then right after the first part was copied (the upload was recorded: the next
 * attempt aborts it first). The copy limit is lowered to 1 MiB (`maxCopyBytes`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../main/osslocal/index.js';
import { KiB, MiB, accountFor, oracleCrc64, randomBytesFor } from '../../helpers/engine.js';
import type { EngineChildConfig } from '../../helpers/engine-child.js';
import { REPO_ROOT } from '../../helpers/local-oss-process.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';

const BUCKET = 'engine-copy-kill';
const CHILD = path.join(REPO_ROOT, 'test', 'helpers', 'engine-child.ts');

let local: LocalOss;
let client: OSS;
let work: string;

beforeAll(async () => {
  local = await startLocalOss({ buckets: [BUCKET] });
  client = local.client({ bucket: BUCKET });
  work = mkdtempSync(path.join(tmpdir(), 'engine-copy-kill-'));
});

afterAll(async () => {
  await local?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** Runs the child once; SIGKILLs it as soon as the server finished a request `killWhen` picks. */
function runChild(
  configPath: string,
  killWhen: ((record: RequestRecord) => boolean) | undefined,
): Promise<{ killed: boolean; code: number | null; stdout: string; stderr: string }> {
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
    if (!killed && killWhen?.(record)) killed = child.kill('SIGKILL');
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

async function uploads(): Promise<{ name: string; uploadId: string }[]> {
  const result = (await client.listUploads({ 'max-uploads': 1000 })) as unknown as {
    uploads: { name: string; uploadId: string }[] | null;
  };
  return result.uploads ?? [];
}

describe('a copy in parts killed mid-way', () => {
  it('completes after SIGKILLs, byte for byte, and leaves no multipart upload', async () => {
    const size = MiB + 5 * 256 * KiB + 9; // 10 parts of 256 KiB, the last short
    const data = randomBytesFor('copy-kill', size);
    const source = 'src/big.bin';
    const target = 'dst/big.bin';
    await client.put(source, data);
    const etag = ((await client.head(source)).res.headers as Record<string, string>)[
      'etag'
    ]?.replace(/"/g, '') as string;
    const config: EngineChildConfig = {
      dataDir: path.join(work, 'data'),
      account: accountFor(local),
      batch: 'copy-kill',
      jobs: [{ kind: 'copy', bucket: BUCKET, key: target, sourceKey: source, expectEtag: etag }],
      engine: {
        maxFiles: 2,
        maxPartsPerFile: 2,
        maxParts: 4,
        partSize: 256 * KiB,
        multipartThreshold: MiB,
        maxCopyBytes: MiB,
        copyPartSize: 256 * KiB,
      },
      seed: 7,
    };
    const configPath = path.join(work, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const seen: RequestRecord[] = [];
    const record = (r: RequestRecord): void => {
      if (r.bucket === BUCKET) seen.push(r);
    };
    local.server.on('request', record);
    try {
      // 1. The Initiate lands, its answer is dropped, and the process dies: nobody knows the id.
      local.server.faults.setRules([
        { op: 'InitiateMultipartUpload', times: 1, fault: { kind: 'drop-response' } },
      ]);
      const first = await runChild(
        configPath,
        (r) => r.op === 'InitiateMultipartUpload' && r.code === 'DroppedResponse',
      );
      expect(first.killed, first.stderr).toBe(true);
      const lost = await uploads();
      expect(lost).toHaveLength(1);

      // 2. The next run aborts that one, records its own, and dies after the first part.
      local.server.faults.setRules([{ op: 'UploadPartCopy', fault: { kind: 'latency', ms: 100 } }]);
      const second = await runChild(
        configPath,
        (r) => r.op === 'UploadPartCopy' && r.status === 200,
      );
      expect(second.killed, second.stderr).toBe(true);
      const left = await uploads();
      expect(left).toHaveLength(1);
      expect(left[0]?.uploadId).not.toBe(lost[0]?.uploadId);

      // 3. The last run aborts the recorded one and copies from the start.
      local.server.faults.setRules([]);
      const third = await runChild(configPath, undefined);
      expect([third.killed, third.code], third.stderr).toEqual([false, 0]);
      expect(third.stdout).toMatch(/^done .*"done":1/m);
    } finally {
      local.server.off('request', record);
      local.server.faults.setRules([]);
    }
    expect(await uploads()).toEqual([]);
    const aborted = seen.filter((r) => r.op === 'AbortMultipartUpload' && r.status === 204);
    expect(aborted).toHaveLength(2);
    expect(seen.filter((r) => r.op === 'CompleteMultipartUpload')).toHaveLength(1);
    expect(seen.some((r) => ['PutObject', 'UploadPart', 'CopyObject'].includes(r.op))).toBe(false);
    const copied = await client.get(target);
    expect((copied.content as Buffer).equals(data)).toBe(true);
    expect((copied.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).toBe(
      oracleCrc64(data),
    );
  });
});
