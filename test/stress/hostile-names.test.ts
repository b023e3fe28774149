/**
 * Hostile input corpus, names, keys and listings half (issue 7): local names and object keys
 * that other tools, other platforms or a malicious bucket writer could produce, each taken
 * through the paths a user takes: a folder pair syncing (mirror mode: the mode that can
 * delete), the Browser's download and listing through the service contract, and where this
 * machine cannot be the other platform, core's local-paths rules for Windows.
 *
 * Every case is a row: an id, the input, and the expected outcome in words. Each row's test
 * checks that outcome; the describe's last checks prove that no data was lost anywhere: local
 * files unchanged (by raw name and CRC64), objects unchanged unless the row says otherwise,
 * no download temp file left, nothing written beside the sync root or the download folder,
 * and a second sync sends no write.
 *
 * One local OSS server for the file; one sync world per describe, one service for the
 * Browser rows.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPathForKey, sameFileTwins } from '../../main/core/fs/local-paths.js';
import { createService, type Service } from '../../main/core/service/service.js';
import type { StoredIssue } from '../../main/core/db/sync-store.js';
import {
  ContractError,
  parseResult,
  type MethodName,
  type Params,
  type Result,
} from '../../shared/contract/index.js';
import { oracleCrc64, tempFilesUnder, waitUntil } from '../helpers/engine.js';
import { putRawKey, startLocalOss, type LocalOss } from '../helpers/osslocal.js';
import { MemorySecretStore, localAccountParams } from '../helpers/service.js';
import { BUCKET, startSyncWorld, type SyncWorld } from '../helpers/sync.js';
import {
  cloneObject,
  dropObjects,
  findTree,
  makeDeepChain,
  OLD_ATIME,
  objectsUnder,
  rawTree,
  readsChangeAccessTimes,
  removeDeep,
  accessTimes,
  ageAccessTimes,
} from './helpers/hostile-names-fixtures.js';

/** One case of the corpus: what goes in, what must come out, and the check of it. */
interface Row {
  id: string;
  input: string;
  expected: string;
  check: () => void | Promise<void>;
}

const NFC = 'caf\u00e9.txt';
const NFD = 'cafe\u0301.txt';
/** Download folders on Windows and macOS, for core's rules (the W rows). */
const WIN_ROOT = 'C:\\Users\\me\\Downloads';
const POSIX_ROOT = '/home/me/Downloads';
const utf8 = (text: string): number => Buffer.byteLength(text);

/** A pair-relative path whose key (`prefix` + path) is exactly `total` UTF-8 bytes. */
function pathOfKeyBytes(prefix: string, head: string, total: number): string {
  let rel = head;
  while (utf8(prefix) + utf8(rel) + 250 < total) rel += `${'x'.repeat(200)}/`;
  const rest = total - utf8(prefix) - utf8(rel);
  return rel + 'f'.repeat(rest);
}

let oss: LocalOss;

beforeAll(async () => {
  oss = await startLocalOss();
});
afterAll(async () => {
  await oss?.close();
});

function issuesOf(world: SyncWorld): StoredIssue[] {
  return world.runtime.sync.issuesPage(world.pair.id, undefined, 10_000);
}

// ---------------------------------------------------------------------------------------
// Going up: hostile local names in a mirror pair.
// ---------------------------------------------------------------------------------------

