import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../helpers/cli-env.js';
import { REPO_ROOT } from '../helpers/local-oss-process.js';
import { startLocalOss, TEST_ACCESS_KEY_SECRET, type LocalOss } from '../helpers/osslocal.js';

/**
 * `ossync put / get / ls / jobs` as a user runs them: the real CLI in a child process against
 * the local OSS server, checked with an independent client (ali-oss) and CRC64 oracle
 * (crc64-ecma182.js), never with our own code.
 */

const require = createRequire(import.meta.url);
const oracle = require('crc64-ecma182.js') as { crc64(buff: Buffer): string };

const BUCKET = 'cli-bkt';
const CLI = path.join(REPO_ROOT, 'main', 'cli', 'main.ts');
const WRONG_SECRET = 'wrong-secret-Q2xpVGVzdFNlY3JldA';

let oss: LocalOss;
let endpoint: string;
const scratch = mkdtempSync(path.join(tmpdir(), 'cli-transfer-'));
const dataDir = path.join(scratch, 'data');
/** Everything every run printed: checked at the end for secrets. */
const transcripts: string[] = [];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Called with the child and its output so far whenever stdout grows. */
  onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void;
}

function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const env = cliEnv({
    // A test that forgets --data-dir must not write into the real home folder.
    XDG_DATA_HOME: path.join(scratch, 'xdg'),
    ...options.env,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      transcripts.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

const account = (): string[] => ['--endpoint', endpoint];
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** Every file under `root`, as POSIX paths relative to it. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), child);
      else out.push(child);
    }
  };
  walk(root, '');
  return out.sort();
}

async function expectObject(key: string, local: Buffer): Promise<void> {
  const client = oss.client({ bucket: BUCKET });
  const result = await client.get(key);
  expect(Buffer.compare(result.content as Buffer, local), key).toBe(0);
  const headers = result.res.headers as Record<string, string>;
  expect(headers['x-oss-hash-crc64ecma'], key).toBe(oracle.crc64(local));
}

// The source tree: nested folders, Unicode names (one in NFD, uploaded under its NFC key),
// an empty file, a multipart-sized file, and a symbolic link that is skipped.
const src = path.join(scratch, 'src');
const NFD_NAME = 'cafe\u0301.txt';
const tree: Record<string, Buffer> = {
  'album/a.txt': Buffer.from('alpha\n'),
  'album/empty.bin': Buffer.alloc(0),
  'album/deep/er/z.txt': Buffer.from('zeta'),
  'album/日本語/写真 1.jpg': Buffer.from('jpeg bytes'),
  [`album/${NFD_NAME}`]: Buffer.from('coffee'),
  'album/big.bin': Buffer.from(Array.from({ length: 2_500_000 }, (_, i) => (i * 7919) % 251)),
};
const single = Buffer.from('a single file\n');

beforeAll(async () => {
  oss = await startLocalOss({ buckets: [BUCKET] });
  endpoint = `http://localhost:${oss.server.port}`;
  for (const [rel, bytes] of Object.entries(tree)) {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), bytes);
  }
  writeFileSync(path.join(src, 'single.txt'), single);
  symlinkSync(path.join(src, 'single.txt'), path.join(src, 'album', 'link.txt'));
});

