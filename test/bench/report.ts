/**
 * The performance report: what `npm run bench` keeps in docs/performance.json and renders
 * into docs/performance.md. Each bench's raw figures are read into rows (figure, measured,
 * baseline from the same run, ratio, target, verdict, why a miss) by its entry in
 * test/bench/figures.ts; a section holds them with when, on what machine and under what
 * load they were measured. Plain functions of their inputs, so test/unit/bench tests them.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem, type } from 'node:os';

/** 'not measured': the run could not take the figure (its note says why). */
export type Verdict = 'met' | 'missed' | 'no target' | 'not measured';

/** A target: the measured value, or its ratio to the baseline, compared with `value`. */
export interface Target {
  on: 'measured' | 'ratio';
  op: '<' | '<=' | '>' | '>=' | '=';
  value: number;
}

export interface Row {
  figure: string;
  /** Null: not measured in the run (the note says why). */
  measured: number | null;
  unit: string;
  /** What the figure is compared with, measured in the same run. */
  baseline: { label: string; value: number | null; unit: string } | null;
  /** measured / baseline (as the bench computed it, or derived). */
  ratio: number | null;
  target: Target | null;
  verdict: Verdict;
  /** Context; for a miss, why it was missed. */
  note?: string;
}

export interface RowSpec {
  figure: string;
  measured: number | null | undefined;
  unit: string;
  baseline?: { label: string; value: number | null | undefined; unit?: string };
  ratio?: number | null;
  target?: Target;
  /** Shown with the row whatever the verdict. */
  note?: string;
  /** Shown instead of `note` when the target is missed. */
  whyMissed?: string;
}

const finite = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

export function compare(value: number, op: Target['op'], bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '=':
      return value === bound;
  }
}

/** Builds a row: the ratio (if the bench gave none), the verdict, the note. */
export function row(spec: RowSpec): Row {
  const measured = finite(spec.measured) ? spec.measured : null;
  const baselineValue = finite(spec.baseline?.value) ? spec.baseline.value : null;
  let ratio: number | null = null;
  if (finite(spec.ratio)) ratio = spec.ratio;
  else if (spec.ratio === undefined && measured !== null && baselineValue)
    ratio = Math.round((measured / baselineValue) * 1000) / 1000;
  let verdict: Verdict = 'no target';
  const judged = spec.target?.on === 'ratio' ? ratio : measured;
  if (measured === null || (spec.target && judged === null)) verdict = 'not measured';
  else if (spec.target && judged !== null)
    verdict = compare(judged, spec.target.op, spec.target.value) ? 'met' : 'missed';
  const note =
    verdict === 'missed'
      ? (spec.whyMissed ?? spec.note)
      : verdict === 'not measured'
        ? (spec.note ?? 'not measured in this run')
        : spec.note;
  return {
    figure: spec.figure,
    measured,
    unit: spec.unit,
    baseline: spec.baseline
      ? { label: spec.baseline.label, value: baselineValue, unit: spec.baseline.unit ?? spec.unit }
      : null,
    ratio,
    target: spec.target ?? null,
    verdict,
    ...(note === undefined ? {} : { note }),
  };
}

/** `'<= 3'`, `'< 2000'`, `'0'` (as test/bench/sync.ts states its targets) to a Target. */
export function parseTarget(text: string, on: Target['on'] = 'measured'): Target | undefined {
  const match = /^\s*(<=|>=|<|>|=)?\s*(-?[\d.]+)\s*$/.exec(text);
  if (!match) return undefined;
  return { on, op: (match[1] as Target['op'] | undefined) ?? '=', value: Number(match[2]) };
}

