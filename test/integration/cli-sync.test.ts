import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../helpers/cli-env.js';
import { oracleCrc64 } from '../helpers/engine.js';
import { REPO_ROOT } from '../helpers/local-oss-process.js';
import { startLocalOss, TEST_ACCESS_KEY_SECRET, type LocalOss } from '../helpers/osslocal.js';

/**
 * `ossync sync` and `ossync pairs` as a user runs them: the real CLI in a child process
 * against the local OSS server, the bucket checked with an independent client (ali-oss) and
 * CRC64 oracle (crc64-ecma182.js), the folder with plain fs calls.
 */

const BUCKET = 'sync-cli';
const CLI = path.join(REPO_ROOT, 'main', 'cli', 'main.ts');

let oss: LocalOss;
let endpoint: string;
const scratch = mkdtempSync(path.join(tmpdir(), 'cli-sync-'));
const dataDir = path.join(scratch, 'data');
const transcripts: string[] = [];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Without the AccessKey pair in the environment. */
  noCredentials?: boolean;
  /** Called whenever stdout grows, with everything printed so far. */
  onStdout?: (stdout: string, child: ChildProcess) => void;
  timeoutMs?: number;
}

function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  // A test that forgets --data-dir must not write into the real home folder.
  const env = cliEnv({ XDG_DATA_HOME: path.join(scratch, 'xdg') }, !options.noCredentials);
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
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      transcripts.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

const account = (): string[] => ['--endpoint', endpoint, '--data-dir', dataDir];
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** A fresh folder holding `files` (relative path -> content). */
function folderWith(name: string, files: Record<string, string>): string {
  const root = path.join(scratch, name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
  mkdirSync(root, { recursive: true });
  return root;
}

/** Every object under `prefix`: key without the prefix -> CRC64 of its content. */
async function bucketUnder(prefix: string): Promise<Map<string, string>> {
  const client = oss.client({ bucket: BUCKET });
  const found = new Map<string, string>();
  const listed = await client.listV2({ prefix, 'max-keys': '1000' }, {});
  for (const object of listed.objects ?? []) {
    const body = await client.get(object.name);
    found.set(object.name.slice(prefix.length), oracleCrc64(body.content as Buffer));
  }
  return found;
}

function crcs(files: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(files).map(([rel, text]) => [rel, oracleCrc64(Buffer.from(text))]));
}

function addedPairId(stdout: string): number {
  const match = /^added pair (\d+) /m.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return Number(match?.[1]);
}

beforeAll(async () => {
  oss = await startLocalOss({ buckets: [BUCKET] });
  endpoint = `http://localhost:${oss.server.port}`;
});