describe('going up: hostile local names in a mirror pair', () => {
  const PREFIX = 'up/';
  const files: Record<string, string> = {
    [NFC]: 'nfc alone',
    [`nfd/${NFD}`]: 'nfd alone',
    [`both/${NFC}`]: 'both: the nfc one',
    [`both/${NFD}`]: 'both: the nfd one',
    'emoji/\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466} family \u{1F600}.txt': 'emoji',
    'rtl/\u05e9\u05dc\u05d5\u05dd \u0639\u0631\u0628\u064a.txt': 'rtl',
    'rtl/\u202Egnp.exe': 'rtl override',
    'zw/a\u200Bb\u200Cc\u200Dd\uFEFF.txt': 'zero width',
    'win/back\\slash.txt': 'backslash',
    'win/c:d.txt': 'colon',
    'win/star*.txt': 'star',
    'win/q?.txt': 'question',
    'win/"quote".txt': 'quote',
    'win/<lt>gt.txt': 'angles',
    'win/pipe|.txt': 'pipe',
    'ctl/line\nbreak.txt': 'newline',
    'ctl/tab\there.txt': 'tab',
    'ctl/ok.txt': 'beside the control names',
    'sp/ lead.txt': 'leading space',
    'sp/trail.txt ': 'trailing space',
    'sp/dots...': 'trailing dots',
    'sp/dir. /in.txt': 'folder ending in dot and space',
    'res/CON': 'con',
    'res/nul.txt': 'nul',
    'res/COM1': 'com1',
    'res/AUX.tar.gz': 'aux',
    [`long/${'\u00e9'.repeat(126)}abc`]: '255 bytes',
    [pathOfKeyBytes(PREFIX, 'k1023/', 1023)]: 'key of 1023 bytes',
    [pathOfKeyBytes(PREFIX, 'k1024/', 1024)]: 'key of 1024 bytes',
    'k1024/ok.txt': 'beside the long key',
    [`deep/${'d/'.repeat(150)}f.txt`]: 'deep',
    'case/Photo.JPG': 'upper',
    'case/photo.jpg': 'lower',
    'url/pct%20.txt': 'percent',
    'url/hash#1.txt': 'hash',
    'url/plus+ .txt': 'plus',
    'url/amp&q=?.txt': 'query',
    'url/\u00e9 %C3%A9.txt': 'encoded-looking',
    'clash/a': 'a file where someone has a/b',
  };
  const LONG_NAME = `${'n'.repeat(250)}`;
  let world: SyncWorld;
  let before: Map<string, string>;
  let deepBefore: string[];
  let deepPathBytes: number;
  /** Whether reads renew access times on this file system (not mounted noatime). */
  let atimesShow: boolean;
  let bucketBefore: Map<string, string>;
  let firstIssues: StoredIssue[];
  let firstObjects: Map<string, string>;

  /** CRC64 of the object at `key` (prefix added), or undefined if there is none. */
  async function crcOf(rel: string): Promise<string | undefined> {
    const body = await world.client.get(PREFIX + rel).catch((error: { code?: string }) => {
      if (error.code === 'NoSuchKey') return undefined;
      throw error;
    });
    return body === undefined ? undefined : oracleCrc64(body.content as Buffer);
  }
  const crc = (text: string): string => oracleCrc64(Buffer.from(text));
  const issueAt = (rel: string): StoredIssue | undefined =>
    firstIssues.find((issue) => issue.path === rel);

  beforeAll(async () => {
    world = await startSyncWorld({ oss, files, pair: { prefix: PREFIX, mode: 'mirror' } });
    await world.runner.settled();
    // Someone else's object under a name the pair's file `clash/a` is the folder of.
    await world.client.put(`${PREFIX}clash/a/b`, Buffer.from('someone else'));
    deepPathBytes = makeDeepChain(path.join(world.root), LONG_NAME, 20, 'bottom.txt', 'deep');
    before = rawTree(world.root, [LONG_NAME]);
    deepBefore = findTree(path.join(world.root, LONG_NAME));
    // U14: everything under the folder the pass must report (the 5th of the chain, depth 4
    // below the first) gets an old access time; a read or a listing of it would renew it.
    atimesShow = readsChangeAccessTimes(path.dirname(world.root));
    ageAccessTimes(path.join(world.root, LONG_NAME), 5);
    bucketBefore = await objectsUnder(world.client, '');
    const status = await world.sync();
    expect(status.state).toBe('idle');
    firstIssues = issuesOf(world);
    firstObjects = await objectsUnder(world.client, PREFIX);
  });
  afterAll(async () => {
    if (world) {
      removeDeep(path.join(world.root, LONG_NAME));
      await world.close();
    }
  });

  const rows: Row[] = [
    {
      id: 'U01',
      input: `local file \`${NFC}\` (NFC)`,
      expected: 'uploaded as key `café.txt` in NFC, same bytes',
      check: async () => expect(await crcOf(NFC)).toBe(crc('nfc alone')),
    },
    {
      id: 'U02',
      input: 'local file `nfd/café.txt` whose name on disk is NFD (as macOS writes it)',
      expected:
        'uploaded as key `nfd/café.txt` in NFC; the local name stays NFD; a second sync changes nothing',
      check: async () => {
        expect(await crcOf(`nfd/${NFC}`)).toBe(crc('nfd alone'));
        expect(firstObjects.has(`${PREFIX}nfd/${NFD}`)).toBe(false);
        expect(readdirSync(path.join(world.root, 'nfd'))).toEqual([NFD]);
      },
    },
    {
      id: 'U03',
      input: '`both/café.txt` in NFC and in NFD, side by side on disk',
      expected:
        'the NFC file is uploaded as `both/café.txt`; the NFD one is not synced and an invalid-name issue names both spellings and says to rename one; neither file is touched',
      check: async () => {
        expect(await crcOf(`both/${NFC}`)).toBe(crc('both: the nfc one'));
        expect(firstObjects.has(`${PREFIX}both/${NFD}`)).toBe(false);
        const issue = issueAt(`both/${NFC}`);
        expect(issue?.code).toBe('invalid-name');
        expect(issue?.message).toContain(JSON.stringify(`both/${NFD}`));
        expect(issue?.message).toContain('Rename one of them');
      },
    },
    {
      id: 'U04',
      input: 'emoji with zero-width joiners: `emoji/👩‍👩‍👧‍👦 family 😀.txt`',
      expected: 'uploaded under exactly that key (the joiners kept)',
      check: async () =>
        expect(
          await crcOf(
            'emoji/\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466} family \u{1F600}.txt',
          ),
        ).toBe(crc('emoji')),
    },
    {
      id: 'U05',
      input:
        'right-to-left names: Hebrew and Arabic, and `\\u202Egnp.exe` (a right-to-left override)',
      expected:
        'uploaded under exactly those keys; the override character is kept, not interpreted',
      check: async () => {
        expect(await crcOf('rtl/\u05e9\u05dc\u05d5\u05dd \u0639\u0631\u0628\u064a.txt')).toBe(
          crc('rtl'),
        );
        expect(await crcOf('rtl/\u202Egnp.exe')).toBe(crc('rtl override'));
      },
    },
    {
      id: 'U06',
      input: 'zero-width characters: `zw/a\\u200Bb\\u200Cc\\u200Dd\\uFEFF.txt`',
      expected: 'uploaded under exactly that key (nothing stripped)',
      check: async () =>
        expect(await crcOf('zw/a\u200Bb\u200Cc\u200Dd\uFEFF.txt')).toBe(crc('zero width')),
    },
    {
      id: 'U07',
      input:
        'names legal on Linux, forbidden on Windows: `back\\slash.txt`, `c:d.txt`, `star*.txt`, `q?.txt`, `"quote".txt`, `<lt>gt.txt`, `pipe|.txt`',
      expected: 'each uploaded under its own name as the key (the key keeps the backslash)',
      check: async () => {
        for (const [name, content] of [
          ['back\\slash.txt', 'backslash'],
          ['c:d.txt', 'colon'],
          ['star*.txt', 'star'],
          ['q?.txt', 'question'],
          ['"quote".txt', 'quote'],
          ['<lt>gt.txt', 'angles'],
          ['pipe|.txt', 'pipe'],
        ] as const)
          expect(await crcOf(`win/${name}`), name).toBe(crc(content));
      },
    },
    {
      id: 'U08',
      input: 'names with a newline and a tab: `ctl/line\\nbreak.txt`, `ctl/tab\\there.txt`',
      expected:
        'not uploaded; an invalid-name issue for each names the path, the control character (LF, TAB) and says to rename or ignore it; `ctl/ok.txt` beside them syncs',
      check: async () => {
        for (const [rel, what] of [
          ['ctl/line\nbreak.txt', 'LF (U+000A)'],
          ['ctl/tab\there.txt', 'TAB (U+0009)'],
        ] as const) {
          const issue = issueAt(rel);
          expect(issue?.code, rel).toBe('invalid-name');
          expect(issue?.message).toContain(JSON.stringify(rel));
          expect(issue?.message).toContain(what);
          expect(issue?.message).toContain('Rename it, or add it to the ignore patterns');
          expect(await crcOf(rel)).toBeUndefined();
        }
        expect(await crcOf('ctl/ok.txt')).toBe(crc('beside the control names'));
      },
    },
    {
      id: 'U09',
      input:
        'leading and trailing spaces and dots: `sp/ lead.txt`, `sp/trail.txt `, `sp/dots...`, folder `sp/dir. /`',
      expected: 'uploaded under exactly those keys (spaces and dots kept)',
      check: async () => {
        expect(await crcOf('sp/ lead.txt')).toBe(crc('leading space'));
        expect(await crcOf('sp/trail.txt ')).toBe(crc('trailing space'));
        expect(await crcOf('sp/dots...')).toBe(crc('trailing dots'));
        expect(await crcOf('sp/dir. /in.txt')).toBe(crc('folder ending in dot and space'));
      },
    },
    {
      id: 'U10',
      input:
        'Windows-reserved names as local files on Linux: `CON`, `nul.txt`, `COM1`, `AUX.tar.gz`',
      expected:
        'uploaded under those keys (legal on Linux; a download of them is refused, see D12)',
      check: async () => {
        for (const [name, content] of [
          ['CON', 'con'],
          ['nul.txt', 'nul'],
          ['COM1', 'com1'],
          ['AUX.tar.gz', 'aux'],
        ] as const)
          expect(await crcOf(`res/${name}`), name).toBe(crc(content));
      },
    },
    {
      id: 'U11',
      input: 'a 255-byte name of two-byte characters (`é`×126 + `abc`)',
      expected: 'uploaded under that key',
      check: async () => {
        const name = `${'\u00e9'.repeat(126)}abc`;
        expect(utf8(name)).toBe(255);
        expect(await crcOf(`long/${name}`)).toBe(crc('255 bytes'));
      },
    },
    {
      id: 'U12',
      input: 'files whose keys would be exactly 1023 and 1024 bytes',
      expected:
        '1023: uploaded; 1024: not uploaded, an invalid-name issue names the path, says 1024 bytes and the 1023 limit and what to do; its sibling syncs',
      check: async () => {
        const ok = pathOfKeyBytes(PREFIX, 'k1023/', 1023);
        const over = pathOfKeyBytes(PREFIX, 'k1024/', 1024);
        expect(utf8(PREFIX + ok)).toBe(1023);
        expect(utf8(PREFIX + over)).toBe(1024);
        expect(await crcOf(ok)).toBe(crc('key of 1023 bytes'));
        expect(firstObjects.has(PREFIX + over)).toBe(false);
        const issue = issueAt(over);
        expect(issue?.code).toBe('invalid-name');
        expect(issue?.message).toContain('would be 1024 bytes long');
        expect(issue?.message).toContain('1023');
        expect(issue?.message).toContain('Shorten its name');
        expect(await crcOf('k1024/ok.txt')).toBe(crc('beside the long key'));
      },
    },
    {
      id: 'U13',
      input: '150 nested folders (`deep/d/d/…/f.txt`)',
      expected: 'uploaded under the full nested key',
      check: async () => expect(await crcOf(`deep/${'d/'.repeat(150)}f.txt`)).toBe(crc('deep')),
    },
    {
      id: 'U14',
      input: `20 nested folders of 250-byte names: the leaf's path is over PATH_MAX (4096)`,
      expected:
        'the first folder whose keys would pass 1023 bytes is reported (invalid-name, naming it); nothing under it is read (no access time under it renewed, where the file system records them) or uploaded; the pass does not fail; the tree stays as it was',
      check: () => {
        expect(deepPathBytes).toBeGreaterThan(4096);
        const under = accessTimes(path.join(world.root, LONG_NAME), 5);
        expect(under.size, 'folders 6 to 20 and the leaf file').toBe(16);
        // On a noatime mount a read leaves no trace: the other checks below still apply.
        if (atimesShow)
          expect(
            [...under]
              .filter(([, atime]) => atime !== OLD_ATIME)
              .map(([rel]) => `level ${rel.split('/').length + 5}`),
            'entries under the reported folder that were read',
          ).toEqual([]);
        const folder = Array.from({ length: 5 }, () => LONG_NAME).join('/');
        const issue = issueAt(`${LONG_NAME}/${folder.slice(LONG_NAME.length + 1)}`);
        expect(issue?.code).toBe('invalid-name');
        expect(issue?.message).toContain('the object keys of the files in it');
        expect([...firstObjects.keys()].filter((k) => k.includes(LONG_NAME))).toEqual([]);
        expect(findTree(path.join(world.root, LONG_NAME))).toEqual(deepBefore);
      },
    },
    {
      id: 'U15',
      input: 'case-only twins `case/Photo.JPG` and `case/photo.jpg` (Linux is case-sensitive)',
      expected:
        'two objects, one per file (OSS keys are case-sensitive too); a case-insensitive target is the Browser download, see W06',
      check: async () => {
        expect(await crcOf('case/Photo.JPG')).toBe(crc('upper'));
        expect(await crcOf('case/photo.jpg')).toBe(crc('lower'));
      },
    },
    {
      id: 'U16',
      input: 'local file `clash/a` while someone else has the object `clash/a/b`',
      expected: '`clash/a` uploaded beside it (a key can be both); `clash/a/b` untouched',
      check: async () => {
        expect(await crcOf('clash/a')).toBe(crc('a file where someone has a/b'));
        expect(firstObjects.get(`${PREFIX}clash/a/b`)).toBe(bucketBefore.get(`${PREFIX}clash/a/b`));
      },
    },
  ];

  for (const row of rows) it(`${row.id}: ${row.input} -> ${row.expected}`, row.check);

  it('no data lost: the folder unchanged, nothing else in the bucket, no temp file, a second sync sends no write', async () => {
    expect(rawTree(world.root, [LONG_NAME])).toEqual(before);
    expect(findTree(path.join(world.root, LONG_NAME))).toEqual(deepBefore);
    // The same names and bytes (so no temp file either), and nothing beside the root.
    expect(readdirSync(path.dirname(world.root)).sort()).toEqual(['data', 'folder']);
    // Exactly the files that could be synced became objects, and nothing else changed.
    const refused = new Set([
      `both/${NFD}`,
      'ctl/line\nbreak.txt',
      'ctl/tab\there.txt',
      pathOfKeyBytes(PREFIX, 'k1024/', 1024),
    ]);
    const expected = Object.keys(files)
      .filter((rel) => !refused.has(rel))
      .map((rel) => PREFIX + rel.normalize('NFC'))
      .concat(`${PREFIX}clash/a/b`)
      .sort();
    expect([...firstObjects.keys()].sort()).toEqual(expected);
    const all = await objectsUnder(world.client, '');
    for (const [key, etag] of bucketBefore) expect(all.get(key), key).toBe(etag);
    world.clearRequests();
    expect((await world.sync()).state).toBe('idle');
    expect(world.writes()).toEqual([]);
    expect(await objectsUnder(world.client, PREFIX)).toEqual(firstObjects);
    expect(rawTree(world.root, [LONG_NAME])).toEqual(before);
  });

  const URL_NAMES: Record<string, string> = {
    'pct%20.txt': 'percent',
    'hash#1.txt': 'hash',
    'plus+ .txt': 'plus',
    'amp&q=?.txt': 'query',
    '\u00e9 %C3%A9.txt': 'encoded-looking',
  };

  /** Rows that change the folder: after the checks above. */
  const laterRows: Row[] = [
    {
      id: 'U17',
      input:
        'names with URL syntax (`%20`, `#`, `+`, `&`, `=`, `?`, `%C3%A9`) in `url/`, then that folder renamed to `url moved %2F#`',
      expected:
        'uploaded under their literal names; the rename is done on the server (a CopyObject to each new key, then the old key deleted), no byte uploaded again, the same content under the new keys; a second sync sends no write',
      check: async () => {
        for (const [name, content] of Object.entries(URL_NAMES))
          expect(await crcOf(`url/${name}`), name).toBe(crc(content));
        const moved = 'url moved %2F#';
        renameSync(path.join(world.root, 'url'), path.join(world.root, moved));
        world.clearRequests();
        expect((await world.sync()).state).toBe('idle');
        const ops = world.writes().map((w) => w.op);
        expect(ops.filter((op) => op === 'PutObject' || op === 'UploadPart')).toEqual([]);
        const names = Object.keys(URL_NAMES).sort();
        const keysOf = (op: string) =>
          world
            .writes()
            .filter((w) => w.op === op)
            .map((w) => w.key)
            .sort();
        // A move: a copy to each new key, then the old key deleted (its content lives on).
        expect(keysOf('CopyObject')).toEqual(
          names.map((name) => `${PREFIX}${moved}/${name}`).sort(),
        );
        expect(keysOf('DeleteObject')).toEqual(names.map((name) => `${PREFIX}url/${name}`).sort());
        const after = await objectsUnder(world.client, PREFIX);
        for (const [name, content] of Object.entries(URL_NAMES)) {
          expect(await crcOf(`${moved}/${name}`), name).toBe(crc(content));
          expect(after.has(`${PREFIX}url/${name}`), name).toBe(false);
        }
        world.clearRequests();
        expect((await world.sync()).state).toBe('idle');
        expect(world.writes()).toEqual([]);
      },
    },
    {
      id: 'U18',
      input:
        'files `sp/trail.txt `, `win/back\\slash.txt` and `rtl/\\u202Egnp.exe` deleted locally (mirror)',
      expected:
        "each object moved to the pair's trash under its own name, same bytes, the original key gone; a second sync sends no write",
      check: async () => {
        const gone = ['sp/trail.txt ', 'win/back\\slash.txt', 'rtl/\u202Egnp.exe'];
        for (const rel of gone) rmSync(path.join(world.root, rel));
        world.clearRequests();
        expect((await world.sync()).state).toBe('idle');
        const after = await objectsUnder(world.client, PREFIX);
        const trash = [...after.keys()].filter((key) => key.startsWith(`${PREFIX}.ossync-trash/`));
        for (const rel of gone) {
          expect(after.has(PREFIX + rel), rel).toBe(false);
          const kept = trash.filter((key) => key.endsWith(`/${rel}`));
          expect(kept, rel).toHaveLength(1);
          expect(after.get(kept[0]!), rel).toBe(firstObjects.get(PREFIX + rel));
        }
        world.clearRequests();
        expect((await world.sync()).state).toBe('idle');
        expect(world.writes()).toEqual([]);
      },
    },
  ];

  for (const row of laterRows) it(`${row.id}: ${row.input} -> ${row.expected}`, row.check);
});

