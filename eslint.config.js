// @ts-check
// ESLint flat config. Besides the usual recommended rules it enforces the layer import
// rules (the design notes' "Layout and layers"; the table in docs/architecture.md) with
// `no-restricted-imports`, so a wrong import fails `npm run lint`.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS_FILES = ['**/*.{ts,tsx,mts,cts}'];

// ---------------------------------------------------------------------------------------
// Import rules per layer
// ---------------------------------------------------------------------------------------
// `no-restricted-imports` sees only the specifier as written, not the file it resolves
// to. Bare specifiers (packages, Node built-ins) are checked with one regex per group. For
// relative specifiers the answer depends on how deep the importing file sits (`../core/x`
// means main/core/x from main/cli/a.ts but main/cli/core/x from main/cli/b/a.ts), so we
// generate one config block per layer and folder depth, each with an exact regex of the
// relative paths that leave the layer for a folder it may not reach. A later block
// replaces the rule options of an earlier one, so each block carries the layer's whole
// option set, and sub-layers (main/core/remote, main/core/db) come after main/core.
// Dynamic `import()` and `require()` are not checked by this rule; the layers use static
// imports.

/** @param {string} text */
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Names of Node built-ins (`fs`, `fs/promises`, `node:test`, ...) with or without `node:`. */
const nodeBuiltinNames = builtinModules.filter((name) => !name.startsWith('_'));

/**
 * Groups of bare specifiers a layer may be barred from, each a regex (matched against the
 * whole specifier) and the reason shown in the lint message.
 * @typedef {{ regex: string, why: string }} Banned
 */
/** @type {Record<string, Banned>} */
const BANNED = {
  node: {
    regex: `^(?:node:.*|(?:${nodeBuiltinNames.map(escapeRegex).join('|')})(?:/.*)?)$`,
    why: 'Node built-ins are not available here',
  },
  electron: {
    regex: '^electron(?:/.*)?$',
    why: 'electron may only be imported in main/electron and main/preload',
  },
  react: {
    regex: '^(?:react|react-dom)(?:/.*)?$',
    why: 'React belongs to renderer/',
  },
  aliOss: {
    regex: '^ali-oss(?:/.*)?$',
    why: 'ali-oss may only be imported in main/core/remote (the RemoteStore adapter)',
  },
  betterSqlite3: {
    regex: '^better-sqlite3(?:/.*)?$',
    why: 'better-sqlite3 may only be imported in main/core/db (and by main/osslocal, which owns its own store)',
  },
  // Packages that only work under Node; shared/ and renderer/ run in the browser too.
  nodeOnlyPackages: {
    regex: '^(?:ali-oss|better-sqlite3|@parcel/watcher|chokidar|commander|tsx)(?:/.*)?$',
    why: 'this package only runs under Node',
  },
  // A sandboxed preload can require nothing but electron (and shared code bundled into it).
  anyPackageButElectron: {
    regex: '^(?![./])(?!electron(?:/|$)).+$',
    why: 'a sandboxed preload may import only electron and shared/ (no Node built-ins, no packages)',
  },
};

/**
 * @typedef {object} Layer
 * @property {string} root folder of the layer, relative to the repository root
 * @property {string[]} mayReach folders its relative imports may resolve into
 * @property {Banned[]} banned bare specifiers it may not import
 * @property {string} rule the import rule, for the message
 */
