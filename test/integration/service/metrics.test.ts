/**
 * The service's Prometheus metrics after real transfers through the service: the local OSS
 * server (with one injected 500 for a retry), the real ali-oss client, real SQLite. Then the
 * same registry through the headless host's /metrics, which wants the token.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../main/core/service/service.js';
import { startHost, type RunningHost } from '../../../main/host/host.js';
import type { ContractApi } from '../../../shared/contract/index.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  startLocalOss,
  type LocalOss,
} from '../../helpers/osslocal.js';
import { MemorySecretStore, localAccountParams } from '../../helpers/service.js';

const BUCKET = 'metrics-test';
const BIG = 3 * 1024 * 1024 + 17;

/** The value of one series in the exposition text (labels in the order prom-client writes them). */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

let oss: LocalOss;
let work: string;
let service: Service;
let host: RunningHost | undefined;
let accountId: number;

beforeAll(async () => {
  oss = await startLocalOss();
  await oss.client().putBucket(BUCKET);
  work = await mkdtemp(path.join(tmpdir(), 'ossync-metrics-'));
  service = createService({
    dataDir: path.join(work, 'data'),
    secrets: new MemorySecretStore(),
    pairRunner: { stabilityMs: 0 },
  });
  const account = await service.api['accounts.add']!(localAccountParams(oss, BUCKET));
  accountId = account.id;
});

afterAll(async () => {
  await host?.close();
  await service.close();
  await oss.close();
  await rm(work, { recursive: true, force: true });
});

async function finished(id: number): Promise<string> {
  const runtime = await service.runtime();
  for (let i = 0; i < 600; i++) {
    const state = runtime!.store.get(id)?.state;
    if (state === 'done' || state === 'failed' || state === 'cancelled') return state;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('service metrics', () => {
  it('counts transfers, bytes, OSS latency, errors, retries and pairs', async () => {
    const runtime = (await service.runtime())!;
    const big = path.join(work, 'big.bin');
    await writeFile(big, Buffer.alloc(BIG, 9));
    const small = path.join(work, 'retry.bin');
    await writeFile(small, 'retried once');
    // The first PutObject of retry.bin gets a 500: retried, then done.
    oss.server.faults.addRule({
      op: 'PutObject',
      key: 'm/retry.bin',
      times: 1,
      fault: { kind: 'error', status: 500, code: 'InternalError' },
    });
    const [up, retried] = runtime.engine.add([
      { kind: 'upload', bucket: BUCKET, key: 'm/big.bin', localPath: big },
      { kind: 'upload', bucket: BUCKET, key: 'm/retry.bin', localPath: small },
    ]) as [number, number];
    expect(await finished(up)).toBe('done');
    expect(await finished(retried)).toBe('done');
    const [down, missing] = runtime.engine.add([
      {
        kind: 'download',
        bucket: BUCKET,
        key: 'm/big.bin',
        localPath: path.join(work, 'back.bin'),
      },
      {
        kind: 'download',
        bucket: BUCKET,
        key: 'm/missing.bin',
        localPath: path.join(work, 'missing.bin'),
      },
    ]) as [number, number];
    expect(await finished(down)).toBe('done');
    expect(await finished(missing)).toBe('failed');

    // A pair that settles idle.
    const folder = await mkdtemp(path.join(work, 'pair-'));
    await writeFile(path.join(folder, 'p.txt'), 'pair file');
    const { pair } = await service.api['pairs.add']!({
      accountId,
      localRoot: folder,
      bucket: BUCKET,
      prefix: 'p/',
    });
    for (let i = 0; i < 400; i++) {
      const status = await service.api['pairs.get']!({ pairId: pair.id });
      if (status.state === 'idle' && status.counters.lastSyncedAt !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const text = await service.metrics.metrics();
    expect(value(text, 'ossync_transfers{state="done"}')).toBe(4); // 3 here, 1 of the pair
    expect(value(text, 'ossync_transfers{state="failed"}')).toBe(1);
    expect(value(text, 'ossync_transfers{state="queued"}')).toBe(0);
    expect(value(text, 'ossync_pairs{state="idle"}')).toBe(1);
    expect(value(text, 'ossync_pairs{state="error"}')).toBe(0);

    const sent = value(text, 'ossync_uploaded_bytes_total')!;
    const uploadedBytes = BIG + 'retried once'.length + 'pair file'.length;
    expect(sent).toBeGreaterThanOrEqual(uploadedBytes);
    expect(sent).toBeLessThanOrEqual(uploadedBytes + 'retried once'.length);
    expect(value(text, 'ossync_downloaded_bytes_total')).toBe(BIG);

    expect(value(text, 'ossync_transfer_retries_total')).toBe(1);
    const errorLines = text
      .split('\n')
      .filter((line) => line.startsWith('ossync_transfer_errors_total{'));
    expect(errorLines).toContain('ossync_transfer_errors_total{code="no-such-key"} 1');
    // The 500 and the missing object: two failed attempts in all.
    expect(errorLines.reduce((sum, line) => sum + Number(line.split(' ')[1]), 0)).toBe(2);

    // 3 MiB is below the multipart threshold: PutObject for every upload, 1 of them failed.
    expect(
      value(text, 'ossync_oss_request_duration_seconds_count{operation="PutObject"}'),
    ).toBeGreaterThanOrEqual(4);
    expect(
      value(text, 'ossync_oss_request_duration_seconds_count{operation="GetObject"}'),
    ).toBeGreaterThanOrEqual(1);
    const latency = value(text, 'ossync_oss_request_duration_seconds_sum{operation="PutObject"}')!;
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(60);
    expect(
      text
        .split('\n')
        .some(
          (line) =>
            line.startsWith('ossync_oss_request_errors_total{operation="PutObject",code=') &&
            line.endsWith(' 1'),
        ),
    ).toBe(true);

    // Labels never carry keys, paths, buckets or secrets.
    expect(text).not.toContain('big.bin');
    expect(text).not.toContain(BUCKET);
    expect(text).not.toContain(TEST_ACCESS_KEY_SECRET);
    expect(text).not.toContain(TEST_ACCESS_KEY_ID);
  });

  it('serves them through the host on /metrics, with the token only', async () => {
    host = await startHost({
      api: service.api as ContractApi,
      events: service.events,
      metrics: service.metrics,
    });
    const url = `http://127.0.0.1:${host.port}/metrics`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('ossync_transfers');
    const wrong = await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${host.token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    const text = await ok.text();
    expect(value(text, 'ossync_transfers{state="done"}')).toBe(4);
    expect(value(text, 'ossync_downloaded_bytes_total')).toBe(BIG);
    // The host's own metrics share the registry.
    expect(text).toContain('ossync_host_open_sockets');
  });
});