// ---------------------------------------------------------------------------------------
// Coming down: hostile keys under a mirror pair's prefix, and in the Browser's download.
// ---------------------------------------------------------------------------------------

/** Awaits `promise`, which must fail with a ContractError. */
async function refusal(promise: Promise<unknown>): Promise<ContractError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ContractError);
  return error as ContractError;
}

describe('coming down: hostile keys under a mirror pair and in the Browser download', () => {
  const PREFIX = 'down/';
  const BROWSE = 'br/';
  /** Each fixture's objects (relative keys -> content), put under the pair and the Browser. */
  const fixtures: Record<string, Record<string, string>> = {
    D01: { '../x': 'dotdot' },
    D02: { 'a/../../x': 'a dotdot dotdot' },
    D03: { '/abs': 'absolute' },
    D04: { 'a\\..\\..\\x': 'backslashes' },
    D05: { './x': 'dot' },
    D06: { 'a//b': 'empty segment' },
    D07: { '.': 'just a dot', '..': 'just two dots' },
    D08: { '': 'the prefix itself, with content', 'f.txt': 'beside the prefix marker' },
    D09: { 'nul\u0000x': 'nul', 'ctl\u0001x': 'control', 'lf\nx': 'newline' },
    D10: { 'sub/': 'a folder marker with content', 'sub/in.txt': 'inside the marked folder' },
    D11: { a: 'a file', 'a/b': 'a file inside a' },
    D12: {
      CON: 'con',
      'nul.txt': 'nul',
      COM1: 'com1',
      'AUX.tar.gz': 'aux',
      'dot.': 'trailing dot',
      'space ': 'trailing space',
    },
    D13: { [NFC]: 'nfc key', [NFD]: 'nfd key' },
    D14: { 'Photo.JPG': 'upper', 'photo.jpg': 'lower' },
    D15: {
      '\u{1F469}\u200D\u{1F469}\u200D\u{1F467} \u05e9\u05dc\u05d5\u05dd a\u200Bb.txt':
        'emoji rtl zw',
    },
    D16: { 'c:d.txt': 'colon', 'star*.txt': 'star', 'q?.txt': 'q', '<a>|"b".txt': 'angles' },
    D17: { [`${'\u00e9'.repeat(127)}a`]: '255 bytes', [`${'\u00e9'.repeat(128)}`]: '256 bytes' },
    D18: {
      [`${'d/'.repeat(150)}f.txt`]: 'deep',
      [pathOfKeyBytes('br/D18/', 'k/', 1023)]: 'a key of 1023 bytes',
    },
    D19: { 'scoped/../y': 'dotdot in a folder', 'scoped//z': 'empty segment in a folder' },
  };
  let world: SyncWorld;
  let service: Service;
  let accountId: number;
  let work: string;
  let pairBefore: Map<string, string>;
  let pairAfter: Map<string, string>;
  let pairIssues: StoredIssue[];
  /** The Browser's copies of the fixtures (`br/ID/...`), key -> ETag, before any row ran. */
  let browserBefore: Map<string, string>;
  /** A contract method of the service, in process (as the desktop app's main calls it). */
  const call = async <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
    const fn = service.api[method] as unknown as (p: Params<M>) => Promise<Result<M>>;
    return fn(params);
  };

  async function jobCount(): Promise<number> {
    const runtime = await service.runtime();
    return (runtime!.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
  }

  /** Downloads the fixture's folder `br/ID/` into a fresh folder; waits for its jobs. */
  async function download(id: string, keys = [`${BROWSE}${id}/`], allowFailures = false) {
    const target = path.join(work, 'targets', id);
    mkdirSync(target, { recursive: true });
    const jobs = await jobCount();
    const outcome = await call('objects.download', {
      accountId,
      bucket: BUCKET,
      keys,
      targetDir: target,
    }).then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error: error as ContractError }),
    );
    let failed: Result<'transfers.list'>['items'] = [];
    if (outcome.result !== undefined) {
      const { batch, jobsQueued } = outcome.result;
      await waitUntil(async () => {
        const ended = await call('transfers.list', {
          accountId,
          states: ['failed', 'cancelled'],
          batch,
        });
        failed = ended.items;
        const done = await call('transfers.list', { accountId, states: ['done'], batch });
        return (done.total ?? 0) + (ended.total ?? 0) === jobsQueued;
      }, `download of ${id}`);
    } else expect(await jobCount(), 'jobs queued by a refused download').toBe(jobs);
    if (!allowFailures) expect(failed).toEqual([]);
    return { ...outcome, failed, target, tree: rawTree(target) };
  }

  /** A folder `name` of files to upload, under the scratch folder (not a download target). */
  function uploadSource(name: string, files: Record<string, string>): string {
    const dir = path.join(work, 'sources', name);
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(files))
      writeFileSync(path.join(dir, file), content);
    return dir;
  }

  /** objects.upload of `dir` must be refused with invalid-argument, queuing and putting nothing. */
  async function uploadRefused(dir: string, id: string): Promise<ContractError> {
    const jobs = await jobCount();
    const error = await refusal(
      call('objects.upload', {
        accountId,
        bucket: BUCKET,
        prefix: `${BROWSE}${id}/`,
        localPaths: [dir],
      }),
    );
    expect(error.code).toBe('invalid-argument');
    expect(await jobCount()).toBe(jobs);
    expect(await objectsUnder(world.client, `${BROWSE}${id}/`)).toEqual(new Map());
    return error;
  }

  const crc = (text: string): string => oracleCrc64(Buffer.from(text));

  beforeAll(async () => {
    world = await startSyncWorld({
      oss,
      files: { 'keep.txt': 'keep', 'scoped/f.txt': 'in a scoped folder' },
      // A pattern with brackets has no literal to prefilter on: every path reaches `ignore`.
      pair: { prefix: PREFIX, mode: 'mirror', ignore: ['[z]*.bak'] },
    });
    // The first pass (keep.txt) ends before the hostile objects arrive.
    await world.runner.settled();
    for (const [id, objects] of Object.entries(fixtures))
      for (const [rel, content] of Object.entries(objects)) {
        await putRawKey(oss, world.client, PREFIX + rel, content);
        await putRawKey(oss, world.client, `${BROWSE}${id}/${rel}`, content);
      }
    pairBefore = await objectsUnder(world.client, PREFIX);
    browserBefore = await objectsUnder(world.client, BROWSE);
    const status = await world.sync();
    expect(status.state).toBe('idle');
    pairAfter = await objectsUnder(world.client, PREFIX);
    pairIssues = issuesOf(world);
    work = mkdtempSync(path.join(tmpdir(), 'ossync-hostile-'));
    service = createService({
      dataDir: path.join(work, 'data'),
      secrets: new MemorySecretStore(),
      pairRunner: { stabilityMs: 0 },
    });
    accountId = (await call('accounts.add', localAccountParams(oss, BUCKET))).id;
    await call('transfers.resumeAll', {});
  });
  afterAll(async () => {
    await service?.close();
    await world?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The pair's side of a fixture: objects unchanged, reported remote-only unless a marker. */
  function pairLeftAlone(id: string): void {
    for (const rel of Object.keys(fixtures[id]!)) {
      const key = PREFIX + rel;
      expect(pairAfter.get(key), key).toBe(pairBefore.get(key));
      expect(pairAfter.get(key), key).toBeDefined();
      const issues = pairIssues.filter((issue) => issue.path === rel);
      if (rel === '' || rel.endsWith('/')) expect(issues, key).toEqual([]);
      else {
        expect(
          issues.map((issue) => issue.code),
          key,
        ).toEqual(['remote-only']);
        expect(issues[0]!.message).toContain('it is left alone');
        // The path is quoted, so a newline or control character in it is shown escaped.
        expect(issues[0]!.message).toContain(JSON.stringify(rel));
        // eslint-disable-next-line no-control-regex -- looking for control characters
        expect(issues[0]!.message).not.toMatch(/[\u0000-\u001f]/);
      }
    }
  }

  /** The Browser's side: the folder download refused with `code`, naming `rel`; nothing written. */
  async function browserRefuses(id: string, code: string, rel: string, why: string) {
    const out = await download(id);
    expect(out.error?.code).toBe(code);
    expect(out.error?.subject).toBe(`${BROWSE}${id}/${rel}`);
    expect(out.error?.message).toContain(JSON.stringify(`${BROWSE}${id}/${rel}`));
    expect(out.error?.message).toContain(why);
    expect(out.error?.message).toContain('Nothing was queued');
    expect(out.tree).toEqual(new Map());
  }

  /**
   * The Browser's download of `keys` as on macOS (`process.platform` is darwin for the call,
   * which is the switch sameFileTwins reads; macOS paths are POSIX, so the rest of the
   * download path works as on Linux): refused naming the two twins, nothing queued (the
   * helper compares the job count) and nothing written.
   */
  async function browserRefusesTwins(id: string, keys: string[], why: string, twins = keys) {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
    let out: Awaited<ReturnType<typeof download>>;
    try {
      out = await download(id, keys);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
    expect(process.platform).toBe(platform.value);
    expect(out.result).toBeUndefined();
    expect(out.error?.code).toBe('invalid-argument');
    for (const key of twins) expect(out.error?.message).toContain(JSON.stringify(key));
    expect(out.error?.message).toContain(why);
    expect(out.error?.message).toContain('Download one of them to another folder.');
    expect(out.error?.message).toContain('Nothing was queued');
    expect(out.tree).toEqual(new Map());
  }

  /** The Browser's side: the folder download lands exactly these files (raw names). */
  async function browserDownloads(
    id: string,
    files: Record<string, string>,
    folders: string[] = [],
  ) {
    const out = await download(id);
    expect(out.error).toBeUndefined();
    const expected = new Map<string, string>([[`${id}/`, 'dir']]);
    for (const folder of folders) expected.set(`${id}/${folder}`, 'dir');
    for (const [rel, content] of Object.entries(files)) expected.set(`${id}/${rel}`, crc(content));
    expect(out.tree).toEqual(expected);
  }

  const rows: Row[] = [
    {
      id: 'D01',
      input: 'key `../x` under the prefix',
      expected:
        'pair (with an ignore pattern): left alone, reported remote-only, nothing written locally (before the fix `../x`, `./x`, `.`, `..` and `prefix//abs` made every pass fail with a RangeError from the ignore library); Browser: the folder download is refused (invalid-key, the key named, "a .. segment"), nothing queued or written',
      check: async () => {
        pairLeftAlone('D01');
        await browserRefuses('D01', 'invalid-key', '../x', 'has a ".." segment');
      },
    },
    {
      id: 'D02',
      input: 'key `a/../../x`; and the same key chosen alone in the Browser',
      expected:
        'pair: left alone, reported remote-only; Browser folder download refused naming the key; chosen alone (it would land as `x`, inside the folder) its job fails at once, not retried, saying the key has a ".." segment OSSync cannot send and to use a tool such as ossutil (before the fix: "The AccessKey secret is wrong"); details are refused the same way; nothing written',
      check: async () => {
        pairLeftAlone('D02');
        await browserRefuses('D02', 'invalid-key', 'a/../../x', 'has a ".." segment');
        const key = `${BROWSE}D02/a/../../x`;
        const alone = await download('D02-alone', [key], true);
        expect(alone.result?.jobsQueued).toBe(1);
        expect(alone.failed).toHaveLength(1);
        expect(alone.failed[0]!.attempts).toBe(1);
        expect(alone.failed[0]!.error?.code).toBe('invalid-request');
        expect(alone.failed[0]!.error?.message).toContain(JSON.stringify(key));
        expect(alone.failed[0]!.error?.message).toContain('has a "." or ".." segment');
        expect(alone.failed[0]!.error?.message).toContain('such as ossutil');
        expect(alone.tree).toEqual(new Map());
        // The same for everything else the Browser does with such a key.
        const details = await refusal(call('objects.details', { accountId, bucket: BUCKET, key }));
        expect(details.message).toContain('has a "." or ".." segment');
      },
    },
    {
      id: 'D03',
      input: 'key `prefix//abs` (an absolute path after the prefix)',
      expected:
        'pair: left alone, reported remote-only (this key made every pass fail with "Maximum call stack size exceeded" before the fix); Browser: refused, "an empty segment"',
      check: async () => {
        pairLeftAlone('D03');
        await browserRefuses('D03', 'invalid-key', '/abs', 'an empty segment');
      },
    },
    {
      id: 'D04',
      input: 'key `a\\..\\..\\x` (Windows separators)',
      expected: 'pair: left alone, reported remote-only; Browser: refused, "contains a backslash"',
      check: async () => {
        pairLeftAlone('D04');
        await browserRefuses('D04', 'invalid-key', 'a\\..\\..\\x', 'contains a backslash');
      },
    },
    {
      id: 'D05',
      input: 'key `./x`',
      expected: 'pair: left alone, reported remote-only; Browser: refused, "a . segment"',
      check: async () => {
        pairLeftAlone('D05');
        await browserRefuses('D05', 'invalid-key', './x', 'has a "." segment');
      },
    },
    {
      id: 'D06',
      input: 'key `a//b` (an empty segment)',
      expected: 'pair: left alone, reported remote-only; Browser: refused, "an empty segment"',
      check: async () => {
        pairLeftAlone('D06');
        await browserRefuses('D06', 'invalid-key', 'a//b', 'an empty segment');
      },
    },
    {
      id: 'D07',
      input: 'keys `.` and `..` under the prefix',
      expected:
        'pair: both left alone, reported remote-only; Browser: refused at the first, naming it',
      check: async () => {
        pairLeftAlone('D07');
        await browserRefuses('D07', 'invalid-key', '.', 'has a "." segment');
      },
    },
    {
      id: 'D08',
      input: 'a key equal to the prefix itself (`prefix/`) holding 31 bytes, and `f.txt` beside it',
      expected:
        "pair: the marker is not a file, left alone and not reported; Browser: the marker becomes the folder and `f.txt` is downloaded into it; the marker's bytes stay in the bucket",
      check: async () => {
        pairLeftAlone('D08');
        await browserDownloads('D08', { 'f.txt': 'beside the prefix marker' });
      },
    },
    {
      id: 'D09',
      input: 'keys with NUL, U+0001 and a newline (`nul\\0x`, `ctl\\u0001x`, `lf\\nx`)',
      expected:
        'pair: left alone, reported remote-only with the key quoted and escaped (before the fix the raw newline went into the message); Browser: the folder download is refused naming the control character; each key chosen alone is refused too',
      check: async () => {
        pairLeftAlone('D09');
        await browserRefuses('D09', 'invalid-key', 'ctl\u0001x', 'the control character U+0001');
        for (const rel of ['nul\u0000x', 'lf\nx']) {
          const alone = await download(`D09-${rel.length}-${rel.charCodeAt(3)}`, [
            `${BROWSE}D09/${rel}`,
          ]);
          expect(alone.error, rel).toBeInstanceOf(ContractError);
          expect(alone.error?.message).toMatch(/control character (NUL|LF)/);
          expect(alone.tree).toEqual(new Map());
        }
      },
    },
    {
      id: 'D10',
      input: 'a folder marker `sub/` holding 28 bytes, and `sub/in.txt`',
      expected:
        "pair: the marker left alone and not reported, `sub/in.txt` reported remote-only; Browser: folder `sub/` created with `in.txt` in it; the marker's bytes stay in the bucket",
      check: async () => {
        pairLeftAlone('D10');
        await browserDownloads('D10', { 'sub/in.txt': 'inside the marked folder' }, ['sub/']);
      },
    },
    {
      id: 'D11',
      input: 'a file `a` next to `a/b` (file vs folder)',
      expected:
        'pair: both left alone, reported remote-only; Browser: refused (invalid-argument), naming `a/b` and saying to download them to different folders',
      check: async () => {
        pairLeftAlone('D11');
        await browserRefuses(
          'D11',
          'invalid-argument',
          'a/b',
          'download them to different folders',
        );
      },
    },
    {
      id: 'D12',
      input:
        'Windows-reserved and trailing dot/space keys: `CON`, `nul.txt`, `COM1`, `AUX.tar.gz`, `dot.`, `space `',
      expected:
        'pair: left alone, reported remote-only; Browser: refused on every platform (here Linux), naming the first in key order and why; each alone is refused too',
      check: async () => {
        pairLeftAlone('D12');
        await browserRefuses('D12', 'invalid-key', 'AUX.tar.gz', 'reserved device name on Windows');
        for (const [rel, why] of [
          ['CON', 'reserved device name'],
          ['nul.txt', 'reserved device name'],
          ['COM1', 'reserved device name'],
          ['dot.', 'ends with a dot'],
          ['space ', 'ends with a space'],
        ] as const) {
          const alone = await download(`D12-${rel.trim()}`, [`${BROWSE}D12/${rel}`]);
          expect(alone.error?.code, rel).toBe('invalid-key');
          expect(alone.error?.message).toContain(why);
          expect(alone.tree).toEqual(new Map());
        }
      },
    },
    {
      id: 'D13',
      input: '`café.txt` as two keys, NFC and NFD, both present',
      expected:
        "pair: both left alone, reported remote-only; Browser on Linux: two files, each under its key's exact bytes (no normalisation); see W05 for macOS",
      check: async () => {
        pairLeftAlone('D13');
        await browserDownloads('D13', { [NFC]: 'nfc key', [NFD]: 'nfd key' });
      },
    },
    {
      id: 'D14',
      input: 'case-only twins `Photo.JPG` and `photo.jpg` as keys',
      expected:
        'pair: both left alone, reported remote-only; Browser on Linux: two files; see W06 for case-insensitive targets',
      check: async () => {
        pairLeftAlone('D14');
        await browserDownloads('D14', { 'Photo.JPG': 'upper', 'photo.jpg': 'lower' });
      },
    },
    {
      id: 'D15',
      input: 'a key with emoji, zero-width joiners, Hebrew and a zero-width space',
      expected:
        'pair: left alone, reported remote-only; Browser: downloaded under exactly that name',
      check: async () => {
        pairLeftAlone('D15');
        await browserDownloads('D15', fixtures.D15!);
      },
    },
    {
      id: 'D16',
      input: 'keys with `:`, `*`, `?`, `<`, `>`, `|`, `"`',
      expected:
        'pair: left alone, reported remote-only; Browser on Linux: downloaded under those names (legal here); refused on Windows, see W02',
      check: async () => {
        pairLeftAlone('D16');
        await browserDownloads('D16', fixtures.D16!);
      },
    },
    {
      id: 'D17',
      input: 'a 255-byte segment (`é`×127 + `a`) and a 256-byte one (`é`×128)',
      expected:
        'pair: both left alone, reported remote-only; Browser: the folder is refused naming the 256-byte key ("256 bytes long", "255"); the 255-byte one alone downloads',
      check: async () => {
        pairLeftAlone('D17');
        const long = '\u00e9'.repeat(128);
        await browserRefuses(
          'D17',
          'invalid-key',
          long,
          'is 256 bytes long in UTF-8, more than the 255',
        );
        const ok = `${'\u00e9'.repeat(127)}a`;
        const alone = await download('D17-alone', [`${BROWSE}D17/${ok}`]);
        expect(alone.tree).toEqual(new Map([[ok, crc('255 bytes')]]));
      },
    },
    {
      id: 'D19',
      input:
        'keys `scoped/../y` and `scoped//z` under a local folder `scoped/`, and a scoped pass over it (what a watcher event triggers: only that folder listed)',
      expected:
        'the full and the scoped pass both end idle; both keys left alone and reported remote-only; `scoped/f.txt` synced; nothing written locally',
      check: async () => {
        pairLeftAlone('D19');
        world.clearRequests();
        world.runner.requestPass(['scoped'], true);
        const status = await world.runner.settled();
        expect(status.state).toBe('idle');
        expect(world.writes()).toEqual([]);
        // The scoped pass listed the folder (it saw the hostile keys) and reported them again.
        expect(world.requests.some((r) => r.op === 'ListObjectsV2')).toBe(true);
        for (const rel of Object.keys(fixtures.D19!))
          expect(issuesOf(world).find((issue) => issue.path === rel)?.code, rel).toBe(
            'remote-only',
          );
        expect(pairAfter.has(`${PREFIX}scoped/f.txt`)).toBe(true);
      },
    },
    {
      id: 'L01',
      input: 'the Browser listing each hostile folder `br/D01/` .. `br/D19/` (delimiter `/`)',
      expected:
        "every object and sub-folder is shown exactly as its key is, and each page passes the contract's result check (what the renderer applies), so no hostile key makes a folder unbrowsable",
      check: async () => {
        for (const [id, objects] of Object.entries(fixtures)) {
          const folder = `${BROWSE}${id}/`;
          const page = await call('objects.list', { accountId, bucket: BUCKET, prefix: folder });
          const parsed = parseResult('objects.list', page);
          expect(parsed.ok, `${id}: ${JSON.stringify(parsed)}`).toBe(true);
          expect(page.nextContinuationToken).toBeNull();
          // What a delimited listing shows of the fixture: names up to their first '/'.
          const shown = new Set<string>();
          for (const rel of Object.keys(objects)) {
            if (rel === '') continue; // the folder's own marker is the folder
            const slash = rel.indexOf('/');
            shown.add(slash < 0 ? rel : rel.slice(0, slash + 1));
          }
          const listed = [
            ...page.prefixes.map((prefix) => prefix.slice(folder.length)),
            ...page.objects.map((object) => object.key.slice(folder.length)),
          ];
          expect(listed.sort(), id).toEqual([...shown].sort());
        }
      },
    },
    {
      id: 'P04',
      input:
        'the Browser paging `br/PG/` (a..f) two at a time; after page 1 (a, b): `b` (seen) and `d` (ahead) removed, `a1` (behind) and `e1` (ahead) added',
      expected:
        'each key shown once, in key order: c, e, e1, f after a, b; `d` not shown, `a1` not (behind the cursor); a fresh listing shows the bucket as it is now',
      check: async () => {
        const folder = `${BROWSE}PG/`;
        for (const name of ['a', 'b', 'c', 'd', 'e', 'f'])
          await world.client.put(folder + name, Buffer.from(name));
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await call('objects.list', {
            accountId,
            bucket: BUCKET,
            prefix: folder,
            pageSize: 2,
            ...(token === undefined ? {} : { continuationToken: token }),
          });
          seen.push(...page.objects.map((object) => object.key.slice(folder.length)));
          if (++pages === 1) {
            await world.client.delete(`${folder}b`);
            await world.client.delete(`${folder}d`);
            await world.client.put(`${folder}a1`, Buffer.from('a1'));
            await world.client.put(`${folder}e1`, Buffer.from('e1'));
          }
          token = page.nextContinuationToken ?? undefined;
        } while (token !== undefined);
        expect(seen).toEqual(['a', 'b', 'c', 'e', 'e1', 'f']);
        const fresh = await call('objects.list', { accountId, bucket: BUCKET, prefix: folder });
        expect(fresh.objects.map((object) => object.key.slice(folder.length))).toEqual([
          'a',
          'a1',
          'c',
          'e',
          'e1',
          'f',
        ]);
      },
    },
    {
      id: 'D18',
      input: 'a key 150 folders deep, and a key of exactly 1023 bytes',
      expected:
        'pair: left alone, reported remote-only; Browser: both downloaded to their nested paths, folders created',
      check: async () => {
        pairLeftAlone('D18');
        const out = await download('D18');
        expect(out.error).toBeUndefined();
        const files = [...out.tree].filter(([, value]) => value !== 'dir');
        expect(files).toEqual(
          Object.entries(fixtures.D18!)
            .map(([rel, content]) => [`D18/${rel}`, crc(content)])
            .sort(([a], [b]) => (a! < b! ? -1 : 1)),
        );
      },
    },
    {
      id: 'BU01',
      input: 'the Browser uploading a folder holding `café.txt` in NFC and in NFD',
      expected:
        'refused (invalid-argument): both local paths and the one key they would share named, "upload them separately"; nothing queued, nothing in the bucket',
      check: async () => {
        const dir = uploadSource('u1', { [NFC]: 'nfc', [NFD]: 'nfd', 'ok.txt': 'ok' });
        const error = await uploadRefused(dir, 'BU01');
        expect(error.message).toContain(JSON.stringify(path.join(dir, NFC)));
        expect(error.message).toContain(JSON.stringify(path.join(dir, NFD)));
        expect(error.message).toContain('upload them separately');
      },
    },
    {
      id: 'BU02',
      input:
        'the Browser uploading a folder holding `line\\nbreak.txt`, `tab\\tx.txt` or `ctl\\u0001.txt`',
      expected:
        'refused (invalid-argument), as a folder pair refuses them: the path and the control character named, "rename it, or leave it out"; nothing queued (before the fix they were uploaded under keys the Browser itself then refused to download)',
      check: async () => {
        for (const [name, what] of [
          ['line\nbreak.txt', 'LF (U+000A)'],
          ['tab\tx.txt', 'TAB (U+0009)'],
          ['ctl\u0001.txt', 'U+0001'],
        ] as const) {
          const dir = uploadSource(`u2-${what.slice(0, 2)}`, { [name]: 'control', 'ok.txt': 'ok' });
          const error = await uploadRefused(dir, 'BU02');
          expect(error.subject).toBe(path.join(dir, name));
          expect(error.message).toContain(`the control character ${what}`);
          expect(error.message).toContain('rename it, or leave it out');
        }
      },
    },
    {
      id: 'BU03',
      input:
        'the Browser uploading a folder holding an NFD name, `CON`, `back\\slash.txt`, `trail. `, `Photo.JPG` and `photo.jpg`, and an emoji name',
      expected:
        'all uploaded: the NFD name under its NFC key, the others under their own names (legal on Linux; the Browser will not download `CON`, the backslash or the trailing dot and space again: D04, D12)',
      check: async () => {
        const files = {
          [NFD]: 'nfd',
          CON: 'con',
          'back\\slash.txt': 'backslash',
          'trail. ': 'trailing',
          'Photo.JPG': 'upper',
          'photo.jpg': 'lower',
          '\u{1F600}\u200D.txt': 'emoji',
        };
        const dir = uploadSource('u3', files);
        const result = await call('objects.upload', {
          accountId,
          bucket: BUCKET,
          prefix: `${BROWSE}BU03/`,
          localPaths: [dir],
        });
        expect(result.jobsQueued).toBe(7);
        await waitUntil(async () => {
          const failed = await call('transfers.list', {
            accountId,
            states: ['failed'],
            batch: result.batch,
          });
          expect(failed.items).toEqual([]);
          const done = await call('transfers.list', {
            accountId,
            states: ['done'],
            batch: result.batch,
          });
          return done.total === 7;
        }, 'the upload');
        for (const [name, content] of Object.entries(files)) {
          const body = await world.client.get(`${BROWSE}BU03/u3/${name.normalize('NFC')}`);
          expect((body.content as Buffer).toString(), name).toBe(content);
        }
        expect((await objectsUnder(world.client, `${BROWSE}BU03/`)).size).toBe(7);
      },
    },
    {
      id: 'W05',
      input: 'keys `café.txt` in NFC and in NFD downloaded together',
      expected:
        'on macOS (names ignore normalisation) the Browser download is refused before anything is queued: both keys named, "Download one of them to another folder"; on Windows and Linux they are two files (D13); macOS is driven through `objects.download` with `process.platform` set to darwin for the call',
      check: async () => {
        const targets = [
          [`${POSIX_ROOT}/${NFC}`, `k/${NFC}`],
          [`${POSIX_ROOT}/${NFD}`, `k/${NFD}`],
        ] as const;
        const twins = sameFileTwins(targets, 'darwin');
        expect(twins?.keys).toEqual([`k/${NFC}`, `k/${NFD}`]);
        expect(twins?.why).toContain('Unicode normalisation');
        expect(sameFileTwins(targets, 'win32')).toBeUndefined();
        expect(sameFileTwins(targets, 'linux')).toBeUndefined();
        const keys = [`${BROWSE}D13/${NFC}`, `${BROWSE}D13/${NFD}`];
        await browserRefusesTwins('W05', keys, 'Unicode normalisation');
      },
    },
    {
      id: 'W06',
      input: 'case-only keys `Photo.JPG` and `photo.jpg` downloaded together',
      expected:
        'on Windows and macOS (case-insensitive) the Browser download is refused before anything is queued, both keys named, "Download one of them to another folder" (before the fix the second download silently replaced the first); on Linux two files (D14); a folder pair never downloads, so only the Browser is concerned; macOS is driven through `objects.download` (`process.platform` set to darwin for the call), Windows through the same check in core, as a Windows path cannot be made on Linux',
      check: async () => {
        const targets = [
          [`${WIN_ROOT}\\Photo.JPG`, 'k/Photo.JPG'],
          [`${WIN_ROOT}\\photo.jpg`, 'k/photo.jpg'],
          [`${WIN_ROOT}\\other.jpg`, 'k/other.jpg'],
        ] as const;
        for (const platform of ['win32', 'darwin'] as const) {
          const twins = sameFileTwins(targets, platform);
          expect(twins?.keys, platform).toEqual(['k/Photo.JPG', 'k/photo.jpg']);
          expect(twins?.path).toBe(`${WIN_ROOT}\\Photo.JPG`);
          expect(twins?.why).toContain('ignore case');
        }
        expect(sameFileTwins(targets, 'linux')).toBeUndefined();
        // The same key twice is one download, not twins.
        expect(sameFileTwins([targets[0], targets[0]], 'win32')).toBeUndefined();
        // The whole folder, as the Browser downloads it: refused at its two files.
        await browserRefusesTwins('W06', [`${BROWSE}D14/`], 'ignore case', [
          `${BROWSE}D14/Photo.JPG`,
          `${BROWSE}D14/photo.jpg`,
        ]);
      },
    },
  ];

  for (const row of rows) it(`${row.id}: ${row.input} -> ${row.expected}`, row.check);

  it('no data lost: every object unchanged, the pair folder unchanged, nothing outside the download folders, no temp file, a second sync sends no write', async () => {
    expect(await objectsUnder(world.client, PREFIX)).toEqual(new Map([...pairAfter]));
    for (const [key, etag] of pairBefore) expect(pairAfter.get(key), key).toBe(etag);
    expect([...pairAfter.keys()]).toEqual([...pairBefore.keys()]);
    expect(pairAfter.has(`${PREFIX}keep.txt`)).toBe(true);
    // The Browser's copies: every fixture object keeps its ETag; the only keys added under
    // `br/` are BU03's upload and P04's paging folder (which it changes on purpose).
    const browserNow = await objectsUnder(world.client, BROWSE);
    const own = (key: string): boolean =>
      !key.startsWith(`${BROWSE}BU03/`) && !key.startsWith(`${BROWSE}PG/`);
    expect(browserBefore.size).toBe(
      Object.values(fixtures).reduce((n, objects) => n + Object.keys(objects).length, 0),
    );
    expect(new Map([...browserNow].filter(([key]) => own(key)))).toEqual(browserBefore);
    // D08, D10: the folder markers the Browser turned into folders keep their bytes.
    for (const [key, content] of [
      [`${BROWSE}D08/`, fixtures.D08!['']!],
      [`${BROWSE}D10/sub/`, fixtures.D10!['sub/']!],
    ] as const)
      expect(((await world.client.get(key)).content as Buffer).toString(), key).toBe(content);
    expect(rawTree(world.root)).toEqual(
      new Map([
        ['keep.txt', crc('keep')],
        ['scoped/', 'dir'],
        ['scoped/f.txt', crc('in a scoped folder')],
      ]),
    );
    expect(readdirSync(path.dirname(world.root)).sort()).toEqual(['data', 'folder']);
    expect(readdirSync(work).sort()).toEqual(['data', 'sources', 'targets']);
    expect(existsSync(path.join(work, 'x'))).toBe(false);
    expect(tempFilesUnder(path.join(work, 'targets'))).toEqual([]);
    for (const entry of readdirSync(path.join(work, 'targets')))
      expect(entry, 'a folder per row, nothing else').toMatch(/^[DW]\d\d(-.*)?$/);
    world.clearRequests();
    expect((await world.sync()).state).toBe('idle');
    expect(world.writes()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Listings that change while they are paged.
// ---------------------------------------------------------------------------------------

describe('a bucket listing that changes while paging', () => {
  const PREFIX = 'page/';
  const SEEDED = Array.from({ length: 2400 }, (_, i) => `r/${String(i).padStart(4, '0')}`);
  const LOCAL = Array.from({ length: 10 }, (_, i) => `s/${String(i).padStart(2, '0')}`);
  let world: SyncWorld;
  /** What the pair's listing returned, page by page, and when the bucket was changed. */
  const events: string[] = [];
  let listed: string[] = [];
  let bucketAfterPass2: Map<string, string>;
  let writesOfPass2: { op: string; key: string | undefined }[];
  let issuesAfterPass2: StoredIssue[];
  let restore: () => void;

  beforeAll(async () => {
    world = await startSyncWorld({
      oss,
      files: Object.fromEntries(LOCAL.map((rel) => [rel, `local ${rel}`])),
      pair: { prefix: PREFIX, mode: 'mirror' },
    });
    // 2,400 objects someone else wrote: three pages of 1,000 for the pair's listing.
    await world.client.put(`${PREFIX}seed`, Buffer.from('seeded'));
    cloneObject(
      oss,
      BUCKET,
      `${PREFIX}seed`,
      SEEDED.map((rel) => PREFIX + rel),
    );
    dropObjects(oss, BUCKET, [`${PREFIX}seed`]);
    expect((await world.sync()).state).toBe('idle');

    // Record what the pair's listing returns; change the bucket when its first page is out.
    const remote = world.runtime.remote;
    const original = remote.listPage.bind(remote);
    remote.listPage = async (...args: Parameters<typeof original>) => {
      if (args[1].prefix === PREFIX) events.push('page asked');
      const page = await original(...args);
      if (args[1].prefix === PREFIX) {
        events.push(`page of ${page.objects.length}`);
        listed.push(...page.objects.map((object) => object.key.slice(PREFIX.length)));
      }
      return page;
    };
    restore = () => {
      remote.listPage = original;
    };
    let armed = true;
    const mutate = (record: { op: string; bucket: string | undefined }): void => {
      if (!armed || record.op !== 'ListObjectsV2' || record.bucket !== BUCKET) return;
      armed = false;
      events.push('bucket changed');
      dropObjects(oss, BUCKET, [`${PREFIX}r/0100`, `${PREFIX}r/2000`, `${PREFIX}s/05`]);
      cloneObject(oss, BUCKET, `${PREFIX}r/0001`, [`${PREFIX}r/0100a`, `${PREFIX}r/2000a`]);
    };
    oss.server.on('request', mutate);
    // The next page waits a little, so the change is in before it is served, whenever the
    // server reports the first page done.
    const rule = oss.server.faults.addRule({
      op: 'ListObjectsV2',
      bucket: BUCKET,
      after: 1,
      times: 1,
      fault: { kind: 'latency', ms: 300 },
    });
    rmSync(path.join(world.root, 's', '07'));
    listed = [];
    world.clearRequests();
    try {
      expect((await world.sync()).state).toBe('idle');
    } finally {
      oss.server.off('request', mutate);
      oss.server.faults.removeRule(rule);
    }
    writesOfPass2 = world.writes().map(({ op, key }) => ({ op, key }));
    issuesAfterPass2 = issuesOf(world);
    bucketAfterPass2 = await objectsUnder(world.client, PREFIX);
  });
  afterAll(async () => {
    restore?.();
    await world?.close();
  });

  const rows: Row[] = [
    {
      id: 'P01',
      input:
        "a mirror pair's listing of 2,410 objects (3 pages); after page 1: `r/0100` (listed) and `r/2000` (not yet) removed, `r/0100a` (behind the cursor) and `r/2000a` (ahead) added, and the pair's own `s/05` removed",
      expected:
        'every key listed once, in key order: `r/2000a` listed, `r/2000` and `s/05` not, `r/0100a` not (it was behind the cursor); nothing lost: the 2,398 seeded keys nobody touched, `r/0100` (listed on page 1, before its removal) and the 9 other local files are all listed',
      check: () => {
        // The server reports page 1 done (and the bucket changes) before its answer is read.
        expect(events.filter((e) => e !== 'bucket changed')).toEqual([
          'page asked',
          'page of 1000',
          'page asked',
          'page of 1000',
          'page asked',
          'page of 409',
        ]);
        const changed = events.indexOf('bucket changed');
        expect(changed).toBeGreaterThan(events.indexOf('page asked'));
        expect(changed).toBeLessThan(events.indexOf('page asked', changed));
        expect(new Set(listed).size).toBe(listed.length);
        expect([...listed].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(listed);
        const expected = [...SEEDED.filter((rel) => rel !== 'r/2000'), 'r/2000a', ...LOCAL]
          .filter((rel) => rel !== 's/05')
          .sort();
        expect(listed).toEqual(expected);
        const untouched = SEEDED.filter((rel) => rel !== 'r/0100' && rel !== 'r/2000');
        expect(untouched).toHaveLength(2398);
        const listedSet = new Set(listed);
        expect(untouched.filter((rel) => !listedSet.has(rel))).toEqual([]);
        expect(listed).toContain('r/0100');
        expect(LOCAL.filter((rel) => rel !== 's/05' && listed.includes(rel))).toHaveLength(9);
      },
    },
    {
      id: 'P02',
      input: 'the same pass: what it did with what it saw',
      expected:
        "`s/05`, removed by someone else during the listing, is uploaded again and reported remote-removed; `s/07`, deleted locally, goes to the pair's trash; no other write (nobody else's object deleted, none uploaded twice)",
      check: () => {
        const puts = writesOfPass2.filter((w) => w.op === 'PutObject').map((w) => w.key);
        expect(puts).toEqual([`${PREFIX}s/05`]);
        const deletes = writesOfPass2.filter((w) => w.op === 'DeleteObject').map((w) => w.key);
        expect(deletes).toEqual([`${PREFIX}s/07`]);
        const copies = writesOfPass2.filter((w) => w.op === 'CopyObject');
        expect(copies).toHaveLength(1);
        expect(copies[0]!.key).toMatch(/^page\/\.ossync-trash\/\d{8}T\d{6}\.\d{3}Z\/s\/07$/);
        expect(writesOfPass2).toHaveLength(3);
        expect(issuesAfterPass2.find((issue) => issue.path === 's/05')?.code).toBe(
          'remote-removed',
        );
      },
    },
    {
      id: 'P03',
      input: 'a later full pass over the changed bucket',
      expected:
        'converges: no write; the bucket holds the seeded objects with the changes made during paging, the local files, and nothing of `s/07` outside the trash',
      check: async () => {
        world.clearRequests();
        expect((await world.sync()).state).toBe('idle');
        expect(world.writes()).toEqual([]);
        const keys = [...(await objectsUnder(world.client, PREFIX)).keys()]
          .map((key) => key.slice(PREFIX.length))
          .filter((rel) => !rel.startsWith('.ossync-trash/'));
        const expected = [
          ...SEEDED.filter((rel) => rel !== 'r/0100' && rel !== 'r/2000'),
          'r/0100a',
          'r/2000a',
          ...LOCAL.filter((rel) => rel !== 's/07'),
        ].sort();
        expect(keys).toEqual(expected);
        expect(await objectsUnder(world.client, PREFIX)).toEqual(bucketAfterPass2);
        for (const rel of LOCAL.filter((r) => r !== 's/07')) {
          const body = (await world.client.get(PREFIX + rel)).content as Buffer;
          expect(body.toString(), rel).toBe(`local ${rel}`);
        }
      },
    },
  ];

  for (const row of rows) it(`${row.id}: ${row.input} -> ${row.expected}`, row.check);
});

// ---------------------------------------------------------------------------------------
// Other platforms: what Windows and macOS would do, through core's rules (this is Linux).
// ---------------------------------------------------------------------------------------

describe('Windows and macOS targets, through core/fs/local-paths', () => {
  /** The message of the invalid-key error localPathForKey throws, or undefined if it maps. */
  function refusalOf(key: string, platform: NodeJS.Platform): string | undefined {
    try {
      localPathForKey(platform === 'win32' ? WIN_ROOT : POSIX_ROOT, key, { platform });
      return undefined;
    } catch (error) {
      expect((error as { code?: string }).code).toBe('invalid-key');
      return (error as Error).message;
    }
  }

  const rows: Row[] = [
    {
      id: 'W01',
      input: 'keys `CON`, `nul.txt`, `COM1`, `AUX.tar.gz`, `con .txt`, `LPT\u00b9` coming down',
      expected:
        'refused on Windows and, so every copy of a folder agrees, on Linux and macOS too: "is a reserved device name on Windows", the key named',
      check: () => {
        for (const key of ['CON', 'nul.txt', 'COM1', 'AUX.tar.gz', 'con .txt', 'LPT\u00b9'])
          for (const platform of ['win32', 'linux', 'darwin'] as const) {
            const message = refusalOf(`dir/${key}`, platform);
            expect(message, `${key} on ${platform}`).toContain('reserved device name on Windows');
            expect(message).toContain(JSON.stringify(`dir/${key}`));
          }
      },
    },
    {
      id: 'W02',
      input: 'keys with `:`, `*`, `?`, `"`, `<`, `>`, `|` in a name coming down',
      expected:
        'refused on Windows naming the character ("which Windows does not allow"); on Linux and macOS they map to a file of that name (D16)',
      check: () => {
        for (const char of [':', '*', '?', '"', '<', '>', '|']) {
          const key = `dir/a${char}b.txt`;
          expect(refusalOf(key, 'win32'), key).toContain(
            `contains "${char}", which Windows does not allow`,
          );
          expect(refusalOf(key, 'linux'), key).toBeUndefined();
          expect(localPathForKey(POSIX_ROOT, key, { platform: 'darwin' })).toBe(
            `${POSIX_ROOT}/${key}`,
          );
        }
      },
    },
    {
      id: 'W03',
      input: 'names ending in a dot or a space (`dot.`, `space `, folder `dir./x`) coming down',
      expected:
        'refused on every platform ("ends with a dot" / "ends with a space"), the key named',
      check: () => {
        for (const [key, why] of [
          ['dot.', 'ends with a dot'],
          ['space ', 'ends with a space'],
          ['dir./x', 'ends with a dot'],
        ] as const)
          for (const platform of ['win32', 'linux'] as const) {
            const message = refusalOf(key, platform);
            expect(message, `${key} on ${platform}`).toContain(why);
            expect(message, `${key} on ${platform}`).toContain(JSON.stringify(key));
          }
      },
    },
    {
      id: 'W04',
      input:
        'Windows escapes coming down: `..\\x`, `a\\..\\..\\x`, `C:\\x`, `c:x`, `\\\\server\\share\\x`, `/abs`',
      expected:
        'refused on Windows and Linux alike (a backslash, a drive letter, a network path, an absolute key); nothing resolves outside the folder',
      check: () => {
        for (const key of ['..\\x', 'a\\..\\..\\x', 'C:\\x', 'c:x', '\\\\server\\share\\x', '/abs'])
          for (const platform of ['win32', 'linux'] as const)
            expect(refusalOf(key, platform), `${JSON.stringify(key)} on ${platform}`).toMatch(
              /backslash|drive letter|network path|absolute/,
            );
      },
    },
  ];

  for (const row of rows) it(`${row.id}: ${row.input} -> ${row.expected}`, row.check);
});