/** @type {Layer[]} */
const LAYERS = [
  {
    root: 'shared',
    mayReach: ['shared'],
    // Pure npm packages (a schema library, say) are fine as long as they run everywhere.
    banned: [BANNED.node, BANNED.electron, BANNED.react, BANNED.nodeOnlyPackages],
    rule: 'shared/ imports nothing outside shared/: no Node, no electron, no React, no main/ or renderer/',
  },
  {
    root: 'main/core',
    mayReach: ['main/core', 'shared'],
    banned: [BANNED.electron, BANNED.react, BANNED.aliOss, BANNED.betterSqlite3],
    rule: 'main/core may import shared/, Node built-ins and its dependencies; never electron, main/electron, main/host, main/cli, main/osslocal, main/preload or renderer/',
  },
  {
    root: 'main/core/remote',
    mayReach: ['main/core', 'shared'],
    banned: [BANNED.electron, BANNED.react, BANNED.betterSqlite3],
    rule: 'main/core may import shared/, Node built-ins and its dependencies; never electron, main/electron, main/host, main/cli, main/osslocal, main/preload or renderer/',
  },
  {
    root: 'main/core/db',
    mayReach: ['main/core', 'shared'],
    banned: [BANNED.electron, BANNED.react, BANNED.aliOss],
    rule: 'main/core may import shared/, Node built-ins and its dependencies; never electron, main/electron, main/host, main/cli, main/osslocal, main/preload or renderer/',
  },
  {
    root: 'main/osslocal',
    // Decided: osslocal may use shared's pure helpers (CRC64 and the like) besides Node
    // built-ins and its own npm dependencies (better-sqlite3, fast-xml-parser, ...).
    mayReach: ['main/osslocal', 'shared'],
    banned: [BANNED.electron, BANNED.react, BANNED.aliOss],
    rule: 'main/osslocal may import Node built-ins, its own npm dependencies and shared/; nothing else from main/ or renderer/',
  },
  {
    root: 'main/host',
    mayReach: ['main/host', 'main/core', 'main/osslocal', 'shared'],
    banned: [BANNED.electron, BANNED.react, BANNED.aliOss, BANNED.betterSqlite3],
    rule: 'main/host may import main/core, main/osslocal and shared/; never electron, main/cli, main/electron, main/preload or renderer/',
  },
  {
    root: 'main/cli',
    // `ossync serve` starts the headless host, so the CLI may also import main/host.
    mayReach: ['main/cli', 'main/host', 'main/core', 'main/osslocal', 'shared'],
    banned: [BANNED.electron, BANNED.react, BANNED.aliOss, BANNED.betterSqlite3],
    rule: 'main/cli may import main/core, main/osslocal, main/host and shared/; never electron, main/electron, main/preload or renderer/',
  },
  {
    root: 'main/electron',
    // The desktop app embeds the local server for "Storage on this computer".
    mayReach: ['main/electron', 'main/core', 'main/osslocal', 'shared'],
    banned: [BANNED.react, BANNED.aliOss, BANNED.betterSqlite3],
    rule: 'main/electron may import main/core, main/osslocal, shared/ and electron; never main/host, main/cli, main/preload or renderer/',
  },
  {
    root: 'main/preload',
    mayReach: ['main/preload', 'shared'],
    banned: [BANNED.anyPackageButElectron], // covers Node built-ins as well
    rule: 'main/preload may import only shared/ and electron',
  },
  {
    root: 'renderer',
    mayReach: ['renderer', 'shared'],
    banned: [BANNED.node, BANNED.electron, BANNED.nodeOnlyPackages],
    rule: 'renderer/ may import shared/, React and browser APIs; never Node, electron or main/',
  },
];

/** Files deeper than this below a layer's root get only the bare-specifier checks. */
const MAX_DEPTH = 10;
const LAYER_FILES = '*.{ts,tsx,mts,cts,js,mjs,cjs}';

/**
 * @param {string[]} inner
 * @param {string[]} outer
 */
const isWithin = (inner, outer) =>
  outer.length <= inner.length && outer.every((segment, i) => inner[i] === segment);

/**
 * A regex matching the relative specifiers that, from a file `depth` folders below the
 * layer's root, resolve outside every folder in `mayReach`.
 * @param {Layer} layer
 * @param {number} depth
 */
