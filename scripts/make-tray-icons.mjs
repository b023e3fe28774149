// Draws the tray icons (one per app state, 16 px and @2x 32 px) into assets/tray/ as PNG,
// and the app icon (512 px, the syncing arrows) into build/icon.png for electron-builder.
// Run `node scripts/make-tray-icons.mjs` after changing a shape or colour; the output is
// committed. No image library: shapes are distance tests, 4x4 supersampled, and the PNG is
// written by hand (zlib from Node).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'assets', 'tray');

/** Distance from p to the segment a-b. */
function segment(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
const disc = (px, py, cx, cy, r) => Math.hypot(px - cx, py - cy) <= r;
const rect = (px, py, x0, y0, x1, y1) => px >= x0 && px <= x1 && py >= y0 && py <= y1;
/** Inside the triangle a-b-c (any winding). */
function triangle(px, py, ax, ay, bx, by, cx, cy) {
  const s = (x1, y1, x2, y2) => (px - x2) * (y1 - y2) - (x1 - x2) * (py - y2);
  const d1 = s(ax, ay, bx, by);
  const d2 = s(bx, by, cx, cy);
  const d3 = s(cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
}

const W = 0.1; // stroke width of white glyphs, in icon units

/** Each state: the disc's colour and the white glyph on it (coordinates 0..1). */
export const STATES = {
  idle: {
    color: [46, 160, 67],
    glyph: (x, y) =>
      segment(x, y, 0.29, 0.52, 0.44, 0.67) <= W / 1.6 ||
      segment(x, y, 0.44, 0.67, 0.72, 0.36) <= W / 1.6,
  },
  syncing: {
    color: [31, 111, 235],
    glyph: (x, y) =>
      // up arrow (upload) on the left, down arrow (download) on the right
      rect(x, y, 0.33, 0.42, 0.43, 0.74) ||
      triangle(x, y, 0.22, 0.45, 0.54, 0.45, 0.38, 0.24) ||
      rect(x, y, 0.57, 0.26, 0.67, 0.58) ||
      triangle(x, y, 0.46, 0.55, 0.78, 0.55, 0.62, 0.76),
  },
  paused: {
    color: [191, 135, 0],
    glyph: (x, y) => rect(x, y, 0.33, 0.3, 0.44, 0.7) || rect(x, y, 0.56, 0.3, 0.67, 0.7),
  },
  offline: {
    color: [110, 119, 129],
    glyph: (x, y) =>
      (Math.abs(Math.hypot(x - 0.5, y - 0.5) - 0.22) <= W / 2 ||
        segment(x, y, 0.32, 0.68, 0.68, 0.32) <= W / 2) &&
      Math.hypot(x - 0.5, y - 0.5) <= 0.3,
  },
  error: {
    color: [207, 34, 46],
    glyph: (x, y) => rect(x, y, 0.44, 0.22, 0.56, 0.58) || disc(x, y, 0.5, 0.74, 0.075),
  },
};

const SAMPLES = 4;
export const APP_ICON_SIZE = 512;

/** RGBA pixels of one icon. */
export function draw(state, size) {
  const { color, glyph } = STATES[state];
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < SAMPLES; sy += 1) {
        for (let sx = 0; sx < SAMPLES; sx += 1) {
          const x = (px + (sx + 0.5) / SAMPLES) / size;
          const y = (py + (sy + 0.5) / SAMPLES) / size;
          if (!disc(x, y, 0.5, 0.5, 0.47)) continue;
          const [cr, cg, cb] = glyph(x, y) ? [255, 255, 255] : color;
          r += cr;
          g += cg;
          b += cb;
          a += 1;
        }
      }
      const at = (py * size + px) * 4;
      if (a > 0) {
        pixels[at] = Math.round(r / a);
        pixels[at + 1] = Math.round(g / a);
        pixels[at + 2] = Math.round(b / a);
        pixels[at + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
      }
    }
  }
  return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGBA PNG. */
export function encodePng(pixels, size) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) {
    rows[y * (size * 4 + 1)] = 0; // filter: none
    pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(outDir, { recursive: true });
  for (const state of Object.keys(STATES)) {
    for (const [size, suffix] of [
      [16, ''],
      [32, '@2x'],
    ]) {
      const file = path.join(outDir, `tray-${state}${suffix}.png`);
      writeFileSync(file, encodePng(draw(state, size), size));
      console.log(path.relative(root, file));
    }
  }
  const appIcon = path.join(root, 'build', 'icon.png');
  mkdirSync(path.dirname(appIcon), { recursive: true });
  writeFileSync(appIcon, encodePng(draw('syncing', APP_ICON_SIZE), APP_ICON_SIZE));
  console.log(path.relative(root, appIcon));
}
