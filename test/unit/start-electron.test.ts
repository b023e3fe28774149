// `npm start` on a machine without the Electron binary (this one: its download is blocked)
// must end with one clear sentence, not a stack trace.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function electronBinaryInstalled(): boolean {
  try {
    createRequire(import.meta.url)('electron');
    return true;
  } catch {
    return false;
  }
}

describe('scripts/start-electron.js', () => {
  it.skipIf(electronBinaryInstalled())('explains in one sentence when Electron is missing', () => {
    const result = spawnSync(process.execPath, ['scripts/start-electron.js'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: '' },
    });

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npm run serve');
    expect(lines[0]).toContain('Electron binary');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toMatch(/Error:/);
  });
});
