/**
 * Everything the CLI prints goes through here, for two guarantees: a registered secret (the
 * AccessKey secret, the STS token) never reaches the terminal or a log, and control
 * characters in object keys or file names (a key can hold anything) cannot move the cursor,
 * clear the screen or forge extra lines.
 */

import { redact as scrub } from '../core/secrets/secret-registry.js';

// One registry of secrets for the whole process: core's logs redact the same values.
export { registerSecret } from '../core/secrets/secret-registry.js';
export { scrub };

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 controls and DEL, shown as escapes: `a\nb` prints as `a\\nb` on one line. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    return ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** Where the CLI writes; tests pass their own. */
export interface Output {
  /** A line on stdout (results, per-file lines, the summary). */
  out(line: string): void;
  /** A line on stderr (warnings, failures, errors). */
  err(line: string): void;
  /** Raw text on stdout for the status line (carriage returns, erase-line). */
  raw(text: string): void;
  /** Whether stdout is a terminal, and how wide. */
  readonly tty: boolean;
  columns(): number;
}

export function processOutput(): Output {
  const tty = process.stdout.isTTY === true;
  return {
    out: (line) => void process.stdout.write(`${scrub(printable(line))}\n`),
    err: (line) => void process.stderr.write(`${scrub(printable(line))}\n`),
    raw: (text) => void process.stdout.write(scrub(text)),
    tty,
    columns: () => process.stdout.columns || 80,
  };
}