afterAll(async () => {
  await oss?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('ossync sync (one pass)', () => {
  const files = {
    'a.txt': 'alpha\n',
    'empty.bin': '',
    'deep/er/z.txt': 'zeta',
    '日本語/写真 1.jpg': 'jpeg bytes',
  };
  let root: string;
  let id: number;

  it('uploads a folder, stores the pair and exits 0', async () => {
    root = folderWith('one', files);
    const result = await runCli(['sync', root, `oss://${BUCKET}/one/`, ...account()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    id = addedPairId(result.stdout);
    const out = lines(result.stdout);
    expect(out[0]).toBe(`added pair ${id} (${root} <-> oss://${BUCKET}/one/): backup`);
    expect(out.filter((line) => line.startsWith('uploaded ')).sort()).toEqual(
      [
        'uploaded 6 B one/a.txt',
        'uploaded 0 B one/empty.bin',
        'uploaded 4 B one/deep/er/z.txt',
        'uploaded 10 B one/日本語/写真 1.jpg',
      ].sort(),
    );
    expect(out.at(-1)).toMatch(
      new RegExp(`^sync pair ${id} \\(.*\\): 4 uploaded \\(20 B in \\d+\\.\\ds(, .*/s)?\\)$`),
    );
    // Not a terminal: plain lines only.
    expect(result.stdout).not.toContain('\r');
    expect(result.stdout).not.toContain('\u001b');
    expect(await bucketUnder('one/')).toEqual(crcs(files));
  });

  it('a second run with nothing changed transfers nothing; --all runs the same pair', async () => {
    for (const args of [
      ['sync', root, `oss://${BUCKET}/one/`],
      ['sync', '--all'],
    ]) {
      const result = await runCli([...args, ...account()]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([
        expect.stringMatching(
          new RegExp(`^sync pair ${id} \\(.*\\): in sync, nothing to transfer \\(\\d+\\.\\ds\\)$`),
        ),
      ]);
    }
    expect(await bucketUnder('one/')).toEqual(crcs(files));
  });

  it('pairs list shows the pair, without credentials', async () => {
    const result = await runCli(['pairs', 'list', '--data-dir', dataDir], { noCredentials: true });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      `pair ${id}: ${root} <-> oss://${BUCKET}/one/`,
      '  backup',
      expect.stringMatching(/^ {2}idle, last synced \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      '  0 pending (0 B), 0 with issues, 0 conflicts, 0 deletions awaiting confirmation',
    ]);

    const json = await runCli(['pairs', 'list', '--json', '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(json.code).toBe(0);
    expect(JSON.parse(lines(json.stdout)[0] as string)).toMatchObject({
      id,
      folder: root,
      url: `oss://${BUCKET}/one/`,
      mode: 'backup',
      deleteMode: 'trash',
      paused: false,
      state: 'idle',
      filesPending: 0,
      issues: 0,
      conflicts: 0,
      deletesAwaiting: 0,
    });
  });

  it('pairs list of a data directory never used says so and creates nothing', async () => {
    const empty = path.join(scratch, 'never-used');
    const result = await runCli(['pairs', 'list', '--data-dir', empty], { noCredentials: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`no folder pairs: nothing was set up in ${empty} yet\n`);
    expect(existsSync(empty)).toBe(false);
  });
});

describe('mirror', () => {
  it('a file deleted locally is moved under the trash prefix', async () => {
    const files = { 'keep1.txt': 'k1', 'keep2.txt': 'k2', 'keep3.txt': 'k3', 'gone.txt': 'bye' };
    const root = folderWith('mirror', files);
    const first = await runCli([
      'sync',
      root,
      `oss://${BUCKET}/mirror/`,
      '--mode',
      'mirror',
      ...account(),
    ]);
    expect(first.code).toBe(0);
    expect(lines(first.stdout)[0]).toMatch(/: mirror \(deletes to the trash\)$/);

    unlinkSync(path.join(root, 'gone.txt'));
    const second = await runCli(['sync', root, `oss://${BUCKET}/mirror/`, ...account()]);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const out = lines(second.stdout);
    expect(out[0]).toMatch(
      /^trashed mirror\/gone\.txt -> mirror\/\.ossync-trash\/\d{8}T\d{6}\.\d{3}Z\/gone\.txt$/,
    );
    expect(out.at(-1)).toMatch(/: 1 moved to the trash \(\d+\.\ds\)$/);

    const objects = await bucketUnder('mirror/');
    const trashed = [...objects.keys()].filter((key) => key.startsWith('.ossync-trash/'));
    expect(trashed).toEqual([
      expect.stringMatching(/^\.ossync-trash\/\d{8}T\d{6}\.\d{3}Z\/gone\.txt$/),
    ]);
    expect(objects.get(trashed[0] as string)).toBe(oracleCrc64(Buffer.from('bye')));
    objects.delete(trashed[0] as string);
    const { 'gone.txt': _gone, ...kept } = files;
    expect(objects).toEqual(crcs(kept));
  });

  it('a mass delete is held: exit 1 with the confirm hint; pairs confirm, then sync, deletes', async () => {
    const files = { 'm1.txt': '1', 'm2.txt': '22', 'm3.txt': '333', 'm4.txt': '4444' };
    const root = folderWith('guarded', files);
    const url = `oss://${BUCKET}/guarded/`;
    const first = await runCli([
      'sync',
      root,
      url,
      '--mode',
      'mirror',
      '--delete-mode',
      'permanent',
      ...account(),
    ]);
    expect(first.code).toBe(0);
    const id = addedPairId(first.stdout);

    for (const name of ['m1.txt', 'm2.txt', 'm3.txt']) unlinkSync(path.join(root, name));
    const held = await runCli(['sync', root, url, ...account()]);
    expect(held.code).toBe(1);
    expect(lines(held.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^sync pair ${id} .*: nothing transferred \\(`)),
    ]);
    expect(held.stderr).toContain(
      "3 deletions are held back by the delete guard (it asks before deleting more than 50% of the pair's files or more than 1000); nothing was deleted.",
    );
    expect(held.stderr).toContain(
      `To carry them out: ossync pairs confirm ${id} --data-dir ${JSON.stringify(dataDir)}`,
    );
    expect(await bucketUnder('guarded/')).toEqual(crcs(files));

    const list = await runCli(['pairs', 'list', '--data-dir', dataDir], { noCredentials: true });
    expect(list.stdout).toContain(
      `pair ${id}: ${root} <-> ${url}\n  mirror (deletes permanently)\n  waiting for confirmation, last synced`,
    );
    expect(list.stdout).toContain('0 conflicts, 3 deletions awaiting confirmation');

    const confirm = await runCli(['pairs', 'confirm', String(id), '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(confirm.stderr).toBe('');
    expect(confirm.code).toBe(0);
    expect(confirm.stdout).toMatch(
      new RegExp(
        `^queued 3 deletions of pair ${id} .*\\(the objects are deleted permanently\\); they run on the next ossync sync`,
      ),
    );
    // Queued, not carried out: nothing talks to OSS without an account.
    expect(await bucketUnder('guarded/')).toEqual(crcs(files));

    const done = await runCli(['sync', root, url, ...account()]);
    expect(done.code).toBe(0);
    const out = lines(done.stdout);
    expect(out.filter((line) => line.startsWith('deleted ')).sort()).toEqual([
      'deleted guarded/m1.txt',
      'deleted guarded/m2.txt',
      'deleted guarded/m3.txt',
    ]);
    expect(out.at(-1)).toMatch(/: 3 deleted \(/);
    expect(await bucketUnder('guarded/')).toEqual(crcs({ 'm4.txt': '4444' }));
  });
});

describe('pairs', () => {
  it('pairs remove forgets the pair and leaves files and objects alone', async () => {
    const files = { 'r1.txt': 'one', 'sub/r2.txt': 'two' };
    const root = folderWith('removed', files);
    const url = `oss://${BUCKET}/removed/`;
    const add = await runCli(
      ['pairs', 'add', root, url, '--mode', 'mirror', '--data-dir', dataDir],
      {
        noCredentials: true,
      },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const id = addedPairId(add.stdout);
    const synced = await runCli(['sync', root, url, ...account()]);
    expect(synced.code).toBe(0);
    expect(await bucketUnder('removed/')).toEqual(crcs(files));

    const removed = await runCli(['pairs', 'remove', String(id), '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(
      `removed pair ${id} (${root} <-> ${url}). Nothing was deleted: the files in ${root} and the objects under ${url} (its .ossync-trash/ and .ossync-conflicts/ included) stay as they are.\n`,
    );
    expect(existsSync(path.join(root, 'r1.txt'))).toBe(true);
    expect(existsSync(path.join(root, 'sub', 'r2.txt'))).toBe(true);
    expect(await bucketUnder('removed/')).toEqual(crcs(files));
    const list = await runCli(['pairs', 'list', '--data-dir', dataDir], { noCredentials: true });
    expect(list.stdout).not.toContain(root);

    const again = await runCli(['pairs', 'remove', String(id), '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `ossync: There is no folder pair ${id}: ossync pairs list shows them.\n`,
    );
  });

  it('a paused pair is not synced until resumed', async () => {
    const root = folderWith('paused', { 'p.txt': 'p' });
    const url = `oss://${BUCKET}/paused/`;
    const add = await runCli(['pairs', 'add', root, url, '--data-dir', dataDir], {
      noCredentials: true,
    });
    const id = addedPairId(add.stdout);
    const pause = await runCli(['pairs', 'pause', String(id), '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(pause.code).toBe(0);
    const skipped = await runCli(['sync', root, url, ...account()]);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toMatch(
      new RegExp(`^pair ${id} .* is paused: ossync pairs resume ${id}`),
    );
    expect(await bucketUnder('paused/')).toEqual(new Map());

    const resume = await runCli(['pairs', 'resume', String(id), '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(resume.code).toBe(0);
    const synced = await runCli(['sync', root, url, ...account()]);
    expect(synced.code).toBe(0);
    expect(await bucketUnder('paused/')).toEqual(crcs({ 'p.txt': 'p' }));
  });
});

describe('issues and conflicts', () => {
  it('a skipped link is reported without failing; an object changed by someone else is a conflict (exit 1) that pairs issues lists', async () => {
    const root = folderWith('issues', { 'doc.txt': 'mine' });
    symlinkSync(path.join(root, 'doc.txt'), path.join(root, 'link.txt'));
    const url = `oss://${BUCKET}/issues/`;
    const first = await runCli(['sync', root, url, ...account()]);
    expect(first.code).toBe(0);
    const id = addedPairId(first.stdout);
    expect(lines(first.stderr)).toEqual([
      expect.stringMatching(/^ {2}skipped-special link\.txt: /),
    ]);

    await oss.client({ bucket: BUCKET }).put('issues/doc.txt', Buffer.from('theirs'));
    const second = await runCli(['sync', root, url, ...account()]);
    expect(second.code).toBe(1);
    expect(lines(second.stdout)).toEqual([
      'uploaded 4 B issues/doc.txt',
      expect.stringMatching(new RegExp(`^sync pair ${id} .*: 1 uploaded \\(4 B in `)),
    ]);
    const conflict = new RegExp(
      `^ {2}conflict doc\\.txt: the object had been changed by someone else and the local file replaced it; their version is kept as (oss://${BUCKET}/issues/\\.ossync-conflicts/\\d{8}T\\d{6}\\.\\d{3}Z/doc\\.txt)$`,
      'm',
    );
    expect(second.stderr).toMatch(conflict);
    expect(second.stderr).toMatch(/^ {2}remote-changed doc\.txt: /m);
    const keptKey = (conflict.exec(second.stderr)?.[1] ?? '').slice(`oss://${BUCKET}/`.length);
    const objects = await bucketUnder('issues/');
    expect(objects.get('doc.txt')).toBe(oracleCrc64(Buffer.from('mine')));
    expect(objects.get(keptKey.slice('issues/'.length))).toBe(oracleCrc64(Buffer.from('theirs')));

    const issues = await runCli(['pairs', 'issues', String(id), '--data-dir', dataDir], {
      noCredentials: true,
    });
    expect(issues.code).toBe(0);
    const out = lines(issues.stdout);
    expect(out[0]).toBe(`pair ${id} (${root} <-> ${url}): 2 paths with issues, 1 conflict`);
    expect(out.slice(1)).toEqual([
      expect.stringMatching(/^ {2}\S+Z {2}remote-changed {2}doc\.txt: /),
      expect.stringMatching(/^ {2}\S+Z {2}skipped-special {2}link\.txt: /),
    ]);
    const page = await runCli(
      ['pairs', 'issues', String(id), '--limit', '1', '--data-dir', dataDir],
      { noCredentials: true },
    );
    expect(lines(page.stdout).slice(1)).toEqual([
      expect.stringMatching(/ {2}remote-changed {2}doc\.txt: /),
      `  more: ossync pairs issues ${id} --after "doc.txt" --data-dir ${JSON.stringify(dataDir)}`,
    ]);
    const conflicts = await runCli(
      ['pairs', 'issues', String(id), '--conflicts', '--json', '--data-dir', dataDir],
      { noCredentials: true },
    );
    expect(lines(conflicts.stdout).map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({
        path: 'doc.txt',
        resolution: 'local-won',
        keptAs: `oss://${BUCKET}/${keptKey}`,
      }),
    ]);
  });
});

describe('command-line errors', () => {
  it.each([
    [
      'a missing folder',
      ['sync', path.join(scratch, 'nope'), `oss://${BUCKET}/x/`],
      /^ossync: .*nope: no such folder\.\n$/,
    ],
    [
      'a file, not a folder',
      ['sync', CLI, `oss://${BUCKET}/x/`],
      /^ossync: .*main\.ts is not a folder\.\n$/,
    ],
    [
      'another scheme',
      ['sync', scratch, 's3://bucket/x/'],
      /^ossync: "s3:\/\/bucket\/x\/" is not an oss:\/\/ URL: only oss:\/\/ is understood\.\n$/,
    ],
    [
      'a bad bucket name',
      ['sync', scratch, 'oss://Bad_Bucket/x/'],
      /^ossync: "Bad_Bucket" is not a valid bucket name: /,
    ],
    [
      'a bad prefix',
      ['sync', scratch, `oss://${BUCKET}/a//b/`],
      /^ossync: The key prefix "a\/\/b\/" cannot be used: it has an empty segment/,
    ],
    ['no destination', ['sync', scratch], /^ossync: Give the folder and where to sync it/],
    ['--all with a folder', ['sync', '--all', scratch], /^ossync: --all syncs every stored pair/],
  ])('%s: exit 2 with one clear line', async (_what, args, message) => {
    const result = await runCli([...args, ...account()]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('a folder already paired with another URL, or a folder holding the data directory: exit 2', async () => {
    const other = await runCli([
      'sync',
      path.join(scratch, 'one'),
      `oss://${BUCKET}/elsewhere/`,
      ...account(),
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      new RegExp(
        `^ossync: .*one is already synced with oss://${BUCKET}/one/ \\(pair \\d+\\): sync it with that URL, or remove the pair first`,
      ),
    );
    const holder = await runCli(['sync', scratch, `oss://${BUCKET}/all/`, ...account()]);
    expect(holder.code).toBe(2);
    expect(holder.stderr).toMatch(/contains OSSync's data folder/);
  });

  it('a missing bucket: exit 1, and no pair is stored', async () => {
    const root = folderWith('nobucket', { 'n.txt': 'n' });
    const result = await runCli(['sync', root, 'oss://no-such-bucket/x/', ...account()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^ossync: no-such-bucket: The bucket "no-such-bucket" does not exist/,
    );
    const list = await runCli(['pairs', 'list', '--data-dir', dataDir], { noCredentials: true });
    expect(list.stdout).not.toContain(root);
  });
});

describe('signals', () => {
  it('Ctrl+C stops a pass with exit 130 and the work queued; the next sync goes on', async () => {
    const data = path.join(scratch, 'slow-data');
    const names = ['f1.bin', 'f2.bin', 'f3.bin', 'f4.bin'];
    const root = path.join(scratch, 'slow');
    mkdirSync(root);
    for (const [i, name] of names.entries())
      writeFileSync(path.join(root, name), Buffer.alloc(400_000, i + 1));
    const args = [
      'sync',
      root,
      `oss://${BUCKET}/slow/`,
      '--endpoint',
      endpoint,
      '--data-dir',
      data,
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
    const queued = /^interrupted: (\d) files? queued; run the same command to go on$/m.exec(
      first.stderr,
    );
    expect(queued, first.stderr).not.toBeNull();
    const doneFirst = lines(first.stdout).filter((line) => line.startsWith('uploaded '));

    const second = await runCli(args);
    expect(second.code).toBe(0);
    const doneSecond = lines(second.stdout).filter((line) => line.startsWith('uploaded '));
    expect([...doneFirst, ...doneSecond].sort()).toEqual(
      names.map((name) => `uploaded 400 kB slow/${name}`),
    );
    const objects = await bucketUnder('slow/');
    for (const [i, name] of names.entries())
      expect(objects.get(name), name).toBe(oracleCrc64(Buffer.alloc(400_000, i + 1)));
  });

  it('--watch uploads a new file and stops cleanly on SIGINT', async () => {
    const root = folderWith('watched', { 'first.txt': 'first' });
    const url = `oss://${BUCKET}/watched/`;
    let step = 0;
    const result = await runCli(['sync', root, url, '--watch', ...account()], {
      timeoutMs: 60_000,
      onStdout: (stdout, child) => {
        if (step === 0 && /^pair \d+: idle$/m.test(stdout)) {
          step = 1;
          writeFileSync(path.join(root, 'new.txt'), 'a new file');
        } else if (step === 1 && stdout.includes('uploaded 10 B watched/new.txt')) {
          step = 2;
          child.kill('SIGINT');
        }
      },
    });
    expect(result.code, result.stderr).toBe(0);
    const out = lines(result.stdout);
    const id = addedPairId(result.stdout);
    expect(out).toContain(`watching pair ${id} (${root} <-> ${url}); Ctrl+C stops`);
    expect(out).toContain('uploaded 5 B watched/first.txt');
    expect(out.at(-1)).toBe(
      `stopped watching pair ${id} (${root} <-> ${url}): 2 uploaded during this run`,
    );
    expect(result.stderr).toBe('stopping (Ctrl+C again to quit at once)\n');
    expect(await bucketUnder('watched/')).toEqual(
      crcs({ 'first.txt': 'first', 'new.txt': 'a new file' }),
    );
  });
});

it('never printed a secret', () => {
  expect(transcripts.join('\n')).not.toContain(TEST_ACCESS_KEY_SECRET);
});
