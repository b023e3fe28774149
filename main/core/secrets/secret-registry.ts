/**
 * The process-wide list of secret values that must never be printed or logged: the AccessKey
 * secrets and STS tokens in use. Everything that writes text a person or a file may see (the
 * CLI's output, the log, error messages crossing the contract) passes it through `redact`.
 * The secret stores register what they hand out, so a value is covered as soon as it is read.
 */

/** What a registered secret is replaced with. */
export const REDACTED = '***';

/** Very short values would blank out ordinary words; real secrets are long. */
const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();
/** One alternation of every form of every secret, longest first; rebuilt after a change. */
let pattern: RegExp | undefined;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The forms a value takes in text: as is, and as it appears inside a JSON string (a secret
 * with a quote or backslash is escaped in a JSON log line, so the raw form would not match).
 */
function formsOf(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  return json === value ? [value] : [value, json];
}

/** From now on `value` is replaced by `***` in everything passed through `redact`. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  let changed = false;
  for (const form of formsOf(value)) {
    if (!secrets.has(form)) {
      secrets.add(form);
      changed = true;
    }
  }
  if (changed) pattern = undefined;
}

/** Stops redacting `value` (a deleted account). Tests use it to keep the registry small. */
export function forgetSecret(value: string): void {
  for (const form of formsOf(value)) if (secrets.delete(form)) pattern = undefined;
}

/** How many forms are registered (for tests and diagnostics; never the values). */
export function registeredSecretCount(): number {
  return secrets.size;
}

/**
 * `text` with every registered secret replaced by `***`. One precompiled regex pass, so the
 * cost is about that of scanning the text once, whatever the number of secrets.
 */
export function redact(text: string): string {
  if (secrets.size === 0) return text;
  if (pattern === undefined) {
    // Longest first: a secret containing another is replaced whole.
    const sorted = [...secrets].sort((a, b) => b.length - a.length);
    pattern = new RegExp(sorted.map(escapeRegex).join('|'), 'g');
  }
  return text.replace(pattern, REDACTED);
}