afterAll(async () => {
  await oss?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('ossync put / ls / get', () => {
  it('put uploads a file to PREFIX + its name and a folder recursively under PREFIX + its name', async () => {
    const result = await runCli([
      'put',
      path.join(src, 'single.txt'),
      path.join(src, 'album'),
      `oss://${BUCKET}/up/`,
      ...account(),
      '--data-dir',
      dataDir,
      '--part-size',
      '1Mi',
    ]);
    expect(result.stderr).toBe(
      `skipped ${path.join(src, 'album', 'link.txt')}: symbolic links are not followed\n`,
    );
    expect(result.code).toBe(0);
    // Not a terminal: one plain line per file, then the summary.
    const out = lines(result.stdout);
    expect(out.slice(0, -1).sort()).toEqual(
      [
        'uploaded 14 B up/single.txt',
        'uploaded 6 B up/album/a.txt',
        'uploaded 0 B up/album/empty.bin',
        'uploaded 4 B up/album/deep/er/z.txt',
        'uploaded 10 B up/album/日本語/写真 1.jpg',
        'uploaded 6 B up/album/café.txt'.normalize('NFC'),
        'uploaded 2.50 MB up/album/big.bin',
      ].sort(),
    );
    expect(out.at(-1)).toMatch(
      /^put: 7 files uploaded \(2\.50 MB in \d+\.\ds(, .*\/s)?\), 1 skipped$/,
    );
    expect(result.stdout).not.toContain('\r');
    expect(result.stdout).not.toContain('\u001b');

    const listed = await oss
      .client({ bucket: BUCKET })
      .listV2({ prefix: 'up/', 'max-keys': '100' }, {});
    expect(listed.objects.map((o) => o.name).sort()).toEqual(
      [
        'up/album/a.txt',
        'up/album/big.bin',
        'up/album/café.txt'.normalize('NFC'),
        'up/album/deep/er/z.txt',
        'up/album/empty.bin',
        'up/album/日本語/写真 1.jpg',
        'up/single.txt',
      ].sort(),
    );
    await expectObject('up/single.txt', single);
    for (const [rel, bytes] of Object.entries(tree))
      await expectObject(`up/${rel.normalize('NFC')}`, bytes);
  });

  it('ls shows objects and common prefixes, page by page; --recursive and --json', async () => {
    const plain = await runCli(['ls', `oss://${BUCKET}/up/`, ...account()]);
    expect(plain.code).toBe(0);
    expect(lines(plain.stdout)).toEqual([
      expect.stringMatching(/^\s+PRE\s+up\/album\/$/),
      expect.stringMatching(/^\s+14 {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}up\/single\.txt$/),
    ]);

    const json = await runCli([
      'ls',
      `oss://${BUCKET}/up/album/`,
      '--recursive',
      '--json',
      '--max-keys',
      '2',
      ...account(),
    ]);
    expect(json.code).toBe(0);
    const entries = lines(json.stdout).map(
      (line) => JSON.parse(line) as { type: string; key: string; size: number },
    );
    expect(entries.map((entry) => [entry.type, entry.key, entry.size])).toEqual(
      Object.entries(tree)
        .map(([rel, bytes]) => ['object', `up/${rel.normalize('NFC')}`, bytes.length])
        .sort((a, b) => Buffer.compare(Buffer.from(a[1] as string), Buffer.from(b[1] as string))),
    );
  });

  it('get downloads a key to DIR/its name and a prefix to DIR/the prefix name/...', async () => {
    const out = path.join(scratch, 'get-out');
    const key = await runCli([
      'get',
      `oss://${BUCKET}/up/album/deep/er/z.txt`,
      out,
      ...account(),
      '--data-dir',
      dataDir,
    ]);
    expect(key.stderr).toBe('');
    expect(key.code).toBe(0);
    expect(lines(key.stdout)).toEqual([
      'downloaded 4 B up/album/deep/er/z.txt',
      expect.stringMatching(/^get: 1 file downloaded \(4 B in /),
    ]);
    expect(readFileSync(path.join(out, 'z.txt'))).toEqual(tree['album/deep/er/z.txt']);

    const prefix = await runCli([
      'get',
      `oss://${BUCKET}/up/album/`,
      out,
      ...account(),
      '--data-dir',
      dataDir,
    ]);
    expect(prefix.stderr).toBe('');
    expect(prefix.code).toBe(0);
    expect(lines(prefix.stdout).at(-1)).toMatch(/^get: 6 files downloaded \(2\.50 MB in /);
    expect(filesUnder(out)).toEqual(
      ['z.txt', ...Object.keys(tree).map((rel) => rel.normalize('NFC'))].sort(),
    );
    for (const [rel, bytes] of Object.entries(tree))
      expect(Buffer.compare(readFileSync(path.join(out, rel.normalize('NFC'))), bytes), rel).toBe(
        0,
      );
  });

  it('get of a missing key says so and how to name a prefix', async () => {
    const result = await runCli([
      'get',
      `oss://${BUCKET}/up/album`,
      path.join(scratch, 'nope'),
      ...account(),
      '--data-dir',
      dataDir,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `ossync: oss://${BUCKET}/up/album does not exist; for the objects under it, write oss://${BUCKET}/up/album/ (with the trailing slash).\n`,
    );
  });
});

/** PUT through a presigned URL on a raw socket: no client normalises `..` out of the path. */
async function putRawKey(key: string, body: string): Promise<void> {
  const url = oss.client({ bucket: BUCKET }).signatureUrl(key, { method: 'PUT', expires: 600 });
  const rawPath = url.slice(url.indexOf('/', 'http://'.length));
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const request = http.request(
      { host: 'localhost', port: oss.server.port, method: 'PUT', path: rawPath },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
  expect(status).toBe(200);
}

describe('hostile keys', () => {
  it('get refuses keys that cannot be safe local paths, reports each, writes nothing outside DIR, exits 1', async () => {
    const client = oss.client({ bucket: BUCKET });
    for (const key of ['evil/COM1', 'evil/con.txt', 'evil/x\\y', 'evil/ok.txt'])
      await client.put(key, Buffer.from(`bytes of ${key}`));
    await putRawKey('evil/../../escape', 'escaped');
    await putRawKey('evil/sub/../../../../escape2', 'escaped');
    const listed = await client.listV2({ prefix: 'evil/', 'max-keys': '100' }, {});
    expect(listed.objects.map((o) => o.name)).toContain('evil/../../escape');

    const outer = path.join(scratch, 'hostile');
    const target = path.join(outer, 'deep', 'target');
    const result = await runCli([
      'get',
      `oss://${BUCKET}/evil/`,
      target,
      ...account(),
      '--data-dir',
      dataDir,
    ]);
    expect(result.code).toBe(1);
    const refused = lines(result.stderr);
    expect(refused).toHaveLength(5);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^refused Object key "evil\/\.\.\/\.\.\/escape" cannot be downloaded: it has a "\.\." segment/,
        ),
        expect.stringMatching(
          /^refused Object key "evil\/sub\/\.\.\/\.\.\/\.\.\/\.\.\/escape2" cannot be downloaded/,
        ),
        expect.stringMatching(
          /^refused Object key "evil\/COM1" cannot be downloaded: .*reserved device name/,
        ),
        expect.stringMatching(
          /^refused Object key "evil\/con\.txt" cannot be downloaded: .*reserved device name/,
        ),
        expect.stringMatching(
          /^refused Object key "evil\/x\\\\y" cannot be downloaded: it contains a backslash/,
        ),
      ]),
    );
    expect(lines(result.stdout)).toEqual([
      'downloaded 20 B evil/ok.txt',
      expect.stringMatching(/^get: 1 file downloaded \(20 B in .*\), 5 refused$/),
    ]);
    expect(filesUnder(outer)).toEqual(['deep/target/evil/ok.txt']);
    expect(existsSync(path.join(scratch, 'escape'))).toBe(false);
    expect(existsSync(path.join(scratch, 'escape2'))).toBe(false);
  });
});

describe('failures and the queue', () => {
  it('a wrong secret: exit 1, one line naming the problem, the secret nowhere', async () => {
    for (const args of [
      [
        'put',
        path.join(src, 'single.txt'),
        `oss://${BUCKET}/wrong/`,
        '--data-dir',
        path.join(scratch, 'wrong-data'),
      ],
      ['ls', `oss://${BUCKET}/`],
    ]) {
      const result = await runCli([...args, ...account()], {
        env: { OSS_ACCESS_KEY_SECRET: WRONG_SECRET },
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^ossync: signature-mismatch: The AccessKey secret is wrong \(SignatureDoesNotMatch\): check OSS_ACCESS_KEY_SECRET\. \(request id \w+\)\n$/,
      );
      expect(result.stderr + result.stdout).not.toContain(WRONG_SECRET);
    }
  });

  it('missing credentials: exit 1 with one line naming the variables', async () => {
    const result = await runCli(['ls', `oss://${BUCKET}/`, ...account()], {
      env: { OSS_ACCESS_KEY_ID: undefined, OSS_ACCESS_KEY_SECRET: undefined },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'ossync: No credentials: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for temporary STS credentials).\n',
    );
  });

  it('a failed job: exit 1 with a summary naming its error code, message and request id; jobs lists it', async () => {
    oss.server.faults.addRule({
      id: 'deny-one',
      op: 'PutObject',
      key: 'fails/album/a.txt',
      fault: {
        kind: 'error',
        status: 403,
        code: 'AccessDenied',
        message: 'Denied by the CLI test.',
      },
    });
    const failData = path.join(scratch, 'fail-data');
    try {
      const result = await runCli([
        'put',
        path.join(src, 'album'),
        `oss://${BUCKET}/fails/`,
        ...account(),
        '--data-dir',
        failData,
      ]);
      expect(result.code).toBe(1);
      expect(lines(result.stdout).at(-1)).toMatch(
        /^put: 5 files uploaded \(.*\), 1 failed, 1 skipped$/,
      );
      const failure =
        /^ {2}failed fails\/album\/a\.txt: access-denied: Access to oss:\/\/cli-bkt\/fails\/album\/a\.txt was denied \(AccessDenied, HTTP 403\).* \(request id \w+\)$/m;
      expect(result.stderr).toMatch(failure);
      // The same failure, as it happened (a plain line), then in the summary.
      expect(result.stderr).toMatch(/^failed fails\/album\/a\.txt: access-denied: /m);
    } finally {
      oss.server.faults.removeRule('deny-one');
    }

    const jobs = await runCli(['jobs', '--data-dir', failData]);
    expect(jobs.code).toBe(0);
    const out = lines(jobs.stdout);
    expect(out[0]).toBe(
      'queued 0  running 0  waiting-retry 0  paused 0  done 5  failed 1  cancelled 0',
    );
    expect(out[1]).toMatch(
      /^\s+\d+ {2}failed\s+upload\s+6 B {2}oss:\/\/cli-bkt\/fails\/album\/a\.txt {2}<- .*a\.txt$/,
    );
    expect(out[2]).toMatch(/^\s+last error: access-denied: .*\(request id \w+\)$/);

    const done = await runCli(['jobs', '--data-dir', failData, '--state', 'done', '--json']);
    const parsed = lines(done.stdout).map(
      (line) => JSON.parse(line) as { state?: string; type?: string },
    );
    expect(parsed[0]).toMatchObject({ type: 'counts', done: 5, failed: 1 });
    expect(parsed.slice(1).map((job) => job.state)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
    ]);
  });

  it('jobs in a data directory that was never used: says so, creates nothing', async () => {
    const empty = path.join(scratch, 'never-used');
    const result = await runCli(['jobs', '--data-dir', empty]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`no jobs: nothing was queued in ${empty} yet\n`);
    expect(existsSync(empty)).toBe(false);
  });

  it('Ctrl+C stops cleanly with the work queued; the same command resumes without redoing finished files', async () => {
    const slow = path.join(scratch, 'slow');
    mkdirSync(slow);
    const files = ['f1.bin', 'f2.bin', 'f3.bin', 'f4.bin'];
    for (const [i, name] of files.entries())
      writeFileSync(path.join(slow, name), Buffer.alloc(400_000, i + 1));
    const slowData = path.join(scratch, 'slow-data');
    const args = [
      'put',
      slow,
      `oss://${BUCKET}/slow/`,
      ...account(),
      '--data-dir',
      slowData,
      '--limit-up',
      '800k',
      '--concurrency',
      '1',
    ];
    let signalled = false;
    const first = await runCli(args, {
      onStdout: (stdout, child) => {
        if (!signalled && stdout.includes('uploaded ')) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(first.code).toBe(130);
    const queued = /^interrupted: (\d) files? queued; run the same command to resume$/m.exec(
      first.stderr,
    );
    expect(queued, first.stderr).not.toBeNull();
    const doneFirst = lines(first.stdout).filter((line) => line.startsWith('uploaded '));
    expect(doneFirst.length).toBeGreaterThanOrEqual(1);
    expect(doneFirst.length + Number(queued?.[1])).toBe(4);

    const second = await runCli(args);
    expect(second.code).toBe(0);
    const doneSecond = lines(second.stdout).filter((line) => line.startsWith('uploaded '));
    // Only what the first run left: every file uploaded exactly once over both runs.
    expect([...doneFirst, ...doneSecond].sort()).toEqual(
      files.map((name) => `uploaded 400 kB slow/slow/${name}`),
    );
    expect(lines(second.stdout)[0]).toMatch(
      /^resuming an interrupted put: \d of 4 files done so far$/,
    );
    for (const [i, name] of files.entries())
      await expectObject(`slow/slow/${name}`, Buffer.alloc(400_000, i + 1));

    // Finished: the next run of the same command starts afresh (nothing left to resume).
    expect(readdirSync(path.join(slowData, 'cli-runs'))).toEqual([]);
  });
});

it('never printed a secret', () => {
  const all = transcripts.join('\n');
  expect(all).not.toContain(TEST_ACCESS_KEY_SECRET);
  expect(all).not.toContain(WRONG_SECRET);
});
