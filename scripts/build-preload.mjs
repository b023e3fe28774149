// Bundles the preload (main/preload/preload.ts with shared/ and zod) into ONE CommonJS file:
// a sandboxed preload can `require('electron')` and nothing else, no local modules.
// Part of `npm run build`; `--outfile <path>` writes elsewhere (the bundle's test uses it).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.indexOf('--outfile');
const outfile =
  flag === -1
    ? path.join(root, 'dist', 'preload', 'preload.cjs')
    : path.resolve(process.argv[flag + 1] ?? '');

await build({
  entryPoints: [path.join(root, 'main', 'preload', 'preload.ts')],
  outfile,
  bundle: true,
  format: 'cjs',
  // The sandbox gives the preload a browser-like world: no Node built-ins to fall back on.
  platform: 'browser',
  target: 'chrome130',
  external: ['electron'],
  tsconfig: path.join(root, 'tsconfig.node.json'),
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
