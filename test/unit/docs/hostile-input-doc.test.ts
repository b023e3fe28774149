// Keeps docs/hostile-input.md true to the hostile-input corpus of issue 7: every case id that
// test/stress/hostile-names.test.ts and test/stress/hostile-local.test.ts declare is a row of
// that file's table in the page, and the page names no case the tests lack. The ids are read
// from the tests' source text: each case is an object literal with an `id:` entry, a quoted
// string, or (hostile-local's files-changed-during-upload rows) a template over the sizes
// the CASES table's flatMap expands.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

const NAMES_TEST = 'test/stress/hostile-names.test.ts';
const LOCAL_TEST = 'test/stress/hostile-local.test.ts';
const DOC = 'docs/hostile-input.md';
const PACKAGE = JSON.parse(read('package.json')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/**
 * The case ids a test file declares: `id: 'X'` (or "X"), and `id: \`a-${v}\`` expanded over
 * the values of the `([...] as const).flatMap((v) =>` it sits in. A template over any other
 * variable throws, so a new way of declaring ids cannot be skipped silently.
 */
function caseIds(source: string): string[] {
  const ids: string[] = [];
  const expansions = new Map<string, string[]>();
  for (const match of source.matchAll(/\(\[([^\]]*)\]\s*as const\)\.flatMap\(\(\s*(\w+)\s*\)/g))
    expansions.set(
      match[2]!,
      [...match[1]!.matchAll(/'([^']*)'|"([^"]*)"/g)].map((v) => v[1] ?? v[2]!),
    );
  for (const match of source.matchAll(/\bid:\s*(?:'([^'\n]+)'|"([^"\n]+)"|`([^`\n]+)`)/g)) {
    const plain = match[1] ?? match[2];
    if (plain !== undefined) {
      ids.push(plain);
      continue;
    }
    const template = match[3]!;
    const variables = [...template.matchAll(/\$\{(\w+)\}/g)].map((v) => v[1]!);
    if (variables.length === 0) {
      ids.push(template);
      continue;
    }
    if (variables.length !== 1 || !expansions.has(variables[0]!))
      throw new Error(`cannot expand the case id \`${template}\``);
    for (const value of expansions.get(variables[0]!)!)
      ids.push(template.replaceAll(`\${${variables[0]!}}`, value));
  }
  return ids;
}

interface Section {
  heading: string;
  body: string;
}

function sections(markdown: string): Section[] {
  return markdown
    .split(/^(?=## )/m)
    .filter((part) => part.startsWith('## '))
    .map((part) => ({
      heading: part.slice(0, part.indexOf('\n')),
      body: part.slice(part.indexOf('\n') + 1),
    }));
}

/** The first cell of every case-table row in `body` (not the header, not the separator). */
function tableIds(body: string): string[] {
  const ids: string[] = [];
  for (const line of body.split('\n')) {
    const row = /^\|\s*([^|]*?)\s*\|/.exec(line);
    if (row === null) continue;
    const cell = row[1]!;
    if (cell === 'id' || /^:?-+:?$/.test(cell)) continue;
    ids.push(cell);
  }
  return ids;
}

/** The section of the doc whose heading names `file`: exactly one. */
function sectionOf(doc: Section[], file: string): Section {
  const found = doc.filter((section) => section.heading.includes(file));
  expect(
    found.map((section) => section.heading),
    `one section of ${DOC} names ${file}`,
  ).toHaveLength(1);
  return found[0]!;
}

/** The doc's verdict on `ids` (from the tests) against `rows` (from a table). */
function compare(ids: readonly string[], rows: readonly string[]) {
  const duplicates = rows.filter((id, i) => rows.indexOf(id) !== i);
  return {
    missing: ids.filter((id) => !rows.includes(id)),
    unknown: rows.filter((id) => !ids.includes(id)),
    duplicates,
  };
}

const names = caseIds(read(NAMES_TEST));
const local = caseIds(read(LOCAL_TEST));
const all = new Set([...names, ...local]);

describe('docs/hostile-input.md', () => {
  it('reads the case ids of both test files', () => {
    // A broken parser finds few ids: fail loudly rather than compare nothing.
    expect(names.length + local.length).toBeGreaterThanOrEqual(40);
    expect(names.length).toBeGreaterThanOrEqual(20);
    expect(local.length).toBeGreaterThanOrEqual(20);
    expect(new Set(names).size, 'no id twice in hostile-names').toBe(names.length);
    expect(new Set(local).size, 'no id twice in hostile-local').toBe(local.length);
    expect(names).toContain('U01');
    expect(names).toContain('W06');
    expect(local).toContain('link-loop');
    expect(local).toContain('replaced-multipart');
  });

  const doc = sections(read(DOC));

  for (const [file, ids] of [
    [NAMES_TEST, names],
    [LOCAL_TEST, local],
  ] as const)
    it(`has one row per case of ${file}, and no other`, () => {
      const rows = tableIds(sectionOf(doc, file).body);
      expect(compare(ids, rows)).toEqual({ missing: [], unknown: [], duplicates: [] });
    });

  it('names no case the tests lack anywhere else', () => {
    const rest = doc
      .filter((section) => !section.heading.includes(NAMES_TEST))
      .filter((section) => !section.heading.includes(LOCAL_TEST))
      .map((section) => section.body)
      .join('\n');
    // hostile-names ids (U01, BU03, ...) wherever they stand; hostile-local ids in code spans:
    // a code span holding only a kebab-case word is taken as one, unless it names a package
    // the project depends on (`ali-oss`).
    const packages = new Set(Object.keys({ ...PACKAGE.dependencies, ...PACKAGE.devDependencies }));
    const named = [
      ...[...rest.matchAll(/\b(?:U|D|L|P|BU|W)\d{2}\b/g)].map((m) => m[0]),
      ...[...rest.matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)+)`/g)]
        .map((m) => m[1]!)
        .filter((word) => !packages.has(word)),
    ];
    expect(named.length, 'the prose names some cases').toBeGreaterThan(10);
    expect(named.filter((id) => !all.has(id))).toEqual([]);
  });
});

describe('the parsers of this test', () => {
  it('expand template ids over their flatMap values, and refuse an unknown variable', () => {
    const source = `const CASES = [
      { id: 'a-b', situation: 's' },
      ...(['small', 'big'] as const).flatMap((size) => [{ id: \`cut-\${size}\` }]),
    ];`;
    expect(caseIds(source)).toEqual(['a-b', 'cut-small', 'cut-big']);
    expect(() => caseIds('{ id: `x-${other}` }')).toThrow('cannot expand');
  });

  it('find a removed row and a renamed id', () => {
    const table =
      '| id | input | expected |\n| --- | --- | --- |\n| U01 | a | b |\n| U02 | c | d |\n';
    expect(compare(['U01', 'U02'], tableIds(table))).toEqual({
      missing: [],
      unknown: [],
      duplicates: [],
    });
    expect(compare(['U01', 'U02', 'U03'], tableIds(table)).missing).toEqual(['U03']);
    expect(compare(['U01', 'U02'], tableIds(table.replace('U02', 'U2'))).unknown).toEqual(['U2']);
  });
});
