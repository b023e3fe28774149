import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../../../main/core/errors.js';
import { listLogFiles } from '../../../../main/core/log/log-files.js';
import { createLogger } from '../../../../main/core/log/logger.js';
import { forgetSecret, registerSecret } from '../../../../main/core/secrets/secret-registry.js';

const SECRET = 'LOG-secret-7Qw9ZrT2mX';
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ossync-log-'));
});
afterEach(async () => {
  forgetSecret(SECRET);
  await rm(dataDir, { recursive: true, force: true });
});

/** Every file under the logs folder, read whole (what a grep of the folder would see). */
async function allLogText(): Promise<string> {
  const dir = join(dataDir, 'logs');
  const names = await readdir(dir, { recursive: true });
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
  return texts.join('');
}

function lines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('writes JSON lines to <dataDir>/logs with mode 0600 and flushes on close', async () => {
    const logger = await createLogger({ dataDir, level: 'info' });
    logger.info({ pair: 3 }, 'sync started');
    await logger.close();
    const files = await listLogFiles(join(dataDir, 'logs'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^ossync\.\d{4}-\d{2}-\d{2}\.1\.log$/);
    const [line] = lines(await allLogText());
    expect(line).toMatchObject({ level: 30, msg: 'sync started', pair: 3 });
    if (process.platform !== 'win32')
      expect((await stat(join(dataDir, 'logs', files[0] ?? ''))).mode & 0o777).toBe(0o600);
    // Lines after close are dropped, not thrown.
    logger.info('late');
  });

  it('never writes a secret: fields by name, registered values anywhere', async () => {
    const console: string[] = [];
    const logger = await createLogger({
      dataDir,
      level: 'trace',
      console: { write: (line: string) => console.push(line) },
    });
    // Known field names are blanked even when the value was never registered.
    logger.info({ accessKeySecret: SECRET }, 'field');
    logger.info({ account: { endpoint: 'https://x', accessKeySecret: SECRET } }, 'nested');
    logger.info({ req: { headers: { authorization: `OSS ak:${SECRET}`, cookie: SECRET } } }, 'h');
    logger.info({ password: SECRET, token: SECRET, secret: SECRET, securityToken: SECRET }, 'f');

    registerSecret(SECRET);
    logger.info({ deep: { a: { b: { c: { note: `value ${SECRET}` } } } } }, 'deep');
    logger.info({ list: [SECRET, { x: SECRET }] }, 'array');
    const error = new CoreError('signature-mismatch', `The secret ${SECRET} was refused`);
    logger.error(error, 'error object');
    logger.error({ err: new Error(`wrapped ${SECRET}`, { cause: new Error(SECRET) }) }, 'cause');
    logger.warn(`free text with ${SECRET} in the middle`);
    logger.debug('format %s and %o', SECRET, { SECRET });
    const child = logger.child({ accountSecret: SECRET });
    child.info('child binding');
    await logger.close();

    const text = await allLogText();
    const written = lines(text);
    expect(written).toHaveLength(11);
    expect(text).not.toContain(SECRET);
    expect(console.join('')).toBe(text);
    // The lines are still useful: the rest of the text is kept.
    expect(text).toContain('free text with *** in the middle');
    expect(written[0]).toMatchObject({ accessKeySecret: '***' });
    expect(written[1]).toMatchObject({
      account: { endpoint: 'https://x', accessKeySecret: '***' },
    });
    expect(written[6]).toMatchObject({ err: { type: 'CoreError', code: 'signature-mismatch' } });
    const stack = (written[6]?.['err'] as { stack: string }).stack;
    expect(stack).toContain('The secret *** was refused');
  });

  it('changes level at run time', async () => {
    const logger = await createLogger({ dataDir, level: 'warn' });
    logger.info('hidden 1');
    logger.warn('shown 1');
    logger.setLevel('debug');
    logger.debug('shown 2');
    logger.setLevel('silent');
    logger.error('hidden 2');
    await logger.close();
    expect(lines(await allLogText()).map((line) => line['msg'])).toEqual(['shown 1', 'shown 2']);
  });

  it('rotates by size and keeps at most maxFiles files, across runs', async () => {
    const logDir = join(dataDir, 'logs');
    const padding = 'p'.repeat(200);
    for (let run = 0; run < 2; run++) {
      const logger = await createLogger({ dataDir, maxFileSize: 1024, maxFiles: 3 });
      for (let i = 0; i < 200; i++) {
        logger.info({ run, i, padding }, 'line');
        // Let the stream drain now and then so rotations happen along the way.
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await logger.close();
      const files = await listLogFiles(logDir);
      expect(files.length).toBeLessThanOrEqual(3);
      expect(files.length).toBeGreaterThan(1);
    }
    // The newest lines survive.
    const last = lines(await allLogText()).map(
      (line) => `${String(line['run'])}:${String(line['i'])}`,
    );
    expect(last).toContain('1:199');
    expect(await readdir(logDir)).toEqual(await listLogFiles(logDir).then((f) => [...f].sort()));
  });

  it('leaves other files in the logs folder alone', async () => {
    const logger = await createLogger({ dataDir, maxFiles: 1 });
    await writeFile(join(dataDir, 'logs', 'notes.txt'), 'mine');
    await logger.close();
    expect((await readdir(join(dataDir, 'logs'))).sort()).toHaveLength(2);
  });
});
