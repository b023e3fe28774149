// Keeps the CLI reference (docs/cli.md, and the README's command line section) true to the
// program: every command and subcommand has a section whose synopsis is the program's usage,
// every option is in its section's table or in a common options table the section takes in,
// and no option is documented that the command lacks. A section takes in a common table by
// linking it in lower case (`the [account options](#account-options)`); a mere reference
// spells the heading (`[Transfer options](#transfer-options)`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../../main/cli/program.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CLI_MD = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface CommandInfo {
  path: string;
  command: Command;
  /** Options of the command and of every command above it (commander's global options). */
  reachable: Set<string>;
}

function commands(): CommandInfo[] {
  const found: CommandInfo[] = [];
  const walk = (command: Command, prefix: string[], inherited: readonly Option[]) => {
    for (const sub of command.commands) {
      const names = [...prefix, sub.name()];
      const options = [...inherited, ...sub.options];
      found.push({
        path: names.join(' '),
        command: sub,
        reachable: new Set(options.map(longFlags)),
      });
      walk(sub, names, options);
    }
  };
  walk(createProgram(), [], []);
  return found;
}

/** `--endpoint <url>` for `--endpoint <url>`, `--recursive` for `-r, --recursive`. */
function longFlags(option: Option): string {
  return option.flags.replace(/^-[A-Za-z0-9],\s*/, '');
}

interface Section {
  heading: string;
  body: string;
}

/** The `###` sections of a markdown page, by heading text. */
function sections(markdown: string): Map<string, Section> {
  const result = new Map<string, Section>();
  const parts = markdown.split(/^(?=#{2,3} )/m);
  for (const part of parts) {
    const match = /^(#{2,3}) (.+)\n/.exec(part);
    if (match?.[1] !== '###' || match[2] === undefined) continue;
    result.set(match[2], { heading: match[2], body: part.slice(match[0].length) });
  }
  return result;
}

/** The options in the first cells of a section's tables (`--x <arg>`), and short flags. */
function tableOptions(body: string): { long: string[]; short: string[] } {
  const long: string[] = [];
  const short: string[] = [];
  for (const line of body.split('\n')) {
    const cell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (cell === undefined) continue;
    for (const [, flags] of cell.matchAll(/`([^`]+)`/g)) {
      if (flags === undefined) continue;
      if (/^--[a-z]/.test(flags)) long.push(flags);
      else if (/^-[A-Za-z0-9]$/.test(flags)) short.push(flags);
    }
  }
  return { long, short };
}

const SECTIONS = sections(CLI_MD);
/** The common options tables, by the link that takes one into a command's section. */
const COMMON: ReadonlyMap<string, string[]> = new Map(
  ['Account options', 'Transfer options', 'Pair options'].map((heading) => {
    const section = SECTIONS.get(heading);
    if (section === undefined) throw new Error(`docs/cli.md lacks the section "${heading}"`);
    const name = heading.toLowerCase();
    return [`[${name}](#${name.replace(/ /g, '-')})`, tableOptions(section.body).long];
  }),
);

/** What a command's section documents: its own table and the common tables it links to. */
function documented(info: CommandInfo): { long: Set<string>; short: string[] } {
  const section = SECTIONS.get(`\`ossync ${info.path}\``);
  if (section === undefined) return { long: new Set(), short: [] };
  const own = tableOptions(section.body);
  const long = new Set(own.long);
  for (const [link, options] of COMMON)
    if (section.body.includes(link)) for (const option of options) long.add(option);
  return { long, short: own.short };
}

const ALL = commands();

describe('the CLI reference (docs/cli.md)', () => {
  it('has a section for every command and subcommand, and none for a command that does not exist', () => {
    expect(ALL.map((info) => info.path)).toEqual(
      expect.arrayContaining(['put', 'pairs add', 'jobs resume', 'serve', 'local-oss']),
    );
    const documentedCommands = [...SECTIONS.keys()]
      .map((heading) => /^`ossync ([a-z -]+)`$/.exec(heading)?.[1])
      .filter((name) => name !== undefined)
      .sort();
    expect(documentedCommands).toEqual(ALL.map((info) => info.path).sort());
  });

  it.each(ALL.map((info) => [info.path, info] as const))(
    '`ossync %s`: its synopsis is the usage and every option is documented',
    (name, info) => {
      const section = SECTIONS.get(`\`ossync ${name}\``);
      expect(section, `docs/cli.md has a section \`ossync ${name}\``).toBeDefined();
      expect(section?.body).toContain(`\`ossync ${name} ${info.command.usage()}\``);
      const docs = documented(info);
      for (const option of info.command.options) {
        expect(docs.long, `${longFlags(option)} of ossync ${name}`).toContain(longFlags(option));
        if (option.short !== undefined)
          expect(docs.short, `${option.short} of ossync ${name}`).toContain(option.short);
      }
      for (const option of docs.long)
        expect(info.reachable, `docs/cli.md gives ossync ${name} ${option}`).toContain(option);
    },
  );

  it('names no option, in docs/cli.md or the README, that no command has', () => {
    const known = new Set([
      '--help', // commander's own, on every command
      ...ALL.flatMap((info) => info.command.options.map((option) => option.long ?? '')),
    ]);
    for (const [file, text] of [
      ['docs/cli.md', CLI_MD],
      ['README.md', README],
    ] as const) {
      const named = new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]));
      expect(named.size, file).toBeGreaterThan(5);
      for (const option of named) expect(known, `${file} names ${option}`).toContain(option);
    }
  });

  it('is linked from the README, which names every command', () => {
    expect(README).toContain('](docs/cli.md)');
    for (const info of ALL.filter((entry) => !entry.path.includes(' ')))
      expect(README, info.path).toContain(`\`${info.path}`);
  });
});