// ---- sections and the stored report --------------------------------------------------------

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export function machineInfo(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()} (${platform()})`,
  };
}

export function loadAverage(): number[] {
  return loadavg().map((n) => Math.round(n * 100) / 100);
}

export interface Section {
  bench: string;
  status: 'ok' | 'failed';
  /** ISO times. */
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: Machine;
  /** 1, 5 and 15 minute load averages just before and just after the bench. */
  load: { before: number[]; after: number[] };
  /** The environment options of the bench that were set (see BenchInfo.env). */
  options: Record<string, string>;
  /** Run with options that make it smaller or change what it measures: not the real figures. */
  quick: boolean;
  rows: Row[];
  /** The bench's own figures, as its last JSON line gives them. */
  raw: Record<string, unknown> | null;
  /** A failed bench's error; or why its figures could not be read into rows. */
  error?: string;
}

export interface ReportFile {
  version: 1;
  updatedAt: string;
  sections: Record<string, Section>;
}

/** The stored report, or undefined when there is none or it cannot be read. */
export function readReport(file: string): ReportFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ReportFile>;
    if (parsed.version !== 1 || typeof parsed.sections !== 'object' || parsed.sections === null)
      return undefined;
    return parsed as ReportFile;
  } catch {
    return undefined;
  }
}

/**
 * The report after a run: a run of every bench (`full`) replaces it; a run of some benches
 * replaces only their sections and keeps the others as they were.
 */
export function mergeReport(
  previous: ReportFile | undefined,
  sections: readonly Section[],
  options: { full: boolean; now: Date },
): ReportFile {
  const kept = options.full || previous === undefined ? {} : { ...previous.sections };
  for (const section of sections) kept[section.bench] = section;
  return { version: 1, updatedAt: options.now.toISOString(), sections: kept };
}

/**
 * The report with every section's rows read again from its raw figures by the current
 * BenchInfo (after its wording, targets or reasons changed); sections without raw figures,
 * or whose figures it cannot read, are kept as they were.
 */
export function rereadRows(report: ReportFile, infos: readonly BenchInfo[]): ReportFile {
  const sections: Record<string, Section> = {};
  for (const [name, section] of Object.entries(report.sections)) {
    const info = infos.find((i) => i.name === name);
    sections[name] = section;
    if (!info || !section.raw) continue;
    try {
      const { error, ...rest } = section;
      const rows = info.rows(section.raw);
      // A section whose figures could not be read before loses that error now.
      sections[name] = error?.startsWith('reading the figures')
        ? { ...rest, rows }
        : { ...section, rows };
    } catch {
      // Kept as stored.
    }
  }
  return { ...report, sections };
}

/** The bench's options that are set in `env`, and whether any of them makes a quick run. */
export function benchOptions(
  info: Pick<BenchInfo, 'env'>,
  env: NodeJS.ProcessEnv,
): { options: Record<string, string>; quick: boolean } {
  const options: Record<string, string> = {};
  let quick = false;
  for (const option of info.env) {
    const value = env[option.name];
    if (value === undefined || value === '') continue;
    options[option.name] = value;
    if (option.changesFigures) quick = true;
  }
  return { options, quick };
}

/**
 * Runs one bench into its section: its raw figures read into rows, when, the machine, the
 * load before and after, the options set. A bench that throws gives a failed section with
 * its error (paths under `repoRoot` made relative, at most 12 lines); figures that cannot
 * be read into rows keep the section, with the reason.
 */
export async function runBench(
  info: BenchInfo,
  bench: () => Promise<Record<string, unknown>>,
  context: {
    env: NodeJS.ProcessEnv;
    repoRoot: string;
    now?: () => Date;
    /** A bench still running after this fails with a timeout (it is not stopped). */
    timeoutMs?: number;
  },
): Promise<Section> {
  const now = context.now ?? ((): Date => new Date());
  const { options, quick } = benchOptions(info, context.env);
  const before = loadAverage();
  const startedAt = now();
  let raw: Record<string, unknown> | null = null;
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const running = bench();
    raw =
      context.timeoutMs === undefined
        ? await running
        : await Promise.race([
            running,
            new Promise<never>((_resolve, reject) => {
              timer = setTimeout(
                () =>
                  reject(
                    new Error(
                      `timed out: still running after ${formatNumber(context.timeoutMs! / 60_000)} min`,
                    ),
                  ),
                context.timeoutMs,
              );
            }),
          ]);
  } catch (caught) {
    error = (caught instanceof Error ? (caught.stack ?? caught.message) : String(caught))
      .split(`${context.repoRoot}/`)
      .join('')
      .split('\n')
      .slice(0, 12)
      .join('\n');
  } finally {
    clearTimeout(timer);
  }
  const finishedAt = now();
  let rows: Row[] = [];
  if (raw) {
    try {
      rows = info.rows(raw);
    } catch (caught) {
      error = `reading the figures: ${caught instanceof Error ? caught.message : String(caught)}`;
    }
  }
  return {
    bench: info.name,
    status: raw ? 'ok' : 'failed',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    machine: machineInfo(),
    load: { before, after: loadAverage() },
    options,
    quick,
    rows,
    raw,
    ...(error === undefined ? {} : { error }),
  };
}

// ---- what each bench is, for the report ------------------------------------------------------

export interface EnvOption {
  name: string;
  effect: string;
  /** Set, the figures are not the bench's real ones (smaller run, other runtime, profiler). */
  changesFigures: boolean;
}

export interface BenchInfo {
  name: string;
  title: string;
  /** Markdown: what the bench measures. */
  measures: string;
  /** Markdown: how its baselines are taken. */
  baseline: string;
  env: EnvOption[];
  /** How long a full run takes on the 2-core machine. */
  duration: string;
  /** Where the figures are discussed. */
  docs: string;
  /** The raw figures read into rows; throws if they are not what it expects. */
  rows(raw: Record<string, unknown>): Row[];
}

// ---- rendering -------------------------------------------------------------------------------

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** As the bench rounded it (at most 3 decimals), with thousands separators. */
export function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

function withUnit(value: number | null, unit: string): string {
  if (value === null) return 'not measured';
  const number = formatNumber(value);
  if (unit === '') return number;
  return unit === '%' || unit === 'x' ? `${number}${unit}` : `${number} ${unit}`;
}

export function formatTarget(target: Target | null, unit: string): string {
  if (!target) return '';
  const op = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '=': '=' }[target.op];
  return target.on === 'ratio'
    ? `ratio ${op} ${formatNumber(target.value)}`
    : `${op} ${withUnit(target.value, unit)}`;
}

function formatVerdict(verdict: Verdict, quick: boolean): string {
  const text = verdict === 'missed' ? '**missed**' : verdict;
  return quick && (verdict === 'met' || verdict === 'missed') ? `${text} (quick run)` : text;
}

function formatBaseline(row: Row): string {
  if (!row.baseline) return '';
  return row.baseline.value === null
    ? row.baseline.label
    : `${row.baseline.label}: ${withUnit(row.baseline.value, row.baseline.unit)}`;
}

function rowCells(row: Row, quick: boolean): string[] {
  return [
    row.figure,
    withUnit(row.measured, row.unit),
    formatBaseline(row),
    row.ratio === null ? '' : `${formatNumber(row.ratio)}`,
    formatTarget(row.target, row.unit),
    formatVerdict(row.verdict, quick),
  ].map(escapeCell);
}

const table = (header: string[], rows: string[][]): string[] => [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((cells) => `| ${cells.join(' | ')} |`),
];

function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function describeMachine(machine: Machine): string {
  return `${machine.cores} cores (${machine.cpuModel}), ${formatNumber(machine.memoryGiB)} GiB, Node ${machine.node.replace(/^v/, '')}, ${machine.os}`;
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

const sameMachine = (a: Machine, b: Machine): boolean => JSON.stringify(a) === JSON.stringify(b);

function sectionLines(info: BenchInfo, section: Section | undefined): string[] {
  const lines = [`## ${info.title}`, ''];
  const reproduce = `\`npm run bench -- ${info.name}\``;
  if (!section) {
    lines.push(
      `**Not measured in this report yet.** Run ${reproduce} (about ${info.duration}) to fill this section.`,
      '',
    );
  } else {
    const load = (values: number[]): string => values.map(formatNumber).join(' / ');
    lines.push(
      `${section.status === 'failed' ? '**Failed**' : 'Measured'} ${when(section.startedAt)}, ` +
        `${formatNumber(section.seconds)} s, on ${section.machine.cores} cores; load average ` +
        `(1 / 5 / 15 min) ${load(section.load.before)} before, ${load(section.load.after)} after.`,
      '',
    );
    const busiest = Math.max(section.load.before[0] ?? 0, section.load.after[0] ?? 0);
    if (busiest > section.machine.cores)
      lines.push(
        `The 1-minute load average reached ${formatNumber(busiest)} on ${section.machine.cores} cores: other work competed with the bench, so its figures are likely pessimistic.`,
        '',
      );
    if (section.quick)
      lines.push(
        `**Quick run**, not the bench's real figures: ${Object.entries(section.options)
          .map(([name, value]) => `\`${name}=${value}\``)
          .join(
            ', ',
          )}. Its verdicts say how this smaller run fared, not whether the target is met.`,
        '',
      );
    else if (Object.keys(section.options).length > 0)
      lines.push(
        `Options: ${Object.entries(section.options)
          .map(([name, value]) => `\`${name}=${value}\``)
          .join(', ')}.`,
        '',
      );
    if (section.status === 'failed')
      lines.push(
        'The bench failed:',
        '',
        '```',
        (section.error ?? 'no error given').trim(),
        '```',
        '',
      );
  }
  lines.push(
    `**What it measures.** ${capitalize(info.measures)}`,
    '',
    `**Baseline.** ${capitalize(info.baseline)}`,
    '',
  );
  if (section && section.rows.length > 0) {
    lines.push(
      ...table(
        ['figure', 'measured', 'baseline (same run)', 'ratio', 'target', 'verdict'],
        section.rows.map((r) => rowCells(r, section.quick)),
      ),
      '',
    );
    const missed = section.rows.filter((r) => r.verdict === 'missed');
    if (missed.length > 0) {
      lines.push(`**Missed${section.quick ? ' (in this quick run)' : ''}:**`, '');
      for (const r of missed) lines.push(`- ${r.figure}: ${r.note ?? 'no reason recorded'}`);
      lines.push('');
    }
    const unmeasured = section.rows.filter((r) => r.verdict === 'not measured');
    if (unmeasured.length > 0) {
      lines.push('**Not measured in this run:**', '');
      for (const r of unmeasured) lines.push(`- ${r.figure}: ${r.note ?? 'no reason recorded'}`);
      lines.push('');
    }
    const notes = section.rows.filter(
      (r) => r.verdict !== 'missed' && r.verdict !== 'not measured' && r.note,
    );
    if (notes.length > 0) {
      lines.push('Notes:', '');
      for (const r of notes) lines.push(`- ${r.figure}: ${r.note}`);
      lines.push('');
    }
  }
  if (section?.status === 'ok' && section.error)
    lines.push(`The figures could not all be read into rows: ${section.error}`, '');
  lines.push(
    `**Reproduce.** ${reproduce} (about ${info.duration}); the last line it prints is one JSON object with every raw figure, also kept in \`docs/performance.json\` under \`sections.${info.name}.raw\`. More in ${info.docs}.`,
    '',
  );
  if (info.env.length > 0) {
    lines.push(
      ...table(
        ['environment', 'effect', 'marks the run quick'],
        info.env.map((e) => [
          `\`${e.name}\``,
          escapeCell(e.effect),
          e.changesFigures ? 'yes' : 'no',
        ]),
      ),
      '',
    );
  }
  return lines;
}

