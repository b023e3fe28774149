#!/usr/bin/env node
// The `ossync` command. After `npm run build` it runs the compiled CLI; in a source
// checkout without a build it runs main/cli/main.ts through tsx in a child Node process.
// main/cli/main.ts parses process.argv itself, so it only needs to be loaded.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'main', 'cli', 'main.js');
const source = path.join(root, 'main', 'cli', 'main.ts');

/** The URL of tsx's loader, or undefined when tsx is not installed (a production install). */
function tsxLoader() {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}

/**
 * Runs `node --import tsx main/cli/main.ts ...args` in the caller's working directory,
 * forwards termination signals to it and exits the way it exited.
 * @param {string} loader
 */
function runFromSource(loader) {
  const child = spawn(process.execPath, ['--import', loader, source, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });

  // A terminal sends Ctrl+C (and Ctrl+\, hang-up) to the whole foreground process group,
  // the child included: forwarding those again would deliver them twice. Signals sent to
  // this process alone (kill <pid>, process managers, no terminal) are forwarded.
  const onTerminal = [process.stdin, process.stdout, process.stderr].some((s) => s.isTTY);
  const terminalSignals = new Set(['SIGINT', 'SIGQUIT', 'SIGHUP']);
  /** @type {NodeJS.Signals[]} */
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGBREAK'];
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => {
    if (onTerminal && terminalSignals.has(signal)) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of signals) process.on(signal, forward);

  child.on('error', (error) => {
    console.error(`ossync: could not start Node for the CLI: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) {
      // Die of the same signal so the caller sees what happened to the child.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const loader = existsSync(source) ? tsxLoader() : undefined;
  if (loader) {
    runFromSource(loader);
  } else {
    console.error(
      'ossync: the CLI is not built yet; run `npm run build` in the OSSync folder first.',
    );
    process.exitCode = 1;
  }
}
