/**
 * app.pickFolder and app.showInFolder: the desktop app passes its folder picker and file
 * manager (Electron's dialog and shell, which cannot run here, so a recording stand-in);
 * the headless host has neither and says what to do instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopActions } from '../../../main/core/service/app.js';
import { createService, type Service } from '../../../main/core/service/service.js';
import { ContractError } from '../../../shared/contract/index.js';
import { MemorySecretStore } from '../../helpers/service.js';

let work: string;
const services: Service[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ossync-desktop-'));
});
afterAll(async () => {
  for (const service of services) await service.close();
  await rm(work, { recursive: true, force: true });
});

function open(desktop?: DesktopActions): Service {
  const service = createService({
    dataDir: path.join(work, `data-${services.length}`),
    secrets: new MemorySecretStore(),
    host: desktop === undefined ? 'headless' : 'electron',
    ...(desktop === undefined ? {} : { desktop }),
  });
  services.push(service);
  return service;
}

async function refusal(promise: Promise<unknown>): Promise<ContractError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ContractError);
  return error as ContractError;
}

describe('desktop actions', () => {
  it('picks a folder, or null when cancelled, passing an absolute default path only', async () => {
    const asked: (string | undefined)[] = [];
    let answer: string | undefined = '/home/me/Photos';
    const service = open({
      async pickFolder(defaultPath) {
        asked.push(defaultPath);
        return answer;
      },
      showInFolder: () => undefined,
    });
    expect(await service.api['app.pickFolder']!({ defaultPath: '/home/me' })).toEqual({
      path: '/home/me/Photos',
    });
    answer = undefined;
    expect(await service.api['app.pickFolder']!({ defaultPath: 'relative/dir' })).toEqual({
      path: null,
    });
    expect(asked).toEqual(['/home/me', undefined]);
  });

  it('shows an existing absolute path, and names a missing or relative one', async () => {
    const shown: string[] = [];
    const service = open({ pickFolder: async () => undefined, showInFolder: (p) => shown.push(p) });
    const file = path.join(work, 'here.txt');
    await writeFile(file, 'x');
    expect(await service.api['app.showInFolder']!({ path: file })).toEqual({});
    const missing = await refusal(service.api['app.showInFolder']!({ path: `${file}.gone` }));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toContain(`${file}.gone`);
    const relative = await refusal(service.api['app.showInFolder']!({ path: 'here.txt' }));
    expect(relative).toMatchObject({ code: 'invalid-argument', subject: 'params.path' });
    expect(shown).toEqual([file]);
  });

  it('the headless host refuses both, saying what to do instead', async () => {
    const service = open();
    const pick = await refusal(service.api['app.pickFolder']!({}));
    expect(pick.code).toBe('invalid-argument');
    expect(pick.message).toContain('desktop app');
    const show = await refusal(service.api['app.showInFolder']!({ path: work }));
    expect(show.code).toBe('invalid-argument');
  });
});
