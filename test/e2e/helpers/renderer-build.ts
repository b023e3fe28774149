import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../helpers/local-oss-process.js';

/**
 * The end-to-end tests drive the built renderer (dist/renderer, what `ossync serve` serves).
 * `npm test` after a fresh `npm install` has no build, and a build older than the sources
 * would test yesterday's UI: so the first e2e file builds it when it is missing or older than
 * any file under renderer/ or shared/, under a lock that the other e2e files wait on.
 */

const INDEX = path.join(REPO_ROOT, 'dist', 'renderer', 'index.html');
const LOCK = path.join(REPO_ROOT, 'dist', '.renderer-build.lock');
const SOURCES = ['renderer', 'shared', 'vite.config.ts'].map((name) => path.join(REPO_ROOT, name));

function newestMtime(entry: string): number {
  const stat = statSync(entry, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(entry))
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

function isFresh(): boolean {
  const built = statSync(INDEX, { throwIfNoEntry: false });
  if (built === undefined) return false;
  return SOURCES.every((source) => newestMtime(source) <= built.mtimeMs);
}

function tryLock(): boolean {
  try {
    mkdirSync(LOCK);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      // A lock left by a build killed more than 5 minutes ago is stale.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age > 300_000) rmdirSync(LOCK);
    }
    return false;
  }
}

export async function ensureRendererBuilt(): Promise<string> {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    if (isFresh()) return path.dirname(INDEX);
    if (tryLock()) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    if (!isFresh())
      await promisify(execFile)(
        process.execPath,
        [
          path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
          'build',
          '--logLevel',
          'warn',
        ],
        // Vitest sets NODE_ENV=test, which would make Vite bundle React's development
        // build (several times slower) into dist/renderer, where `ossync serve` serves it.
        { cwd: REPO_ROOT, timeout: 180_000, env: { ...process.env, NODE_ENV: 'production' } },
      );
  } finally {
    rmdirSync(LOCK);
  }
  if (!existsSync(INDEX)) throw new Error(`vite build left no ${INDEX}`);
  return path.dirname(INDEX);
}
