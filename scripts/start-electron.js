// `npm start`: opens the desktop window. Electron's binary is downloaded by its install
// script, which is blocked on some machines (and skipped by ELECTRON_SKIP_BINARY_DOWNLOAD);
// without it we say what to do instead of printing Electron's stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mainEntry = path.join(root, 'dist', 'main', 'electron', 'main.js');
const rendererEntry = path.join(root, 'dist', 'renderer', 'index.html');
const preloadEntry = path.join(root, 'dist', 'preload', 'preload.cjs');

const MISSING_BINARY =
  "OSSync's desktop window needs the Electron binary, which is not installed here (its download is blocked or was skipped); run `npm run serve` to use OSSync in your browser instead, or `node node_modules/electron/install.js` on a machine that can download it.";

/** The Electron executable, or undefined when the package or its binary is missing. */
function electronBinary() {
  try {
    // The electron package exports the path of the binary it downloaded; it throws when
    // the download never happened (no path.txt).
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

const electron = electronBinary();
if (!electron) {
  console.error(MISSING_BINARY);
  process.exit(1);
}

if (![mainEntry, rendererEntry, preloadEntry].every((entry) => existsSync(entry))) {
  console.error('Building OSSync first (npm run build)...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (build.status !== 0) {
    console.error('The build failed; fix the errors above and run `npm start` again.');
    process.exit(build.status ?? 1);
  }
}

// Electron reads package.json's "main" (dist/main/electron/main.js) from the project folder.
const child = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });

/** @type {NodeJS.Signals[]} */
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** @param {NodeJS.Signals} signal */
const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of signals) process.on(signal, forward);

child.on('error', (error) => {
  console.error(`Could not start Electron (${electron}): ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  for (const s of signals) process.off(s, forward);
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
