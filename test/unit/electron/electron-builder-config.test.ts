// electron-builder.yml, read with a small reader for the YAML subset it uses (maps, lists
// of scalars, comments, quoted strings): the targets, the fuses, what is packed and what is
// unpacked for native modules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Yaml = string | boolean | number | null | Yaml[] | { [key: string]: Yaml };

function scalar(raw: string): Yaml {
  const text = raw.trim();
  if (/^'.*'$/.test(text)) return text.slice(1, -1).replace(/''/g, "'");
  if (/^".*"$/.test(text)) return JSON.parse(text) as string;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~' || text === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** The line without a `#` comment (one at the start or after a space, outside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i);
  }
  return line;
}

/** Block-style YAML with two-space indents: mappings, sequences of scalars, `#` comments. */
export function parseSimpleYaml(source: string): Yaml {
  const lines = source
    .split('\n')
    .map((line) => stripComment(line).replace(/\s+$/, ''))
    .filter((line) => line.trim() !== '')
    .map((line) => ({ indent: line.length - line.trimStart().length, text: line.trim() }));
  let at = 0;
  const block = (indent: number): Yaml => {
    const first = lines[at];
    if (first === undefined || first.indent < indent) return null;
    if (first.text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (lines[at]?.indent === indent && lines[at]?.text.startsWith('- ')) {
        list.push(scalar(lines[at]!.text.slice(2)));
        at += 1;
      }
      return list;
    }
    const map: Record<string, Yaml> = {};
    while (lines[at]?.indent === indent) {
      const { text } = lines[at]!;
      const match = /^([^:'"]+|'[^']*'):(?:\s+(.*))?$/.exec(text);
      if (!match) throw new Error(`cannot read YAML line: ${text}`);
      const key = scalar(match[1]!) as string;
      at += 1;
      const next = lines[at];
      if (match[2] !== undefined) map[key] = scalar(match[2]);
      else if (
        next &&
        (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))
      )
        map[key] = block(next.indent);
      else map[key] = null;
    }
    return map;
  };
  const result = block(0);
  if (at !== lines.length) throw new Error(`unexpected indentation at: ${lines[at]?.text}`);
  return result;
}

const config = parseSimpleYaml(readFileSync('electron-builder.yml', 'utf8')) as Record<
  string,
  Yaml
>;
const section = (name: string) => config[name] as Record<string, Yaml>;

describe('parseSimpleYaml', () => {
  it('reads maps, lists, quotes and comments', () => {
    expect(
      parseSimpleYaml(
        '# c\na: 1\nb:\n  c: true # note\n  d:\n    - x\n    - \'!y # not a comment\'\ne: "q"\nlist:\n- one\n',
      ),
    ).toEqual({ a: 1, b: { c: true, d: ['x', '!y # not a comment'] }, e: 'q', list: ['one'] });
  });

  it('refuses what it cannot read', () => {
    expect(() => parseSimpleYaml('a: 1\n   b: 2\n')).toThrow();
  });
});

describe('electron-builder.yml', () => {
  it('builds AppImage and deb, NSIS, and dmg', () => {
    expect(section('linux').target).toEqual(['AppImage', 'deb']);
    expect(section('win').target).toEqual(['nsis']);
    expect(section('mac').target).toEqual(['dmg']);
  });

  it('sets the security fuses', () => {
    expect(section('electronFuses')).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs into an asar with the native modules unpacked', () => {
    expect(config.asar).toBe(true);
    const unpack = config.asarUnpack as string[];
    expect(unpack).toContain('**/node_modules/better-sqlite3/**');
    expect(unpack.some((glob) => glob.includes('@parcel/watcher'))).toBe(true);
    expect(unpack).toContain('**/*.node');
  });

  it('packs only dist, the tray icons, the locales and package.json (no sources, no maps)', () => {
    const files = config.files as string[];
    const included = files.filter((glob) => !glob.startsWith('!'));
    expect(included.sort()).toEqual(
      ['assets/tray/**', 'dist/**', 'package.json', 'shared/i18n/locales/**/*.json'].sort(),
    );
    expect(files).toContain('!dist/**/*.map');
    // what main.ts reads at run time is among them
    const main = readFileSync('main/electron/main.ts', 'utf8');
    expect(main).toContain("path.join(appRoot, 'dist', 'preload', 'preload.cjs')");
    expect(main).toContain("path.join(appRoot, 'assets', 'tray')");
    expect(main).toContain("path.join(appRoot, 'shared', 'i18n', 'locales')");
    expect(main).toContain("path.join(appRoot, 'dist', 'renderer')");
  });

  it("package.json's main is the compiled entry inside dist", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/main/electron/main.js');
  });
});
