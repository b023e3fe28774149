/**
 * The browse part of the service contract suite (service-contract.test.ts runs it on both
 * transports): buckets.list and objects.* against the local OSS server with the real
 * ali-oss client, real folders and the account's real transfer engine. An independent
 * ali-oss client puts fixtures and checks what landed in the bucket.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { crc64, crc64ToString } from '../../../shared/crc64.js';
import type { TransferDto } from '../../../shared/contract/index.js';
import { putRawKey } from '../../helpers/osslocal.js';
import { refused, type SuiteContext } from './suite-context.js';

export function browseTests(get: () => SuiteContext): void {
  const tag = `browse-${randomBytes(3).toString('hex')}`;
  let scratch: string;

  function client() {
    const { oss, bucket } = get();
    const c = oss.client();
    c.useBucket(bucket);
    return c;
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client().listV2(
        { prefix, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) },
        {},
      );
      out.push(...(page.objects ?? []).map((o) => o.name.slice(prefix.length)));
      token = page.nextContinuationToken ?? undefined;
    } while (token);
    return out.sort();
  }

  /** Puts an object at a key ali-oss would rewrite ('..' segments), see putRawKey. */
  async function putRaw(key: string, body: Buffer): Promise<void> {
    await putRawKey(get().oss, client(), key, body);
  }

  async function jobCount(): Promise<number> {
    const runtime = await get().service.runtime();
    return (runtime!.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
  }

  /** Waits until every job of `batch` is done; fails with the job errors if one failed. */
  async function settled(batch: string, expected: number): Promise<TransferDto[]> {
    const { call } = get();
    for (let i = 0; i < 400; i++) {
      const failed = await call('transfers.list', { states: ['failed', 'cancelled'], batch });
      expect(failed.items, JSON.stringify(failed.items)).toEqual([]);
      const done = await call('transfers.list', { states: ['done'], batch, pageSize: 1000 });
      if (done.total === expected) return done.items;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`batch ${batch} did not finish`);
  }

  async function filesIn(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      const full = path.relative(dir, path.join(entry.parentPath, entry.name));
      out.push(entry.isDirectory() ? `${full}/` : full);
    }
    return out.sort();
  }

  it('browse: prepares fixtures and resumes transfers', async () => {
    const { call, work } = get();
    scratch = await mkdtemp(path.join(work, 'browse-'));
    await call('transfers.resumeAll', {});
    const c = client();
    for (const name of ['b.txt', 'a.txt', 'IMG_2.jpg', 'IMG_1.jpg', 'sub/x.txt', 'sub2/'])
      await c.put(`${tag}/list/${name}`, Buffer.from(`content of ${name}`));
    await c.put(`${tag}/list/`, Buffer.alloc(0)); // the folder's own marker
    expect(await keysUnder(`${tag}/list/`)).toHaveLength(7);
  });

  it('buckets.list names the bucket with its region and creation time', async () => {
    const { call, accountId, bucket } = get();
    const { buckets } = await call('buckets.list', { accountId });
    const mine = buckets.find((b) => b.name === bucket);
    expect(mine).toMatchObject({ name: bucket, region: 'oss-cn-hangzhou' });
    expect(mine!.createdAt).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(mine!.createdAt).toBeLessThanOrEqual(Date.now());
    await refused(call('buckets.list', { accountId: 9999 }), 'not-found');
  });

  it('objects.list pages a prefix: sub-prefixes and objects in key order, without its own marker', async () => {
    const { call, accountId, bucket } = get();
    const prefix = `${tag}/list/`;
    const prefixes: string[] = [];
    const objects: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await call('objects.list', {
        accountId,
        bucket,
        prefix,
        pageSize: 2,
        ...(token === undefined ? {} : { continuationToken: token }),
      });
      pages++;
      expect(page.prefixes.length + page.objects.length).toBeLessThanOrEqual(2);
      prefixes.push(...page.prefixes);
      objects.push(...page.objects.map((o) => o.key));
      for (const o of page.objects) {
        expect(o.size).toBe(Buffer.byteLength(`content of ${o.key.slice(prefix.length)}`));
        expect(o.etag).toMatch(/^[0-9A-F]{32}$/);
        expect(Math.abs(o.lastModified - Date.now())).toBeLessThan(120_000);
      }
      token = page.nextContinuationToken ?? undefined;
    } while (token !== undefined);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(prefixes).toEqual([`${prefix}sub/`, `${prefix}sub2/`]);
    expect(objects).toEqual(
      ['IMG_1.jpg', 'IMG_2.jpg', 'a.txt', 'b.txt'].map((name) => prefix + name),
    );

    const filtered = await call('objects.list', { accountId, bucket, prefix, namePrefix: 'IMG_' });
    expect(filtered.objects.map((o) => o.key)).toEqual([
      `${prefix}IMG_1.jpg`,
      `${prefix}IMG_2.jpg`,
    ]);
    expect(filtered.prefixes).toEqual([]);
    expect(filtered.nextContinuationToken).toBeNull();
    const sub = await call('objects.list', { accountId, bucket, prefix, namePrefix: 'su' });
    expect(sub.prefixes).toEqual([`${prefix}sub/`, `${prefix}sub2/`]);

    const bad = await refused(
      call('objects.list', { accountId, bucket, prefix, namePrefix: 'sub/x' }),
      'invalid-argument',
    );
    expect(bad.subject).toBe('params.namePrefix');
    await refused(
      call('objects.list', { accountId, bucket: 'no-such-bucket-here', prefix: '' }),
      'no-such-bucket',
    );
  });

  it('objects.details returns size, ETag, CRC64, storage class, content type and metadata', async () => {
    const { call, accountId, bucket } = get();
    const key = `${tag}/details/猫 photo.jpg`;
    const body = randomBytes(3000);
    await client().put(key, body, {
      mime: 'image/jpeg',
      meta: { author: 'me', place: 'hangzhou' },
      headers: { 'x-oss-storage-class': 'IA' },
    } as never);
    const details = await call('objects.details', { accountId, bucket, key });
    expect(details).toMatchObject({
      key,
      size: 3000,
      crc64: crc64ToString(crc64(body)),
      storageClass: 'IA',
      contentType: 'image/jpeg',
      userMetadata: [
        { name: 'author', value: 'me' },
        { name: 'place', value: 'hangzhou' },
      ],
    });
    expect(details.etag).toMatch(/^[0-9A-F]{32}$/);
    expect(Math.abs(details.lastModified - Date.now())).toBeLessThan(120_000);
    const missing = await refused(
      call('objects.details', { accountId, bucket, key: `${tag}/details/none` }),
      'no-such-key',
    );
    expect(missing.subject).toBe(`${tag}/details/none`);
    expect(missing.message).toContain(`${tag}/details/none`);
  });

  it('objects.createFolder makes an empty folder object, keeps an existing one, refuses odd names', async () => {
    const { call, accountId, bucket } = get();
    const prefix = `${tag}/folders/new/`;
    expect(await call('objects.createFolder', { accountId, bucket, prefix })).toEqual({
      key: prefix,
    });
    const head = await client().head(prefix);
    expect((head.res.headers as Record<string, string>)['content-length']).toBe('0');
    // An existing object with that key is never replaced.
    const odd = `${tag}/folders/odd/`;
    await client().put(odd, Buffer.from('not empty'));
    await call('objects.createFolder', { accountId, bucket, prefix: odd });
    expect(String((await client().get(odd)).content as Buffer)).toBe('not empty');
    const listed = await call('objects.list', { accountId, bucket, prefix: `${tag}/folders/` });
    expect(listed.prefixes).toEqual([`${tag}/folders/new/`, `${tag}/folders/odd/`]);
    for (const bad of [`${tag}/a//`, `${tag}/../`, `${tag}/./`, `${tag}/a\\b/`]) {
      const error = await refused(
        call('objects.createFolder', { accountId, bucket, prefix: bad }),
        'invalid-argument',
      );
      expect(error.subject).toBe(bad);
    }
    expect(await keysUnder(`${tag}/a`)).toEqual([]);
  });

  let uploadDir: string;
  let soloFile: string;

  it('objects.upload queues files and folders as one batch; keys are NFC; links and specials are skipped', async () => {
    const { call, accountId, bucket, seen } = get();
    uploadDir = path.join(scratch, 'dir');
    await mkdir(path.join(uploadDir, 'sub'), { recursive: true });
    await mkdir(path.join(uploadDir, 'empty'));
    await writeFile(path.join(uploadDir, 'one.txt'), 'one');
    await writeFile(path.join(uploadDir, 'sub', 'two.txt'), randomBytes(20_000));
    await writeFile(path.join(uploadDir, 'e\u0301.txt'), 'nfd'); // NFD on disk
    await symlink('/etc/passwd', path.join(uploadDir, 'link'));
    execFileSync('mkfifo', [path.join(uploadDir, 'fifo')]);
    soloFile = path.join(scratch, 'solo.bin');
    await writeFile(soloFile, randomBytes(50_000));
    const before = seen.length;

    const result = await call('objects.upload', {
      accountId,
      bucket,
      prefix: `${tag}/up/`,
      localPaths: [uploadDir, soloFile],
    });
    expect(result).toMatchObject({ jobsQueued: 4, foldersCreated: 1, skippedTotal: 2 });
    expect(result.skipped).toEqual([
      { path: path.join(uploadDir, 'fifo'), reason: 'special' },
      { path: path.join(uploadDir, 'link'), reason: 'symlink' },
    ]);
    expect(
      seen
        .slice(before)
        .some((text) => text.includes('transfers.listChanged') && text.includes('"added":4')),
    ).toBe(true);
    const done = await settled(result.batch, 4);
    expect(done.every((job) => job.batch === result.batch)).toBe(true);
    expect(await keysUnder(`${tag}/up/`)).toEqual([
      'dir/empty/',
      'dir/one.txt',
      'dir/sub/two.txt',
      'dir/\u00e9.txt',
      'solo.bin',
    ]);
    const landed = (await client().get(`${tag}/up/solo.bin`)).content as Buffer;
    expect(Buffer.compare(landed, await readFile(soloFile))).toBe(0);
  });

  it('objects.upload refuses relative paths, "..", missing paths, chosen symlinks and long keys, queuing nothing', async () => {
    const { call, accountId, bucket } = get();
    const base = { accountId, bucket, prefix: `${tag}/refused/` };
    const jobs = await jobCount();
    const cases: [string[], string, string][] = [
      [[soloFile, 'relative/file.txt'], 'invalid-argument', 'relative/file.txt'],
      [[soloFile, './solo.bin'], 'invalid-argument', './solo.bin'],
      [[`${scratch}/dir/../solo.bin`], 'invalid-argument', `${scratch}/dir/../solo.bin`],
      [
        [soloFile, path.join(scratch, 'missing.txt')],
        'local-not-found',
        path.join(scratch, 'missing.txt'),
      ],
      [[path.join(uploadDir, 'link')], 'invalid-argument', path.join(uploadDir, 'link')],
      [[path.join(uploadDir, 'fifo')], 'invalid-argument', path.join(uploadDir, 'fifo')],
      [['/'], 'invalid-argument', '/'],
    ];
    for (const [localPaths, code, subject] of cases) {
      const error = await refused(call('objects.upload', { ...base, localPaths }), code);
      expect(error.subject, subject).toBe(subject);
      expect(error.message).toContain(JSON.stringify(subject));
    }
    // A prefix with '..' or an empty segment makes keys nothing could download again.
    for (const prefix of [`${tag}/../`, `${tag}//`]) {
      const error = await refused(
        call('objects.upload', { ...base, prefix, localPaths: [soloFile] }),
        'invalid-argument',
      );
      expect(error.subject).toBe(prefix);
    }
    // Two files with the same name would get the same key.
    const twin = path.join(scratch, 'twin');
    await mkdir(twin);
    await writeFile(path.join(twin, 'solo.bin'), 'x');
    await refused(
      call('objects.upload', { ...base, localPaths: [soloFile, path.join(twin, 'solo.bin')] }),
      'invalid-argument',
    );
    // A key over 1023 bytes: a long prefix plus a nested name.
    const deep = path.join(scratch, 'deep', 'd'.repeat(200));
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(deep, 'f'.repeat(200)), 'x');
    const longPrefix = `${tag}/${'p'.repeat(700)}/`;
    const long = await refused(
      call('objects.upload', {
        ...base,
        prefix: longPrefix,
        localPaths: [path.join(scratch, 'deep')],
      }),
      'invalid-argument',
    );
    expect(long.subject).toBe(path.join(deep, 'f'.repeat(200)));
    expect(long.message).toContain('1023');
    expect(await jobCount()).toBe(jobs);
    expect(await keysUnder(`${tag}/refused/`)).toEqual([]);
    expect(await keysUnder(`${tag}/${'p'.repeat(700)}/`)).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)(
    'objects.upload refuses an unreadable file, naming it',
    async () => {
      const { call, accountId, bucket } = get();
      const locked = path.join(scratch, 'locked');
      await mkdir(locked);
      await writeFile(path.join(locked, 'secret.txt'), 'x');
      await chmod(path.join(locked, 'secret.txt'), 0o000);
      const jobs = await jobCount();
      const error = await refused(
        call('objects.upload', {
          accountId,
          bucket,
          prefix: `${tag}/locked/`,
          localPaths: [locked],
        }),
        'local-permission',
      );
      expect(error.subject).toBe(path.join(locked, 'secret.txt'));
      expect(await jobCount()).toBe(jobs);
    },
  );

  it('objects.download fetches a folder (all pages) and a file, relative to what was chosen', async () => {
    const { call, accountId, bucket } = get();
    const target = await mkdtemp(path.join(scratch, 'down-'));
    const result = await call('objects.download', {
      accountId,
      bucket,
      keys: [`${tag}/up/dir/`, `${tag}/up/solo.bin`],
      targetDir: target,
    });
    expect(result.jobsQueued).toBe(4);
    await settled(result.batch, 4);
    expect(await filesIn(target)).toEqual([
      'dir/',
      'dir/empty/',
      'dir/one.txt',
      'dir/sub/',
      'dir/sub/two.txt',
      'dir/\u00e9.txt',
      'solo.bin',
    ]);
    expect(await readFile(path.join(target, 'dir', 'sub', 'two.txt'))).toEqual(
      await readFile(path.join(uploadDir, 'sub', 'two.txt')),
    );
    expect(await readFile(path.join(target, 'solo.bin'))).toEqual(await readFile(soloFile));
  });

  it('objects.download refuses a bad target folder and keys that would escape it, writing and queuing nothing', async () => {
    const { call, accountId, bucket } = get();
    const outer = await mkdtemp(path.join(scratch, 'outer-'));
    const target = path.join(outer, 'target');
    await mkdir(target);
    const c = client();
    // Keys another tool could have written, each in its own folder: none may reach the disk.
    const hostile = [
      { key: `${tag}/evil0/a/../../../escape.txt`, alone: false },
      { key: `${tag}/evil1/back\\slash.txt`, alone: true },
      { key: `${tag}/evil2/CON.txt`, alone: true },
      { key: `${tag}/evil3/ctl\u0001.txt`, alone: true },
      { key: `${tag}/evil4/trailing-dot.`, alone: true },
    ];
    for (const { key } of hostile) await putRaw(key, Buffer.from('x'));
    expect(await keysUnder(`${tag}/evil0/`)).toEqual(['a/../../../escape.txt']);
    await c.put(`${tag}/fine/ok.txt`, Buffer.from('ok'));
    const jobs = await jobCount();
    const base = { accountId, bucket };

    for (const { key, alone } of hostile) {
      const folder = key.slice(0, key.indexOf('/', tag.length + 1) + 1);
      // Its folder, beside a harmless one: refused, naming the hostile key.
      const error = await refused(
        call('objects.download', { ...base, keys: [`${tag}/fine/`, folder], targetDir: target }),
        'invalid-key',
      );
      expect(error.subject).toBe(key);
      expect(error.message).toContain('Nothing was queued');
      // The key alone lands at its name: '..' before the name is no escape, the rest are.
      if (alone) {
        const single = await refused(
          call('objects.download', { ...base, keys: [key], targetDir: target }),
          'invalid-key',
        );
        expect(single.subject).toBe(key);
      }
    }
    const plainDots = await refused(
      call('objects.download', { ...base, keys: [`${tag}/x/..`], targetDir: target }),
      'invalid-key',
    );
    expect(plainDots.subject).toBe(`${tag}/x/..`);
    const rel = await refused(
      call('objects.download', {
        ...base,
        keys: [`${tag}/fine/ok.txt`],
        targetDir: 'relative/dir',
      }),
      'invalid-argument',
    );
    expect(rel.subject).toBe('relative/dir');
    await refused(
      call('objects.download', {
        ...base,
        keys: [`${tag}/fine/ok.txt`],
        targetDir: `${target}/../target`,
      }),
      'invalid-argument',
    );
    await refused(
      call('objects.download', {
        ...base,
        keys: [`${tag}/fine/ok.txt`],
        targetDir: path.join(outer, 'none'),
      }),
      'local-not-found',
    );
    await refused(
      call('objects.download', { ...base, keys: [`${tag}/fine/ok.txt`], targetDir: soloFile }),
      'invalid-argument',
    );
    // A symlink inside the target folder pointing outside is not written through.
    const elsewhere = await mkdtemp(path.join(scratch, 'elsewhere-'));
    await symlink(elsewhere, path.join(target, 'fine'));
    const link = await refused(
      call('objects.download', { ...base, keys: [`${tag}/fine/`], targetDir: target }),
      'invalid-key',
    );
    expect(link.subject).toBe(`${tag}/fine/ok.txt`);
    // Two keys landing on the same file.
    await c.put(`${tag}/twin-a/same.txt`, Buffer.from('a'));
    await c.put(`${tag}/twin-b/same.txt`, Buffer.from('b'));
    await refused(
      call('objects.download', {
        ...base,
        keys: [`${tag}/twin-a/same.txt`, `${tag}/twin-b/same.txt`],
        targetDir: target,
      }),
      'invalid-argument',
    );
    await refused(
      call('objects.download', { ...base, keys: [`${tag}/nothing-here/`], targetDir: target }),
      'no-such-key',
    );
    // A key that would be a file where another needs a folder, and a folder in the way.
    await c.put(`${tag}/clash/a`, Buffer.from('file'));
    await c.put(`${tag}/clash/a/b`, Buffer.from('inside'));
    const clash = await refused(
      call('objects.download', { ...base, keys: [`${tag}/clash/`], targetDir: target }),
      'invalid-argument',
    );
    expect(clash.subject).toBe(`${tag}/clash/a/b`);
    await mkdir(path.join(target, 'blocker'));
    await c.put(`${tag}/inway/blocker`, Buffer.from('x'));
    const inWay = await refused(
      call('objects.download', { ...base, keys: [`${tag}/inway/blocker`], targetDir: target }),
      'invalid-argument',
    );
    expect(inWay.subject).toBe(`${tag}/inway/blocker`);
    expect(inWay.message).toContain('replace the folder');
    expect(await jobCount()).toBe(jobs);
    expect(await readdir(outer)).toEqual(['target']);
    expect((await readdir(target)).sort()).toEqual(['blocker', 'fine']);
    expect(await readdir(path.join(target, 'blocker'))).toEqual([]);
    expect(await readdir(elsewhere)).toEqual([]);
    expect(existsSync(path.join(scratch, 'escape.txt'))).toBe(false);
  });

  it('objects.delete queues plain keys at once and asks to confirm a folder', async () => {
    const { call, accountId, bucket, seen } = get();
    const c = client();
    await c.put(`${tag}/del/plain.txt`, Buffer.from('x'));
    for (const name of ['f/1', 'f/2', 'f/g/3', 'f/'])
      await c.put(`${tag}/del/${name}`, Buffer.from(name.endsWith('/') ? '' : name));
    const base = { accountId, bucket };

    const plain = await call('objects.delete', { ...base, keys: [`${tag}/del/plain.txt`] });
    expect(plain).toMatchObject({ status: 'queued', jobsQueued: 1 });
    if (plain.status !== 'queued') throw new Error('not queued');
    await settled(plain.batch, 1);
    expect(await keysUnder(`${tag}/del/`)).toEqual(['f/', 'f/1', 'f/2', 'f/g/3']);

    const keys = [`${tag}/del/f/`];
    const jobs = await jobCount();
    const asked = await call('objects.delete', { ...base, keys });
    expect(asked).toMatchObject({ status: 'needs-confirmation', count: 4 });
    if (asked.status !== 'needs-confirmation') throw new Error('no confirmation asked');
    expect(asked.expiresAt).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(asked.expiresAt).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    const token = asked.confirmationToken;
    expect(await jobCount()).toBe(jobs);

    // Wrong tokens: tampered, for other keys, another bucket, garbage.
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    await refused(
      call('objects.delete', { ...base, keys, confirmationToken: tampered }),
      'invalid-argument',
    );
    await refused(
      call('objects.delete', { ...base, keys: [`${tag}/del/`], confirmationToken: token }),
      'invalid-argument',
    );
    await refused(
      call('objects.delete', {
        ...base,
        keys: [...keys, `${tag}/del/plain.txt`],
        confirmationToken: token,
      }),
      'invalid-argument',
    );
    await refused(
      call('objects.delete', { accountId, bucket: 'other-bucket', keys, confirmationToken: token }),
      'invalid-argument',
    );
    const garbage = await refused(
      call('objects.delete', { ...base, keys, confirmationToken: 'not-a-token' }),
      'invalid-argument',
    );
    expect(garbage.subject).toBe('params.confirmationToken');
    expect(await jobCount()).toBe(jobs);

    // The folder changed since: the count shown no longer holds.
    await c.put(`${tag}/del/f/late`, Buffer.from('late'));
    await refused(
      call('objects.delete', { ...base, keys, confirmationToken: token }),
      'precondition-failed',
    );
    expect(await jobCount()).toBe(jobs);
    await c.delete(`${tag}/del/f/late`);

    const before = seen.length;
    const done = await call('objects.delete', { ...base, keys, confirmationToken: token });
    expect(done).toMatchObject({ status: 'queued', jobsQueued: 4 });
    if (done.status !== 'queued') throw new Error('not queued');
    expect(seen.slice(before).some((text) => text.includes('transfers.listChanged'))).toBe(true);
    await settled(done.batch, 4);
    expect(await keysUnder(`${tag}/del/`)).toEqual([]);
  });

  it('objects.shareLink gives a URL plain fetch can read until it expires', async () => {
    const { call, accountId, bucket } = get();
    const key = `${tag}/share/报告 final.bin`;
    const body = randomBytes(10_000);
    await client().put(key, body);
    const link = await call('objects.shareLink', {
      accountId,
      bucket,
      key,
      expiresInSeconds: 3600,
    });
    expect(link.expiresAt).toBeGreaterThan(Date.now() + 3590_000);
    expect(link.expiresAt).toBeLessThanOrEqual(Date.now() + 3601_000);
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await response.arrayBuffer()), body)).toBe(0);
    // A tampered link is refused.
    const forged = await fetch(
      link.url.replace(/x-oss-expires=\d+|Expires=\d+/, (m) => m.replace(/\d+$/, '604800')),
    );
    expect(forged.status).toBe(403);
    await forged.arrayBuffer();

    const short = await call('objects.shareLink', { accountId, bucket, key, expiresInSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const expired = await fetch(short.url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('AccessDenied');

    await refused(
      call('objects.shareLink', {
        accountId,
        bucket,
        key: `${tag}/share/none`,
        expiresInSeconds: 60,
      }),
      'no-such-key',
    );
    await refused(
      call('objects.shareLink', { accountId, bucket, key: `${tag}/share/`, expiresInSeconds: 60 }),
      'invalid-argument',
    );
    await refused(
      call('objects.shareLink', { accountId, bucket, key, expiresInSeconds: 604_801 }),
      'invalid-payload',
    );
  });

  it('browse methods refuse prototype-pollution keys and unknown fields', async () => {
    const { call, accountId, bucket } = get();
    const polluted = JSON.parse(
      `{"accountId":${accountId},"bucket":"${bucket}","key":"k","__proto__":{"admin":true}}`,
    ) as never;
    const error = await refused(call('objects.details', polluted), 'invalid-payload');
    expect(error.subject).toBe('params.__proto__');
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    await refused(
      call('objects.upload', {
        accountId,
        bucket,
        prefix: '',
        localPaths: [soloFile],
        constructor: { prototype: { admin: true } },
      } as never),
      'invalid-payload',
    );
    expect(await stat(soloFile)).toBeTruthy();
  });
}
