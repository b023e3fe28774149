// The layer import rules of docs/design.md, checked through ESLint's Node API on snippets
// at virtual paths (the files do not exist, so type-aware parsing is switched off here;
// the import rules do not need types).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Case {
  file: string;
  source: string;
}

const code = (specifier: string): string =>
  `import * as imported from '${specifier}';\nexport const value = imported;\n`;

const at = (file: string, specifiers: string[]): Case[] =>
  specifiers.map((specifier) => ({ file, source: code(specifier) }));

const forbidden: Case[] = [
  // shared: nothing outside shared
  ...at('shared/x.ts', [
    'node:fs',
    'fs',
    'fs/promises',
    'path',
    'crypto',
    'stream',
    'http',
    'electron',
    'react',
    'react-dom/client',
    'better-sqlite3',
    '../main/core/y.js',
    '../renderer/src/y.js',
    '../package.json',
    '/abs/path.js',
  ]),
  ...at('shared/contract/x.ts', ['../../main/core/y.js', '../../renderer/y.js']),
  // main/core: no electron, ali-oss only in remote/, better-sqlite3 only in db/
  ...at('main/core/x.ts', [
    'electron',
    'electron/main',
    'react',
    'ali-oss',
    'better-sqlite3',
    '../electron/y.js',
    '../host/y.js',
    '../cli/y.js',
    '../osslocal/y.js',
    '../preload/y.js',
    '../../renderer/src/y.js',
    '../../test/helpers/y.js',
  ]),
  ...at('main/core/sync/x.ts', [
    'ali-oss',
    'better-sqlite3',
    '../../osslocal/y.js',
    '../../cli/y.js',
  ]),
  ...at('main/core/remote/x.ts', ['better-sqlite3', 'electron', '../../host/y.js']),
  ...at('main/core/db/x.ts', ['ali-oss', 'electron']),
  // main/osslocal: Node, its own packages, shared
  ...at('main/osslocal/x.ts', [
    'electron',
    'ali-oss',
    '../core/y.js',
    '../cli/y.js',
    '../../renderer/y.js',
  ]),
  ...at('main/osslocal/store/x.ts', ['../../core/y.js', '../../host/y.js']),
  // main/host, main/cli
  ...at('main/host/x.ts', ['electron', '../cli/y.js', '../electron/y.js', '../../renderer/y.js']),
  ...at('main/cli/x.ts', [
    'electron',
    '../electron/y.js',
    '../preload/y.js',
    '../../renderer/y.js',
  ]),
  ...at('main/cli/commands/x.ts', ['../../electron/y.js']),
  // main/electron
  ...at('main/electron/x.ts', [
    '../host/y.js',
    '../cli/y.js',
    '../preload/y.js',
    '../../renderer/src/y.js',
    'react',
  ]),
  // main/preload: shared and electron only
  ...at('main/preload/x.ts', ['node:fs', 'path', 'zod', '../core/y.js', '../electron/y.js']),
  // renderer: shared, React, browser APIs
  ...at('renderer/src/x.ts', [
    'node:fs',
    'fs',
    'os',
    'electron',
    'ali-oss',
    '../../main/core/y.js',
    '../../main/electron/y.js',
  ]),
  ...at('renderer/src/views/x.tsx', ['../../../main/core/y.js', 'child_process']),
];

const allowed: Case[] = [
  ...at('shared/x.ts', ['./y.js', './contract/y.js', 'zod']),
  ...at('shared/contract/x.ts', ['../y.js', './y.js']),
  ...at('main/core/x.ts', ['node:fs', 'fs', '../../shared/y.js', './sync/y.js']),
  ...at('main/core/sync/x.ts', [
    '../db/y.js',
    '../remote/y.js',
    '../../../shared/y.js',
    'node:path',
  ]),
  ...at('main/core/remote/x.ts', ['ali-oss', '../transfer/y.js', '../../../shared/y.js']),
  ...at('main/core/db/x.ts', ['better-sqlite3', '../sync/y.js']),
  ...at('main/osslocal/x.ts', [
    'node:http',
    'better-sqlite3',
    'fast-xml-parser',
    '../../shared/crc64.js',
  ]),
  // depth matters: these resolve to main/osslocal/core and main/cli/electron
  ...at('main/osslocal/store/x.ts', ['../../../shared/crc64.js', '../errors.js', '../core/y.js']),
  ...at('main/cli/commands/x.ts', ['../electron/y.js']),
  ...at('main/host/x.ts', ['node:http', '../core/y.js', '../osslocal/y.js', '../../shared/y.js']),
  ...at('main/cli/x.ts', ['commander', '../core/y.js', '../osslocal/y.js', '../host/y.js']),
  ...at('main/cli/commands/x.ts', ['../../core/y.js', '../../../shared/y.js', '../y.js']),
  ...at('main/electron/x.ts', [
    'electron',
    'node:path',
    '../core/y.js',
    '../osslocal/y.js',
    '../../shared/y.js',
  ]),
  ...at('main/preload/x.ts', ['electron', '../../shared/y.js', './y.js']),
  ...at('renderer/src/x.ts', ['react', 'react-dom/client', '../../shared/y.js', './app.js']),
  ...at('renderer/src/views/x.tsx', ['../../../shared/y.js', '../i18n/y.js']),
  // tests, scripts and config files may import anything
  ...at('test/unit/x.test.ts', [
    'electron',
    'node:fs',
    '../../main/core/y.js',
    '../../renderer/src/y.js',
  ]),
  ...at('scripts/x.js', ['node:child_process', 'electron']),
];

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });
});

async function importProblems({ file, source }: Case): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  expect(result, file).toBeDefined();
  const fatal = result!.messages.filter((message) => message.fatal);
  expect(fatal, `${file}: parse errors`).toEqual([]);
  return result!.messages
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

const label = (c: Case): string => `${c.file}: ${/'([^']+)'/.exec(c.source)?.[1] ?? ''}`;

describe('layer import rules', () => {
  it.each(forbidden.map((c) => [label(c), c] as const))('reports %s', async (_, c) => {
    expect(await importProblems(c)).toHaveLength(1);
  });

  it.each(allowed.map((c) => [label(c), c] as const))('allows %s', async (_, c) => {
    expect(await importProblems(c)).toEqual([]);
  });

  it('reports type-only imports and re-exports too', async () => {
    const cases: Case[] = [
      {
        file: 'main/core/x.ts',
        source: "import type { App } from 'electron';\nexport type A = App;\n",
      },
      { file: 'main/core/x.ts', source: "export * from 'electron';\n" },
      { file: 'shared/x.ts', source: "export { readFile } from 'node:fs/promises';\n" },
    ];
    for (const c of cases) expect(await importProblems(c), c.source).toHaveLength(1);
  });

  it('names the layer rule in the message', async () => {
    const [message] = await importProblems({
      file: 'shared/x.ts',
      source: code('../main/core/y.js'),
    });
    expect(message).toContain('shared/ imports nothing outside shared/');
  });
});
