// The tray icons (one PNG per app state at 1x and @2x) and the app icon: valid, round,
// distinct, and what scripts/make-tray-icons.mjs draws today (so the committed files
// cannot drift from it).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { trayIconName } from '../../../main/electron/tray-model.js';
import { APP_STATES } from '../../../shared/contract/index.js';

const DIR = path.resolve('assets/tray');
const SIZES = [
  ['', 16],
  ['@2x', 32],
] as const;

/** Width, height and RGBA pixels of an 8-bit RGBA, non-interlaced PNG with filter 0 rows. */
function decodePng(file: string): { width: number; height: number; pixels: Buffer } {
  const data = readFileSync(file);
  expect(data.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.subarray(offset + 4, offset + 8).toString('ascii');
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([...body.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
    } else if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, pixels };
}

const pixel = (p: Buffer, width: number, x: number, y: number) => [
  ...p.subarray((y * width + x) * 4, (y * width + x) * 4 + 4),
];

describe('tray icons', () => {
  it.each(APP_STATES)('%s: 16 px and 32 px, transparent corners, opaque disc', (state) => {
    for (const [suffix, size] of SIZES) {
      const { width, height, pixels } = decodePng(
        path.join(DIR, `${trayIconName(state)}${suffix}.png`),
      );
      expect([width, height]).toEqual([size, size]);
      expect(pixel(pixels, width, 0, 0)[3]).toBe(0);
      expect(pixel(pixels, width, size - 1, size - 1)[3]).toBe(0);
      // a point on the disc, away from every glyph
      expect(pixel(pixels, width, Math.floor(size / 2), Math.floor(size * 0.1))[3]).toBe(255);
    }
  });

  it('the app icon is 512 px', () => {
    const { width, height, pixels } = decodePng(path.resolve('build/icon.png'));
    expect([width, height]).toEqual([512, 512]);
    expect(pixel(pixels, width, 256, 20)[3]).toBe(255);
    expect(pixel(pixels, width, 0, 0)[3]).toBe(0);
  });

  it('every state has its own colour', () => {
    const colours = APP_STATES.map((state) => {
      const { width, pixels } = decodePng(path.join(DIR, `${trayIconName(state)}@2x.png`));
      return pixel(pixels, width, 16, 3).slice(0, 3).join(',');
    });
    expect(new Set(colours).size).toBe(APP_STATES.length);
  });

  it('the committed files are what the script draws', async () => {
    const program = `
      import { APP_ICON_SIZE, draw, encodePng, STATES } from './scripts/make-tray-icons.mjs';
      const out = {};
      out['../../build/icon.png'] = encodePng(draw('syncing', APP_ICON_SIZE), APP_ICON_SIZE).toString('base64');
      for (const state of Object.keys(STATES)) {
        out['tray-' + state + '.png'] = encodePng(draw(state, 16), 16).toString('base64');
        out['tray-' + state + '@2x.png'] = encodePng(draw(state, 32), 32).toString('base64');
      }
      console.log(JSON.stringify(out));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      program,
    ]);
    const drawn = JSON.parse(stdout) as Record<string, string>;
    expect(Object.keys(drawn)).toHaveLength(APP_STATES.length * 2 + 1);
    for (const [name, base64] of Object.entries(drawn)) {
      expect(readFileSync(path.join(DIR, name)).toString('base64'), name).toBe(base64);
    }
  });
});
