// The preload as Electron loads it: `npm run build`'s bundling step makes one CommonJS file
// that requires only 'electron'. It is run here in a bare VM context (no Node globals, a
// require that knows only a fake electron) and must expose exactly the bridge.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the preload bundle', () => {
  let dir: string;
  let code: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ossync-preload-'));
    await run(process.execPath, [
      path.resolve('scripts/build-preload.mjs'),
      '--outfile',
      path.join(dir, 'preload.cjs'),
    ]);
    code = await readFile(path.join(dir, 'preload.cjs'), 'utf8');
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is one file', async () => {
    expect(await readdir(dir)).toEqual(['preload.cjs']);
  });

  it("is CommonJS requiring only 'electron'", () => {
    const required = [...code.matchAll(/\brequire\(\s*(['"`])([^'"`]*)\1\s*\)/g)].map((m) => m[2]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    // no ESM syntax or dynamic import left for the sandbox to choke on
    expect(code).not.toMatch(/^\s*import[\s{*]/m);
    expect(code).not.toMatch(/^\s*export\s/m);
    expect(code).not.toMatch(/\bimport\(/);
  });

  it('runs sandboxed and exposes exactly call, on and pathsForFiles as window.ossync', async () => {
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: {
        exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api),
      },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return { ok: true, value: { version: '1', host: 'electron', platform: 'linux' } };
        },
        on: () => undefined,
        removeListener: () => undefined,
      },
      webUtils: {
        getPathForFile: (file: { name: string }) => `/home/u/${file.name}`,
      },
    };
    const requests: string[] = [];
    const sandboxRequire = (name: string) => {
      requests.push(name);
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    };
    const module = { exports: {} };
    // A context with none of Node's globals: no process, Buffer or setImmediate.
    const context = vm.createContext({ require: sandboxRequire, module, exports: module.exports });
    vm.runInContext(code, context, { filename: 'preload.cjs' });

    expect(requests).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual(['ossync']);
    const bridge = exposed.get('ossync') as {
      call(method: string, params?: unknown): Promise<unknown>;
      pathsForFiles(files: unknown[]): string[];
    };
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on', 'pathsForFiles']);
    await expect(bridge.call('app.info', {})).resolves.toEqual({
      ok: true,
      value: { version: '1', host: 'electron', platform: 'linux' },
    });
    expect(invoked).toEqual([['ossync:call', { method: 'app.info', params: {} }]]);
    expect(bridge.pathsForFiles([{ name: 'a.txt' }, { name: 'b.jpg' }])).toEqual([
      '/home/u/a.txt',
      '/home/u/b.jpg',
    ]);
  });
});