/** docs/performance.md from the stored report; `infos` in the order of the run. */
export function renderReport(report: ReportFile, infos: readonly BenchInfo[]): string {
  const sections = infos.map((info) => report.sections[info.name]);
  const measured = sections.filter((s): s is Section => s !== undefined);
  const allRows = measured.flatMap((s) => s.rows.map((r) => ({ section: s, row: r })));
  const counted = allRows.filter(({ section }) => !section.quick);
  const count = (verdict: Verdict): number =>
    counted.filter(({ row: r }) => r.verdict === verdict).length;
  const quickCount = allRows.length - counted.length;
  const notMeasured = infos.filter((info) => !report.sections[info.name]).map((i) => i.name);
  const failed = measured.filter((s) => s.status === 'failed').map((s) => s.bench);

  const lines = [
    '# Performance',
    '',
    '<!-- Generated by `npm run bench` (test/bench/run.ts) from docs/performance.json: rerun a bench instead of editing. -->',
    '',
    "Every figure below comes with its baseline measured in the same run on the same machine, the ratio between them, the target where there is one, and whether it was met. `npm run bench` runs every bench and rewrites this report; `npm run bench -- NAME` refreshes that bench's section and keeps the others, so each section says when and under what load it was measured. The machines here are small and shared (2 cores): compare ratios rather than absolute figures, and read each section's load average with its figures.",
    '',
    `Last updated ${when(report.updatedAt)}. ${count('met')} figures met their target, ${count('missed')} missed, ${count('no target')} have none, ${count('not measured')} could not be measured` +
      (quickCount > 0 ? `; ${quickCount} more come from quick runs and are not counted` : '') +
      '.' +
      (failed.length > 0 ? ` Failed: ${failed.join(', ')}.` : '') +
      (notMeasured.length > 0
        ? ` Not measured in this report yet: ${notMeasured.join(', ')}.`
        : ''),
    '',
    '## Summary',
    '',
    ...table(
      ['bench', 'figure', 'measured', 'baseline (same run)', 'ratio', 'target', 'verdict'],
      infos.flatMap((info) => {
        const section = report.sections[info.name];
        const link = `[${info.name}](#${anchor(info.title)})`;
        if (!section) return [[link, 'not measured in this report yet', '', '', '', '', '']];
        if (section.rows.length === 0)
          return [
            [
              link,
              section.status === 'failed'
                ? '**failed** (see its section)'
                : 'figures not read into rows (see its section)',
              '',
              '',
              '',
              '',
              '',
            ],
          ];
        return section.rows.map((r) => [link, ...rowCells(r, section.quick)]);
      }),
    ),
    '',
    '## Machine',
    '',
  ];
  const machines: { machine: Machine; benches: string[] }[] = [];
  for (const section of measured) {
    const known = machines.find((m) => sameMachine(m.machine, section.machine));
    if (known) known.benches.push(section.bench);
    else machines.push({ machine: section.machine, benches: [section.bench] });
  }
  if (machines.length === 0) lines.push('No bench has run yet.', '');
  for (const { machine, benches } of machines) {
    if (machines.length > 1) lines.push(`For ${benches.join(', ')}:`, '');
    lines.push(
      ...table(
        ['CPU', 'cores', 'memory', 'Node', 'OS'],
        [
          [
            machine.cpuModel,
            String(machine.cores),
            `${formatNumber(machine.memoryGiB)} GiB`,
            machine.node,
            machine.os,
          ].map(escapeCell),
        ],
      ),
      '',
    );
  }
  if (machines.length === 1)
    lines.push(
      `Every section was measured on this machine (${describeMachine(machines[0]!.machine)}).`,
      '',
    );
  for (let k = 0; k < infos.length; k++) lines.push(...sectionLines(infos[k]!, sections[k]));
  lines.push(
    '## How to reproduce',
    '',
    '- `npm run bench`: every bench in the order above (about 25 minutes on a quiet machine), then this report rewritten whole. A bench that fails is reported as failed in its section, with its error; the others still run, and the command exits non-zero.',
    '- `npm run bench -- NAME [NAME...]`: those benches only; their sections are replaced and the others kept.',
    '- `BENCH_REPORT=0 npm run bench -- NAME`: run without touching the report (for profiling or trying options).',
    '- `BENCH_TIMEOUT_MINUTES` (default 30): a bench still running after that is reported as failed (timed out) and the run goes on; at the end the command kills the processes it started and exits (the temp folders of the timed-out bench stay).',
    '- `npm run bench -- --report`: runs nothing; reads the stored raw figures into rows again (after a change to test/bench/figures.ts) and renders this report.',
    '- Options set through the environment are listed in each section; a run with any that changes what is measured is marked **quick run** and its verdicts are not counted above.',
    '- Run on an otherwise idle machine: other work on the same cores shows in every figure.',
    '',
  );
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}