function relativeEscapeRegex(layer, depth) {
  const root = layer.root.split('/');
  const allowed = layer.mayReach.map((folder) => folder.split('/'));
  const alternatives = [];
  for (let up = depth + 1; up <= depth + root.length; up += 1) {
    const landing = root.slice(0, root.length - (up - depth));
    if (allowed.some((folder) => isWithin(landing, folder))) continue;
    const entries = allowed
      .filter((folder) => isWithin(folder, landing))
      .map((folder) => escapeRegex(folder.slice(landing.length).join('/')));
    const notAllowed = entries.length > 0 ? `(?!(?:${entries.join('|')})(?:/|$))` : '';
    // exactly `up` parent steps, then a path into no allowed folder
    alternatives.push(`(?:\\.\\.(?:/|$)){${up}}(?!\\.\\.(?:/|$))${notAllowed}`);
  }
  alternatives.push(`(?:\\.\\.(?:/|$)){${depth + root.length + 1},}`); // above the repository
  return `^(?:\\./)*(?:${alternatives.join('|')})`;
}

/**
 * @param {Layer} layer
 * @param {number | undefined} depth undefined: too deep to check relative paths
 */
function restrictedImports(layer, depth) {
  const patterns = layer.banned.map(({ regex, why }) => ({
    regex,
    caseSensitive: true,
    message: `${why}; not in ${layer.root}/ (import rules in docs/architecture.md).`,
  }));
  patterns.push({
    regex: '^(?:/|[a-zA-Z]:[\\\\/]|file:)',
    caseSensitive: true,
    message: 'Import by relative path, not by absolute path or file URL.',
  });
  if (depth !== undefined) {
    patterns.push({
      regex: relativeEscapeRegex(layer, depth),
      caseSensitive: true,
      message: `This path leaves the layer: ${layer.rule} (import rules in docs/architecture.md).`,
    });
  }
  return ['error', { patterns }];
}

/** @returns {import('eslint').Linter.Config[]} */
function layerConfigs() {
  return LAYERS.flatMap((layer) => [
    ...Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => ({
      name: `ossync/layers/${layer.root}/depth-${depth}`,
      files: [`${layer.root}/${'*/'.repeat(depth)}${LAYER_FILES}`],
      rules: { 'no-restricted-imports': restrictedImports(layer, depth) },
    })),
    {
      name: `ossync/layers/${layer.root}/deeper`,
      files: [`${layer.root}/${'*/'.repeat(MAX_DEPTH + 1)}**/${LAYER_FILES}`],
      rules: { 'no-restricted-imports': restrictedImports(layer, undefined) },
    },
  ]);
}

// ---------------------------------------------------------------------------------------

export default defineConfig(
  globalIgnores(
    [
      'dist/',
      'node_modules/',
      'release/',
      'coverage/',
      'test-results/',
      'playwright-report/',
      // fixtures are data (possibly deliberately broken files), not code to lint
      'test/fixtures/',
    ],
    'ossync/ignores',
  ),

  js.configs.recommended,

  // typescript-eslint, type-aware, for TypeScript files only. Building the two programs
  // (node side and web side) is most of the cost: `eslint .` takes 10-15 s here, about
  // 8 s more than without types; the promise rules are worth it in this async code.
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: TS_FILES })),
  {
    name: 'ossync/typescript',
    files: TS_FILES,
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Ports and adapters: many methods are async to satisfy a Promise-returning interface
      // without awaiting anything themselves.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // .tsx tests are in no tsconfig (the node side has no JSX): lint them without types.
    ...tseslint.configs.disableTypeChecked,
    name: 'ossync/test-tsx',
    files: ['test/**/*.tsx'],
  },

  {
    name: 'ossync/globals/node',
    files: ['main/**', 'scripts/**', 'bin/**', 'test/**', '*.{js,mjs,cjs,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    name: 'ossync/globals/browser',
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    name: 'ossync/js',
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      'no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    name: 'ossync/cjs',
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },

  // Import rules (tests, scripts and config files may import anything).
  ...layerConfigs(),

  prettier,
);
