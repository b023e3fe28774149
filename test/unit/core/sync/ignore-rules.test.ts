import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import ignore from 'ignore';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createIgnoreMatcher,
  DEFAULT_IGNORE_PATTERNS,
  requiredLiteral,
} from '../../../../main/core/sync/ignore-rules.js';
import type { SyncIssue } from '../../../../main/core/sync/types.js';

describe('ignore rules', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'ossync-ignore-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function put(file: string, text = ''): void {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }

  it('built-in defaults, case-insensitive, and our own files', () => {
    const matcher = createIgnoreMatcher({ root, patterns: [] });
    for (const file of [
      '.DS_Store',
      'sub/.DS_Store',
      'Thumbs.db',
      'THUMBS.DB',
      'a/b/desktop.ini',
      '~$report.docx',
      '.~lock.sheet.ods#',
      'x.tmp',
      'deep/X.TMP',
      'a.swp',
      '.ossyncignore',
      '.ossync-state',
      '.photo.jpg.ossync-0123456789ab.part', // a partial download of ours
    ])
      expect(matcher.ignores(file, false), file).toBe(true);
    expect(matcher.ignores('.ossync', true)).toBe(true);
    expect(matcher.ignores('cache.tmp', true)).toBe(true);
    for (const file of ['tmp', 'a.tmpx', 'notes.txt', '.gitignore', 'ossync.txt', 'x~$y'])
      expect(matcher.ignores(file, false), file).toBe(false);
    expect(DEFAULT_IGNORE_PATTERNS).toContain('.ossync*');
  });

  it('answers for remote paths no file can have (a leading slash, ".", "..") without throwing', () => {
    // Keys other tools write: `prefix//x` is the path '/x' (its folder lookup overflowed the
    // stack), and `ignore` throws a RangeError for '/x', './x', '../x', '.' and '..'.
    // Brackets switch off the literal shortcut, so every path reaches `ignore`.
    put('.ossyncignore', '[y]*.tmp\n');
    const matcher = createIgnoreMatcher({ root, patterns: ['[x]*.log'] });
    for (const p of ['/abs.txt', '//x.txt', '/', '/x.log/y.txt', './x.txt', '../x.txt', '.', '..'])
      expect(() => matcher.ignores(p, false), p).not.toThrow();
    expect(matcher.ignores('a//b.txt', false)).toBe(false);
    expect(matcher.ignores('..', false)).toBe(false);
    expect(matcher.ignores('x.log', false)).toBe(true);
    expect(matcher.ignores('a/y.tmp', false)).toBe(true);
  });

  it("the pair's patterns: gitignore syntax relative to the root", () => {
    const matcher = createIgnoreMatcher({
      root,
      patterns: ['build/', '*.log', '/top-only.txt', 'docs/**/*.pdf', '# a comment', ''],
      ignoreCase: false,
    });
    expect(matcher.ignores('build', true)).toBe(true);
    expect(matcher.ignores('build', false)).toBe(false); // a file named build
    expect(matcher.ignores('src/build', true)).toBe(true);
    expect(matcher.ignores('build/x.txt', false)).toBe(true); // under an ignored folder
    expect(matcher.ignores('a/b/c.log', false)).toBe(true);
    expect(matcher.ignores('top-only.txt', false)).toBe(true);
    expect(matcher.ignores('sub/top-only.txt', false)).toBe(false);
    expect(matcher.ignores('docs/a/b/x.pdf', false)).toBe(true);
    expect(matcher.ignores('other/x.pdf', false)).toBe(false);
    expect(matcher.ignores('A.LOG', false)).toBe(false); // case matters when asked to
    expect(
      createIgnoreMatcher({ root, patterns: ['*.log'], ignoreCase: true }).ignores('A.LOG', false),
    ).toBe(true);
  });

  it('nested .ossyncignore files: relative to their folder, deeper ones win, negation re-includes', () => {
    put('.ossyncignore', '*.log\n');
    put('sub/.ossyncignore', '!keep.log\n/only-here.txt\ndeeper/*.txt\n!*.tmp\n');
    put('sub/deeper/placeholder');
    const matcher = createIgnoreMatcher({ root, patterns: ['*.bak'], ignoreCase: false });
    expect(matcher.ignores('keep.log', false)).toBe(true);
    expect(matcher.ignores('sub/keep.log', false)).toBe(false);
    expect(matcher.ignores('sub/other.log', false)).toBe(true);
    expect(matcher.ignores('sub/deeper/keep.log', false)).toBe(false); // no slash: any depth below
    expect(matcher.ignores('sub/only-here.txt', false)).toBe(true);
    expect(matcher.ignores('sub/other/only-here.txt', false)).toBe(false); // anchored
    expect(matcher.ignores('sub/deeper/a.txt', false)).toBe(true);
    expect(matcher.ignores('sub/a.txt', false)).toBe(false);
    expect(matcher.ignores('sub/x.tmp', false)).toBe(false); // re-included over the defaults
    expect(matcher.ignores('x.tmp', false)).toBe(true);
    expect(matcher.ignores('sub/x.bak', false)).toBe(true); // the pair's patterns apply everywhere
  });

  it(".ossyncignore beats the pair's patterns; nothing under an ignored folder comes back", () => {
    put('sub/.ossyncignore', '!important.bak\n');
    put('cache/.ossyncignore', '!*\n');
    const matcher = createIgnoreMatcher({ root, patterns: ['*.bak', 'cache/'], ignoreCase: false });
    expect(matcher.ignores('sub/important.bak', false)).toBe(false);
    expect(matcher.ignores('sub/other.bak', false)).toBe(true);
    expect(matcher.ignores('cache', true)).toBe(true);
    expect(matcher.ignores('cache/x', false)).toBe(true);
    expect(matcher.ignores('cache/deep/y', false)).toBe(true);
  });

  it('loads each .ossyncignore once and keeps it for the matcher (a new matcher sees edits)', () => {
    put('sub/.ossyncignore', '*.a\n');
    const matcher = createIgnoreMatcher({ root, patterns: [] });
    expect(matcher.ignores('sub/x.a', false)).toBe(true);
    put('sub/.ossyncignore', '*.b\n');
    expect(matcher.ignores('sub/x.a', false)).toBe(true);
    expect(matcher.ignores('sub/x.b', false)).toBe(false);
    const fresh = createIgnoreMatcher({ root, patterns: [] });
    expect(fresh.ignores('sub/x.a', false)).toBe(false);
    expect(fresh.ignores('sub/x.b', false)).toBe(true);
  });

  it('an unreadable .ossyncignore is an issue, and everything in its folder is left alone', () => {
    mkdirSync(path.join(root, 'locked/.ossyncignore'), { recursive: true }); // EISDIR on read
    put('open/file.txt');
    const issues: SyncIssue[] = [];
    const matcher = createIgnoreMatcher({ root, patterns: [], onIssue: (i) => issues.push(i) });
    expect(matcher.ignores('locked/file.txt', false)).toBe(true);
    expect(matcher.ignores('locked/deep/file.txt', false)).toBe(true);
    expect(matcher.ignores('locked', true)).toBe(false); // the folder itself is visible
    expect(matcher.ignores('open/file.txt', false)).toBe(false);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'locked', code: 'unreadable' });
    expect(issues[0]!.message).toMatch(
      /"locked\/\.ossyncignore".*EISDIR.*nothing in "locked" is synced/,
    );
  });

  it('finds the .ossyncignore of a folder stored in NFD from its NFC key path', () => {
    const nfd = 'cafe\u0301';
    put(`${nfd}/.ossyncignore`, '*.raw\n');
    const matcher = createIgnoreMatcher({ root, patterns: [] });
    expect(matcher.ignores('caf\u00e9/x.raw', false)).toBe(true);
    expect(matcher.ignores('caf\u00e9/x.jpg', false)).toBe(false);
  });

  it('matches NFC paths against NFC patterns, whatever form the pattern was typed in', () => {
    const matcher = createIgnoreMatcher({ root, patterns: ['cafe\u0301.txt'] });
    expect(matcher.ignores('caf\u00e9.txt', false)).toBe(true);
  });

  describe('the literal shortcut', () => {
    it('finds the text a pattern needs, or gives up', () => {
      expect(requiredLiteral('*.tmp')).toBe('.tmp');
      expect(requiredLiteral('!keep.log')).toBe('keep.log');
      expect(requiredLiteral('/build/')).toBe('build');
      expect(requiredLiteral('docs/**/*.pdf')).toBe('docs');
      expect(requiredLiteral('~$*')).toBe('~$');
      expect(requiredLiteral('*')).toBeUndefined();
      expect(requiredLiteral('[ab].txt')).toBeUndefined();
      expect(requiredLiteral('\\#x')).toBeUndefined();
      expect(requiredLiteral('café')).toBeUndefined();
    });

    // The reference: `ignore` itself, applied git's way (ancestors first, then the path; the
    // pair's patterns, then the defaults), with no shortcut.
    function reference(patterns: string[], ignoreCase: boolean) {
      const pair = ignore({ ignoreCase }).add(patterns);
      const defaults = ignore({ ignoreCase: true }).add([...DEFAULT_IGNORE_PATTERNS]);
      const one = (p: string, isDir: boolean): boolean => {
        const slash = isDir ? '/' : '';
        const result = pair.test(p + slash);
        if (result.ignored || result.unignored) return result.ignored;
        return defaults.test(p.slice(p.lastIndexOf('/') + 1) + slash).ignored;
      };
      return (p: string, isDir: boolean): boolean => {
        const segments = p.split('/');
        for (let k = 1; k < segments.length; k++)
          if (one(segments.slice(0, k).join('/'), true)) return true;
        return one(p, isDir);
      };
    }

    it('gives the same answers as ignore without it', () => {
      const piece = fc.constantFrom('a', 'b', 'A', '.', '*', '?', '**', 'x.log', 'tmp', 'é', '-');
      const pattern = fc
        .tuple(
          fc.constantFrom('', '!', '/'),
          fc.array(
            fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join('')),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
          fc.constantFrom('', '/'),
        )
        .map(([head, segments, tail]) => head + segments.join('/') + tail);
      const name = fc.constantFrom(
        'a',
        'b',
        'A',
        'ab',
        'x.log',
        'a.tmp',
        'tmp',
        'é',
        'B.LOG',
        '-a',
      );
      const filePath = fc.array(name, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
      fc.assert(
        fc.property(
          fc.array(pattern, { maxLength: 5 }),
          fc.array(fc.tuple(filePath, fc.boolean()), { minLength: 1, maxLength: 10 }),
          fc.boolean(),
          (patterns, paths, ignoreCase) => {
            const matcher = createIgnoreMatcher({ root, patterns, ignoreCase });
            const expected = reference(patterns, ignoreCase);
            for (const [p, isDir] of paths)
              expect(matcher.ignores(p, isDir), `${JSON.stringify(patterns)} ${p}`).toBe(
                expected(p, isDir),
              );
          },
        ),
        { numRuns: 500, seed: 777 },
      );
    });
  });
});
